import * as tf from '@tensorflow/tfjs';
import {blockSparseConv2d, blockSparseMatMul, randomLayout} from '@tfjs-blocksparse/core';

/** What a layer's timing depends on: its input at batch 1, its kernel's shape and, for a conv, the geometry. */
export interface TimedLayer {
  /** The layer's input at batch 1: [1, h, w, Cin] for a conv, [1, ..., K] for a matmul. */
  xShape: number[];
  /** [kh, kw, Cin, Cout] or [K, N]. */
  kernelShape: number[];
  conv?: {strides: [number, number], pad: 'same'|'valid'|number, dilations: [number, number]};
  bias: boolean;
}

/** ms per call of tfjs's dense fused op and of the block-sparse op. */
export interface LayerTiming {
  denseMs: number;
  sparseMs: number;
}

/** A layer converts only this much faster block-sparse: a margin for timing noise (never slower comes first). */
export const MIN_SPEEDUP = 1.1;
const SAMPLE_MS = 15;
const SAMPLES = 5;
const MAX_CALLS = 50;

/**
 * ms per call of fn over `calls` calls. One value of the last output is read
 * back, which waits for a GPU backend's queue: reading whole outputs would
 * time copies that a model makes only of its own output, the same for dense
 * and block-sparse, and so pull every ratio towards 1.
 */
async function sample(fn: () => tf.Tensor, calls: number): Promise<number> {
  const start = performance.now();
  let y = fn();
  for (let i = 1; i < calls; i++) {
    y.dispose();
    y = fn();
  }
  const probe = tf.tidy(() => tf.slice(tf.reshape(y, [-1]), [0], [1]));
  await probe.data();
  tf.dispose([y, probe]);
  return (performance.now() - start) / calls;
}

/**
 * Times a layer on the active backend as a converted model would run it,
 * dense (tf.fused.conv2d / matMul, tfjs's op for Conv2D and Dense) against
 * block-sparse at `density` of `blockSize` blocks, with its bias, at batch 1:
 * samples alternate, the fastest of each kept (timing noise only ever adds).
 * The values do not matter to the time; the layout is a random one.
 */
export async function timeLayer({xShape, kernelShape, conv, bias}: TimedLayer, density: number, blockSize: number): Promise<LayerTiming> {
  const [inputSize, outputSize] = kernelShape.slice(-2);
  const layout = randomLayout({inputSize, outputSize, blockSize, density, seed: 1});
  const x = tf.randomNormal(xShape, 0, 1, 'float32', 1);
  const kernel = tf.randomNormal(kernelShape, 0, 1, 'float32', 2);
  const packed = tf.randomNormal([layout.nnz, ...kernelShape.slice(0, -2), blockSize, blockSize], 0, 1, 'float32', 3);
  const b = bias ? tf.randomNormal([outputSize], 0, 1, 'float32', 4) : undefined;
  const x2 = conv == null ? tf.reshape(x, [-1, inputSize]) as tf.Tensor2D : null;
  const fns = conv != null ?
      [
        () => tf.fused.conv2d({x: x as tf.Tensor4D, filter: kernel as tf.Tensor4D, ...conv, bias: b}),
        () => blockSparseConv2d(x as tf.Tensor4D, packed, layout, conv.strides, conv.pad, conv.dilations, {bias: b})
      ] :
      [() => tf.fused.matMul({a: x2!, b: kernel as tf.Tensor2D, bias: b}), () => blockSparseMatMul(x2!, packed, layout, {bias: b})];
  try {
    const calls = [];
    for (const fn of fns) {
      await sample(fn, 1);
      calls.push(Math.min(MAX_CALLS, Math.max(1, Math.ceil(SAMPLE_MS / await sample(fn, 1)))));
    }
    const best = [Infinity, Infinity];
    for (let s = 0; s < SAMPLES; s++) {
      for (let i = 0; i < 2; i++) {
        best[i] = Math.min(best[i], await sample(fns[i], calls[i]));
      }
    }
    return {denseMs: best[0], sparseMs: best[1]};
  } finally {
    tf.dispose([x, kernel, packed, ...(b == null ? [] : [b]), ...(x2 == null ? [] : [x2])]);
  }
}

/**
 * The converters' `onlyFaster` check: times each layer (by name, its input
 * shape at batch 1 known) on `backend` (default the active one; the active
 * backend is restored after each timing) and says why it stays dense
 * where its block-sparse form is not at least MIN_SPEEDUP times as fast as
 * tfjs's dense op. Timings of equal layers are reused.
 */
export class SpeedCheck {
  private readonly timings = new Map<string, LayerTiming>();

  constructor(private readonly inputShapes: Map<string, number[]>, private readonly backend = tf.getBackend()) {}

  /** Dense ms / block-sparse ms at batch 1 (undefined where the layer's input shape is not known), and why not to convert. */
  async check(name: string, layer: Omit<TimedLayer, 'xShape'>, density: number, blockSize: number):
      Promise<{speedup?: number, reason?: string}> {
    const xShape = this.inputShapes.get(name);
    if (xShape == null) {
      return {};
    }
    const key = JSON.stringify([xShape, layer, density, blockSize]);
    if (!this.timings.has(key)) {
      const active = tf.getBackend();
      // setBackend sets up every registered kernel again: switch only to time on another backend.
      const switching = active !== this.backend;
      if (switching) {
        await tf.setBackend(this.backend);
      }
      try {
        this.timings.set(key, await timeLayer({...layer, xShape}, density, blockSize));
      } finally {
        if (switching) {
          await tf.setBackend(active);
        }
      }
    }
    const {denseMs, sparseMs} = this.timings.get(key)!;
    const speedup = denseMs / sparseMs;
    return {
      speedup,
      reason: speedup >= MIN_SPEEDUP ?
          undefined :
          `not faster block-sparse on ${this.backend} at batch 1 (${speedup.toFixed(2)}x of dense, under ${MIN_SPEEDUP}x: ` +
              `${sparseMs.toFixed(3)} ms against ${denseMs.toFixed(3)} ms)`
    };
  }
}
