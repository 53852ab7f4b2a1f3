import type {BackendWasm} from '@tensorflow/tfjs-backend-wasm';
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import {LSTMGates, LSTMGatesAttrs, LSTMGatesInputs} from '@tfjs-blocksparse/core';

import {runKernel} from './wasm_kernels';
import {makeOutput, offsetOf} from './wasm_util';

/** h and c' of an LSTM step: rows are the work units, each row's units four at a time in SIMD. */
export function lstmGates(args: {inputs: LSTMGatesInputs, backend: BackendWasm, attrs: LSTMGatesAttrs}): TensorInfo[] {
  const {inputs: {z, c}, backend, attrs: {recurrentActivation}} = args;
  const [rows, units] = c.shape;
  const h = makeOutput(backend, [rows, units]);
  const cNext = makeOutput(backend, [rows, units]);
  if (rows > 0 && units > 0) {
    runKernel(
        backend, 'lstmGates',
        [
          offsetOf(backend, z), offsetOf(backend, c), offsetOf(backend, h), offsetOf(backend, cNext), units,
          recurrentActivation === 'sigmoid' ? 1 : 0
        ],
        rows, rows * units * 16);
  }
  return [h, cNext];
}

export const lstmGatesConfig: KernelConfig = {
  kernelName: LSTMGates,
  backendName: 'wasm',
  kernelFunc: lstmGates as unknown as KernelFunc
};
