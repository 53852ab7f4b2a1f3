import * as tf from '@tensorflow/tfjs';
import {bandedLayout, barabasiAlbertLayout, BlockLayout, blockNorms, densify, magnitudeLayout, randomLayout, seededRandom, shuffleInPlace, smallWorldLayout, sparsify} from '@tfjs-blocksparse/core';

const spec = {
  inputSize: 128,
  outputSize: 192,
  blockSize: 16,
  density: 0.25,
  seed: 9
};

function values(t: tf.Tensor): number[] {
  return Array.from(t.dataSync(), v => v + 0);  // +0 turns -0 into 0
}

function pairs(layout: BlockLayout): Array<[number, number]> {
  return Array.from(layout.rows, (r, i) => [r, layout.cols[i]]);
}

describe('BlockLayout', () => {
  test('stores blocks in row-major order whatever order they came in', () => {
    const layout = new BlockLayout(8, 3, 4, [[2, 1], [0, 3], [0, 1], [1, 0]]);
    expect(pairs(layout)).toEqual([[0, 1], [0, 3], [1, 0], [2, 1]]);
    expect(layout.nnz).toBe(4);
    expect(layout.density).toBeCloseTo(4 / 12);
    expect(layout.inputSize).toBe(24);
    expect(layout.outputSize).toBe(32);
  });

  test('kept blocks cannot be changed in place: op caches are keyed on the layout object', () => {
    const layout = randomLayout(spec);
    const [rows, cols] = [[...layout.rows], [...layout.cols]];
    expect(() => {
      (layout.rows as number[])[0] = rows[0] + 1;
    }).toThrow(TypeError);
    expect(() => (layout.cols as number[]).push(0)).toThrow(TypeError);
    expect([[...layout.rows], [...layout.cols]]).toEqual([rows, cols]);
  });

  test('column and row tables list each kept block once, sorted, and are built once', () => {
    const layout = randomLayout(spec);
    const byColumn = layout.byColumn();
    expect(layout.byColumn()).toBe(byColumn);
    expect(layout.byRow()).toBe(layout.byRow());
    for (const [table, segments, segmentOf, otherOf] of [
             [byColumn, layout.colBlocks, layout.cols, layout.rows], [layout.byRow(), layout.rowBlocks, layout.rows, layout.cols]] as
         const) {
      expect(table.ptr.length).toBe(segments + 1);
      expect(table.ptr[segments]).toBe(layout.nnz);
      const seen = new Set<number>();
      let longest = 0;
      for (let s = 0; s < segments; s++) {
        longest = Math.max(longest, table.ptr[s + 1] - table.ptr[s]);
        for (let e = table.ptr[s]; e < table.ptr[s + 1]; e++) {
          const i = table.block[e];
          seen.add(i);
          expect([segmentOf[i], otherOf[i]]).toEqual([s, table.other[e]]);
          if (e > table.ptr[s]) {
            expect(table.other[e]).toBeGreaterThan(table.other[e - 1]);
          }
        }
      }
      expect(seen.size).toBe(layout.nnz);
      expect(table.maxSegment).toBe(longest);
    }
  });

  test('blockIndex finds kept blocks and answers -1 elsewhere', () => {
    const layout = new BlockLayout(4, 2, 2, [[1, 0], [0, 1]]);
    expect([layout.blockIndex(0, 1), layout.blockIndex(1, 0), layout.blockIndex(0, 0)]).toEqual([0, 1, -1]);
  });

  test('mask, JSON and transpose round trips', () => {
    const layout = smallWorldLayout(spec);
    expect(BlockLayout.fromMask(layout.toMask(), 16).equals(layout)).toBe(true);
    const json = JSON.parse(JSON.stringify(layout));
    expect(BlockLayout.fromJSON(json).equals(layout)).toBe(true);
    const t = layout.transpose();
    expect([t.rowBlocks, t.colBlocks, t.nnz]).toEqual([layout.colBlocks, layout.rowBlocks, layout.nnz]);
    expect(t.transpose().equals(layout)).toBe(true);
    expect(t.toMask()).toEqual(layout.toMask()[0].map((_, c) => layout.toMask().map(row => row[c])));
  });

  test('fromMask rejects ragged masks', () => {
    expect(() => BlockLayout.fromMask([[1, 0], [1]], 8)).toThrow(/row 1 has 1 entries, row 0 has 2/);
  });
});

