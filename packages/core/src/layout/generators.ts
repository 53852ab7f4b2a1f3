import * as tf from '@tensorflow/tfjs-core';

import {BlockLayout} from './block_layout';
import {readValues} from './read_values';
import {randomInt, seededRandom} from './seeded_random';

/** A dense [inputSize, outputSize] weight cut into blocks, of which a fraction is kept. */
export interface LayoutSpec {
  inputSize: number;
  outputSize: number;
  blockSize: number;
  /** Fraction of blocks kept, in [0, 1]; the count is rounded to the nearest block. */
  density: number;
  /** Seed of the generator; the same seed gives the same layout. Default 0. */
  seed?: number;
}

export interface SmallWorldSpec extends LayoutSpec {
  /** Watts–Strogatz rewiring probability of each lattice block. Default 0.1. */
  rewire?: number;
}

/** Blocks drawn uniformly at random, without replacement. */
export function randomLayout(spec: LayoutSpec): BlockLayout {
  const {rowBlocks, colBlocks, nnz} = checkSpec(spec, 'randomLayout');
  const random = seededRandom(spec.seed ?? 0);
  const cells = Int32Array.from({length: rowBlocks * colBlocks}, (_, i) => i);
  for (let i = 0; i < nnz; i++) {
    const j = i + randomInt(random, cells.length - i);
    [cells[i], cells[j]] = [cells[j], cells[i]];
  }
  return new BlockLayout(
      spec.blockSize, rowBlocks, colBlocks, Array.from(cells.subarray(0, nnz), k => [Math.floor(k / colBlocks), k % colBlocks] as const));
}

/**
 * Watts–Strogatz small world, as OpenAI's sparse LSTMs used: each output
 * column starts connected to a ring neighbourhood of input rows around its
 * diagonal position, then each block moves to a random free row with
 * probability `rewire`. Every column keeps the same number of blocks (±1),
 * which also balances the work across GPU workgroups.
 */
export function smallWorldLayout(spec: SmallWorldSpec): BlockLayout {
  const {rowBlocks, colBlocks, nnz} = checkSpec(spec, 'smallWorldLayout');
  const rewire = spec.rewire ?? 0.1;
  if (!(rewire >= 0 && rewire <= 1)) {
    throw new Error(`smallWorldLayout: rewire must be in [0, 1], got ${rewire}`);
  }
  const random = seededRandom(spec.seed ?? 0);
  const blocks: Array<[number, number]> = [];
  for (let c = 0; c < colBlocks; c++) {
    const k = columnShare(nnz, colBlocks, c);
    const center = Math.floor((c + 0.5) * rowBlocks / colBlocks);
    const first = center - Math.floor((k - 1) / 2);
    const taken = new Set<number>();
    for (let j = 0; j < k; j++) {
      taken.add(((first + j) % rowBlocks + rowBlocks) % rowBlocks);
    }
    for (const row of Array.from(taken)) {
      if (taken.size < rowBlocks && random() < rewire) {
        let target = randomInt(random, rowBlocks);
        while (taken.has(target)) {
          target = randomInt(random, rowBlocks);
        }
        taken.delete(row);
        taken.add(target);
      }
    }
    taken.forEach(r => blocks.push([r, c]));
  }
  return new BlockLayout(spec.blockSize, rowBlocks, colBlocks, blocks);
}

/**
 * Barabási–Albert scale-free graph, as openai/blocksparse offers beside the
 * small world: block (i, j) is kept where node i and node j are linked (and
 * on the diagonal), so the layout is square and symmetric. Nodes join one at
 * a time, each linking to m earlier nodes chosen with probability
 * proportional to their links so far (networkx's construction): a few hub
 * rows and columns hold many blocks. m is chosen so that the n + 2m(n − m)
 * kept blocks come nearest `density` of the n² (the density is approximate).
 */
export function barabasiAlbertLayout(spec: LayoutSpec): BlockLayout {
  const {rowBlocks: n, colBlocks} = checkSpec(spec, 'barabasiAlbertLayout');
  if (n !== colBlocks) {
    throw new Error(
        `barabasiAlbertLayout: the layout of a graph is square, got ${n}x${colBlocks} blocks ` +
        `(inputSize ${spec.inputSize}, outputSize ${spec.outputSize})`);
  }
  const target = spec.density * n * n;
  let m = 0;
  for (let k = 1; k < n; k++) {
    if (Math.abs(n + 2 * k * (n - k) - target) < Math.abs(n + 2 * m * (n - m) - target)) {
      m = k;
    }
  }
  const random = seededRandom(spec.seed ?? 0);
  const kept = new Set<number>(Array.from({length: n}, (_, i) => i * n + i));
  // Each node appears here once per link it has: drawing from it is preferential attachment.
  const linked: number[] = [];
  let targets = Array.from({length: m}, (_, i) => i);
  for (let node = m; node < n; node++) {
    for (const t of targets) {
      kept.add(node * n + t);
      kept.add(t * n + node);
    }
    linked.push(...targets, ...targets.map(() => node));
    const chosen = new Set<number>();
    while (chosen.size < Math.min(m, node + 1)) {
      chosen.add(linked[randomInt(random, linked.length)]);
    }
    targets = Array.from(chosen);
  }
  return new BlockLayout(spec.blockSize, n, n, Array.from(kept).sort((a, b) => a - b).map(k => [Math.floor(k / n), k % n] as const));
}

