import type {GPGPUProgram} from '@tensorflow/tfjs-backend-webgl';
import type {RecurrentActivation} from '@tfjs-blocksparse/core';

/** Which output of an LSTM step a program writes: the cell state c', or h (from c'). */
export type LSTMGatesOutput = 'cell'|'hidden';

/**
 * One output of an LSTM step from the gates' preactivations z [rows, 4·units]:
 * 'cell' writes c' = σ(zf)·c + σ(zi)·tanh(zc) from z and c; 'hidden' writes
 * h = σ(zo)·tanh(c') from z and c'.
 */
export class LSTMGatesProgram implements GPGPUProgram {
  variableNames: string[];
  outputShape: number[];
  userCode: string;

  constructor(rows: number, units: number, output: LSTMGatesOutput, recurrentActivation: RecurrentActivation) {
    this.outputShape = [rows, units];
    this.variableNames = output === 'cell' ? ['z', 'c'] : ['z', 'cNext'];
    const gate = recurrentActivation === 'sigmoid' ? '1.0 / (1.0 + exp(-v))' : 'clamp(0.2 * v + 0.5, 0.0, 1.0)';
    const value = output === 'cell' ?
        `lstmGate(getZ(r, ${units} + j)) * getC(r, j) + lstmGate(getZ(r, j)) * lstmTanh(getZ(r, ${2 * units} + j))` :
        `lstmGate(getZ(r, ${3 * units} + j)) * lstmTanh(getCNext(r, j))`;
    // tanh as tfjs-backend-webgl writes it: GLSL's may overflow for large |v| on some GPUs.
    this.userCode = `
  float lstmGate(float v) {
    return ${gate};
  }
  float lstmTanh(float v) {
    float e2x = exp(-2.0 * abs(v));
    return sign(v) * (1.0 - e2x) / (1.0 + e2x);
  }
  void main() {
    ivec2 coords = getOutputCoords();
    int r = coords.x;
    int j = coords.y;
    setOutput(${value});
  }`;
  }
}