describe('layout generators', () => {
  test.each([['random', randomLayout], ['smallWorld', smallWorldLayout], ['banded', bandedLayout]] as const)(
      '%s keeps round(density x blocks) blocks and is reproducible', (_, make) => {
        for (const density of [0, 1 / 48, 1 / 16, 0.25, 0.5, 1]) {
          const layout = make({...spec, density});
          expect(layout.nnz).toBe(Math.round(density * 8 * 12));
          expect(make({...spec, density}).equals(layout)).toBe(true);
        }
      });

  test('random layouts differ between seeds', () => {
    expect(randomLayout(spec).equals(randomLayout({...spec, seed: 10}))).toBe(false);
  });

  test('small-world and banded layouts spread blocks evenly over output columns', () => {
    for (const layout of [smallWorldLayout(spec), bandedLayout(spec)]) {
      const {ptr} = layout.byColumn();
      const counts = Array.from({length: layout.colBlocks}, (_, c) => ptr[c + 1] - ptr[c]);
      expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    }
  });

  test('small world without rewiring is a ring lattice around the diagonal', () => {
    const layout = smallWorldLayout({inputSize: 64, outputSize: 64, blockSize: 8, density: 3 / 8, rewire: 0});
    const mask = layout.toMask();
    for (let c = 0; c < 8; c++) {
      const rows = mask.map((row, r) => row[c] ? r : -1).filter(r => r >= 0);
      expect(rows.sort()).toEqual([c - 1, c, c + 1].map(r => (r + 8) % 8).sort());
    }
    const rewired = smallWorldLayout({inputSize: 64, outputSize: 64, blockSize: 8, density: 3 / 8, rewire: 1});
    expect(rewired.equals(layout)).toBe(false);
    expect(rewired.nnz).toBe(layout.nnz);
  });

  test('Barabási–Albert layouts are symmetric with the diagonal, the density nearest n + 2m(n - m), hubs first', () => {
    const n = 64;
    const layout = barabasiAlbertLayout({inputSize: n * 8, outputSize: n * 8, blockSize: 8, density: 0.2, seed: 3});
    const kept = new Set(pairs(layout).map(([r, c]) => `${r},${c}`));
    expect(pairs(layout).every(([r, c]) => kept.has(`${c},${r}`))).toBe(true);
    expect(Array.from({length: n}, (_, i) => kept.has(`${i},${i}`)).every(Boolean)).toBe(true);
    // m = 7 gives 64 + 2·7·57 = 862 blocks, the nearest to 0.2 · 64² = 819.2 (m = 6: 760).
    expect(layout.nnz).toBe(862);
    // Preferential attachment: the earliest nodes gather links; a uniform graph would give every row ~13.
    const degrees = Array.from({length: n}, (_, i) => pairs(layout).filter(([r]) => r === i).length);
    expect(Math.max(...degrees.slice(0, 8))).toBeGreaterThan(2 * (layout.nnz / n));
    // And every node after the first m = 7 has its 7 links and its diagonal block.
    expect(Math.min(...degrees.slice(7))).toBeGreaterThanOrEqual(8);
    expect(pairs(barabasiAlbertLayout({inputSize: n * 8, outputSize: n * 8, blockSize: 8, density: 0.2, seed: 3}))).toEqual(pairs(layout));
    expect(pairs(barabasiAlbertLayout({inputSize: n * 8, outputSize: n * 8, blockSize: 8, density: 0.2, seed: 4})))
        .not.toEqual(pairs(layout));
    expect(() => barabasiAlbertLayout({inputSize: 64, outputSize: 128, blockSize: 8, density: 0.2}))
        .toThrow('barabasiAlbertLayout: the layout of a graph is square, got 8x16 blocks (inputSize 64, outputSize 128)');
  });

  test('banded columns keep contiguous rows', () => {
    const layout = bandedLayout({...spec, density: 0.5});
    const {ptr, other} = layout.byColumn();
    for (let c = 0; c < layout.colBlocks; c++) {
      for (let e = ptr[c] + 1; e < ptr[c + 1]; e++) {
        expect(other[e]).toBe(other[e - 1] + 1);
      }
    }
  });

  test('magnitudeLayout keeps the largest-norm blocks of a Dense kernel and of a Conv2D filter', () => {
    const dense = tf.buffer([32, 48]);
    const big: Array<[number, number]> = [[0, 2], [3, 1], [2, 0]];
    for (let i = 0; i < 32; i++) {
      for (let j = 0; j < 48; j++) {
        const inBig = big.some(([r, c]) => Math.floor(i / 8) === r && Math.floor(j / 8) === c);
        dense.set((inBig ? 3 : 1) * Math.sin(i * 48 + j + 1), i, j);
      }
    }
    const layout = magnitudeLayout(dense.toTensor(), 8, 3 / 24);
    expect(pairs(layout)).toEqual([[0, 2], [2, 0], [3, 1]]);
    const filter = tf.stack([dense.toTensor(), dense.toTensor()]).reshape([1, 2, 32, 48]);
    expect(magnitudeLayout(filter, 8, 3 / 24).equals(layout)).toBe(true);
    const norms = blockNorms(dense.toTensor(), 8);
    expect(norms.length).toBe(24);
  });

  test('bad specs name the problem', () => {
    expect(() => randomLayout({...spec, blockSize: 24}))
        .toThrow(/block size 24 must divide both dimensions of the dense weight \[128, 192\]/);
    expect(() => smallWorldLayout({...spec, rewire: 2})).toThrow(/rewire must be in \[0, 1\], got 2/);
    expect(() => bandedLayout({...spec, density: -0.1})).toThrow(/density must be a number in \[0, 1\]/);
    expect(() => magnitudeLayout(tf.zeros([4]), 2, 0.5)).toThrow(/rank >= 2/);
  });
});

