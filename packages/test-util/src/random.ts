import {seededRandom} from '@tfjs-blocksparse/core';

/** Values in [-1, 1) from a seed, the same on every platform and run. */
export function seededValues(size: number, seed: number): Float32Array {
  const random = seededRandom(seed);
  return Float32Array.from({length: size}, () => 2 * random() - 1);
}
