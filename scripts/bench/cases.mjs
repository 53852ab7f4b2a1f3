// Benchmark cases and timing, shared by every backend's runner (Node or browser).
// Everything is compared as ratios inside one run: the machines are shared and noisy.

export const DENSITIES = [1, 1 / 2, 1 / 4, 1 / 8, 1 / 16];
export const BLOCK_SIZES = [8, 16, 32];

// quick: seconds on one CPU core; standard: the sizes of docs/benchmarks.md's tables
// (SwiftShader and the CPU); large: enough work per call that a real GPU is
// timed rather than its launch and read-back overheads.
export const SIZES = {
  quick: {
    matMul: {batch: 64, inputSize: 512, outputSize: 512},
    conv2d: {batch: 1, height: 8, width: 8, inputSize: 128, outputSize: 128, filter: 3},
  },
  standard: {
    matMul: {batch: 256, inputSize: 2048, outputSize: 2048},
    conv2d: {batch: 4, height: 16, width: 16, inputSize: 256, outputSize: 256, filter: 3},
  },
  large: {
    matMul: {batch: 4096, inputSize: 4096, outputSize: 4096},
    conv2d: {batch: 16, height: 32, width: 32, inputSize: 512, outputSize: 512, filter: 3},
  },
};

// A sample repeats a call until it lasts this long, so that the one read-back
// per sample (which waits for the queued GPU work) is small beside the work:
// on an H200 through Dawn, with one call per sample, a call of 0.6 ms of GPU
// time measured 7.5 ms.
const MIN_SAMPLE_MS = 200;
const MAX_CALLS_PER_SAMPLE = 200;

/**
 * Median times in ms of one call of each of fns, after a warm-up, as
 * {wallMs, hostMs}: the wall time, and the host's time to issue the call
 * (on a GPU backend what a call costs the page's main thread: tfjs's and our
 * JavaScript, uploads, command encoding; on cpu the whole call). Samples of
 * the functions alternate, so that a slow spell of a shared machine falls
 * on all of them rather than on one. Each sample makes enough calls back to
 * back to last MIN_SAMPLE_MS and reads back the sum of the last call's
 * outputs, which waits for all of them on a GPU backend.
 */
export async function medianTimes(tf, fns, runs) {
  const sample = async (fn, calls) => {
    const start = performance.now();
    let list = [];
    for (let i = 0; i < calls; i++) {
      tf.dispose(list);
      const out = fn();
      list = Array.isArray(out) ? out : [out];
    }
    const issued = performance.now();
    const sums = list.map(t => tf.sum(t));
    await Promise.all(sums.map(s => s.data()));
    const end = performance.now();
    tf.dispose([...list, ...sums]);
    return {wallMs: (end - start) / calls, hostMs: (issued - start) / calls};
  };
  const calls = [];
  for (const fn of fns) {
    await sample(fn, 1);  // compiles the shaders and fills the buffer pools
    const oneCallMs = (await sample(fn, 1)).wallMs;
    calls.push(Math.min(MAX_CALLS_PER_SAMPLE, Math.max(1, Math.ceil(MIN_SAMPLE_MS / oneCallMs))));
  }
  const times = fns.map(() => []);
  for (let r = 0; r < runs; r++) {
    for (let i = 0; i < fns.length; i++) {
      times[i].push(await sample(fns[i], calls[i]));
    }
  }
  return times.map(t => ({wallMs: median(t.map(s => s.wallMs)), hostMs: median(t.map(s => s.hostMs))}));
}

function median(values) {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
}

/**
 * Median GPU time in ms of one fn() call from timestamp queries, or null
 * where the backend has none (webgpu has them where the adapter offers
 * 'timestamp-query'; the bench asks Dawn for it with allow_unsafe_apis).
 */
export async function medianKernelTime(tf, fn, runs) {
  if (tf.getBackend() !== 'webgpu' || !tf.backend().supportTimestampQuery) {
    return null;
  }
  const times = [];
  for (let i = 0; i < runs; i++) {
    times.push((await tf.time(() => tf.dispose(fn()))).kernelMs);
  }
  return median(times);
}

/**
 * Rows of {op, mode, blockSize, density, denseMs, sparseMs, denseHostMs, sparseHostMs, speedup, sparseGflops, denseGflops}
 * (and, with GPU timestamps, denseKernelMs, sparseKernelMs, kernelSpeedup)
 * for matmul and conv2d, forward and training step (forward, then dx and dW
 * from a given dy, as in backprop through a layer). The dense op is timed
 * again beside every sparse cell.
 */
