import type {MathBackendCPU} from '@tensorflow/tfjs-backend-cpu';
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import {backend_util, LSTMGates, LSTMGatesAttrs, LSTMGatesInputs} from '@tfjs-blocksparse/core';

import {float32Values} from './cpu_util';

/** h and c' of an LSTM step, one loop over the units. */
export function lstmGates(args: {inputs: LSTMGatesInputs, backend: MathBackendCPU, attrs: LSTMGatesAttrs}): TensorInfo[] {
  const {inputs: {z, c}, backend, attrs: {recurrentActivation}} = args;
  const [rows, units] = c.shape;
  const h = new Float32Array(rows * units);
  const cNext = new Float32Array(rows * units);
  backend_util.lstmGatesValues(float32Values(backend, z), float32Values(backend, c), rows, units, recurrentActivation, h, cNext);
  return [backend.makeTensorInfo([rows, units], 'float32', h), backend.makeTensorInfo([rows, units], 'float32', cNext)];
}

export const lstmGatesConfig: KernelConfig = {
  kernelName: LSTMGates,
  backendName: 'cpu',
  kernelFunc: lstmGates as unknown as KernelFunc
};
