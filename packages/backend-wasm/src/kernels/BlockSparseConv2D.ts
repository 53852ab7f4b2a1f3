import type {BackendWasm} from '@tensorflow/tfjs-backend-wasm';
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import {backend_util, BlockSparseConv2D, BlockSparseConv2DAttrs, BlockSparseConv2DInputs} from '@tfjs-blocksparse/core';

import {withTapTable} from './tap_pixels';
import {runKernel} from './wasm_kernels';
import {broadcastOrder, checkBlockSize, coordinateTable, epilogueArgs, makeOutput, offsetOf, segmentTable} from './wasm_util';

/**
 * Each image is one broadcast product whose rows are output pixels, summed
 * over the kept blocks of each output block column and every filter tap;
 * the tap table sends taps in the padding to a zeroed row. A 1x1 filter at
 * stride 1 without padding reads x's pixels in order: the whole batch is one
 * product with no table. Bias and activation are applied before the store.
 */
export function blockSparseConv2D(args: {inputs: BlockSparseConv2DInputs, backend: BackendWasm, attrs: BlockSparseConv2DAttrs}):
    TensorInfo {
  const {inputs: {x, w, bias}, backend, attrs} = args;
  const {layout} = attrs;
  checkBlockSize(layout, BlockSparseConv2D);
  const info = backend_util.conv2DInfo(x.shape, w.shape[1], w.shape[2], attrs);
  const {batchSize, inHeight, inWidth, outHeight, outWidth} = info;
  const {blockSize: bs, inputSize: cin, outputSize: cout} = layout;
  const out = makeOutput(backend, [batchSize, outHeight, outWidth, cout]);
  const pixels = outHeight * outWidth;
  if (batchSize * pixels * cout === 0) {
    return out;
  }
  const {ptr, block, other, segments} = segmentTable(backend, layout, 'byColumn');
  const {rows: blockRows, cols: blockCols} = coordinateTable(backend, layout);
  const taps = info.filterHeight * info.filterWidth;
  const epilogue = epilogueArgs(backend, bias, attrs);
  const x0 = offsetOf(backend, x), w0 = offsetOf(backend, w), y0 = offsetOf(backend, out);
  const product = (rows: number, xImage: number, table: number, zeroRow: number, yImage: number) => {
    const {rowTiles, units} = broadcastOrder(rows, taps, layout, segments);
    runKernel(
        backend, 'productBroadcast',
        [
          rows, taps, xImage, cin, table, zeroRow, w0, ptr, block, other, segments, bs, blockRows, blockCols, layout.nnz, yImage, cout,
          ...epilogue, rowTiles
        ],
        units, (rows & ~3) * taps * layout.nnz * bs * bs);
  };
  const {top, bottom, left, right} = info.padInfo;
  if (taps === 1 && info.strideHeight === 1 && info.strideWidth === 1 && top + bottom + left + right === 0) {
    product(batchSize * pixels, x0, 0, 0, y0);
    return out;
  }
  withTapTable(backend, info, cin, (table, zeroRow) => {
    for (let b = 0; b < batchSize; b++) {
      product(pixels, x0 + 4 * b * inHeight * inWidth * cin, table, zeroRow, y0 + 4 * b * pixels * cout);
    }
  });
  return out;
}

export const blockSparseConv2DConfig: KernelConfig = {
  kernelName: BlockSparseConv2D,
  backendName: 'wasm',
  kernelFunc: blockSparseConv2D as unknown as KernelFunc
};
