import type {WebGPUProgram} from '@tensorflow/tfjs-backend-webgpu';

import {CONV_UNIFORMS, convInputReader, matrixReader} from './operand_readers';

const CHUNK = 32;

/**
 * Each thread keeps r x r accumulators of the [bs, bs] block, r the
 * smallest divisor of bs that leaves at most 8 x 8 threads.
 */
export function weightGradTiling(bs: number) {
  let r = 1;
  while (bs / r > 8 || bs % r !== 0) {
    r++;
  }
  return {r, threadsSide: bs / r};
}

/**
 * dW for kept blocks only: workgroup i·taps + t computes the [bs, bs] tile
 * of block i at tap t as the sum over rows m of x[m, row block]ᵀ·dy[m, col
 * block], staging CHUNK rows of both operands in workgroup memory.
 */
function weightGradSource(bs: number, readOperand: string): string {
  const {r, threadsSide} = weightGradTiling(bs);
  return `
  const BS = ${bs};
  const R = ${r};
  const CHUNK = ${CHUNK};
  const THREADS = ${threadsSide * threadsSide};
  var<workgroup> aTile : array<f32, ${CHUNK * bs}>;
  var<workgroup> gTile : array<f32, ${CHUNK * bs}>;
  ${readOperand}

  ${'fn main()'} {
    let item = i32(workgroupId.x);
    let blk = item / uniforms.taps;
    let tap = item % uniforms.taps;
    let aCol = table[blk] * BS;
    let gCol = table[uniforms.nnz + blk] * BS;
    let local = i32(localIndex);
    let ty = i32(localId.y);
    let tx = i32(localId.x);
    var acc : array<array<f32, R>, R>;
    for (var m0 = 0; m0 < uniforms.rows; m0 += CHUNK) {
      for (var i = local; i < CHUNK * BS; i += THREADS) {
        let m = m0 + i / BS;
        aTile[i] = readOperand(m, aCol + i % BS, tap);
        let inRows = m < uniforms.rows;
        gTile[i] = select(0.0, dy[select(0, m, inRows) * uniforms.gWidth + gCol + i % BS], inRows);
      }
      workgroupBarrier();
      for (var mm = 0; mm < CHUNK; mm++) {
        var g : array<f32, R>;
        for (var b = 0; b < R; b++) {
          g[b] = gTile[mm * BS + tx * R + b];
        }
        for (var a = 0; a < R; a++) {
          let av = aTile[mm * BS + ty * R + a];
          for (var b = 0; b < R; b++) {
            acc[a][b] = fma(av, g[b], acc[a][b]);
          }
        }
      }
      workgroupBarrier();
    }
    let base = (blk * uniforms.taps + tap) * BS * BS;
    for (var a = 0; a < R; a++) {
      for (var b = 0; b < R; b++) {
        result[base + (ty * R + a) * BS + tx * R + b] = acc[a][b];
      }
    }
  }`;
}

const WEIGHT_GRAD_UNIFORMS = 'rows : i32, nnz : i32, taps : i32, aWidth : i32, gWidth : i32,';

abstract class BlockSparseWeightGradProgram implements WebGPUProgram {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout = {x: [0], y: [1]};
  dispatch: [number, number, number];
  variableNames = ['x', 'dy', 'table'];
  uniforms = WEIGHT_GRAD_UNIFORMS;
  workgroupSize: [number, number, number];

  constructor(outputShape: number[], items: number, protected readonly blockSize: number) {
    this.outputShape = outputShape;
    const {threadsSide} = weightGradTiling(blockSize);
    this.workgroupSize = [threadsSide, threadsSide, 1];
    this.dispatch = [items, 1, 1];
    this.shaderKey = `${this.constructor.name}_${blockSize}`;
  }

  abstract getUserCode(): string;
}

/** dW of blockSparseMatMul from x [rows, K] and dy [rows, N]. */
export class BlockSparseMatMulGradWProgram extends BlockSparseWeightGradProgram {
  getUserCode(): string {
    return weightGradSource(this.blockSize, matrixReader('readOperand', 'x'));
  }
}

/** dW of the conv: rows are output pixels, x read through each tap. */
export class BlockSparseConv2DDerFilterProgram extends BlockSparseWeightGradProgram {
  uniforms = WEIGHT_GRAD_UNIFORMS + CONV_UNIFORMS;

  getUserCode(): string {
    return weightGradSource(this.blockSize, convInputReader('readOperand', 'x'));
  }
}