describe('shuffleInPlace', () => {
  test('permutes arrays and typed arrays in place, the same way for the same seed', () => {
    const items = Array.from({length: 50}, (_, i) => i);
    const shuffled = shuffleInPlace(items, seededRandom(3));
    expect(shuffled).toBe(items);
    expect([...shuffled].sort((a, b) => a - b)).toEqual(Array.from({length: 50}, (_, i) => i));
    expect(shuffled).not.toEqual(Array.from({length: 50}, (_, i) => i));
    expect(Array.from(shuffleInPlace(Int32Array.from({length: 50}, (_, i) => i), seededRandom(3)))).toEqual(shuffled);
    expect(shuffleInPlace(Array.from({length: 50}, (_, i) => i), seededRandom(4))).not.toEqual(shuffled);
  });
});

describe('densify and sparsify', () => {
  test('sparsify(densify(w)) is w, and densify(sparsify(D)) is D with dropped blocks zeroed', () => {
    const layout = randomLayout({inputSize: 24, outputSize: 16, blockSize: 8, density: 0.5, seed: 1});
    const w = tf.randomNormal([layout.nnz, 3, 2, 8, 8], 0, 1, 'float32', 105);
    const dense = densify(w, layout);
    expect(dense.shape).toEqual([3, 2, 24, 16]);
    expect(values(sparsify(dense, layout))).toEqual(values(w));
    const d = tf.randomNormal([24, 16], 0, 1, 'float32', 106);
    const mask = tf.tensor2d(layout.toMask()).reshape([3, 1, 2, 1]).tile([1, 8, 1, 8]).reshape([24, 16]);
    expect(values(densify(sparsify(d, layout), layout))).toEqual(values(d.mul(mask)));
  });

  test('a layout keeping every block packs without a gather, so its gradient needs none', async () => {
    const full = randomLayout({inputSize: 24, outputSize: 16, blockSize: 8, density: 1, seed: 1});
    const d = tf.randomNormal([3, 24, 16], 0, 1, 'float32', 107);
    const {kernelNames} = await tf.profile(() => tf.grad(x => sparsify(x, full).square().sum())(d));
    expect(kernelNames).not.toContain('GatherV2');
    expect(kernelNames).not.toContain('UnsortedSegmentSum');
    expect(values(densify(sparsify(d, full), full))).toEqual(values(d));
  });

  test('packed shape errors name the expected shape', () => {
    const layout = randomLayout({inputSize: 24, outputSize: 16, blockSize: 8, density: 0.5, seed: 1});
    expect(() => densify(tf.zeros([layout.nnz, 4, 8]), layout)).toThrow(/packed weight must be \[3, \.\.\., 8, 8\]/);
    expect(() => sparsify(tf.zeros([16, 24]), layout)).toThrow(/dense weight must be \[\.\.\., 24, 16\]/);
  });
});
