import type {WebGPUProgram} from '@tensorflow/tfjs-backend-webgpu';
import type {TensorInfo} from '@tensorflow/tfjs-core';
import {backend_util, NO_EPILOGUE, ProductEpilogue} from '@tfjs-blocksparse/core';

import {CONV_UNIFORMS, convInputReader, convOutputGradReader, matrixReader} from './operand_readers';
import {rowsPerStep} from './rows_per_step';
import {stridedLoop} from './strided_loop';
import {weightReaders} from './weight_readers';

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
 * Rows of a weight tile staged at once: a [32, bs] tile. Up to block 32 that
 * is the whole block; a [64, 64] block (16 KiB) would leave no room in
 * WebGPU's guaranteed 16 KiB of workgroup memory for the operand tile, so
 * block 64 stages it in two halves.
 */
const STAGED_W_ROWS = 32;

/**
 * Dense operand [rows, ·] times a block-sparse W (or Wᵀ): workgroup (s, t)
 * computes rows t·tileM.. of output block column s. It walks only the kept
 * blocks of that column through the layout table (and, for convs, the
 * filter taps), staging a [tileM, bs] operand tile and the [bs, bs] weight
 * tile (in [32, bs] parts above block 32; int8 blocks widened to f32 as
 * they are staged) in workgroup memory as vec4s and accumulating in
 * registers.
 */
function productSource(bs: number, transposeW: boolean, weight: backend_util.BlockFormat, functions: string): string {
  const {rm, threadsN, threadsM, tileM} = productTiling(bs);
  const wRows = Math.min(bs, STAGED_W_ROWS);
  const parts = bs / wRows;
  // Staged row k of the tile is row k + K0 of the block (K0 is 0 for a whole block).
  const k0 = parts > 1 ? ' + k0' : '';
  const k04 = parts > 1 ? ' + k0 / 4' : '';
  // A thread stages a vec4 of float32 blocks, or a 4x4 quad of int8 ones (its four words widened at once). Wᵀ's
  // tile row k, columns n..n+3, is column k of W's rows n..n+3: a transposed quad's row.
  const quads = weight === 'int8';
  const quad = transposeW ? `transpose(wQuad(wBase, i % BS4, i / BS4${k04}))` : `wQuad(wBase, i / BS4${k04}, i % BS4)`;
  const loadW = !quads ? `wTile[i] = ${transposeW ? 'wColumn' : 'wRow'}(wBase, i / BS4${k0}, i % BS4);` : `
          let quad = ${quad};
          for (var c = 0; c < 4; c++) {
            wTile[((i / BS4) * 4 + c) * BS4 + i % BS4] = quad[c];
          }`;
  const staged = (rows: number) => quads ? rows * bs / 16 : rows * bs / 4;
  const multiply = `
          for (var k4 = 0; k4 < ${parts > 1 ? `${wRows / 4}` : 'BS4'}; k4++) {
            let w0 = wTile[(k4 * 4) * BS4 + tn];
            let w1 = wTile[(k4 * 4 + 1) * BS4 + tn];
            let w2 = wTile[(k4 * 4 + 2) * BS4 + tn];
            let w3 = wTile[(k4 * 4 + 3) * BS4 + tn];
            for (var i = 0; i < RM; i++) {
              let a = aTile[(tm * RM + i) * BS4 + k4${k04}];
              acc[i] = fma(vec4<f32>(a.x), w0, acc[i]);
              acc[i] = fma(vec4<f32>(a.y), w1, acc[i]);
              acc[i] = fma(vec4<f32>(a.z), w2, acc[i]);
              acc[i] = fma(vec4<f32>(a.w), w3, acc[i]);
            }
          }`;
  const stageAndMultiply = parts > 1 ? `
        for (var k0 = 0; k0 < BS; k0 += ${wRows}) {
          ${stridedLoop(staged(wRows), threadsN * threadsM, loadW)}
          workgroupBarrier();
          ${multiply}
          workgroupBarrier();
        }` :
                                       `
        ${stridedLoop(staged(bs), threadsN * threadsM, loadW)}
        workgroupBarrier();
        ${multiply}
        workgroupBarrier();`;
  return `
  const BS = ${bs};
  const BS4 = ${bs / 4};
  const RM = ${rm};
  const TILE_M = ${tileM};
  var<workgroup> aTile : array<vec4<f32>, ${tileM * bs / 4}>;
  var<workgroup> wTile : array<vec4<f32>, ${wRows * bs / 4}>;
  var<workgroup> segmentStart : i32;
  var<workgroup> segmentEnd : i32;
  ${functions}

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
        let wBase = (blk * uniforms.taps + tap) * BS * BS4;${stageAndMultiply}
      }
    }
    for (var i = 0; i < RM; i++) {
      let row = rowBase + tm * RM + i;
      if (row < uniforms.rows) {
        result[(row * uniforms.outWidth + segment * BS) / 4 + tn] = finish(acc[i], segment * BS4 + tn);
      }
    }
  }`;
}

