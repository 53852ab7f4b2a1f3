// Benchmark cases and timing, shared by every backend's runner (Node or browser).
// Everything is compared as ratios inside one run: the machines are shared and noisy.

export const DENSITIES = [1, 1 / 2, 1 / 4, 1 / 8, 1 / 16];
export const BLOCK_SIZES = [8, 16, 32];

export function matMulSizes(quick) {
  return quick ? {batch: 64, inputSize: 512, outputSize: 512} : {batch: 256, inputSize: 2048, outputSize: 2048};
}

export function conv2dSizes(quick) {
  return quick ? {batch: 1, height: 8, width: 8, inputSize: 128, outputSize: 128, filter: 3}
               : {batch: 4, height: 16, width: 16, inputSize: 256, outputSize: 256, filter: 3};
}

/** Median wall time in ms of fn(), after a warm-up, reading the result back each time so GPU work is counted. */
export async function medianTime(tf, fn, runs) {
  const once = async () => {
    const start = performance.now();
    const out = fn();
    const list = Array.isArray(out) ? out : [out];
    await Promise.all(list.map(t => t.data()));
    const ms = performance.now() - start;
    tf.dispose(list);
    return ms;
  };
  await once();
  const times = [];
  for (let i = 0; i < runs; i++) {
    times.push(await once());
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

/**
 * Rows of {op, mode, blockSize, density, denseMs, sparseMs, speedup, sparseGflops, denseGflops}
 * for matmul and conv2d, forward and training step (forward + dx + dW).
 */
export async function runBenchmarks(tf, tfbs, {
  quick = false, runs = 3, ops = ['matMul', 'conv2d'], blockSizes = BLOCK_SIZES, densities = DENSITIES, log = () => {}
} = {}) {
  const rows = [];
  for (const op of ops) {
    const sizes = op === 'matMul' ? matMulSizes(quick) : conv2dSizes(quick);
    for (const mode of ['forward', 'train']) {
      // The dense baseline does not depend on the block size: time it once.
      const dense = denseCase(tf, op, sizes);
      const denseMs = await medianTime(tf, mode === 'forward' ? dense.forward : dense.train, runs);
      tf.dispose(dense.tensors);
      for (const blockSize of blockSizes) {
        for (const density of densities) {
          const sparse = sparseCase(tf, tfbs, op, sizes, blockSize, density);
          const sparseMs = await medianTime(tf, mode === 'forward' ? sparse.forward : sparse.train, runs);
          tf.dispose(sparse.tensors);
          const flops = denseFlops(op, sizes) * (mode === 'train' ? 3 : 1);
          const row = {
            op, mode, blockSize, density, nnz: sparse.nnz, denseMs, sparseMs,
            speedup: denseMs / sparseMs,
            denseGflops: flops / denseMs / 1e6,
            sparseGflops: flops * sparse.keptFraction / sparseMs / 1e6
          };
          rows.push(row);
          log(row);
        }
      }
    }
  }
  return rows;
}

function denseFlops(op, s) {
  return op === 'matMul' ? 2 * s.batch * s.inputSize * s.outputSize
                         : 2 * s.batch * s.height * s.width * s.filter * s.filter * s.inputSize * s.outputSize;
}

function inputShape(op, s) {
  return op === 'matMul' ? [s.batch, s.inputSize] : [s.batch, s.height, s.width, s.inputSize];
}

function denseCase(tf, op, s) {
  const x = tf.randomNormal(inputShape(op, s));
  const w = tf.randomNormal(op === 'matMul' ? [s.inputSize, s.outputSize] : [s.filter, s.filter, s.inputSize, s.outputSize]);
  const apply = (a, b) => op === 'matMul' ? tf.matMul(a, b) : tf.conv2d(a, b, 1, 'same');
  const grads = tf.grads((a, b) => tf.sum(apply(a, b)));
  return {tensors: [x, w], forward: () => apply(x, w), train: () => grads([x, w])};
}

function sparseCase(tf, tfbs, op, s, blockSize, density) {
  const layout = tfbs.randomLayout({inputSize: s.inputSize, outputSize: s.outputSize, blockSize, density, seed: 1});
  const x = tf.randomNormal(inputShape(op, s));
  const spatial = op === 'matMul' ? [] : [s.filter, s.filter];
  const w = tf.randomNormal([layout.nnz, ...spatial, blockSize, blockSize]);
  const apply = (a, b) => op === 'matMul' ? tfbs.blockSparseMatMul(a, b, layout) : tfbs.blockSparseConv2d(a, b, layout, 1, 'same');
  const grads = tf.grads((a, b) => tf.sum(apply(a, b)));
  return {tensors: [x, w], nnz: layout.nnz, keptFraction: layout.density, forward: () => apply(x, w), train: () => grads([x, w])};
}
