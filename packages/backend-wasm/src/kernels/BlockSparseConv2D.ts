import type {BackendWasm} from '@tensorflow/tfjs-backend-wasm';
import type {backend_util as tfBackendUtil, KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import {backend_util, BlockLayout, BlockSparseConv2D, BlockSparseConv2DAttrs, BlockSparseConv2DInputs} from '@tfjs-blocksparse/core';

import {withBroadcastBlocks} from './quantized_operands';
import {withTapTable} from './tap_pixels';
import {runKernel} from './wasm_kernels';
import {broadcastOrder, checkBlockSize, coordinateTable, epilogueArgs, makeOutput, offsetOf, segmentTable} from './wasm_util';

/**
 * Each image is one broadcast product whose rows are output pixels, summed
 * over the kept blocks of each output block column and every filter tap;
 * the tap table sends taps in the padding to a zeroed row. A 1x1 filter at
 * stride 1 without padding reads x's pixels in order: the whole batch is one
 * product with no table. Bias and activation are applied before the store.
 * Float16 blocks are widened to float32 as the product reads them
 * (withBroadcastBlocks); int8 blocks
 * (int32 w: the few blocks of BlockSparseConv2DInt8 that widensInt8
 * leaves to this kernel) are read widened to float32, times their
 * scales, for the call.
 */
export function blockSparseConv2D(
    args: {inputs: BlockSparseConv2DInputs&{scales?: TensorInfo}, backend: BackendWasm, attrs: BlockSparseConv2DAttrs}): TensorInfo {
  const {inputs: {x, w, bias, preluActivationWeights, scales}, backend, attrs} = args;
  const {layout} = attrs;
  checkBlockSize(layout, BlockSparseConv2D);
  const info = backend_util.conv2DInfo(x.shape, w.shape[1], w.shape[2], attrs);
  const {batchSize, outHeight, outWidth} = info;
  const out = makeOutput(backend, [batchSize, outHeight, outWidth, layout.outputSize]);
  if (batchSize * outHeight * outWidth * layout.outputSize === 0) {
    return out;
  }
  const epilogue = epilogueArgs(backend, {bias, preluActivationWeights}, attrs);
  const taps = info.filterHeight * info.filterWidth;
  // A product's rows: an image's output pixels (the batch's, for a 1x1 conv read in order).
  withBroadcastBlocks(
      backend, w, scales, layout, taps, outHeight * outWidth,
      (w0, kernel, scratchArgs) => convProduct(backend, info, x, w0, kernel, scratchArgs, out, layout, epilogue));
  return out;
}

type ConvInfo = tfBackendUtil.Conv2DInfo;

/** The conv of x with the blocks at w0, which `kernel` reads (scratchArgs its last arguments), into out (see blockSparseConv2D). */
function convProduct(
    backend: BackendWasm, info: ConvInfo, x: TensorInfo, w0: number, kernel: 'productBroadcast'|'productBroadcastHalf',
    scratchArgs: number[], out: TensorInfo, layout: BlockLayout, epilogue: number[]): void {
  const {batchSize, inHeight, inWidth, outHeight, outWidth} = info;
  const {blockSize: bs, inputSize: cin, outputSize: cout} = layout;
  const pixels = outHeight * outWidth;
  const {ptr, block, other, segments} = segmentTable(backend, layout, 'byColumn');
  const {rows: blockRows, cols: blockCols} = coordinateTable(backend, layout);
  const taps = info.filterHeight * info.filterWidth;
  const x0 = offsetOf(backend, x), y0 = offsetOf(backend, out);
  const product = (rows: number, xImage: number, table: number, zeroRow: number, yImage: number) => {
    const {rowTiles, units} = broadcastOrder(rows, taps, layout, segments);
    runKernel(
        backend, kernel,
        [
          rows,     taps, xImage,    cin,       table,      zeroRow, w0,   ptr,         block,    other,
          segments, bs,   blockRows, blockCols, layout.nnz, yImage,  cout, ...epilogue, rowTiles, ...scratchArgs
        ],
        units, (rows & ~3) * taps * layout.nnz * bs * bs);
  };
  const {top, bottom, left, right} = info.padInfo;
  if (taps === 1 && info.strideHeight === 1 && info.strideWidth === 1 && top + bottom + left + right === 0) {
    product(batchSize * pixels, x0, 0, 0, y0);
    return;
  }
  withTapTable(backend, info, cin, (table, zeroRow) => {
    for (let b = 0; b < batchSize; b++) {
      product(pixels, x0 + 4 * b * inHeight * inWidth * cin, table, zeroRow, y0 + 4 * b * pixels * cout);
    }
  });
}

export const blockSparseConv2DConfig: KernelConfig = {
  kernelName: BlockSparseConv2D,
  backendName: 'wasm',
  kernelFunc: blockSparseConv2D as unknown as KernelFunc
};
