import type {BackendWasm} from '@tensorflow/tfjs-backend-wasm';
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import {BlockSparseMatMul, BlockSparseMatMulAttrs, BlockSparseMatMulInputs} from '@tfjs-blocksparse/core';

import {withBroadcastBlocks, withFloatBlocks} from './quantized_operands';
import {runKernel} from './wasm_kernels';
import {broadcastOrder, checkBlockSize, coordinateTable, epilogueArgs, makeOutput, offsetOf, segmentTable} from './wasm_util';

/**
 * y = x·W walks each output block column's kept blocks (broadcast
 * micro-kernel); y = x·Wᵀ walks each input block row's kept blocks (dot
 * micro-kernel). Bias and activation are applied in the kernel, before the
 * store. Float16 blocks are widened to float32 as the product reads them
 * (withBroadcastBlocks; the transposed product: for the call); int8 blocks (int32 w: dx of int8
 * products at scale 1, or the few blocks of BlockSparseMatMulInt8 that
 * widensInt8 leaves to this kernel, times their scales) are read widened
 * to float32 for the call.
 */
export function blockSparseMatMul(
    args: {inputs: BlockSparseMatMulInputs&{scales?: TensorInfo}, backend: BackendWasm, attrs: BlockSparseMatMulAttrs}): TensorInfo {
  const {inputs: {x, w, bias, preluActivationWeights, scales}, backend, attrs} = args;
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
  const epilogue = epilogueArgs(backend, {bias, preluActivationWeights}, attrs);
  // Threads share the tiled rows only (see productBroadcast's work units).
  const work = (rows & ~3) * nnz * bs * bs;
  if (transposeW) {
    withFloatBlocks(backend, w, scales, layout, 1, wBlocks => {
      runKernel(
          backend, 'productDot',
          [
            rows,      1,         0,   offsetOf(backend, x),   inSize,  wBlocks, ptr, block, other,      segments, bs,
            blockRows, blockCols, nnz, offsetOf(backend, out), outSize, 0,       0,   false, ...epilogue
          ],
          segments + 1, work);
    });
  } else {
    withBroadcastBlocks(backend, w, scales, layout, 1, rows, (wBlocks, kernel, scratchArgs) => {
      const {rowTiles, units} = broadcastOrder(rows, 1, layout, segments);
      const operands = [offsetOf(backend, x), inSize, 0, 0, wBlocks, ptr, block, other, segments, bs, blockRows, blockCols, nnz];
      const output = [offsetOf(backend, out), outSize, ...epilogue, rowTiles, ...scratchArgs];
      runKernel(backend, kernel, [rows, 1, ...operands, ...output], units, work);
    });
  }
  return out;
}

export const blockSparseMatMulConfig: KernelConfig = {
  kernelName: BlockSparseMatMul,
  backendName: 'wasm',
  kernelFunc: blockSparseMatMul as unknown as KernelFunc
};
