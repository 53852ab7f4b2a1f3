import type {GPGPUProgram} from '@tensorflow/tfjs-backend-webgl';
import type {backend_util} from '@tensorflow/tfjs-core';

/**
 * dW for kept blocks only: texel (i, k, j) of block i sums x[m, row block
 * + k]·dy[m, col block + j] over rows m, the block's coordinates read from
 * the layout's coordinate table (rows | cols).
 */
const NNZ_UNIFORM: GPGPUProgram['customUniforms'] = [{name: 'nnz', type: 'int'}];

export class BlockSparseMatMulGradWProgram implements GPGPUProgram {
  variableNames = ['x', 'dy', 'table'];
  outputShape: number[];
  userCode: string;
  customUniforms = NNZ_UNIFORM;

  constructor(nnz: number, bs: number, rows: number) {
    this.outputShape = [nnz, bs, bs];
    this.userCode = `
  const int BS = ${bs};
  void main() {
    ivec3 coords = getOutputCoords();
    int xCol = int(getTable(coords.x)) * BS + coords.y;
    int dyCol = int(getTable(nnz + coords.x)) * BS + coords.z;
    float sum = 0.0;
    for (int m = 0; m < ${rows}; m++) {
      sum += getX(m, xCol) * getDy(m, dyCol);
    }
    setOutput(sum);
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
