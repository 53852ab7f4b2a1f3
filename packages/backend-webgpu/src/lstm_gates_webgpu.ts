import type {WebGPUProgram} from '@tensorflow/tfjs-backend-webgpu';
import type {RecurrentActivation} from '@tfjs-blocksparse/core';

/** Threads per workgroup; workgroups beyond one dispatch row go on along y. */
const WORKGROUP_SIZE = 64;
const WORKGROUPS_PER_ROW = 32768;

/** Which output of an LSTM step a program writes: the cell state c', or h (from c'). */
export type LSTMGatesOutput = 'cell'|'hidden';

/**
 * One output of an LSTM step from the gates' preactivations z [rows, 4·units]:
 * 'cell' writes c' = σ(zf)·c + σ(zi)·tanh(zc) from z and c; 'hidden' writes
 * h = σ(zo)·tanh(c') from z and c'. One thread per value.
 */
export class LSTMGatesProgram implements WebGPUProgram {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout = {x: [0, 1]};
  dispatch: [number, number, number];
  variableNames: string[];
  uniforms = 'units : i32,';
  size = true;
  workgroupSize: [number, number, number] = [WORKGROUP_SIZE, 1, 1];

  constructor(
      rows: number, units: number, private readonly output: LSTMGatesOutput, private readonly recurrentActivation: RecurrentActivation) {
    this.outputShape = [rows, units];
    this.variableNames = output === 'cell' ? ['z', 'c'] : ['z', 'cNext'];
    const workgroups = Math.ceil(rows * units / WORKGROUP_SIZE);
    this.dispatch = [Math.min(workgroups, WORKGROUPS_PER_ROW), Math.ceil(workgroups / WORKGROUPS_PER_ROW), 1];
    this.shaderKey = `LSTMGates_${output}_${recurrentActivation}`;
  }

  getUserCode(): string {
    const gate = this.recurrentActivation === 'sigmoid' ? '1.0 / (1.0 + exp(-v))' : 'clamp(0.2 * v + 0.5, 0.0, 1.0)';
    const value = this.output === 'cell' ? 'lstmGate(getZ(r, U + j)) * getC(r, j) + lstmGate(getZ(r, j)) * lstmTanh(getZ(r, 2 * U + j))' :
                                           'lstmGate(getZ(r, 3 * U + j)) * lstmTanh(getCNext(r, j))';
    // tanh as tfjs-backend-webgpu writes it: WGSL's may lose precision (or overflow) for large |v|.
    return `
  fn lstmGate(v : f32) -> f32 {
    return ${gate};
  }
  fn lstmTanh(v : f32) -> f32 {
    let e2x = exp(-2.0 * abs(v));
    return sign(v) * (1.0 - e2x) / (1.0 + e2x);
  }
  ${'fn main(index : i32)'} {
    if (index < uniforms.size) {
      let U = uniforms.units;
      let r = index / U;
      let j = index % U;
      setOutputAtIndex(index, ${value});
    }
  }`;
  }
}
