import type {WebGPUBackend} from '@tensorflow/tfjs-backend-webgpu';
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import {LSTMGates, LSTMGatesAttrs, LSTMGatesInputs} from '@tfjs-blocksparse/core';

import {LSTMGatesProgram} from '../lstm_gates_webgpu';

import {zeros} from './webgpu_util';

/** c' and then h of an LSTM step: two programs, h reading c'. */
export function lstmGates(args: {inputs: LSTMGatesInputs, backend: WebGPUBackend, attrs: LSTMGatesAttrs}): TensorInfo[] {
  const {inputs: {z, c}, backend, attrs: {recurrentActivation}} = args;
  const [rows, units] = c.shape;
  if (rows * units === 0) {
    return [zeros(backend, [rows, units]), zeros(backend, [rows, units])];
  }
  const uniforms = [{type: 'int32', data: [units]}];
  const cNext = backend.runWebGPUProgram(new LSTMGatesProgram(rows, units, 'cell', recurrentActivation), [z, c], 'float32', uniforms);
  const h = backend.runWebGPUProgram(new LSTMGatesProgram(rows, units, 'hidden', recurrentActivation), [z, cNext], 'float32', uniforms);
  return [h, cNext];
}

export const lstmGatesConfig: KernelConfig = {
  kernelName: LSTMGates,
  backendName: 'webgpu',
  kernelFunc: lstmGates as unknown as KernelFunc
};
