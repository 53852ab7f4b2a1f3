import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';
import type {TensorInfo} from '@tensorflow/tfjs-core';
import {BlockLayout} from '@tfjs-blocksparse/core';

/**
 * Largest block size whose tiles fit WebGPU's guaranteed 16 KiB of workgroup
 * memory (block 64 stages its weight tiles in halves), as openai/blocksparse
 * offers with feature_axis=1.
 */
const MAX_BLOCK_SIZE = 64;

/** The WGSL kernels move vec4s, so block sizes are multiples of 4 up to 64. */
export function checkBlockSize(layout: BlockLayout, kernelName: string) {
  const bs = layout.blockSize;
  if (bs % 4 !== 0 || bs > MAX_BLOCK_SIZE) {
    throw new Error(
        `${kernelName} on webgpu: block size ${bs} is not supported; the WGSL kernels ` +
        `take multiples of 4 up to ${MAX_BLOCK_SIZE} (4, 8, 12, ..., 64)`);
  }
}

/**
 * With no kept block, or no rows to sum over (an empty batch: WebGPU cannot
 * bind an empty buffer), there is nothing to dispatch: the result is zeros.
 */
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

/** A backend's adapter does not change: it is read once per backend, not on every product call. */
const softwareAdapters = new WeakMap<WebGPUBackend, boolean>();

/**
 * Whether the backend's adapter runs in software (SwiftShader, llvmpipe,
 * lavapipe, WARP): a workgroup there runs on one CPU thread, so the product
 * programs keep the shapes that suit a CPU (see BlockSparseProductProgram).
 */
export function softwareAdapter(backend: WebGPUBackend): boolean {
  let software = softwareAdapters.get(backend);
  if (software === undefined) {
    // tfjs keeps the adapter's vendor and architecture in fields its typings do not declare.
    const {vendor = '', architecture = ''} =
        (backend as unknown as {adapterInfo?: {vendor?: string, architecture?: string}}).adapterInfo ?? {};
    software = /swiftshader|llvmpipe|lavapipe|basic render|warp/i.test(`${vendor} ${architecture}`);
    softwareAdapters.set(backend, software);
  }
  return software;
}
