import type {WebGPUProgram} from '@tensorflow/tfjs-backend-webgpu';

import {CONV_UNIFORMS, convInputReader, convOutputGradReader, matrixReader} from './operand_readers';
import {stridedLoop} from './strided_loop';

/**
 * Register tiling of a [tileM, bs] output tile: each thread keeps RM rows
 * of one vec4 of columns; about 64 threads per workgroup.
 */
export function productTiling(bs: number) {
  const threadsN = bs / 4;
  const threadsM = Math.max(1, Math.floor(64 / threadsN));
  const rm = 4;
  return {rm, threadsN, threadsM, tileM: threadsM * rm};
}

/**
 * Dense operand [rows, ·] times a block-sparse W (or Wᵀ): workgroup (s, t)
 * computes rows t·tileM.. of output block column s. It walks only the kept
 * blocks of that column through the layout table (and, for convs, the
 * filter taps), staging a [tileM, bs] operand tile and the [bs, bs] weight
 * tile in workgroup memory as vec4s and accumulating in registers.
 */
function productSource(bs: number, transposeW: boolean, readOperand: string): string {
  const {rm, threadsN, threadsM, tileM} = productTiling(bs);
  // Wᵀ's tile row k, columns n..n+3, is column k of W's rows n..n+3.
  const loadW = transposeW ? `
          let k = i / BS4;
          let n = (i % BS4) * 4;
          let at = wBase + n * BS + k;
          wTile[i] = vec4<f32>(w[at / 4][at % 4], w[(at + BS) / 4][(at + BS) % 4],
                               w[(at + 2 * BS) / 4][(at + 2 * BS) % 4], w[(at + 3 * BS) / 4][(at + 3 * BS) % 4]);` :
                                 'wTile[i] = w[wBase / 4 + i];';
  return `
  const BS = ${bs};
  const BS4 = ${bs / 4};
  const RM = ${rm};
  const TILE_M = ${tileM};
  var<workgroup> aTile : array<vec4<f32>, ${tileM * bs / 4}>;
  var<workgroup> wTile : array<vec4<f32>, ${bs * bs / 4}>;
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
    var acc : array<vec4<f32>, RM>;
    for (var e = start; e < end; e++) {
      let blk = table[blockOffset + e];
      let colBase = table[otherOffset + e] * BS;
      for (var tap = 0; tap < uniforms.taps; tap++) {
        ${stridedLoop(tileM * bs / 4, threadsN * threadsM, `
          aTile[i] = readOperand(rowBase + i / BS4, colBase + (i % BS4) * 4, tap);`)}
        let wBase = (blk * uniforms.taps + tap) * BS * BS;
        ${stridedLoop(bs * bs / 4, threadsN * threadsM, loadW)}
        workgroupBarrier();
        for (var k4 = 0; k4 < BS4; k4++) {
          let w0 = wTile[(k4 * 4) * BS4 + tn];
          let w1 = wTile[(k4 * 4 + 1) * BS4 + tn];
          let w2 = wTile[(k4 * 4 + 2) * BS4 + tn];
          let w3 = wTile[(k4 * 4 + 3) * BS4 + tn];
          for (var i = 0; i < RM; i++) {
            let a = aTile[(tm * RM + i) * BS4 + k4];
            acc[i] = fma(vec4<f32>(a.x), w0, acc[i]);
            acc[i] = fma(vec4<f32>(a.y), w1, acc[i]);
            acc[i] = fma(vec4<f32>(a.z), w2, acc[i]);
            acc[i] = fma(vec4<f32>(a.w), w3, acc[i]);
          }
        }
        workgroupBarrier();
      }
    }
    for (var i = 0; i < RM; i++) {
      let row = rowBase + tm * RM + i;
      if (row < uniforms.rows) {
        result[(row * uniforms.outWidth + segment * BS) / 4 + tn] = acc[i];
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
  variableComponents = [4, 4, 1];
  outputComponent = 4;
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
