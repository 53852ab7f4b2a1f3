import type {BackendWasm} from '@tensorflow/tfjs-backend-wasm';
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import {backend_util, BlockSparseConv2DAttrs, BlockSparseConv2DInt8, BlockSparseConv2DInt8Inputs} from '@tfjs-blocksparse/core';

import {withInt16Rows} from './quantized_operands';
import {withTapTable} from './tap_pixels';
import {runKernel} from './wasm_kernels';
import {blockSparseConv2D} from './BlockSparseConv2D';
import {broadcastOrder, checkBlockSize, coordinateTable, epilogueArgs, makeOutput, offsetOf, segmentTable, widensInt8} from './wasm_util';

/**
 * BlockSparseConv2D with int8 blocks: each input image goes to int16 with
 * a scale of its own, then each image is one int8 product (assembly/product_int8.ts)
 * whose rows are output pixels, over each output block column's kept blocks
 * and every filter tap, the tap table sending taps in the padding to a
 * zeroed row; a 1x1 filter at stride 1 without padding needs no table.
 * A weight small enough (widensInt8) goes to the float32 kernel instead,
 * widened for the call.
 */
export function blockSparseConv2DInt8(args: {inputs: BlockSparseConv2DInt8Inputs, backend: BackendWasm, attrs: BlockSparseConv2DAttrs}):
    TensorInfo {
  const {inputs: {x, w, bias, preluActivationWeights, scales}, backend, attrs} = args;
  const {layout} = attrs;
  checkBlockSize(layout, BlockSparseConv2DInt8);
  const info = backend_util.conv2DInfo(x.shape, w.shape[1], w.shape[2], attrs);
  if (widensInt8(layout, info.filterHeight * info.filterWidth)) {
    return blockSparseConv2D(args);
  }
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
  const epilogue = epilogueArgs(backend, {bias, preluActivationWeights}, attrs);
  const w0 = offsetOf(backend, w), y0 = offsetOf(backend, out), scales0 = offsetOf(backend, scales);
  const inPixels = inHeight * inWidth;
  withInt16Rows(backend, x, batchSize, inPixels * cin, (xq, xScales) => {
    const product = (rows: number, image: number, table: number, zeroRow: number) => {
      const {rowTiles, units} = broadcastOrder(rows, taps, layout, segments, 1);
      runKernel(
          backend, 'productInt8',
          [
            rows,
            taps,
            xq + 2 * image * inPixels * cin,
            cin / 2,
            table,
            zeroRow,
            xScales + 4 * image,
            0,
            w0,
            ptr,
            block,
            other,
            segments,
            bs,
            blockRows,
            blockCols,
            layout.nnz,
            y0 + 4 * image * pixels * cout,
            cout,
            scales0,
            ...epilogue,
            rowTiles
          ],
          units, (rows & ~3) * taps * layout.nnz * bs * bs);
    };
    const {top, bottom, left, right} = info.padInfo;
    if (taps === 1 && info.strideHeight === 1 && info.strideWidth === 1 && top + bottom + left + right === 0) {
      for (let b = 0; b < batchSize; b++) {
        product(pixels, b, 0, 0);
      }
      return;
    }
    withTapTable(backend, info, cin, (table, zeroRow) => {
      for (let b = 0; b < batchSize; b++) {
        product(pixels, b, table, zeroRow);
      }
    });
  });
  return out;
}

export const blockSparseConv2DInt8Config: KernelConfig = {
  kernelName: BlockSparseConv2DInt8,
  backendName: 'wasm',
  kernelFunc: blockSparseConv2DInt8 as unknown as KernelFunc
};
