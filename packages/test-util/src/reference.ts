import * as tf from '@tensorflow/tfjs-core';

import type {FusedEpilogueCase} from './cases';

/**
 * A dilated filter [kh, kw, Cin, Cout] spread out with zeros to
 * [(kh-1)dh+1, (kw-1)dw+1, Cin, Cout]: convolving with it undilated equals
 * the dilated conv, and unlike tf.conv2d's dilated path it has gradients.
 */
export function spreadFilter(filter: tf.Tensor4D, dilations: [number, number]): tf.Tensor4D {
  const [kh, kw, cin, cout] = filter.shape;
  const [dh, dw] = dilations;
  const eh = (kh - 1) * dh + 1;
  const ew = (kw - 1) * dw + 1;
  const slots = new Int32Array(eh * ew);
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      slots[i * dh * ew + j * dw] = i * kw + j + 1;
    }
  }
  return tf.tidy(() => {
    const taps = tf.concat([tf.zeros([1, cin, cout]), tf.reshape(filter, [kh * kw, cin, cout])]);
    return tf.reshape(tf.gather(taps, tf.tensor1d(slots, 'int32')), [eh, ew, cin, cout]);
  });
}

/**
 * f(x), where x may have an empty batch (axis 0): tfjs's webgpu conv2d
 * throws on one, and its matMul binds an empty buffer, which invalidates
 * every dispatch queued with it. So the dense reference gets one zero item
 * appended, and drops its output: that changes neither y nor the gradients.
 */
export function withZeroItem(x: tf.Tensor, f: (x: tf.Tensor) => tf.Tensor): tf.Tensor {
  if (x.shape[0] > 0) {
    return f(x);
  }
  return tf.slice(f(tf.concat([x, tf.zeros([1, ...x.shape.slice(1)])])), 0, 0);
}

/** tf.sum of every value; tfjs's webgpu sum throws on an empty tensor, so an empty one sums one zero instead. */
export function sumAll(t: tf.Tensor): tf.Tensor {
  return t.size > 0 ? tf.sum(t) : tf.sum(tf.concat([tf.reshape(t, [-1]), tf.zeros([1])]));
}

let referenceBackend: string|null = null;

/**
 * Names the backend that computes the dense references (null: the suite's
 * own). tfjs-backend-wasm 4.22 needs one: its conv2d gives wrong outputs at
 * some strides and paddings (and then corrupts its heap), and it lacks the
 * gradients of gather (UnsortedSegmentSum) and of conv2d's filter.
 */
export function setReferenceBackend(name: string|null): void {
  referenceBackend = name;
}

/** Runs f on the reference backend and returns to the current one; tfjs moves tensors between them as they are read. */
export async function onReferenceBackend<T>(f: () => T): Promise<T> {
  const own = tf.getBackend();
  if (referenceBackend == null || referenceBackend === own) {
    return f();
  }
  await tf.setBackend(referenceBackend);
  try {
    return f();
  } finally {
    await tf.setBackend(own);
  }
}

/**
 * max |actual - expected| / max(max |expected|, 1e-3), read on the host
 * asynchronously (WebGPU in Node has no synchronous read).
 */
export async function relativeError(actual: tf.Tensor, expected: tf.Tensor): Promise<number> {
  if (actual.shape.length !== expected.shape.length || actual.shape.some((d, i) => d !== expected.shape[i])) {
    throw new Error(`shape [${actual.shape}] differs from reference [${expected.shape}]`);
  }
  const [a, e] = await Promise.all([actual.data(), expected.data()]);
  let diff = 0;
  let scale = 1e-3;
  for (let i = 0; i < e.length; i++) {
    const d = Math.abs(a[i] - e[i]);
    // NaN must fail, so it is never swallowed by Math.max.
    diff = Number.isNaN(d) ? Infinity : Math.max(diff, d);
    scale = Math.max(scale, Math.abs(e[i]));
  }
  return diff / scale;
}

/** The dense reference of a fused activation: tfjs's own op (prelu's slopes broadcast against y). */
export function activateDense(y: tf.Tensor, {activation, leakyreluAlpha}: FusedEpilogueCase, slopes?: tf.Tensor): tf.Tensor {
  switch (activation) {
    case 'relu':
      return tf.relu(y);
    case 'relu6':
      return tf.relu6(y);
    case 'elu':
      return tf.elu(y);
    case 'leakyrelu':
      return tf.leakyRelu(y, leakyreluAlpha);
    case 'sigmoid':
      return tf.sigmoid(y);
    case 'prelu':
      return tf.prelu(y, slopes!);
    default:
      return y;
  }
}