export async function runBenchmarks(tf, tfbs, {
  size = 'standard',
  matMulRows = null,
  runs = 3,
  ops = ['matMul', 'conv2d'],
  blockSizes = BLOCK_SIZES,
  densities = DENSITIES,
  int8 = false,
  batches,
  log = () => {}
} = {}) {
  if (int8) {
    return runInt8Benchmarks(tf, tfbs, {runs, blockSizes, densities, batches, log});
  }
  const rows = [];
  for (const op of ops) {
    const sizes = opSizes(size, op, matMulRows);
    for (const mode of ['forward', 'train']) {
      const dense = denseCase(tf, op, sizes);
      const denseFn = mode === 'forward' ? dense.forward : dense.train;
      const missing = missingKernel(tf, denseFn);
      if (missing != null) {
        // tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter: there is no dense training step to compare with.
        log({op, mode, skipped: `dense ${op} ${mode} cannot run on ${tf.getBackend()}: ${missing}`});
        tf.dispose(dense.tensors);
        continue;
      }
      // The dense GPU time does not depend on the block size: measure it once.
      const denseKernelMs = await medianKernelTime(tf, denseFn, runs);
      for (const blockSize of blockSizes) {
        for (const density of densities) {
          const sparse = sparseCase(tf, tfbs, op, sizes, blockSize, density);
          const sparseFn = mode === 'forward' ? sparse.forward : sparse.train;
          const [denseTimes, sparseTimes] = await medianTimes(tf, [denseFn, sparseFn], runs);
          const [denseMs, sparseMs] = [denseTimes.wallMs, sparseTimes.wallMs];
          const sparseKernelMs = await medianKernelTime(tf, sparseFn, runs);
          tf.dispose(sparse.tensors);
          const flops = denseFlops(op, sizes) * (mode === 'train' ? 3 : 1);
          const row = {
            op,
            mode,
            blockSize,
            density,
            nnz: sparse.nnz,
            denseMs,
            sparseMs,
            denseHostMs: denseTimes.hostMs,
            sparseHostMs: sparseTimes.hostMs,
            speedup: denseMs / sparseMs,
            denseGflops: flops / denseMs / 1e6,
            sparseGflops: flops * sparse.keptFraction / sparseMs / 1e6,
            ...(denseKernelMs != null && sparseKernelMs != null &&
                {denseKernelMs, sparseKernelMs, kernelSpeedup: denseKernelMs / sparseKernelMs}),
          };
          rows.push(row);
          log(row);
        }
      }
      tf.dispose(dense.tensors);
    }
  }
  return rows;
}

/** The message of a "kernel not registered" error that fn throws, or null where it runs. */
function missingKernel(tf, fn) {
  try {
    tf.dispose(fn());
    return null;
  } catch (e) {
    if (/not registered/.test(e.message)) {
      return e.message;
    }
    throw e;
  }
}

/** The sizes of one op; matMulRows, where given, replaces the matmul's rows (the batch of a Dense layer). */
export function opSizes(size, op, matMulRows = null) {
  const sizes = SIZES[size][op];
  return op === 'matMul' && matMulRows != null ? {...sizes, batch: matMulRows} : sizes;
}

function denseFlops(op, s) {
  return op === 'matMul' ? 2 * s.batch * s.inputSize * s.outputSize :
                           2 * s.batch * s.height * s.width * s.filter * s.filter * s.inputSize * s.outputSize;
}

function inputShape(op, s) {
  return op === 'matMul' ? [s.batch, s.inputSize] : [s.batch, s.height, s.width, s.inputSize];
}

function outputShape(op, s) {
  return op === 'matMul' ? [s.batch, s.outputSize] : [s.batch, s.height, s.width, s.outputSize];
}

// The training step's dy is made once: a loss such as tf.sum would build its
// gradient (a tensor of ones as large as the output) on the host every call.
function timedCase(tf, op, s, w, apply, extra = {}) {
  const x = tf.randomNormal(inputShape(op, s));
  const dy = tf.randomNormal(outputShape(op, s));
  const grads = tf.grads(apply);
  return {...extra, tensors: [x, w, dy], forward: () => apply(x, w), train: () => grads([x, w], dy)};
}

function denseCase(tf, op, s) {
  const w = tf.randomNormal(op === 'matMul' ? [s.inputSize, s.outputSize] : [s.filter, s.filter, s.inputSize, s.outputSize]);
  return timedCase(tf, op, s, w, (a, b) => op === 'matMul' ? tf.matMul(a, b) : tf.conv2d(a, b, 1, 'same'));
}

function sparseCase(tf, tfbs, op, s, blockSize, density) {
  const layout = tfbs.randomLayout({inputSize: s.inputSize, outputSize: s.outputSize, blockSize, density, seed: 1});
  const spatial = op === 'matMul' ? [] : [s.filter, s.filter];
  const w = tf.randomNormal([layout.nnz, ...spatial, blockSize, blockSize]);
  const apply = (a, b) => op === 'matMul' ? tfbs.blockSparseMatMul(a, b, layout) : tfbs.blockSparseConv2d(a, b, layout, 1, 'same');
  return timedCase(tf, op, s, w, apply, {nnz: layout.nnz, keptFraction: layout.density});
}

