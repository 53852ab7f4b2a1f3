import type {GPGPUProgram} from '@tensorflow/tfjs-backend-webgl';
import type {backend_util} from '@tensorflow/tfjs-core';

/**
 * Block-sparse products as fragment programs: each output texel sums over
 * the kept blocks of its output block column only, read from the layout's
 * lookup-table texture (ptr | block | other, see layoutTable), times bs
 * inner products (and, for convs, the filter taps inside the input).
 * Table offsets are uniforms, so one compiled program serves every layout
 * of the same shapes.
 */
const TABLE_UNIFORMS: GPGPUProgram['customUniforms'] = [
  {name: 'blockOffset', type: 'int'}, {name: 'otherOffset', type: 'int'}
];

/** A packed 1-D texel holds entries 2i and 2i+1 of the table in x and y. */
export const PACKED_TABLE_READER = `
  float getTableAt(int index) {
    vec4 pair = getTable(index);
    return index - 2 * (index / 2) == 0 ? pair.x : pair.y;
  }`;

/** Opens the loop over the kept blocks of the texel's segment (unpacked programs). */
const SEGMENT_LOOP = `
    int start = int(getTable(segment));
    int end = int(getTable(segment + 1));
    float sum = 0.0;
    for (int e = start; e < end; e++) {
      int blk = int(getTable(blockOffset + e));
      int base = int(getTable(otherOffset + e)) * BS;`;

/**
 * y [rows, N] = x [rows, K]·W, or with transposeW y [rows, K] = x [rows, N]·Wᵀ,
 * on packed textures like tfjs's own matmul: each texel is a 2x2 patch of
 * the output, each fetch a 2x2 patch of x or W, so one step of k does 8
 * multiply-adds for 2 fetches. Needs an even block size so patches never
 * straddle two blocks.
 */
export class BlockSparseMatMulPackedProgram implements GPGPUProgram {
  variableNames = ['x', 'w', 'table'];
  outputShape: number[];
  userCode: string;
  customUniforms = TABLE_UNIFORMS;
  packedInputs = true;
  packedOutput = true;

  constructor(outputShape: [number, number], bs: number, transposeW: boolean) {
    this.outputShape = outputShape;
    // Wᵀ's patch at (k, j) is W's patch at (j, k) with its off-diagonal swapped.
    this.userCode = `
  const int BS = ${bs};
  ${PACKED_TABLE_READER}
  void main() {
    ivec2 coords = getOutputCoords();
    int segment = coords.y / BS;
    int j = coords.y - segment * BS;
    int start = int(getTableAt(segment));
    int end = int(getTableAt(segment + 1));
    vec4 result = vec4(0.0);
    for (int e = start; e < end; e++) {
      int blk = int(getTableAt(blockOffset + e));
      int base = int(getTableAt(otherOffset + e)) * BS;
      for (int k = 0; k < BS; k += 2) {
        vec4 a = getX(coords.x, base + k);
        vec4 b = ${transposeW ? 'getW(blk, j, k).xzyw' : 'getW(blk, k, j)'};
        result += a.xxzz * b.xyxy + a.yyww * b.zwzw;
      }
    }
    setOutput(result);
  }`;
  }
}

/** Forward conv, NHWC: per output pixel, kept blocks × taps inside the input. */
export class BlockSparseConv2DProgram implements GPGPUProgram {
  variableNames = ['x', 'w', 'table'];
  outputShape: number[];
  userCode: string;
  customUniforms = TABLE_UNIFORMS;

  constructor(info: backend_util.Conv2DInfo, bs: number, outChannels: number) {
    this.outputShape = [info.batchSize, info.outHeight, info.outWidth, outChannels];
    this.userCode = `
  const int BS = ${bs};
  void main() {
    ivec4 coords = getOutputCoords();
    int segment = coords.w / BS;
    int j = coords.w - segment * BS;
    ${SEGMENT_LOOP}
      for (int fh = 0; fh < ${info.filterHeight}; fh++) {
        int ih = coords.y * ${info.strideHeight} - ${info.padInfo.top} + fh * ${info.dilationHeight};
        if (ih < 0 || ih >= ${info.inHeight}) {
          continue;
        }
        for (int fw = 0; fw < ${info.filterWidth}; fw++) {
          int iw = coords.z * ${info.strideWidth} - ${info.padInfo.left} + fw * ${info.dilationWidth};
          if (iw < 0 || iw >= ${info.inWidth}) {
            continue;
          }
          for (int k = 0; k < BS; k++) {
            sum += getX(coords.x, ih, iw, base + k) * getW(blk, fh, fw, k, j);
          }
        }
      }
    }
    setOutput(sum);
  }`;
  }
}

/** dx of the conv: per input pixel, the output pixels whose taps reached it. */
export class BlockSparseConv2DDerInputProgram implements GPGPUProgram {
  variableNames = ['dy', 'w', 'table'];
  outputShape: number[];
  userCode: string;
  customUniforms = TABLE_UNIFORMS;

  constructor(info: backend_util.Conv2DInfo, bs: number, inChannels: number) {
    this.outputShape = [info.batchSize, info.inHeight, info.inWidth, inChannels];
    this.userCode = `
  const int BS = ${bs};
  void main() {
    ivec4 coords = getOutputCoords();
    int segment = coords.w / BS;
    int k = coords.w - segment * BS;
    ${SEGMENT_LOOP}
      for (int fh = 0; fh < ${info.filterHeight}; fh++) {
        int h = coords.y + ${info.padInfo.top} - fh * ${info.dilationHeight};
        if (h < 0 || h % ${info.strideHeight} != 0 || h / ${info.strideHeight} >= ${info.outHeight}) {
          continue;
        }
        for (int fw = 0; fw < ${info.filterWidth}; fw++) {
          int w = coords.z + ${info.padInfo.left} - fw * ${info.dilationWidth};
          if (w < 0 || w % ${info.strideWidth} != 0 || w / ${info.strideWidth} >= ${info.outWidth}) {
            continue;
          }
          for (int j = 0; j < BS; j++) {
            sum += getDy(coords.x, h / ${info.strideHeight}, w / ${info.strideWidth}, base + j) *
                getW(blk, fh, fw, k, j);
          }
        }
      }
    }
    setOutput(sum);
  }`;
  }
}
