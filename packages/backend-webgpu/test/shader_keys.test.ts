// Shader cache keys are literals: a minifier that renames the program classes must not change (or merge) them.
import {NO_EPILOGUE} from '@tfjs-blocksparse/core';

import {BlockSparseConv2DDerInputProgram, BlockSparseConv2DProgram, BlockSparseMatMulProgram} from '../src/block_sparse_product_webgpu';
import {BlockSparseConv2DDerFilterProgram, BlockSparseMatMulGradWProgram} from '../src/block_sparse_weight_grad_webgpu';
import {LSTMGatesProgram} from '../src/lstm_gates_webgpu';

const INT8_SCALED = {
  ...NO_EPILOGUE,
  scales: true
};
type MakeProgram = () => {
  shaderKey: string
};
// [program name, program]: each with float32 blocks, and the products also with int8 blocks (scaled, or at scale 1).
const PROGRAMS: Array<[string, MakeProgram]> = [
  ['BlockSparseMatMul', () => new BlockSparseMatMulProgram([4, 32], 4, 4, 8, false)],
  ['BlockSparseMatMul', () => new BlockSparseMatMulProgram([4, 32], 4, 4, 8, false, INT8_SCALED, 'int8')],
  ['BlockSparseMatMul', () => new BlockSparseMatMulProgram([4, 32], 4, 4, 8, true, NO_EPILOGUE, 'int8')],
  ['BlockSparseConv2D', () => new BlockSparseConv2DProgram([1, 4, 4, 32], 16, 4, 8, false)],
  ['BlockSparseConv2D', () => new BlockSparseConv2DProgram([1, 4, 4, 32], 16, 4, 8, false, INT8_SCALED, 'int8')],
  ['BlockSparseConv2DDerInput', () => new BlockSparseConv2DDerInputProgram([1, 4, 4, 32], 16, 4, 8, true)],
  ['BlockSparseConv2DDerInput', () => new BlockSparseConv2DDerInputProgram([1, 4, 4, 32], 16, 4, 8, true, NO_EPILOGUE, 'int8')],
  ['BlockSparseMatMulGradW', () => new BlockSparseMatMulGradWProgram([4, 8, 8], 4, 4, 8)],
  ['BlockSparseConv2DDerFilter', () => new BlockSparseConv2DDerFilterProgram([4, 3, 3, 8, 8], 36, 16, 8)],
  ['LSTMGates', () => new LSTMGatesProgram(2, 8, 'cell', 'hardSigmoid')],
  ['LSTMGates', () => new LSTMGatesProgram(2, 8, 'hidden', 'hardSigmoid')],
  ['LSTMGates', () => new LSTMGatesProgram(2, 8, 'cell', 'sigmoid')],
  ['LSTMGates', () => new LSTMGatesProgram(2, 8, 'hidden', 'sigmoid')],
];
const CLASSES = [
  BlockSparseMatMulProgram, BlockSparseConv2DProgram, BlockSparseConv2DDerInputProgram, BlockSparseMatMulGradWProgram,
  BlockSparseConv2DDerFilterProgram, LSTMGatesProgram
];

test('webgpu shader keys name their program literally, whatever the classes are called', () => {
  const before = PROGRAMS.map(([name, make]) => [name, make().shaderKey]);
  before.forEach(([name, key]) => expect(key.startsWith(`${name}_`)).toBe(true));
  expect(new Set(before.map(([, key]) => key)).size).toBe(before.length);
  // As a minifier leaves them: every class called 'e'.
  CLASSES.forEach(c => Object.defineProperty(c, 'name', {value: 'e'}));
  expect(PROGRAMS.map(([name, make]) => [name, make().shaderKey])).toEqual(before);
});
