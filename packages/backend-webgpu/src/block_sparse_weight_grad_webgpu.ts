import type {WebGPUProgram} from '@tensorflow/tfjs-backend-webgpu';

import {CONV_UNIFORMS, convInputReader, matrixReader} from './operand_readers';
import {rowsPerStep} from './rows_per_step';
import {stridedLoop} from './strided_loop';

/** Workgroups along x; more items go on along y, so any count fits the per-dimension limit. */
const ITEMS_PER_ROW = 32768;

/**
 * Threads of a [bs, bs] block: bs/4 across (one vec4 of columns each) and
 * bs/r down (r rows each), r chosen for about 64 threads.
 */
export function weightGradTiling(bs: number) {
  const r = Math.max(1, bs * bs / 4 / 64);
  return {r, threadsX: bs / 4, threadsY: bs / r};
}

/**
 * dW for kept blocks only: workgroup item i·taps + t computes the [bs, bs] tile
 * of block i at tap t as the sum over rows m of x[m, row block]ᵀ·dy[m, col
 * block], staging `chunk` rows of both operands in workgroup memory.
 */
function weightGradSource(bs: number, chunk: number, readOperand: string): string {
  const {r, threadsX, threadsY} = weightGradTiling(bs);
  return `
  const BS = ${bs};
  const BS4 = ${bs / 4};
  const R = ${r};
  const CHUNK = ${chunk};
  var<workgroup> aTile : array<f32, ${chunk * bs}>;
  var<workgroup> gTile : array<vec4<f32>, ${chunk * bs / 4}>;
  var<workgroup> itemShared : i32;
  ${readOperand}

  ${'fn main()'} {
    let local = i32(localIndex);
    if (local == 0) {
      itemShared = i32(workgroupId.y * numWorkgroups.x + workgroupId.x);
    }
    // Uniform, so that workgroups past the last item can leave before the barriers.
    let item = workgroupUniformLoad(&itemShared);
    if (item >= uniforms.nnz * uniforms.taps) {
      return;
    }
    let blk = item / uniforms.taps;
    let tap = item % uniforms.taps;
    let aCol = table[blk] * BS;
    let gCol = table[uniforms.nnz + blk] * BS;
    let ty = i32(localId.y);
    let tx = i32(localId.x);
    var acc : array<vec4<f32>, R>;
    for (var m0 = 0; m0 < uniforms.rows; m0 += CHUNK) {
      ${stridedLoop(chunk * bs / 4, threadsX * threadsY, `
        let m = m0 + i / BS4;
        let a = readOperand(m, aCol + (i % BS4) * 4, tap);
        aTile[i * 4] = a.x;
        aTile[i * 4 + 1] = a.y;
        aTile[i * 4 + 2] = a.z;
        aTile[i * 4 + 3] = a.w;
        let inRows = m < uniforms.rows;
        gTile[i] = select(vec4<f32>(0.0),
                          dy[(select(0, m, inRows) * uniforms.gWidth + gCol) / 4 + i % BS4], inRows);`)}
      workgroupBarrier();
      for (var mm = 0; mm < CHUNK; mm++) {
        let g = gTile[mm * BS4 + tx];
        for (var a = 0; a < R; a++) {
          acc[a] = fma(vec4<f32>(aTile[mm * BS + ty * R + a]), g, acc[a]);
        }
      }
      workgroupBarrier();
    }
    let base = (blk * uniforms.taps + tap) * BS * BS;
    for (var a = 0; a < R; a++) {
      result[(base + (ty * R + a) * BS) / 4 + tx] = acc[a];
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
  variableComponents = [4, 4, 1];
  outputComponent = 4;
  uniforms = WEIGHT_GRAD_UNIFORMS;
  workgroupSize: [number, number, number];
  protected readonly chunk: number;

  constructor(outputShape: number[], items: number, rows: number, protected readonly blockSize: number) {
    this.outputShape = outputShape;
    const {threadsX, threadsY} = weightGradTiling(blockSize);
    this.workgroupSize = [threadsX, threadsY, 1];
    this.dispatch = [Math.min(items, ITEMS_PER_ROW), Math.ceil(items / ITEMS_PER_ROW), 1];
    // Up to 32 rows staged per step (16 for block 64, whose two [32, 64] tiles would fill all of WebGPU's
    // guaranteed 16 KiB of workgroup memory); a batch of one stages one, not 31 rows of zeros.
    this.chunk = rowsPerStep(rows, blockSize > 32 ? 16 : 32);
    // Each program class names itself literally (a minifier renames classes; tfjs's keys are literals too).
    this.shaderKey = `${(new.target as unknown as {programName: string}).programName}_${blockSize}_${this.chunk}`;
  }

  abstract getUserCode(): string;
}

/** dW of blockSparseMatMul from x [rows, K] and dy [rows, N]. */
export class BlockSparseMatMulGradWProgram extends BlockSparseWeightGradProgram {
  static readonly programName = 'BlockSparseMatMulGradW';
  getUserCode(): string {
    return weightGradSource(this.blockSize, this.chunk, matrixReader('readOperand', 'x'));
  }
}

/** dW of the conv: rows are output pixels, x read through each tap. */
export class BlockSparseConv2DDerFilterProgram extends BlockSparseWeightGradProgram {
  static readonly programName = 'BlockSparseConv2DDerFilter';
  uniforms = WEIGHT_GRAD_UNIFORMS + CONV_UNIFORMS;

  getUserCode(): string {
    return weightGradSource(this.blockSize, this.chunk, convInputReader('readOperand', 'x'));
  }
}
