import type {MathBackendWebGL} from '@tensorflow/tfjs-backend-webgl';
import type {TensorInfo} from '@tensorflow/tfjs-core';
import type {BlockLayout} from '@tfjs-blocksparse/core';

/** With no kept block there is nothing to run: the result is zeros. */
export function zeros(backend: MathBackendWebGL, shape: number[]): TensorInfo {
  return backend.makeTensorInfo(shape, 'float32', new Float32Array(shape.reduce((a, b) => a * b, 1)));
}

/** The packed matmul programs read 2x2 patches, which must not straddle blocks. */
export function checkEvenBlockSize(layout: BlockLayout, kernelName: string) {
  if (layout.blockSize % 2 !== 0) {
    throw new Error(
        `${kernelName} on webgl: block size ${layout.blockSize} is not supported; ` +
        'the packed GLSL kernels take even block sizes');
  }
}
