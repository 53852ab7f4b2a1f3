import type {MathBackendCPU} from '@tensorflow/tfjs-backend-cpu';
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';
import {LSTMGates, LSTMGatesAttrs, LSTMGatesInputs} from '@tfjs-blocksparse/core';

import {float32Values} from './cpu_util';

/** h and c' of an LSTM step, one loop over the units. */
export function lstmGates(args: {inputs: LSTMGatesInputs, backend: MathBackendCPU, attrs: LSTMGatesAttrs}): TensorInfo[] {
  const {inputs, backend, attrs: {recurrentActivation}} = args;
  const [rows, units] = inputs.c.shape;
  const z = float32Values(backend, inputs.z);
  const c = float32Values(backend, inputs.c);
  const h = new Float32Array(rows * units);
  const cNext = new Float32Array(rows * units);
  const sigmoid = recurrentActivation === 'sigmoid';
  for (let r = 0; r < rows; r++) {
    const zRow = r * 4 * units;
    for (let j = 0; j < units; j++) {
      const at = r * units + j;
      const zi = z[zRow + j], zf = z[zRow + units + j], zc = z[zRow + 2 * units + j], zo = z[zRow + 3 * units + j];
      const i = sigmoid ? 1 / (1 + Math.exp(-zi)) : Math.min(1, Math.max(0, 0.2 * zi + 0.5));
      const f = sigmoid ? 1 / (1 + Math.exp(-zf)) : Math.min(1, Math.max(0, 0.2 * zf + 0.5));
      const o = sigmoid ? 1 / (1 + Math.exp(-zo)) : Math.min(1, Math.max(0, 0.2 * zo + 0.5));
      const next = f * c[at] + i * tanh(zc);
      cNext[at] = next;
      h[at] = o * tanh(next);
    }
  }
  return [backend.makeTensorInfo([rows, units], 'float32', h), backend.makeTensorInfo([rows, units], 'float32', cNext)];
}

/** tanh as 1 − 2 / (e^2v + 1): one exp, where Math.tanh costs several times as much. */
function tanh(v: number): number {
  return v > 20 ? 1 : v < -20 ? -1 : 1 - 2 / (Math.exp(2 * v) + 1);
}

export const lstmGatesConfig: KernelConfig = {
  kernelName: LSTMGates,
  backendName: 'cpu',
  kernelFunc: lstmGates as unknown as KernelFunc
};
