import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import {backend_util, BlockSparseConv2DBackpropFilter, BlockSparseConv2DBackpropFilterAttrs, BlockSparseConv2DBackpropFilterInputs} from '@tfjs-blocksparse/core';

import {BlockSparseConv2DDerFilterProgram} from '../block_sparse_weight_grad_webgpu';
import {convUniformData} from '../operand_readers';

import {checkBlockSize, zeros} from './webgpu_util';

export function blockSparseConv2DBackpropFilter(
    args: {inputs: BlockSparseConv2DBackpropFilterInputs, backend: WebGPUBackend, attrs: BlockSparseConv2DBackpropFilterAttrs}):
    TensorInfo {
  const {inputs: {x, dy}, backend, attrs} = args;
  const {layout, filterSize: [kh, kw]} = attrs;
  checkBlockSize(layout, BlockSparseConv2DBackpropFilter);
  const info = backend_util.conv2DInfo(x.shape, kh, kw, attrs);
  const bs = layout.blockSize;
  const taps = kh * kw;
  const rows = info.batchSize * info.outHeight * info.outWidth;
  if (rows === 0) {
    return zeros(backend, [layout.nnz, kh, kw, bs, bs]);
  }
  const program = new BlockSparseConv2DDerFilterProgram([layout.nnz, kh, kw, bs, bs], layout.nnz * taps, rows, bs);
  return backend.runWebGPUProgram(program, [x, dy, backend_util.layoutTable(backend, layout, 'coords')], 'float32', [
    {type: 'int32', data: [rows]}, {type: 'int32', data: [layout.nnz]}, {type: 'int32', data: [taps]},
    {type: 'int32', data: [layout.inputSize]}, {type: 'int32', data: [layout.outputSize]}, ...convUniformData(info)
  ]);
}

export const blockSparseConv2DBackpropFilterConfig: KernelConfig = {
  kernelName: BlockSparseConv2DBackpropFilter,
  backendName: 'webgpu',
  kernelFunc: blockSparseConv2DBackpropFilter as unknown as KernelFunc
};
