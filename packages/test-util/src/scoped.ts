import * as tf from '@tensorflow/tfjs-core';

/**
 * Like tf.tidy for functions that return plain values, sync or async: every
 * tensor made inside is disposed. Scopes must not interleave, so callers
 * run one at a time.
 */
export async function scoped<T>(fn: () => T | Promise<T>): Promise<T> {
  tf.engine().startScope();
  try {
    return await fn();
  } finally {
    tf.engine().endScope();
  }
}

/** scoped for synchronous functions. */
export function scopedSync<T>(fn: () => T): T {
  tf.engine().startScope();
  try {
    return fn();
  } finally {
    tf.engine().endScope();
  }
}
