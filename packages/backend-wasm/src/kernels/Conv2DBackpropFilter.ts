import type {BackendWasm} from '@tensorflow/tfjs-backend-wasm';
import {Conv2DBackpropFilter, Conv2DBackpropFilterAttrs, KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import {BlockLayout, randomLayout} from '@tfjs-blocksparse/core';

import {packedFilterGradient} from './BlockSparseConv2DBackpropFilter';
import {forEachTap, forwardInfo, zeros} from './dense_conv_grads';
import {floatValues} from './wasm_util';

/**
 * dW of a dense conv, which tfjs-backend-wasm lacks (training a converted
 * model's dense convs needs it): where 4 divides both channel counts, the
 * block-sparse SIMD kernel with every block kept, its blocks then laid out
 * as the filter; else Σ over pixels of x ⊗ dy, tap by tap.
 */
export function conv2DBackpropFilter(
    args: {inputs: {x: TensorInfo, dy: TensorInfo}, backend: BackendWasm, attrs: Conv2DBackpropFilterAttrs}): TensorInfo {
  const {inputs: {x, dy}, backend, attrs} = args;
  const info = forwardInfo(Conv2DBackpropFilter, x.shape, attrs.filterShape, attrs, false);
  const {inChannels: cin, outChannels: cout} = info;
  const layout = everyBlock(cin, cout);
  if (layout != null) {
    const packed = packedFilterGradient(backend, info, x, dy, layout);
    const [dw, dwValues] = zeros(backend, attrs.filterShape);
    unpackBlocks(floatValues(backend, packed), layout, info.filterHeight * info.filterWidth, dwValues);
    backend.disposeData(packed.dataId);
    return dw;
  }
  const [dw, dwValues] = zeros(backend, attrs.filterShape);
  const xValues = floatValues(backend, x), dyValues = floatValues(backend, dy);
  forEachTap(info, (inPixel, outPixel, tap) => {
    const x0 = inPixel * cin, dy0 = outPixel * cout;
    for (let ci = 0; ci < cin; ci++) {
      const xv = xValues[x0 + ci];
      if (xv === 0) {
        continue;
      }
      const dw0 = (tap * cin + ci) * cout;
      for (let co = 0; co < cout; co++) {
        dwValues[dw0 + co] += xv * dyValues[dy0 + co];
      }
    }
  });
  return dw;
}

/** One layout per channel shape (its tables are made once): every 8x8 block, or 4x4 where 8 does not divide. */
const everyBlockLayouts = new Map<string, BlockLayout>();

function everyBlock(cin: number, cout: number): BlockLayout|null {
  const blockSize = [8, 4].find(bs => cin % bs === 0 && cout % bs === 0);
  if (blockSize == null) {
    return null;
  }
  const key = `${cin},${cout},${blockSize}`;
  let layout = everyBlockLayouts.get(key);
  if (layout == null) {
    layout = randomLayout({inputSize: cin, outputSize: cout, blockSize, density: 1});
    everyBlockLayouts.set(key, layout);
  }
  return layout;
}

/** Packed blocks [nnz, taps, bs, bs] of a layout that keeps every block, written into a dense filter [taps, Cin, Cout]. */
function unpackBlocks(packed: Float32Array, layout: BlockLayout, taps: number, dense: Float32Array): void {
  const {blockSize: bs, outputSize: cout} = layout;
  for (let k = 0; k < layout.nnz; k++) {
    const row0 = layout.rows[k] * bs, col0 = layout.cols[k] * bs;
    for (let t = 0; t < taps; t++) {
      const from = (k * taps + t) * bs * bs;
      for (let i = 0; i < bs; i++) {
        dense.set(packed.subarray(from + i * bs, from + (i + 1) * bs), (t * layout.inputSize + row0 + i) * cout + col0);
      }
    }
  }
}

export const conv2DBackpropFilterConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilter as unknown as KernelFunc
};
