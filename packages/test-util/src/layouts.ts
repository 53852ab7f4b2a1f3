import * as tf from '@tensorflow/tfjs-core';
import {bandedLayout, BlockLayout, magnitudeLayout, randomLayout, smallWorldLayout} from '@tfjs-blocksparse/core';

import type {LayoutCase} from './cases';
import {seededValues} from './random';
import {scopedSync} from './scoped';

export function layoutFor(c: LayoutCase): BlockLayout {
  const spec = {
    inputSize: c.rowBlocks * c.blockSize,
    outputSize: c.colBlocks * c.blockSize,
    blockSize: c.blockSize,
    density: c.density,
    seed: c.seed
  };
  switch (c.kind) {
    case 'random':
      return randomLayout(spec);
    case 'smallWorld':
      return smallWorldLayout(spec);
    case 'banded':
      return bandedLayout(spec);
    case 'magnitude':
      return scopedSync(
          () => magnitudeLayout(
              tf.tensor2d(seededValues(spec.inputSize * spec.outputSize, c.seed), [spec.inputSize, spec.outputSize]), c.blockSize,
              c.density));
    case 'empty':
      return new BlockLayout(c.blockSize, c.rowBlocks, c.colBlocks, []);
    case 'single':
      return new BlockLayout(c.blockSize, c.rowBlocks, c.colBlocks, [[c.seed % c.rowBlocks, (c.seed >> 4) % c.colBlocks]]);
    default:
      throw new Error(`unknown layout kind ${c.kind}`);
  }
}
