// Shader cache keys are literals: a minifier that renames the program classes must not change (or merge) them.
import {NO_EPILOGUE} from '@tfjs-blocksparse/core';

import {BlockSparseConv2DDerInputProgram, BlockSparseConv2DProgram, BlockSparseMatMulProgram, fewRowsTiling, takesFewRows} from '../src/block_sparse_product_webgpu';
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
  ['BlockSparseMatMul', () => new BlockSparseMatMulProgram([4, 32], 4, 4, 2, false, 8, false)],
  ['BlockSparseMatMul', () => new BlockSparseMatMulProgram([4, 32], 4, 4, 2, false, 8, false, INT8_SCALED, 'int8')],
  ['BlockSparseMatMul', () => new BlockSparseMatMulProgram([4, 32], 4, 4, 2, false, 8, true, NO_EPILOGUE, 'int8')],
  ['BlockSparseConv2D', () => new BlockSparseConv2DProgram([1, 4, 4, 32], 16, 4, 2, false, 8, false)],
  ['BlockSparseConv2D', () => new BlockSparseConv2DProgram([1, 4, 4, 32], 16, 4, 2, false, 8, false, INT8_SCALED, 'int8')],
  ['BlockSparseConv2DDerInput', () => new BlockSparseConv2DDerInputProgram([1, 4, 4, 32], 16, 4, 2, false, 8, true)],
  ['BlockSparseConv2DDerInput', () => new BlockSparseConv2DDerInputProgram([1, 4, 4, 32], 16, 4, 2, false, 8, true, NO_EPILOGUE, 'int8')],
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

test('the few-row program takes wider workgroups where a block column has more work, and its key says how wide', () => {
  // Block 32 at one row: 64 threads (8 slices of 8) up to 8 kept blocks a column, 256 (32 slices) from 32.
  expect([1, 8, 16, 32, 512].map(blockTaps => fewRowsTiling(32, 1, blockTaps).slices)).toEqual([8, 8, 16, 32, 32]);
  // The slices' partial sums stay within 16 KiB of workgroup memory: at 8 rows of block 32, 16 slices.
  for (const bs of [4, 8, 16, 32, 64]) {
    for (const rows of [1, 2, 8, 64]) {
      const {threadsN, slices, rowsPerGroup} = fewRowsTiling(bs, rows, 4096);
      expect(threadsN * slices).toBeLessThanOrEqual(256);
      expect(rowsPerGroup * slices * threadsN * 16).toBeLessThanOrEqual(16384);
    }
  }
  const narrow = new BlockSparseMatMulProgram([1, 64], 1, 2, 4, false, 32, false);
  const wide = new BlockSparseMatMulProgram([1, 64], 1, 2, 64, false, 32, false);
  // A software adapter's workgroups keep 64 threads.
  const software = new BlockSparseMatMulProgram([1, 64], 1, 2, 64, true, 32, false);
  expect([narrow, wide, software].map(p => p.workgroupSize)).toEqual([[64, 1, 1], [256, 1, 1], [64, 1, 1]]);
  expect([wide.shaderKey === narrow.shaderKey, software.shaderKey === narrow.shaderKey]).toEqual([false, true]);
});

test('on a GPU, products whose tiled dispatch would be a few workgroups take the few-row program', () => {
  // A 1x1 conv over 14x14 pixels from 816 to 136 channels, block 8: 2 row tiles of 17 block columns.
  expect([takesFewRows(196, 17, 8, false), takesFewRows(196, 17, 8, true)]).toEqual([true, false]);
  // 4096 rows of 128 block columns: 4096 workgroups tiled, and at most 64 rows take it everywhere.
  expect([takesFewRows(4096, 128, 32, false), takesFewRows(64, 128, 32, true)]).toEqual([false, true]);
  const conv = new BlockSparseConv2DProgram([1, 14, 14, 136], 196, 17, 25, false, 8, false);
  expect(conv.dispatch).toEqual([17, 25, 1]);
});
