import type {BackendWasm} from '@tensorflow/tfjs-backend-wasm';
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import {BlockSparseMatMul, BlockSparseMatMulAttrs, BlockSparseMatMulInputs, BlockSparseMatMulInt8} from '@tfjs-blocksparse/core';

import {runKernel} from './wasm_kernels';
import {broadcastOrder, checkBlockSize, coordinateTable, epilogueArgs, makeOutput, offsetOf, scalesArg, segmentTable, weightArgs} from './wasm_util';

/**
 * y = x·W walks each output block column's kept blocks (broadcast
 * micro-kernel); y = x·Wᵀ walks each input block row's kept blocks (dot
 * micro-kernel). Scales (int8 blocks), bias and activation are applied in
 * the kernel, before the store.
 */
export function blockSparseMatMul(
    args: {inputs: BlockSparseMatMulInputs&{scales?: TensorInfo}, backend: BackendWasm, attrs: BlockSparseMatMulAttrs}): TensorInfo {
  const {inputs: {x, w, bias, scales}, backend, attrs} = args;
  const {layout, transposeW} = attrs;
  checkBlockSize(layout, BlockSparseMatMul);
  const [rows, inSize] = x.shape;
  const outSize = transposeW ? layout.inputSize : layout.outputSize;
  const out = makeOutput(backend, [rows, outSize]);
  if (rows === 0) {
    return out;
  }
  const {ptr, block, other, segments} = segmentTable(backend, layout, transposeW ? 'byRow' : 'byColumn');
  const {rows: blockRows, cols: blockCols} = coordinateTable(backend, layout);
  const {blockSize: bs, nnz} = layout;
  const epilogue = epilogueArgs(backend, bias, attrs);
  const weights = weightArgs(backend, w);
  // Threads share the tiled rows only (see productBroadcast's work units).
  const work = (rows & ~3) * nnz * bs * bs;
  if (transposeW) {
    runKernel(
        backend, 'productDot',
        [
          rows,
          1,
          0,
          offsetOf(backend, x),
          inSize,
          weights.offset,
          ptr,
          block,
          other,
          segments,
          bs,
          blockRows,
          blockCols,
          nnz,
          offsetOf(backend, out),
          outSize,
          0,
          0,
          false,
          ...epilogue,
          weights.int8
        ],
        segments + 1, work);
  } else {
    const {rowTiles, units} = broadcastOrder(rows, 1, layout, segments, weights.weightBytes);
    runKernel(
        backend, 'productBroadcast',
        [
          rows,
          1,
          offsetOf(backend, x),
          inSize,
          0,
          0,
          weights.offset,
          ptr,
          block,
          other,
          segments,
          bs,
          blockRows,
          blockCols,
          nnz,
          offsetOf(backend, out),
          outSize,
          ...epilogue,
          rowTiles,
          scalesArg(backend, scales),
          weights.int8
        ],
        units, work);
  }
  return out;
}

export const blockSparseMatMulConfig: KernelConfig = {
  kernelName: BlockSparseMatMul,
  backendName: 'wasm',
  kernelFunc: blockSparseMatMul as unknown as KernelFunc
};

/** int8 blocks (w int32) with their scales: the same micro-kernels, widening int8 weights in registers. */
export const blockSparseMatMulInt8Config: KernelConfig = {
  kernelName: BlockSparseMatMulInt8,
  backendName: 'wasm',
  kernelFunc: blockSparseMatMul as unknown as KernelFunc
};
