import * as tf from '@tensorflow/tfjs-core';

/** Like tf.tidy for functions that return plain values: every tensor made inside is disposed. */
export function scoped<T>(fn: () => T): T {
  tf.engine().startScope();
  try {
    return fn();
  } finally {
    tf.engine().endScope();
  }
}
