import type {MathBackendWebGL} from '@tensorflow/tfjs-backend-webgl';
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import {LSTMGates, LSTMGatesAttrs, LSTMGatesInputs} from '@tfjs-blocksparse/core';

import {LSTMGatesProgram} from '../lstm_gates_gpu';

import {zeros} from './webgl_util';

/** c' and then h of an LSTM step: two programs, h reading c'. */
export function lstmGates(args: {inputs: LSTMGatesInputs, backend: MathBackendWebGL, attrs: LSTMGatesAttrs}): TensorInfo[] {
  const {inputs: {z, c}, backend, attrs: {recurrentActivation}} = args;
  const [rows, units] = c.shape;
  if (rows * units === 0) {
    return [zeros(backend, [rows, units]), zeros(backend, [rows, units])];
  }
  const cNext = backend.runWebGLProgram(new LSTMGatesProgram(rows, units, 'cell', recurrentActivation), [z, c], 'float32');
  const h = backend.runWebGLProgram(new LSTMGatesProgram(rows, units, 'hidden', recurrentActivation), [z, cNext], 'float32');
  return [h, cNext];
}

export const lstmGatesConfig: KernelConfig = {
  kernelName: LSTMGates,
  backendName: 'webgl',
  kernelFunc: lstmGates as unknown as KernelFunc
};
