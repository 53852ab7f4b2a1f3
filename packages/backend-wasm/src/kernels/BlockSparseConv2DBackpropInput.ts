import type {BackendWasm} from '@tensorflow/tfjs-backend-wasm';
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import {backend_util, BlockSparseConv2DBackpropInput, BlockSparseConv2DBackpropInputAttrs, BlockSparseConv2DBackpropInputInputs} from '@tfjs-blocksparse/core';

import {withFloatBlocks} from './quantized_operands';
import {withTapTable} from './tap_pixels';
import {runKernel} from './wasm_kernels';
import {checkBlockSize, coordinateTable, makeZeros, offsetOf, segmentTable} from './wasm_util';

/**
 * dx, one filter tap at a time: for a fixed tap, distinct output pixels
 * read distinct input pixels, so each tap is a dot product dy·Wᵀ (the
 * tap's blocks) added into the input pixels the tap table names; taps in
 * the padding write to a scratch row. int8 blocks (int32 w, at scale 1)
 * are read widened to float32 for the call.
 */
export function blockSparseConv2DBackpropInput(
    args: {inputs: BlockSparseConv2DBackpropInputInputs, backend: BackendWasm, attrs: BlockSparseConv2DBackpropInputAttrs}): TensorInfo {
  const {inputs: {dy, w}, backend, attrs} = args;
  const {layout, inputShape} = attrs;
  checkBlockSize(layout, BlockSparseConv2DBackpropInput);
  const info = backend_util.conv2DInfo(inputShape, w.shape[1], w.shape[2], attrs);
  const {batchSize, inHeight, inWidth, outHeight, outWidth} = info;
  const {blockSize: bs, inputSize: cin, outputSize: cout} = layout;
  const dx = makeZeros(backend, inputShape);
  const pixels = outHeight * outWidth;
  if (batchSize * pixels * cin === 0) {
    return dx;
  }
  const {ptr, block, other, segments} = segmentTable(backend, layout, 'byRow');
  const {rows: blockRows, cols: blockCols} = coordinateTable(backend, layout);
  const taps = info.filterHeight * info.filterWidth;
  withFloatBlocks(backend, w, undefined, layout, taps, w0 => withTapTable(backend, info, cin, (table, scratchRow) => {
                                                         const dy0 = offsetOf(backend, dy), dx0 = offsetOf(backend, dx);
                                                         for (let b = 0; b < batchSize; b++) {
                                                           for (let t = 0; t < taps; t++) {
                                                             runKernel(
                                                                 backend, 'productDot',
                                                                 [
                                                                   pixels,
                                                                   taps,
                                                                   t,
                                                                   dy0 + 4 * b * pixels * cout,
                                                                   cout,
                                                                   w0,
                                                                   ptr,
                                                                   block,
                                                                   other,
                                                                   segments,
                                                                   bs,
                                                                   blockRows,
                                                                   blockCols,
                                                                   layout.nnz,
                                                                   dx0 + 4 * b * inHeight * inWidth * cin,
                                                                   cin,
                                                                   table + 4 * t * pixels,
                                                                   scratchRow,
                                                                   true,
                                                                   0,
                                                                   0,
                                                                   0
                                                                 ],
                                                                 segments + 1, (pixels & ~3) * layout.nnz * bs * bs);
                                                           }
                                                         }
                                                       }));
  return dx;
}

export const blockSparseConv2DBackpropInputConfig: KernelConfig = {
  kernelName: BlockSparseConv2DBackpropInput,
  backendName: 'wasm',
  kernelFunc: blockSparseConv2DBackpropInput as unknown as KernelFunc
};