/** The int8 benchmark's product: K = N = 4096, at batch 1 (weights read once per call) and 256. */
export const INT8_SIZES = {
  inputSize: 4096,
  outputSize: 4096,
  batches: [1, 256]
};

/**
 * Rows of {batch, blockSize, density, denseMs, floatMs, int8Ms, int8OverFloat,
 * int8OverDense, floatBytes, int8Bytes, maxError, halfMs, halfOverFloat,
 * halfBytes, halfMaxError} (and, with GPU timestamps, denseKernelMs, floatKernelMs,
 * int8KernelMs, halfKernelMs, int8OverFloatKernel, halfOverFloatKernel) for x·W with W as float32 blocks, as int8 blocks
 * (quantizeBlocks) and as float16 blocks (toFloat16Blocks), beside tf.matMul
 * with the dense float32 weight, forward only, the four interleaved in one
 * run. Bytes are what tf.memory() counts for the packed weight (int8: blocks
 * and scales); maxError (halfMaxError) is the largest |int8 (float16) −
 * float32| output over the largest |float32| one.
 */
export async function runInt8Benchmarks(
    tf, tfbs, {runs = 3, blockSizes = [32], densities = [1 / 4, 1 / 8], batches = INT8_SIZES.batches, log = () => {}} = {}) {
  const {inputSize, outputSize} = INT8_SIZES;
  const rows = [];
  for (const batch of batches) {
    const x = tf.randomNormal([batch, inputSize]);
    const dense = tf.randomNormal([inputSize, outputSize]);
    for (const blockSize of blockSizes) {
      for (const density of densities) {
        const layout = tfbs.randomLayout({inputSize, outputSize, blockSize, density, seed: 1});
        // Values from the CPU: quantizeBlocks reads them synchronously, which webgpu in Node cannot do from the GPU.
        const random = tf.randomNormal([layout.nnz, blockSize, blockSize]);
        const values = await random.data();
        random.dispose();
        const before = tf.memory().numBytes;
        const w = tf.tensor(values, random.shape);
        const floatBytes = tf.memory().numBytes - before;
        const int8 = tfbs.quantizeBlocks(w, layout);
        const int8Bytes = tf.memory().numBytes - before - floatBytes;
        const half = tfbs.toFloat16Blocks(w, layout);
        const halfBytes = tf.memory().numBytes - before - floatBytes - int8Bytes;
        const fns = [
          () => tf.matMul(x, dense), () => tfbs.blockSparseMatMul(x, w, layout),
          () => tfbs.blockSparseMatMul(x, int8.w, layout, {scales: int8.scales}), () => tfbs.blockSparseMatMul(x, half, layout)
        ];
        const [denseTimes, floatTimes, int8Times, halfTimes] = await medianTimes(tf, fns, runs);
        const [denseKernelMs, floatKernelMs, int8KernelMs, halfKernelMs] = await Promise.all(fns.map(fn => medianKernelTime(tf, fn, runs)));
        const [maxError, halfMaxError] = await Promise.all([2, 3].map(async i => {
          const error = tf.tidy(() => {
            const y = fns[1]();
            return tf.div(tf.max(tf.abs(tf.sub(fns[i](), y))), tf.max(tf.abs(y)));
          });
          const value = (await error.data())[0];
          error.dispose();
          return value;
        }));
        tf.dispose([w, int8.w, int8.scales, half]);
        tfbs.releaseLayoutTables(layout);
        const row = {
          int8: true,
          batch,
          blockSize,
          density,
          denseMs: denseTimes.wallMs,
          floatMs: floatTimes.wallMs,
          int8Ms: int8Times.wallMs,
          int8OverFloat: floatTimes.wallMs / int8Times.wallMs,
          int8OverDense: denseTimes.wallMs / int8Times.wallMs,
          floatBytes,
          int8Bytes,
          maxError,
          halfMs: halfTimes.wallMs,
          halfOverFloat: floatTimes.wallMs / halfTimes.wallMs,
          halfBytes,
          halfMaxError,
          ...(denseKernelMs != null && {
            denseKernelMs,
            floatKernelMs,
            int8KernelMs,
            halfKernelMs,
            int8OverFloatKernel: floatKernelMs / int8KernelMs,
            halfOverFloatKernel: floatKernelMs / halfKernelMs
          })
        };
        rows.push(row);
        log(row);
      }
    }
    tf.dispose([x, dense]);
  }
  return rows;
}
