import type {BackendWasm} from '@tensorflow/tfjs-backend-wasm';
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import {BlockSparseMatMulAttrs, BlockSparseMatMulInt8, BlockSparseMatMulInt8Inputs} from '@tfjs-blocksparse/core';

import {withInt16Rows} from './quantized_operands';
import {runKernel} from './wasm_kernels';
import {blockSparseMatMul} from './BlockSparseMatMul';
import {broadcastOrder, checkBlockSize, coordinateTable, epilogueArgs, makeOutput, offsetOf, segmentTable, widensInt8} from './wasm_util';

/**
 * y = x·(Q·diag(scales)) with int8 blocks Q: x's rows go to int16 with a
 * scale each, then the int8 micro-kernel (assembly/product_int8.ts) walks
 * each output block column's kept blocks (the last rows % 4 rows: all kept
 * blocks in storage order); scales, bias and activation are applied before
 * the store, in productBroadcast's loop order (broadcastOrder). Threads
 * share the tiled rows only. A weight small enough (widensInt8) goes to
 * the float32 kernel instead, widened for the call.
 */
export function blockSparseMatMulInt8(args: {inputs: BlockSparseMatMulInt8Inputs, backend: BackendWasm, attrs: BlockSparseMatMulAttrs}):
    TensorInfo {
  const {inputs: {x, w, bias, preluActivationWeights, scales}, backend, attrs} = args;
  const {layout} = attrs;
  checkBlockSize(layout, BlockSparseMatMulInt8);
  if (widensInt8(layout, 1)) {
    return blockSparseMatMul(args);
  }
  const [rows, inSize] = x.shape;
  const out = makeOutput(backend, [rows, layout.outputSize]);
  if (rows === 0) {
    return out;
  }
  const {ptr, block, other, segments} = segmentTable(backend, layout, 'byColumn');
  const {rows: blockRows, cols: blockCols} = coordinateTable(backend, layout);
  const {blockSize: bs, nnz} = layout;
  const {rowTiles, units} = broadcastOrder(rows, 1, layout, segments, 1);
  withInt16Rows(backend, x, rows, inSize, (xq, xScales) => {
    runKernel(
        backend, 'productInt8',
        [
          rows,
          1,
          xq,
          inSize / 2,
          0,
          0,
          xScales,
          4,
          offsetOf(backend, w),
          ptr,
          block,
          other,
          segments,
          bs,
          blockRows,
          blockCols,
          nnz,
          offsetOf(backend, out),
          layout.outputSize,
          offsetOf(backend, scales),
          ...epilogueArgs(backend, {bias, preluActivationWeights}, attrs),
          rowTiles
        ],
        units, (rows & ~3) * nnz * bs * bs);
  });
  return out;
}

export const blockSparseMatMulInt8Config: KernelConfig = {
  kernelName: BlockSparseMatMulInt8,
  backendName: 'wasm',
  kernelFunc: blockSparseMatMulInt8 as unknown as KernelFunc
};
