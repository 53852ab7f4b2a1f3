import type {BackendWasm} from '@tensorflow/tfjs-backend-wasm';
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import {backend_util, LSTMGates, LSTMGatesAttrs, LSTMGatesInputs} from '@tfjs-blocksparse/core';

import {floatValues, makeOutput} from './wasm_util';

/**
 * h and c' of an LSTM step, one loop over the units in the wasm backend's
 * memory: a step's elementwise work is small, its dozen tfjs calls were the cost.
 */
export function lstmGates(args: {inputs: LSTMGatesInputs, backend: BackendWasm, attrs: LSTMGatesAttrs}): TensorInfo[] {
  const {inputs: {z, c}, backend, attrs: {recurrentActivation}} = args;
  const [rows, units] = c.shape;
  const h = makeOutput(backend, [rows, units]);
  const cNext = makeOutput(backend, [rows, units]);
  backend_util.lstmGatesValues(
      floatValues(backend, z), floatValues(backend, c), rows, units, recurrentActivation, floatValues(backend, h),
      floatValues(backend, cNext));
  return [h, cNext];
}

export const lstmGatesConfig: KernelConfig = {
  kernelName: LSTMGates,
  backendName: 'wasm',
  kernelFunc: lstmGates as unknown as KernelFunc
};
