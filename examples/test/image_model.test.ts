// The PixelCNN's likelihood is exact only if no pixel's logit sees that pixel
// or a later one (raster order): flip one pixel and compare every logit, for
// both models and both paths (tf.conv2d for inference, the block-sparse kernel
// for training). The examples are ES modules: the check runs in a Node child.
import {spawnSync} from 'child_process';
import {join} from 'path';

const FLIPPED = {
  row: 5,
  col: 6
};
const CHECK = `
import tf from '@tensorflow/tfjs';
import '@tfjs-blocksparse/backend-cpu';
import {PixelCNN} from './image/model.mjs';
import {SIZE} from './image/data.mjs';

const flipped = ${FLIPPED.row} * SIZE + ${FLIPPED.col};
const result = {};
for (const variant of ['dense', 'sparse']) {
  const model = PixelCNN.create(variant, 3);
  // A fresh model's output weights are zero: every logit would be constant.
  model.weights.outFilter.assign(tf.randomNormal(model.weights.outFilter.shape, 0, 1, 'float32', 1));
  const x = tf.cast(tf.greater(tf.randomUniform([1, SIZE, SIZE, 1], 0, 1, 'float32', 2), 0.7), 'float32');
  const y = tf.abs(tf.sub(x, tf.reshape(tf.oneHot(flipped, SIZE * SIZE), [1, SIZE, SIZE, 1])));
  for (const training of [false, true]) {
    const [a, b] = [x, y].map(input => model.logits(input, {training}).dataSync());
    const change = i => Math.abs(a[i] - b[i]);
    result[variant + (training ? ', training' : '')] = {
      upToFlipped: Math.max(...Array.from(a.subarray(0, flipped + 1), (_, i) => change(i))),
      after: Math.max(...Array.from(a.subarray(flipped + 1), (_, i) => change(flipped + 1 + i))),
    };
  }
}
console.log(JSON.stringify(result));
`;

test('no PixelCNN logit depends on its own pixel or a later one, while later ones do depend on it', () => {
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', CHECK], {cwd: join(__dirname, '..'), encoding: 'utf8'});
  expect(run.stderr).not.toMatch(/Error/);
  expect(run.status).toBe(0);
  const result = JSON.parse(run.stdout.split('\n').find(line => line.startsWith('{'))!);
  expect(Object.keys(result)).toEqual(['dense', 'dense, training', 'sparse', 'sparse, training']);
  for (const {upToFlipped, after} of Object.values(result) as {upToFlipped: number, after: number}[]) {
    expect(upToFlipped).toBe(0);
    expect(after).toBeGreaterThan(1e-3);
  }
});
