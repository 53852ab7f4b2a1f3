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

// The sparse model is cut from the trained big one: the blocks of its hidden
// filters with the most weight on the taps the causal mask keeps open.
const PRUNE = `
import tf from '@tensorflow/tfjs';
import '@tfjs-blocksparse/backend-cpu';
import core from '@tfjs-blocksparse/core';
import {PixelCNN} from './image/model.mjs';

const model = PixelCNN.create('big', 3);
const strong = Array.from({length: 16}, (_, k) => 4 * k + (k % 4));
const filter = new Float32Array(3 * 3 * 64 * 64);
const at = (tap, block, i, j) => (tap * 64 + Math.floor(block / 8) * 8 + i) * 64 + (block % 8) * 8 + j;
for (let block = 0; block < 64; block++) {
  // An open tap (top left) for the strong blocks; a masked one (bottom right), far larger, for the rest.
  filter[strong.includes(block) ? at(0, block, 1, 2) : at(8, block, 3, 4)] = strong.includes(block) ? 1 : 100;
}
model.weights.hidden0Filter.assign(tf.tensor4d(filter, [3, 3, 64, 64]));
const pruned = model.pruned('sparse');
const [layout] = pruned.layouts;
const packedAsBig = tf.tidy(() => core.sparsify(model.weights.hidden0Filter, layout).sub(pruned.weights.hidden0Filter).abs().max().arraySync());
const othersAsBig = Object.keys(model.weights).filter(name => !/^hidden\\d+Filter$/.test(name)).every(
    name => tf.tidy(() => model.weights[name].sub(pruned.weights[name]).abs().max().arraySync()) === 0 && model.weights[name] !== pruned.weights[name]);
console.log(JSON.stringify({strong, kept: layout.rows.map((r, k) => r * 8 + layout.cols[k]), packedAsBig, othersAsBig, variant: pruned.variant}));
`;

test('the sparse model cut from the big one keeps the blocks with the most weight on the taps the mask leaves open', () => {
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', PRUNE], {cwd: join(__dirname, '..'), encoding: 'utf8'});
  expect(run.stderr).not.toMatch(/Error/);
  expect(run.status).toBe(0);
  const {strong, kept, packedAsBig, othersAsBig, variant} = JSON.parse(run.stdout.split('\n').find(line => line.startsWith('{'))!);
  expect(kept).toEqual(strong);
  expect(packedAsBig).toBe(0);
  expect(othersAsBig).toBe(true);
  expect(variant).toBe('sparse');
});