/**
 * Products with at most this many rows take the few-row program: the tiled
 * one computes tileM (32 to 128) rows per workgroup whatever the batch, so
 * at one row it did 32 times the work (and on a GPU left most threads idle).
 * On SwiftShader the few-row program was still the faster at 32 and 64 rows
 * (K = N = 2048, forward at density 1: block 32 1.60x / 1.72x of tfjs's
 * matmul against 0.79x / 0.91x tiled; block 8 1.39x / 1.20x against 0.19x /
 * 0.34x); above that the tiled program, which reuses each weight tile for
 * its rows from workgroup memory, is kept for large batches.
 */
export const FEW_ROWS_MAX = 64;

/**
 * On a GPU, a product whose tiled dispatch would have fewer workgroups than
 * this takes the few-row program too: a 1x1 conv over 14x14 pixels from 816
 * to 136 channels is 2 row tiles of 17 block columns, 34 workgroups each
 * walking its column's kept blocks alone, where the few-row program runs 425
 * of up to 256 threads.
 */
export const TILED_MIN_WORKGROUPS = 1024;

/** Whether a product of `rows` rows and `segments` output block columns takes the few-row program. */
export function takesFewRows(rows: number, segments: number, bs: number, software: boolean): boolean {
  return rows <= FEW_ROWS_MAX || (!software && segments * Math.ceil(rows / productTiling(bs).tileM) < TILED_MIN_WORKGROUPS);
}

/**
 * Few-row tiling: a workgroup computes up to 8 rows of one output block
 * column; its threads own one vec4 of the block's columns each (tn) and
 * split the column's kept (block, tap, k4) items between them (ks), so that
 * the work is the kept blocks' bytes whatever the number of rows. 64
 * threads, or where a column has many items (blockTaps: its kept blocks
 * times taps, on average) up to maxThreads, at least 8 items each, so that
 * a large weight keeps enough loads in flight on a GPU with one workgroup
 * per block column; the slices' partial sums stay within 16 KiB.
 */
export function fewRowsTiling(bs: number, rows: number, blockTaps: number, maxThreads = 256) {
  const threadsN = bs / 4;
  const rowsPerGroup = rowsPerStep(rows, 8);
  const fewest = Math.floor(64 / threadsN);
  const most = Math.min(Math.floor(maxThreads / threadsN), Math.floor(1024 / (rowsPerGroup * threadsN)));
  const wanted = 2 ** Math.floor(Math.log2(Math.max(1, blockTaps * threadsN / 8)));
  const slices = Math.max(fewest, Math.min(most, wanted));
  return {threadsN, slices, rowsPerGroup};
}

/**
 * Few rows times W (or Wᵀ): each thread reads W as vec4s straight from
 * memory (each kept value once per workgroup; int8 blocks as words, widened
 * in registers), multiplies it with the workgroup's rows of the operand, and
 * the slices' partial sums meet in workgroup memory. `taps` is the WGSL
 * expression of the taps per block ('1' for a matmul, so that the compiler
 * drops the tap arithmetic).
 */
