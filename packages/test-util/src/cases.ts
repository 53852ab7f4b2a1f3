import {FUSED_ACTIVATIONS, FusedActivation, seededRandom} from '@tfjs-blocksparse/core';

export type LayoutKind = 'random'|'smallWorld'|'banded'|'magnitude'|'empty'|'single';

export interface LayoutCase {
  kind: LayoutKind;
  blockSize: number;
  rowBlocks: number;
  colBlocks: number;
  density: number;
  seed: number;
}

export interface MatMulCase extends LayoutCase {
  /** Leading dims of x: [] for a vector, [M], [B, M], ... */
  batchShape: number[];
  transposeW: boolean;
}

export interface Conv2DCase extends LayoutCase {
  batch: number;
  height: number;
  width: number;
  filterSize: [number, number];
  strides: [number, number];
  dilations: [number, number];
  pad: 'same'|'valid'|number;
}

const BLOCK_SIZES = [4, 8, 16, 32];
const DENSITIES = [1, 1 / 2, 1 / 4, 1 / 8, 1 / 16];
const KINDS: LayoutKind[] = ['random', 'smallWorld', 'banded', 'magnitude', 'empty', 'single'];

/** Layout fields of case i, drawn from `random` in a fixed order. */
function layoutCase(random: () => number, i: number, maxBlocks: number): LayoutCase {
  return {
    kind: KINDS[Math.floor(i / BLOCK_SIZES.length) % KINDS.length],
    blockSize: BLOCK_SIZES[i % BLOCK_SIZES.length],
    rowBlocks: 1 + Math.floor(random() * maxBlocks),
    colBlocks: 1 + Math.floor(random() * maxBlocks),
    density: DENSITIES[Math.floor(random() * DENSITIES.length)],
    seed: Math.floor(random() * 1e6)
  };
}

/**
 * Reproducible random matmul cases covering block sizes 4..32, every layout
 * generator, densities from no block and one block up to dense, and batch
 * ranks 0..3. Sizes stay small enough for software GPUs.
 */
export function matMulCases(count: number, seed = 1): MatMulCase[] {
  const random = seededRandom(seed);
  const pick = <T>(items: T[]) => items[Math.floor(random() * items.length)];
  return Array.from({length: count}, (_, i) => {
    const blockSize = BLOCK_SIZES[i % BLOCK_SIZES.length];
    const maxBlocks = blockSize >= 32 ? 4 : blockSize >= 16 ? 6 : 8;
    const batchRank = pick([0, 1, 1, 1, 2, 3]);
    const batchShape =
        Array.from({length: batchRank}, (_, d) => d === batchRank - 1 ? 1 + Math.floor(random() * 9) : 1 + Math.floor(random() * 3));
    return {...layoutCase(random, i, maxBlocks), batchShape, transposeW: random() < 0.25};
  });
}

/** Reproducible random conv cases: padding modes, strides, dilations, filter sizes. */
export function conv2dCases(count: number, seed = 2): Conv2DCase[] {
  const random = seededRandom(seed);
  const pick = <T>(items: T[]) => items[Math.floor(random() * items.length)];
  return Array.from({length: count}, (_, i) => {
    const blockSize = BLOCK_SIZES[i % BLOCK_SIZES.length];
    const maxBlocks = blockSize >= 16 ? 3 : 4;
    const dilated = random() < 0.2;
    const strides: [number, number] = dilated ? [1, 1] : [pick([1, 1, 2]), pick([1, 2])];
    const dilations: [number, number] = dilated ? [pick([1, 2]), 2] : [1, 1];
    return {
      ...layoutCase(random, i, maxBlocks),
      batch: 1 + Math.floor(random() * 2),
      height: 5 + Math.floor(random() * 5),
      width: 5 + Math.floor(random() * 5),
      filterSize: [pick([1, 2, 3]), pick([1, 3])],
      strides,
      dilations,
      pad: pick<'same'|'valid'|number>(['same', 'valid', 'same', 1])
    };
  });
}

/**
 * The numbers of rows (matmul rows; conv output pixels) that the suite
 * always checks, whatever the random cases draw: none, the few rows of a
 * model run on one input or a small batch (webgpu's few-row programs, up to
 * 64 rows), and past them (its tiled programs).
 */
export const ROW_COUNTS = [0, 1, 2, 3, 7, 16, 33, 64, 65, 130];

/** Conv inputs [height, width] whose 'same' conv has each of ROW_COUNTS output pixels (batch 1, or 0 for none). */
const CONV_PIXELS: Array<[number, number]> = [[3, 3], [1, 1], [1, 2], [1, 3], [1, 7], [4, 4], [3, 11], [8, 8], [5, 13], [10, 13]];

/** The block sizes of the row-count cases: the random cases' and 64 (webgpu stages its weight tiles in halves). */
export const ROW_CASE_BLOCK_SIZES = [...BLOCK_SIZES, 64];

/** A matmul case for each row count and block size, half of them with Wᵀ, each keeping a block (see keepingABlock). */
export function rowCountMatMulCases(seed = 3): MatMulCase[] {
  const random = seededRandom(seed);
  return ROW_COUNTS.flatMap((rows, r) => ROW_CASE_BLOCK_SIZES.map((blockSize, b) => ({
                                                                    ...keepingABlock(layoutCase(random, b, 3)),
                                                                    kind: KINDS[(r + b) % 4],
                                                                    blockSize,
                                                                    batchShape: [rows],
                                                                    transposeW: (r + b) % 2 === 1
                                                                  })));
}

