import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import {backend_util, BlockSparseConv2DBackpropInput, BlockSparseConv2DBackpropInputAttrs, BlockSparseConv2DBackpropInputInputs} from '@tfjs-blocksparse/core';

import {BlockSparseConv2DDerInputProgram} from '../block_sparse_product_webgpu';
import {convUniformData} from '../operand_readers';

import {checkBlockSize, checkDispatch, softwareAdapter, zeros} from './webgpu_util';

export function blockSparseConv2DBackpropInput(
    args: {inputs: BlockSparseConv2DBackpropInputInputs, backend: WebGPUBackend, attrs: BlockSparseConv2DBackpropInputAttrs}): TensorInfo {
  const {inputs: {dy, w}, backend, attrs} = args;
  const {layout, inputShape} = attrs;
  checkBlockSize(layout, BlockSparseConv2DBackpropInput);
  const info = backend_util.conv2DInfo(inputShape, w.shape[1], w.shape[2], attrs);
  if (layout.nnz === 0) {
    return zeros(backend, inputShape);
  }
  const rows = info.batchSize * info.inHeight * info.inWidth;
  const program = new BlockSparseConv2DDerInputProgram(
      inputShape, rows, layout.rowBlocks, layout.nnz * info.filterHeight * info.filterWidth / layout.rowBlocks, softwareAdapter(backend),
      layout.blockSize, true, undefined, backend_util.blockFormatOf(w, layout.blockSize));
  checkDispatch(backend, program.dispatch, BlockSparseConv2DBackpropInput);
  return backend.runWebGPUProgram(program, program.inputs(dy, w, backend_util.layoutTable(backend, layout, 'byRow')), 'float32', [
    {type: 'int32', data: [rows]}, {type: 'int32', data: [layout.rowBlocks]}, {type: 'int32', data: [layout.nnz]},
    {type: 'int32', data: [info.filterHeight * info.filterWidth]}, {type: 'int32', data: [layout.inputSize]},
    {type: 'int32', data: [layout.outputSize]}, ...convUniformData(info)
  ]);
}

export const blockSparseConv2DBackpropInputConfig: KernelConfig = {
  kernelName: BlockSparseConv2DBackpropInput,
  backendName: 'webgpu',
  kernelFunc: blockSparseConv2DBackpropInput as unknown as KernelFunc
};
