import type {MathBackendCPU} from '@tensorflow/tfjs-backend-cpu';
import type {TensorInfo} from '@tensorflow/tfjs-core';

export function float32Values(backend: MathBackendCPU, t: TensorInfo): Float32Array {
  return backend.data.get(t.dataId).values as Float32Array;
}