/**
 * A layout case whose density keeps at least one of its blocks: the row-count
 * cases are there to run the kernels at each row count, which a layout with
 * no block never does (the other cases cover empty layouts).
 */
function keepingABlock(c: LayoutCase): LayoutCase {
  return {...c, density: Math.max(c.density, 1 / (c.rowBlocks * c.colBlocks))};
}

/** A 3x3 'same' conv case for each row count (output pixels), block sizes in turn, each keeping a block. */
export function rowCountConv2dCases(seed = 4): Conv2DCase[] {
  const random = seededRandom(seed);
  return ROW_COUNTS.map((rows, r) => ({
                          ...keepingABlock(layoutCase(random, r, 3)),
                          kind: KINDS[r % 4],
                          blockSize: ROW_CASE_BLOCK_SIZES[r % ROW_CASE_BLOCK_SIZES.length],
                          batch: rows === 0 ? 0 : 1,
                          height: CONV_PIXELS[r][0],
                          width: CONV_PIXELS[r][1],
                          filterSize: [3, 3],
                          strides: [1, 1],
                          dilations: [1, 1],
                          pad: 'same'
                        }));
}

/** A fused bias and activation; leakyrelu's slope where the activation is leakyrelu (prelu's slopes are seeded per case). */
export interface FusedEpilogueCase {
  activation: FusedActivation;
  leakyreluAlpha?: number;
}

export interface FusedMatMulCase extends MatMulCase, FusedEpilogueCase {}

export interface FusedConv2DCase extends Conv2DCase, FusedEpilogueCase {}

/** Case i's activation: each fused activation in turn (leakyrelu with a slope of 0.1). */
function epilogueCase(i: number): FusedEpilogueCase {
  const activation = FUSED_ACTIVATIONS[i % FUSED_ACTIVATIONS.length];
  return activation === 'leakyrelu' ? {activation, leakyreluAlpha: 0.1} : {activation};
}

/**
 * Matmuls with a bias and an activation fused into the product, at 1, 16
 * and 100 rows (few-row and tiled programs on webgpu), every block size,
 * with and without Wᵀ, every activation at least once; then prelu (slopes
 * of both signs) at 1 and 100 rows, with and without Wᵀ; the last two have
 * no kept block (bias and activation then run as ops), every other case keeps
 * one (the seed is chosen so; cpu_suite.test.ts checks it).
 */
export function fusedMatMulCases(seed = 108): FusedMatMulCase[] {
  const random = seededRandom(seed);
  const cases = [1, 16, 100].flatMap((rows, r) => BLOCK_SIZES.map((blockSize, b) => ({
                                                                    ...layoutCase(random, b, 3),
                                                                    kind: KINDS[(r + b) % 4],
                                                                    blockSize,
                                                                    batchShape: [rows],
                                                                    transposeW: (r + b) % 2 === 1,
                                                                    ...epilogueCase(r * BLOCK_SIZES.length + b)
                                                                  })));
  return withPreluCases(cases, [0, 3, 8, 11]);
}

/** `cases`, then cases[i] with prelu for each i of `prelu`, then cases[0] and a prelu one with no kept block. */
function withPreluCases<C extends FusedEpilogueCase&{kind: LayoutKind}>(cases: C[], prelu: number[]): C[] {
  const withPrelu = (c: C): C => ({...c, activation: 'prelu', leakyreluAlpha: undefined});
  return [...cases, ...prelu.map(i => withPrelu(cases[i])), {...cases[0], kind: 'empty'}, withPrelu({...cases[0], kind: 'empty'})];
}

/**
 * Convs with a bias and an activation fused into the product, every
 * activation and block size: 1x1 at stride 1 without padding (the kernels'
 * pointwise path), 3x3 'same' at stride 1 and 2, on batches of 1 and 2;
 * then prelu on 3x3 convs at stride 1 and 2; the last two have no kept block,
 * every other case keeps one (as fusedMatMulCases).
 */
export function fusedConv2dCases(seed = 108): FusedConv2DCase[] {
  const random = seededRandom(seed);
  const shapes: Array<Pick<Conv2DCase, 'filterSize'|'strides'|'pad'>> = [
    {filterSize: [1, 1], strides: [1, 1], pad: 'valid'}, {filterSize: [3, 3], strides: [1, 1], pad: 'same'},
    {filterSize: [3, 3], strides: [2, 2], pad: 'same'}
  ];
  const cases = Array.from({length: 12}, (_, i) => ({
                                           ...layoutCase(random, i, 3),
                                           kind: KINDS[i % 4],
                                           batch: 1 + (i % 2),
                                           height: 5 + (i % 3),
                                           width: 6,
                                           ...shapes[i % shapes.length],
                                           dilations: [1, 1] as [number, number],
                                           ...epilogueCase(i)
                                         }));
  return withPreluCases(cases, [1, 5]);
}

export function describeCase(c: MatMulCase|Conv2DCase): string {
  return JSON.stringify(c);
}