/**
 * Local connectivity: each output column keeps a contiguous run of input
 * rows around its diagonal position (no wrap-around), like a banded matrix.
 */
export function bandedLayout(spec: LayoutSpec): BlockLayout {
  const {rowBlocks, colBlocks, nnz} = checkSpec(spec, 'bandedLayout');
  const blocks: Array<[number, number]> = [];
  for (let c = 0; c < colBlocks; c++) {
    const k = columnShare(nnz, colBlocks, c);
    const center = Math.floor((c + 0.5) * rowBlocks / colBlocks);
    const first = Math.min(Math.max(center - Math.floor((k - 1) / 2), 0), rowBlocks - k);
    for (let j = 0; j < k; j++) {
      blocks.push([first + j, c]);
    }
  }
  return new BlockLayout(spec.blockSize, rowBlocks, colBlocks, blocks);
}

/**
 * Keeps the blocks of a trained dense weight with the largest L2 norm
 * (pruning). The weight is [..., K, N]: a Dense kernel [K, N] or a Conv2D
 * filter [kh, kw, Cin, Cout], whose norms run over the spatial taps too.
 * Ties go to the block that comes first in row-major order.
 */
export function magnitudeLayout(denseWeight: tf.Tensor, blockSize: number, density: number): BlockLayout {
  if (!(denseWeight instanceof tf.Tensor) || denseWeight.rank < 2) {
    throw new Error(
        'magnitudeLayout: expected a dense weight tensor of rank >= 2 ' +
        '([K, N] or [kh, kw, Cin, Cout])');
  }
  const [inputSize, outputSize] = denseWeight.shape.slice(-2);
  const norms = blockNorms(denseWeight, blockSize, 'magnitudeLayout');
  const {rowBlocks, colBlocks, nnz} = checkSpec({inputSize, outputSize, blockSize, density}, 'magnitudeLayout');
  const order = Array.from(norms.keys()).sort((a, b) => norms[b] - norms[a] || a - b);
  return new BlockLayout(
      blockSize, rowBlocks, colBlocks, order.slice(0, nnz).map(k => [Math.floor(k / colBlocks), k % colBlocks] as const));
}

/**
 * Squared L2 norm of every block of a dense [..., K, N] weight, row-major
 * over the (K / blockSize) x (N / blockSize) grid. `caller` names the
 * function in errors.
 */
export function blockNorms(denseWeight: tf.Tensor, blockSize: number, caller = 'blockNorms'): Float64Array {
  const [inputSize, outputSize] = denseWeight.shape.slice(-2);
  const {rowBlocks, colBlocks} = BlockLayout.gridFor(inputSize, outputSize, blockSize);
  const values = readValues(denseWeight, caller);
  const norms = new Float64Array(rowBlocks * colBlocks);
  const taps = values.length / (inputSize * outputSize);
  for (let t = 0; t < taps; t++) {
    for (let i = 0; i < inputSize; i++) {
      const rowBase = (t * inputSize + i) * outputSize;
      const cellBase = Math.floor(i / blockSize) * colBlocks;
      for (let j = 0; j < outputSize; j++) {
        const v = values[rowBase + j];
        norms[cellBase + Math.floor(j / blockSize)] += v * v;
      }
    }
  }
  return norms;
}

function checkSpec(spec: LayoutSpec, caller: string) {
  if (spec == null || typeof spec !== 'object') {
    throw new Error(`${caller}: expected {inputSize, outputSize, blockSize, density}`);
  }
  const {density} = spec;
  if (typeof density !== 'number' || !(density >= 0 && density <= 1)) {
    throw new Error(`${caller}: density must be a number in [0, 1], got ${density}`);
  }
  let grid;
  try {
    grid = BlockLayout.gridFor(spec.inputSize, spec.outputSize, spec.blockSize);
  } catch (e) {
    throw new Error(`${caller}: ${(e as Error).message.replace(/^BlockLayout: /, '')}`, {cause: e});
  }
  const nnz = Math.round(density * grid.rowBlocks * grid.colBlocks);
  return {...grid, nnz};
}

/** Spreads nnz blocks over columns as evenly as possible. */
function columnShare(nnz: number, colBlocks: number, c: number): number {
  return Math.floor(nnz / colBlocks) + (c < nnz % colBlocks ? 1 : 0);
}
