import type {GPGPUProgram} from '@tensorflow/tfjs-backend-webgl';

import {PACKED_TABLE_READER, Taps} from './block_sparse_product_gpu';

const NNZ_UNIFORM: GPGPUProgram['customUniforms'] = [{name: 'nnz', type: 'int'}];

/**
 * dW for kept blocks only, packed like the product: texel (i, [t,] k, j) is
 * the 2x2 patch k..k+1 x j..j+1 of block i (at tap t), summing x[m, (t,)
 * row block + k]·dy[m, col block + j] over pairs of rows m, m+1 of every
 * batch, from 2x2 patches of x [(batch,) rows, K] and dy [(batch,) rows, N]. The
 * block's coordinates come from the layout's coordinate table (rows |
 * cols). Needs an even block size.
 */
export class BlockSparseWeightGradPackedProgram implements GPGPUProgram {
  variableNames = ['x', 'dy', 'table'];
  outputShape: number[];
  userCode: string;
  customUniforms = NNZ_UNIFORM;
  packedInputs = true;
  packedOutput = true;

  constructor(nnz: number, bs: number, operandRows: [number]|[number, number], taps: Taps) {
    const tapped = taps.count > 1;
    // Without a batch (a matmul), x and dy are read as the 2-D textures they are.
    const [batch, rows] = operandRows.length === 2 ? operandRows : [1, operandRows[0]];
    const at = (row: string) => operandRows.length === 2 ? `bt, ${row}` : row;
    this.outputShape = tapped ? [nnz, taps.count, bs, bs] : [nnz, bs, bs];
    // A lone last row pairs with texture padding: use its first row only.
    const lastRow = rows % 2 === 0 ? '' : `
      {
        vec4 a = getX(${at(String(rows - 1))}, xCol);
        vec4 b = getDy(${at(String(rows - 1))}, dyCol);
        result += a.xxyy * b.xyxy;
      }`;
    this.userCode = `
  const int BS = ${bs};
  ${PACKED_TABLE_READER}
  void main() {
    ${
        tapped ? 'ivec4 coords = getOutputCoords(); int t = coords.y; int k = coords.z; int j = coords.w;' :
                 'ivec3 coords = getOutputCoords(); int k = coords.y; int j = coords.z;'}
    int xCol = ${tapped ? `t * ${taps.channels} + ` : ''}getTableAt(coords.x) * BS + k;
    int dyCol = getTableAt(nnz + coords.x) * BS + j;
    vec4 result = vec4(0.0);
    for (int bt = 0; bt < ${batch}; bt++) {
      for (int m = 0; m < ${rows - 1}; m += 2) {
        vec4 a = getX(${at('m')}, xCol);
        vec4 b = getDy(${at('m')}, dyCol);
        result += a.xxyy * b.xyxy + a.zzww * b.zwzw;
      }${lastRow}
    }
    setOutput(result);
  }`;
  }
}