function fewRowsProductSource(
    bs: number, rows: number, blockTaps: number, maxThreads: number, transposeW: boolean, taps: string, functions: string): string {
  const {threadsN, slices, rowsPerGroup} = fewRowsTiling(bs, rows, blockTaps, maxThreads);
  // Forward, W's rows k4*4.. (the quad at k4, tn) meet the operand's vec4
  // (a.x..a.w) at output vec4 tn; transposed, output i = tn*4 + c is the dot
  // of W's row i (the quad at tn, k4) with the operand's vec4.
  const multiplyAdd = transposeW ?
      'acc[r] += vec4<f32>(dot(w0, a), dot(w1, a), dot(w2, a), dot(w3, a));' :
      'acc[r] = fma(vec4<f32>(a.x), w0, fma(vec4<f32>(a.y), w1, fma(vec4<f32>(a.z), w2, fma(vec4<f32>(a.w), w3, acc[r]))));';
  // Thread i sums the slices of output vec4 i (row i / BS4); block 64 has more outputs than threads.
  const sumSlices = (i: string) => `
      let r = ${i} / BS4;
      let n4 = ${i} % BS4;
      var sum = vec4<f32>(0.0);
      for (var s = 0; s < SLICES; s++) {
        sum += partial[(r * SLICES + s) * BS4 + n4];
      }
      let row = rowBase + r;
      if (row < uniforms.rows) {
        result[(row * uniforms.outWidth + segment * BS) / 4 + n4] = finish(sum, segment * BS4 + n4);
      }`;
  const outputs = rowsPerGroup * threadsN;
  const threads = threadsN * slices;
  const reduce = outputs <= threads ? `
    if (local < ROWS * BS4) {${sumSlices('local')}
    }` :
                                      `
    ${stridedLoop(outputs, threads, sumSlices('i'))}`;
  return `
  const BS = ${bs};
  const BS4 = ${bs / 4};
  const ROWS = ${rowsPerGroup};
  const SLICES = ${slices};
  var<workgroup> partial : array<vec4<f32>, ${rowsPerGroup * slices * threadsN}>;
  ${functions}

  ${'fn main()'} {
    let segment = i32(workgroupId.x);
    let rowBase = i32(workgroupId.y) * ROWS;
    let local = i32(localIndex);
    let tn = local % BS4;
    let ks = local / BS4;
    let start = table[segment];
    let items = (table[segment + 1] - start) * ${taps} * BS4;
    let blockOffset = uniforms.segments + 1;
    let otherOffset = blockOffset + uniforms.nnz;
    var acc : array<vec4<f32>, ROWS>;
    for (var q = ks; q < items; q += SLICES) {
      let k4 = q % BS4;
      let item = q / BS4;
      let e = start + item / ${taps};
      let tap = item % ${taps};
      let col = table[otherOffset + e] * BS + k4 * 4;
      let wBase = (table[blockOffset + e] * ${taps} + tap) * BS * BS4;
      let quad = ${transposeW ? 'wQuad(wBase, tn, k4)' : 'wQuad(wBase, k4, tn)'};
      let w0 = quad[0];
      let w1 = quad[1];
      let w2 = quad[2];
      let w3 = quad[3];
      for (var r = 0; r < ROWS; r++) {
        let a = readOperand(rowBase + r, col, tap);
        ${multiplyAdd}
      }
    }
    for (var r = 0; r < ROWS; r++) {
      partial[(r * SLICES + ks) * BS4 + tn] = acc[r];
    }
    workgroupBarrier();${reduce}
  }`;
}

/**
 * What a product does to its sums before the store: ProductEpilogue's bias
 * and activation, after int8 blocks' column scales where `scales` is set.
 */
export type ProgramEpilogue = ProductEpilogue&{scales?: boolean};

/** WGSL `finish(v, n4)`: output vec4 v of vec4 column n4, scaled, biased and activated. */
function finishSource({scales, bias, activation, leakyreluAlpha}: ProgramEpilogue): string {
  const scaled = scales ? 'v * scales[n4]' : 'v';
  const biased = bias ? `${scaled} + bias[n4]` : scaled;
  const zero = 'vec4<f32>(0.0)';
  // select keeps NaN as NaN, as tfjs's relu does.
  const activated = {
    linear: 'b',
    relu: `select(b, ${zero}, b < ${zero})`,
    relu6: `select(clamp(b, ${zero}, vec4<f32>(6.0)), b, b != b)`,
    elu: `select(exp(b) - vec4<f32>(1.0), b, b >= ${zero})`,
    leakyrelu: `select(b * ${wgslFloat(leakyreluAlpha)}, b, b >= ${zero})`,
    sigmoid: 'vec4<f32>(1.0) / (vec4<f32>(1.0) + exp(-b))',
    prelu: `select(b * preluActivationWeights[n4], b, b >= ${zero})`
  }[activation];
  return `
  fn finish(v : vec4<f32>, n4 : i32) -> vec4<f32> {
    let b = ${biased};
    return ${activated};
  }`;
}

/** A float as a WGSL f32 literal. */
function wgslFloat(value: number): string {
  return `${Number.isInteger(value) ? value.toFixed(1) : value}`;
}

/** The part of a shader key that the epilogue decides (leakyrelu's slope is written into the source). */
function epilogueKey({scales, bias, activation, leakyreluAlpha}: ProgramEpilogue): string {
  return `${scales ? 'scaled_' : ''}${bias}_${activation}${activation === 'leakyrelu' ? leakyreluAlpha : ''}`;
}

const PRODUCT_UNIFORMS = 'rows : i32, segments : i32, nnz : i32, taps : i32, outWidth : i32, aWidth : i32,';

type EpilogueInput = 'scales'|'bias'|'preluActivationWeights';

/** The epilogue's inputs, in the order the program binds them after the operand, w and the table. */
function epilogueInputNames({scales, bias, activation}: ProgramEpilogue): EpilogueInput[] {
  return [
    ...(scales ? ['scales' as const] : []), ...(bias ? ['bias' as const] : []),
    ...(activation === 'prelu' ? ['preluActivationWeights' as const] : [])
  ];
}

abstract class BlockSparseProductProgram implements WebGPUProgram {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout = {x: [1], y: [0]};
  dispatch: [number, number, number];
  variableNames: string[];
  variableComponents: number[];
  outputComponent = 4;
  uniforms = PRODUCT_UNIFORMS;
  workgroupSize: [number, number, number];

