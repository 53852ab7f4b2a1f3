import type {WebGPUProgram} from '@tensorflow/tfjs-backend-webgpu';

import {CONV_UNIFORMS, convInputReader, convOutputGradReader, matrixReader} from './operand_readers';

/** Largest block size whose tiles fit WebGPU's guaranteed 16 KiB of workgroup memory. */
export const MAX_BLOCK_SIZE = 32;

/**
 * Register tiling of a [tileM, bs] output tile: each thread keeps rm x rn
 * accumulators; about 64 threads per workgroup.
 */
export function productTiling(bs: number) {
  const rn = bs % 4 === 0 ? 4 : bs % 2 === 0 ? 2 : 1;
  const threadsN = bs / rn;
  const threadsM = Math.max(1, Math.floor(64 / threadsN));
  const rm = 4;
  return {rm, rn, threadsN, threadsM, tileM: threadsM * rm};
}

/**
 * Dense operand [rows, ·] times a block-sparse W (or Wᵀ): workgroup (s, t)
 * computes rows t·tileM.. of output block column s. It walks only the kept
 * blocks of that column through the layout table (and, for convs, the
 * filter taps), staging a [tileM, bs] operand tile and the [bs, bs] weight
 * tile in workgroup memory and accumulating in registers.
 */
function productSource(bs: number, transposeW: boolean, readOperand: string): string {
  const {rm, rn, threadsN, threadsM, tileM} = productTiling(bs);
  const threads = threadsN * threadsM;
  const loadW = transposeW ? 'wTile[i] = w[wBase + (i % BS) * BS + i / BS];' : 'wTile[i] = w[wBase + i];';
  return `
  const BS = ${bs};
  const RM = ${rm};
  const RN = ${rn};
  const TILE_M = ${tileM};
  const THREADS = ${threads};
  var<workgroup> aTile : array<f32, ${tileM * bs}>;
  var<workgroup> wTile : array<f32, ${bs * bs}>;
  var<workgroup> segmentStart : i32;
  var<workgroup> segmentEnd : i32;
  ${readOperand}

  ${'fn main()'} {
    let segment = i32(workgroupId.x);
    let rowBase = i32(workgroupId.y) * TILE_M;
    let local = i32(localIndex);
    let tm = i32(localId.y);
    let tn = i32(localId.x);
    if (local == 0) {
      segmentStart = table[segment];
      segmentEnd = table[segment + 1];
    }
    // Loop bounds must be workgroup-uniform for the barriers inside.
    let start = workgroupUniformLoad(&segmentStart);
    let end = workgroupUniformLoad(&segmentEnd);
    let blockOffset = uniforms.segments + 1;
    let otherOffset = blockOffset + uniforms.nnz;
    var acc : array<array<f32, RN>, RM>;
    for (var e = start; e < end; e++) {
      let blk = table[blockOffset + e];
      let colBase = table[otherOffset + e] * BS;
      for (var tap = 0; tap < uniforms.taps; tap++) {
        for (var i = local; i < TILE_M * BS; i += THREADS) {
          aTile[i] = readOperand(rowBase + i / BS, colBase + i % BS, tap);
        }
        let wBase = (blk * uniforms.taps + tap) * BS * BS;
        for (var i = local; i < BS * BS; i += THREADS) {
          ${loadW}
        }
        workgroupBarrier();
        for (var k = 0; k < BS; k++) {
          var a : array<f32, RM>;
          for (var i = 0; i < RM; i++) {
            a[i] = aTile[(tm * RM + i) * BS + k];
          }
          for (var j = 0; j < RN; j++) {
            let wv = wTile[k * BS + tn * RN + j];
            for (var i = 0; i < RM; i++) {
              acc[i][j] = fma(a[i], wv, acc[i][j]);
            }
          }
        }
        workgroupBarrier();
      }
    }
    for (var i = 0; i < RM; i++) {
      let row = rowBase + tm * RM + i;
      if (row < uniforms.rows) {
        for (var j = 0; j < RN; j++) {
          result[row * uniforms.outWidth + segment * BS + tn * RN + j] = acc[i][j];
        }
      }
    }
  }`;
}

const PRODUCT_UNIFORMS = 'rows : i32, segments : i32, nnz : i32, taps : i32, outWidth : i32, aWidth : i32,';

abstract class BlockSparseProductProgram implements WebGPUProgram {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout = {x: [1], y: [0]};
  dispatch: [number, number, number];
  abstract variableNames: string[];
  uniforms = PRODUCT_UNIFORMS;
  workgroupSize: [number, number, number];

  constructor(
      outputShape: number[], rows: number, segments: number, protected readonly blockSize: number,
      protected readonly transposeW: boolean) {
    this.outputShape = outputShape;
    const {threadsN, threadsM, tileM} = productTiling(blockSize);
    this.workgroupSize = [threadsN, threadsM, 1];
    this.dispatch = [segments, Math.ceil(rows / tileM), 1];
    this.shaderKey = `${this.constructor.name}_${blockSize}_${transposeW}`;
  }

  abstract getUserCode(): string;
}

/** y = x·W (or x·Wᵀ) for x [rows, aWidth]. */
export class BlockSparseMatMulProgram extends BlockSparseProductProgram {
  variableNames = ['x', 'w', 'table'];

  getUserCode(): string {
    return productSource(this.blockSize, this.transposeW, matrixReader('readOperand', 'x'));
  }
}

/** Forward conv as an implicit GEMM over output pixels, kept blocks and taps. */
export class BlockSparseConv2DProgram extends BlockSparseProductProgram {
  variableNames = ['x', 'w', 'table'];
  uniforms = PRODUCT_UNIFORMS + CONV_UNIFORMS;

  getUserCode(): string {
    return productSource(this.blockSize, false, convInputReader('readOperand', 'x'));
  }
}

/** dx of the conv: rows are input pixels, the operand dy, the weight transposed. */
export class BlockSparseConv2DDerInputProgram extends BlockSparseProductProgram {
  variableNames = ['dy', 'w', 'table'];
  uniforms = PRODUCT_UNIFORMS + CONV_UNIFORMS;

  getUserCode(): string {
    return productSource(this.blockSize, true, convOutputGradReader('readOperand', 'dy'));
  }
}
