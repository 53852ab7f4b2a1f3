import type {BackendWasm} from '@tensorflow/tfjs-backend-wasm';
import type {backend_util as tfBackendUtil, KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import {backend_util, BlockLayout, BlockSparseConv2DBackpropFilter, BlockSparseConv2DBackpropFilterAttrs, BlockSparseConv2DBackpropFilterInputs} from '@tfjs-blocksparse/core';

import {withTapTable} from './tap_pixels';
import {runKernel} from './wasm_kernels';
import {checkBlockSize, coordinateTable, makeZeros, offsetOf} from './wasm_util';

/** dW for the kept blocks only: xᵀ·dy over every output pixel and tap, image by image (taps in the padding read zeros). */
export function blockSparseConv2DBackpropFilter(
    args: {inputs: BlockSparseConv2DBackpropFilterInputs, backend: BackendWasm, attrs: BlockSparseConv2DBackpropFilterAttrs}): TensorInfo {
  const {inputs: {x, dy}, backend, attrs} = args;
  const {layout, filterSize: [kh, kw]} = attrs;
  checkBlockSize(layout, BlockSparseConv2DBackpropFilter);
  return packedFilterGradient(backend, backend_util.conv2DInfo(x.shape, kh, kw, attrs), x, dy, layout);
}

/**
 * The kept blocks' dW [nnz, kh, kw, bs, bs] of the conv `info` describes (a
 * block size the SIMD kernels take): also the dense conv's, through a layout
 * that keeps every block.
 */
export function packedFilterGradient(
    backend: BackendWasm, info: tfBackendUtil.Conv2DInfo, x: TensorInfo, dy: TensorInfo, layout: BlockLayout): TensorInfo {
  const {batchSize, inHeight, inWidth, outHeight, outWidth, filterHeight: kh, filterWidth: kw} = info;
  const {blockSize: bs, inputSize: cin, outputSize: cout, nnz} = layout;
  const dw = makeZeros(backend, [nnz, kh, kw, bs, bs]);
  const pixels = outHeight * outWidth;
  if (nnz * batchSize * pixels === 0) {
    return dw;
  }
  const {rows, cols} = coordinateTable(backend, layout);
  const taps = kh * kw;
  withTapTable(backend, info, cin, (table, zeroRow) => {
    const x0 = offsetOf(backend, x), dy0 = offsetOf(backend, dy), dw0 = offsetOf(backend, dw);
    for (let b = 0; b < batchSize; b++) {
      runKernel(
          backend, 'gradW',
          [
            pixels, taps, x0 + 4 * b * inHeight * inWidth * cin, cin, table, zeroRow, dy0 + 4 * b * pixels * cout, cout, rows, cols, nnz,
            bs, dw0, true
          ],
          nnz, pixels * taps * nnz * bs * bs);
    }
  });
  return dw;
}

export const blockSparseConv2DBackpropFilterConfig: KernelConfig = {
  kernelName: BlockSparseConv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: blockSparseConv2DBackpropFilter as unknown as KernelFunc
};