  /** The product takes the few-row program (see takesFewRows). */
  protected readonly fewRows: boolean;

  /** The most threads a few-row workgroup takes: 64 on a software adapter, where wider ones were slower. */
  protected readonly maxThreads: number;

  /**
   * `blockTaps`: the kept blocks times the filter taps per segment, on average; `software`: the adapter runs in
   * software (softwareAdapter), which keeps the few-row program to FEW_ROWS_MAX rows and 64 threads.
   */
  constructor(
      outputShape: number[], protected readonly rows: number, segments: number, protected readonly blockTaps: number, software: boolean,
      protected readonly blockSize: number, protected readonly transposeW: boolean,
      protected readonly epilogue: ProgramEpilogue = NO_EPILOGUE, protected readonly weight: backend_util.BlockFormat = 'float32') {
    this.outputShape = outputShape;
    // Each program class names itself literally (a minifier renames classes; tfjs's keys are literals too).
    const {programName, operandName} = new.target as unknown as {programName: string, operandName: string};
    const extras = epilogueInputNames(epilogue);
    this.variableNames = [operandName, 'w', 'table', ...extras];
    // int8 and float16 blocks are read a word at a time (int8 wRow's two words are not always vec2-aligned).
    this.variableComponents = [4, weight === 'float32' ? 4 : 1, 1, ...extras.map(() => 4)];
    const name = `${programName}_${blockSize}_${transposeW}_${weight}`;
    this.maxThreads = software ? 64 : 256;
    this.fewRows = takesFewRows(rows, segments, blockSize, software);
    if (this.fewRows) {
      const {threadsN, slices, rowsPerGroup} = fewRowsTiling(blockSize, rows, blockTaps, this.maxThreads);
      this.workgroupSize = [threadsN * slices, 1, 1];
      this.dispatch = [segments, Math.ceil(rows / rowsPerGroup), 1];
      this.shaderKey = `${name}_${epilogueKey(epilogue)}_rows${rowsPerGroup}_slices${slices}`;
    } else {
      const {threadsN, threadsM, tileM} = productTiling(blockSize);
      this.workgroupSize = [threadsN, threadsM, 1];
      this.dispatch = [segments, Math.ceil(rows / tileM), 1];
      this.shaderKey = `${name}_${epilogueKey(epilogue)}`;
    }
  }

  abstract getUserCode(): string;

  /** The inputs to run the program on, in its variableNames' order. */
  inputs(operand: TensorInfo, w: TensorInfo, table: TensorInfo, epilogue: Partial<Record<EpilogueInput, TensorInfo>> = {}): TensorInfo[] {
    return [operand, w, table, ...epilogueInputNames(this.epilogue).map(name => epilogue[name]!)];
  }

  /** The few-row or the tiled source, for an operand read by `readOperand`. */
  protected source(readOperand: string, taps: string): string {
    const functions = `${readOperand}
${weightReaders(this.weight)}
${finishSource(this.epilogue)}`;
    return this.fewRows ?
        fewRowsProductSource(this.blockSize, this.rows, this.blockTaps, this.maxThreads, this.transposeW, taps, functions) :
        productSource(this.blockSize, this.transposeW, this.weight, functions);
  }
}

/**
 * y = act(x·W·diag(scales) + bias) (or with Wᵀ) for x [rows, aWidth]; scales
 * and bias [outWidth] follow the table where the epilogue has them.
 */
export class BlockSparseMatMulProgram extends BlockSparseProductProgram {
  static readonly programName = 'BlockSparseMatMul';
  static readonly operandName = 'x';

  getUserCode(): string {
    return this.source(matrixReader('readOperand', 'x'), '1');
  }
}

/** Forward conv as an implicit GEMM over output pixels, kept blocks and taps; scales and bias [Cout] as for the matmul. */
export class BlockSparseConv2DProgram extends BlockSparseProductProgram {
  static readonly programName = 'BlockSparseConv2D';
  static readonly operandName = 'x';
  uniforms = PRODUCT_UNIFORMS + CONV_UNIFORMS;

  getUserCode(): string {
    return this.source(convInputReader('readOperand', 'x'), 'uniforms.taps');
  }
}

/** dx of the conv: rows are input pixels, the operand dy, the weight transposed. */
export class BlockSparseConv2DDerInputProgram extends BlockSparseProductProgram {
  static readonly programName = 'BlockSparseConv2DDerInput';
  static readonly operandName = 'dy';
  uniforms = PRODUCT_UNIFORMS + CONV_UNIFORMS;

  getUserCode(): string {
    return this.source(convOutputGradReader('readOperand', 'dy'), 'uniforms.taps');
  }
}
