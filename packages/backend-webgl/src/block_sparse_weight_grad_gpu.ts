import type {GPGPUProgram} from '@tensorflow/tfjs-backend-webgl';
import type {backend_util} from '@tensorflow/tfjs-core';

import {PACKED_TABLE_READER} from './block_sparse_product_gpu';

/**
 * dW for kept blocks only: texel (i, k, j) of block i sums x[m, row block
 * + k]·dy[m, col block + j] over rows m, the block's coordinates read from
 * the layout's coordinate table (rows | cols).
 */
const NNZ_UNIFORM: GPGPUProgram['customUniforms'] = [{name: 'nnz', type: 'int'}];

/**
 * Packed like the product: texel (i, k, j) is the 2x2 patch k..k+1 x j..j+1
 * of block i, summed over pairs of rows m, m+1 from 2x2 patches of x and
 * dy. Needs an even block size.
 */
export class BlockSparseMatMulGradWPackedProgram implements GPGPUProgram {
  variableNames = ['x', 'dy', 'table'];
  outputShape: number[];
  userCode: string;
  customUniforms = NNZ_UNIFORM;
  packedInputs = true;
  packedOutput = true;

  constructor(nnz: number, bs: number, rows: number) {
    this.outputShape = [nnz, bs, bs];
    // An odd last row pairs with texture padding, which is zeroed.
    const lastRow = rows % 2 === 0 ? '' : `
    {
      vec4 a = getX(${rows - 1}, xCol);
      vec4 b = getDy(${rows - 1}, dyCol);
      result += a.xxyy * b.xyxy;
    }`;
    this.userCode = `
  const int BS = ${bs};
  ${PACKED_TABLE_READER}
  void main() {
    ivec3 coords = getOutputCoords();
    int xCol = int(getTableAt(coords.x)) * BS + coords.y;
    int dyCol = int(getTableAt(nnz + coords.x)) * BS + coords.z;
    vec4 result = vec4(0.0);
    for (int m = 0; m < ${rows - 1}; m += 2) {
      vec4 a = getX(m, xCol);
      vec4 b = getDy(m, dyCol);
      result += a.xxyy * b.xyxy + a.zzww * b.zwzw;
    }${lastRow}
    setOutput(result);
  }`;
  }
}

/** dW of the conv: texel (i, fh, fw, k, j) sums over every output pixel whose tap lands inside the input. */
export class BlockSparseConv2DDerFilterProgram implements GPGPUProgram {
  variableNames = ['x', 'dy', 'table'];
  outputShape: number[];
  userCode: string;
  customUniforms = NNZ_UNIFORM;

  constructor(info: backend_util.Conv2DInfo, nnz: number, bs: number) {
    this.outputShape = [nnz, info.filterHeight, info.filterWidth, bs, bs];
    this.userCode = `
  const int BS = ${bs};
  void main() {
    ivec5 coords = getOutputCoords();
    int xCol = int(getTable(coords.x)) * BS + coords.w;
    int dyCol = int(getTable(nnz + coords.x)) * BS + coords.u;
    float sum = 0.0;
    for (int b = 0; b < ${info.batchSize}; b++) {
      for (int oh = 0; oh < ${info.outHeight}; oh++) {
        int ih = oh * ${info.strideHeight} - ${info.padInfo.top} + coords.y * ${info.dilationHeight};
        if (ih < 0 || ih >= ${info.inHeight}) {
          continue;
        }
        for (int ow = 0; ow < ${info.outWidth}; ow++) {
          int iw = ow * ${info.strideWidth} - ${info.padInfo.left} + coords.z * ${info.dilationWidth};
          if (iw < 0 || iw >= ${info.inWidth}) {
            continue;
          }
          sum += getX(b, ih, iw, xCol) * getDy(b, oh, ow, dyCol);
        }
      }
    }
    setOutput(sum);
  }`;
  }
}
