import * as tf from '@tensorflow/tfjs-core';

/**
 * A tensor's values, read synchronously (layouts by magnitude and int8
 * blocks are made at conversion, from weights in hand). Where the backend
 * cannot read its memory synchronously (webgpu in Node, for a tensor on the
 * GPU), an error that says what to do instead of tfjs's own.
 */
export function readValues(t: tf.Tensor, caller: string): tf.TypedArray {
  try {
    return t.dataSync() as tf.TypedArray;
  } catch (e) {
    throw new Error(
        `${caller}: the '${tf.getBackend()}' backend could not read a tensor synchronously (${
            e instanceof Error ? e.message : String(e)}); make it from its values first, tf.tensor(await t.data(), t.shape), ` +
            'or call this on the cpu backend',
        {cause: e});
  }
}
