import type {GPGPUProgram} from '@tensorflow/tfjs-backend-webgl';
import type {TensorInfo} from '@tensorflow/tfjs-core';
import {backend_util, NO_EPILOGUE, ProductEpilogue} from '@tfjs-blocksparse/core';

/**
 * Block-sparse products as packed fragment programs: each output texel is a
 * 2x2 patch, and sums over the kept blocks of its output block column only,
 * read from the layout's lookup-table texture (ptr | block | other, see
 * layoutTableTexture). Table offsets are uniforms, so one compiled program serves
 * every layout of the same shapes.
 */
const TABLE_UNIFORMS: GPGPUProgram['customUniforms'] = [{name: 'blockOffset', type: 'int'}, {name: 'otherOffset', type: 'int'}];

/**
 * Table entries go to the GPU as two halves, v mod TABLE_HALF and
 * floor(v / TABLE_HALF) (layoutTableTexture): on devices without float32
 * render targets tfjs keeps every texture, int32 ones too, in float16, which
 * holds integers exactly only up to 2048; a layout of more blocks would
 * read wrong ones.
 */
export const TABLE_HALF = 1024;

/**
 * Entries per texture row of a table (WebGL 2 guarantees textures 2048
 * wide): entry i is texel (i mod TABLE_WIDTH, i / TABLE_WIDTH), fetched
 * directly; through the sampler's index arithmetic (integer divisions per
 * read) the table reads of thin layers cost more than their products.
 */
export const TABLE_WIDTH = 2048;

/** Entry i of a table made by layoutTableTexture: its texel holds its two halves (see TABLE_HALF) in x and y. */
export const PACKED_TABLE_READER = `
  int getTableAt(int index) {
    vec4 halves = texelFetch(table, ivec2(index & ${TABLE_WIDTH - 1}, index >> ${Math.log2(TABLE_WIDTH)}), 0);
    return int(halves.x) + ${TABLE_HALF} * int(halves.y);
  }`;

/**
 * Convolutions run as products over image patches: the operand's columns
 * are (tap, channel) pairs, tap-major, and the packed filter [nnz, taps, bs,
 * bs] holds one tile per kept block and tap. A matmul is the case of one tap.
 */
export interface Taps {
  count: number;
  /** Columns per tap: the input channels. */
  channels: number;
}

export const ONE_TAP: Taps = {
  count: 1,
  channels: 0
};

/** GLSL reading W's 2x2 patch at (row, col) of block `blk` (and tap `t`). */
export function filterPatch(taps: Taps, row: string, col: string): string {
  return taps.count === 1 ? `getW(blk, ${row}, ${col})` : `getW(blk, t, ${row}, ${col})`;
}

/** W as a program reads it: its format, and its texture's [width, height] in texels where known (see straightWalk). */
export interface WeightTexels {
  /**
   * float32 or float16 (RGBA16F) texels are read as they are; int8 ones
   * (RGBA8_SNORM) as q / 127, each texel's patch in the order the int8
   * blocks hold it ((k, j), (k + 1, j), (k, j + 1), (k + 1, j + 1)), the
   * 127 (and the scales) applied to the sums.
   */
  format: backend_util.BlockFormat;
  texels: [number, number]|null;
}

/** The epilogue, after int8 blocks' column scales where `scales` is set. */
export type ProgramEpilogue = ProductEpilogue&{scales?: boolean};

/** GLSL applying the epilogue to the output texel `result` (prelu's slopes are the input preluActivationWeights). */
function epilogueSource({scales, bias, activation, leakyreluAlpha}: ProgramEpilogue, format: backend_util.BlockFormat): string {
  const scaled = format !== 'int8' ? '' : scales ? 'result *= 127.0 * getScalesAtOutCoords();' : 'result *= 127.0;';
  const biased = bias ? 'result += getBiasAtOutCoords();' : '';
  const positive = 'greaterThanEqual(result, vec4(0.0))';
  const activated = {
    linear: '',
    // Multiplies by 1 where result >= 0 or is NaN (kept as NaN, as tfjs's relu does), else by 0.
    relu: `result *= vec4(${positive}) + vec4(isnan(result));`,
    relu6: 'result = mix(clamp(result, 0.0, 6.0), result, isnan(result));',
    elu: `result = mix(exp(result) - 1.0, result, ${positive});`,
    leakyrelu: `result = mix(${glslFloat(leakyreluAlpha)} * result, result, ${positive});`,
    sigmoid: 'result = 1.0 / (1.0 + exp(-result));',
    prelu: `result = mix(getPreluActivationWeightsAtOutCoords() * result, result, ${positive});`
  }[activation];
  return `${scaled}
    ${biased}
    ${activated}`;
}

