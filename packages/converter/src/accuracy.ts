import * as tf from '@tensorflow/tfjs';

/**
 * Classification accuracy of a model on (x, labels): argmax over the last
 * axis, or a 0.5 threshold for a single sigmoid output. `labels` holds
 * class indices, or 0/1 for a single output.
 */
export async function accuracy(model: tf.LayersModel, x: tf.Tensor, labels: tf.Tensor): Promise<number> {
  const correct = tf.tidy(() => {
    const y = model.predict(x) as tf.Tensor;
    const predicted = y.shape[y.rank - 1] === 1 ? tf.cast(tf.greater(tf.reshape(y, [-1]), 0.5), 'int32') : tf.argMax(y, -1);
    return tf.mean(tf.cast(tf.equal(predicted, tf.cast(tf.reshape(labels, [-1]), 'int32')), 'float32'));
  });
  const value = (await correct.data())[0];
  correct.dispose();
  return value;
}
