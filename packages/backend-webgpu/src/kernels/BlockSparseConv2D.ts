import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import {backend_util, BlockSparseConv2D, BlockSparseConv2DAttrs, BlockSparseConv2DInputs} from '@tfjs-blocksparse/core';

import {BlockSparseConv2DProgram} from '../block_sparse_product_webgpu';
import {convUniformData} from '../operand_readers';

import {checkBlockSize, checkDispatch, softwareAdapter, zeros} from './webgpu_util';

/** The conv with float32 blocks, or (with `scales`, BlockSparseConv2DInt8) int8 blocks whose output channels are scaled first. */
export function blockSparseConv2D(
    args: {inputs: BlockSparseConv2DInputs&{scales?: TensorInfo}, backend: WebGPUBackend, attrs: BlockSparseConv2DAttrs},
    kernelName = BlockSparseConv2D): TensorInfo {
  const {inputs: {x, w, bias, preluActivationWeights, scales}, backend, attrs} = args;
  const {layout, activation, leakyreluAlpha} = attrs;
  checkBlockSize(layout, kernelName);
  const info = backend_util.conv2DInfo(x.shape, w.shape[1], w.shape[2], attrs);
  const outShape = [info.batchSize, info.outHeight, info.outWidth, layout.outputSize];
  if (layout.nnz === 0) {
    return zeros(backend, outShape);
  }
  const rows = info.batchSize * info.outHeight * info.outWidth;
  const program = new BlockSparseConv2DProgram(
      outShape, rows, layout.colBlocks, layout.nnz * info.filterHeight * info.filterWidth / layout.colBlocks, softwareAdapter(backend),
      layout.blockSize, false, {scales: scales != null, bias: bias != null, activation, leakyreluAlpha},
      backend_util.blockFormatOf(w, layout.blockSize));
  checkDispatch(backend, program.dispatch, kernelName);
  const table = backend_util.layoutTable(backend, layout, 'byColumn');
  return backend.runWebGPUProgram(program, program.inputs(x, w, table, {scales, bias, preluActivationWeights}), 'float32', [
    {type: 'int32', data: [rows]}, {type: 'int32', data: [layout.colBlocks]}, {type: 'int32', data: [layout.nnz]},
    {type: 'int32', data: [info.filterHeight * info.filterWidth]}, {type: 'int32', data: [layout.outputSize]},
    {type: 'int32', data: [layout.inputSize]}, ...convUniformData(info)
  ]);
}

export const blockSparseConv2DConfig: KernelConfig = {
  kernelName: BlockSparseConv2D,
  backendName: 'webgpu',
  kernelFunc: blockSparseConv2D as unknown as KernelFunc
};