type EpilogueInput = 'scales'|'bias'|'preluActivationWeights';

/** The epilogue's inputs, in the order a product program takes them after x, w and the table. */
function epilogueInputNames({scales, bias, activation}: ProgramEpilogue): EpilogueInput[] {
  return [
    ...(scales ? ['scales' as const] : []), ...(bias ? ['bias' as const] : []),
    ...(activation === 'prelu' ? ['preluActivationWeights' as const] : [])
  ];
}

/**
 * y [(batch,) rows, N] = x [(batch,) rows, K]·W, or with transposeW
 * y [(batch,) rows, K] = x [(batch,) rows, N]·Wᵀ, like tfjs's packed matmul:
 * one step of k fetches a 2x2 patch of x and of W and does 8 multiply-adds.
 * With taps, K counts (tap, channel) columns. Without a batch (a matmul),
 * x is read as the 2-D texture it is. Needs an even block size, so that
 * patches never straddle two blocks.
 */
export class BlockSparseProductPackedProgram implements GPGPUProgram {
  variableNames = ['x', 'w', 'table'];
  outputShape: number[];
  userCode: string;
  customUniforms = TABLE_UNIFORMS;
  packedInputs = true;
  packedOutput = true;

  /**
   * weight: W's format, and its texture's [width, height] in texels where
   * known when the program is made (see straightWalk; null texels read W
   * through its sampler). xTexels: the same for x where a texture row holds
   * one pair of x's rows (ceil(K / 2) texels wide, see rowTexels): the
   * program steps along it by texture coordinates, as along W, instead of
   * through x's sampler, whose index arithmetic for a 3-D x made a conv
   * slower than the same product as a matmul.
   */
  constructor(
      outputShape: number[], bs: number, transposeW: boolean, taps: Taps, weight: WeightTexels, xTexels: [number, number]|null,
      private readonly epilogue: ProgramEpilogue = NO_EPILOGUE) {
    this.outputShape = outputShape;
    this.variableNames = [...this.variableNames, ...epilogueInputNames(epilogue)];
    const batched = outputShape.length === 3;
    const row = batched ? 'coords.x, coords.y' : 'coords.x';
    const col = batched ? 'coords.z' : 'coords.y';
    const tapLoop = taps.count === 1 ? '' : `for (int t = 0; t < ${taps.count}; t++)`;
    // Forward, the texel's column is an output unit and x's columns are
    // (tap, channel); transposed, the texel's column is (tap, channel).
    const column = transposeW && taps.count > 1 ? `
    int t = ${col} / ${taps.channels};
    int n = ${col} - t * ${taps.channels};` :
                                                  `
    int n = ${col};`;
    const xCol = (k: number) => transposeW || taps.count === 1 ? `base + ${k}` : `t * ${taps.channels} + base + ${k}`;
    // Wᵀ's patch at (k, j) is W's patch at (j, k) with its off-diagonal swapped; an int8 texel holds it swapped.
    const swap = transposeW !== (weight.format === 'int8') ? '.xzyw' : '';
    const readX = (k: number) =>
        xTexels == null ? `getX(${row}, ${xCol(k)})` : `texture(x, vec2(xU + ${glslFloat(k / 2 / xTexels[0])}, xV))`;
    // x's texel row (the pair of rows this texel's output reads) and, per block and tap, its first texel's u.
    const xRow = xTexels == null ? '' :
                                   `
    float xV = (float(${batched ? `coords.x * ${Math.ceil(outputShape[1] / 2)} + coords.y / 2` : 'coords.x / 2'}) + 0.5) / ${
                                       glslFloat(xTexels[1])};`;
    const xColumn = xTexels == null ? '' : `
        float xU = (float((${xCol(0)}) / 2) + 0.5) / ${glslFloat(xTexels[0])};`;
    const multiplyAdd = (k: number, b: string) => `
      {
        vec4 a = ${readX(k)};
        vec4 b = ${b}${swap};
        result += a.xxzz * b.xyxy + a.yyww * b.zwzw;`;
    // The steps over k are written out: on SwiftShader the loop cost more than
    // its fetches (K = N = 2048, batch 256, block 32, density 1: forward 0.59x
    // -> 0.78x of tfjs's matmul, training step 0.65x -> 1.01x).
    const sampledSteps =
        Array.from({length: bs / 2}, (_, i) => 2 * i)
            .map(k => multiplyAdd(k, transposeW ? filterPatch(taps, 'j', String(k)) : filterPatch(taps, String(k), 'j')) + `
      }`).join('');
    const blockItem = taps.count === 1 ? 'blk' : `blk * ${taps.count} + t`;
    const walkedSteps = ([width, height]: [number, number], [dx, dy]: [number, number]) => `
        int first = (${blockItem}) * ${(bs / 2) ** 2} + ${transposeW ? `(j / 2) * ${bs / 2}` : 'j / 2'};
        int texelRow = first / ${width};
        vec2 uv = (vec2(first - texelRow * ${width}, texelRow) + halfCR) / vec2(${width}, ${height});` +
        Array
            .from(
                {length: bs / 2},
                (_, i) => multiplyAdd(2 * i, `texture(w, uv + vec2(${glslFloat(i * dx / width)}, ${glslFloat(i * dy / height)}))`) + `
      }`).join('');
    const {texels} = weight;
    const walk = texels == null ? null : straightWalk(texels[0], bs, transposeW);
    const steps = texels != null && walk != null ? walkedSteps(texels, walk) : sampledSteps;
    this.userCode = `
  const int BS = ${bs};
  ${PACKED_TABLE_READER}
  void main() {
    ${batched ? 'ivec3' : 'ivec2'} coords = getOutputCoords();${column}${xRow}
    int segment = n / BS;
    int j = n - segment * BS;
    int start = getTableAt(segment);
    int end = getTableAt(segment + 1);
    vec4 result = vec4(0.0);
    for (int e = start; e < end; e++) {
      int blk = getTableAt(blockOffset + e);
      int base = getTableAt(otherOffset + e) * BS;
      ${transposeW ? '' : tapLoop}
      {${xColumn}${steps}
      }
    }
    ${epilogueSource(epilogue, weight.format)}
    setOutput(result);
  }`;
  }

