import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';
import type {TensorInfo} from '@tensorflow/tfjs-core';
import type {BlockLayout} from '@tfjs-blocksparse/core';

import {MAX_BLOCK_SIZE} from '../block_sparse_product_webgpu';

export type Uniform = {type: string, data: number[]};

export function checkBlockSize(layout: BlockLayout, kernelName: string) {
  if (layout.blockSize > MAX_BLOCK_SIZE) {
    throw new Error(
        `${kernelName} on webgpu: block size ${layout.blockSize} is not supported; ` +
        `the WGSL kernels take block sizes 1 to ${MAX_BLOCK_SIZE} (tiles must fit 16 KiB of workgroup memory)`);
  }
}

/** With no kept block there is nothing to dispatch: the result is zeros. */
export function zeros(backend: WebGPUBackend, shape: number[]): TensorInfo {
  return backend.makeTensorInfo(shape, 'float32', new Float32Array(shape.reduce((a, b) => a * b, 1)));
}

/**
 * Dispatch dimensions past the device limit would be reshaped by tfjs,
 * which these programs' workgroup indexing does not follow: refuse clearly.
 */
export function checkDispatch(backend: WebGPUBackend, dispatch: number[], kernelName: string) {
  const limit = backend.device.limits.maxComputeWorkgroupsPerDimension;
  if (dispatch.some(d => d > limit)) {
    throw new Error(
        `${kernelName} on webgpu: the problem needs [${dispatch}] workgroups, over the ` +
        `device's ${limit} per dimension; split the batch into smaller calls`);
  }
}