  /** The inputs to run the program on, in its variableNames' order (prelu's slopes as [N]: see slopesAsVector). */
  inputs(x: TensorInfo, w: TensorInfo, table: TensorInfo, epilogue: Partial<Record<EpilogueInput, TensorInfo>> = {}): TensorInfo[] {
    return [x, w, table, ...epilogueInputNames(this.epilogue).map(name => epilogue[name]!)];
  }
}

/**
 * A block's 2x2 patches along k are texels a fixed step apart in W's packed
 * texture (patch rows are bs/2 texels long: forward the step is bs/2 texels,
 * transposed 1). Where every block's patches lie on a straight line of the
 * texture — a width of bs/2 texels, as tfjs lays out [nnz, bs, bs], or a
 * multiple of a block's bs²/4 texels, as it lays out [nnz, bs·bs] when nnz·bs
 * rows are more than a texture holds — the program steps through them by texture coordinates from
 * the block's first patch rather than through the sampler, whose index
 * arithmetic took 30% of the forward's time on SwiftShader. Returns the step
 * in texels (x, y), or null where the width does not allow it.
 */
function straightWalk(width: number, bs: number, transposeW: boolean): [number, number]|null {
  const half = bs / 2;
  if (transposeW) {
    return width % half === 0 ? [1, 0] : null;
  }
  if (half % width === 0) {
    return [0, half / width];
  }
  return width % (half * half) === 0 ? [half, 0] : null;
}

function glslFloat(value: number): string {
  return Number.isInteger(value) ? value.toFixed(1) : String(value);
}
