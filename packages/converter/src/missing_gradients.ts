import * as tf from '@tensorflow/tfjs';

let registered = false;

/**
 * Gradients that published graph models' backward passes need and tfjs 4.22
 * lacks or gets wrong, registered once, by distill: GatherNd has none (MoveNet
 * decodes its keypoints with it), and SquaredDifference's does not sum over
 * the axes it broadcast (MoveNet's distances to its centre, [48, 48, 17]
 * against [1, 17]: tfjs returns a gradient of the wrong shape and fails).
 */
export function registerMissingGradients() {
  if (registered) {
    return;
  }
  registered = true;
  if (tf.getGradient('GatherNd') == null) {
    tf.registerGradient({
      kernelName: 'GatherNd',
      inputsToSave: ['params', 'indices'],
      // dy goes back to where each slice was gathered from, summed where indices repeat; indices have none (float32
      // zeros, as tfjs's OneHot gradient gives its indices).
      gradFunc: (dy, [params, indices]) =>
          ({params: () => tf.scatterND(indices, dy as tf.Tensor, params.shape), indices: () => tf.zeros(indices.shape, 'float32')})
    });
  }
  tf.registerGradient({
    kernelName: 'SquaredDifference',
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, [a, b]) => ({
      a: () => sumTo(tf.mul(dy as tf.Tensor, tf.mul(2, tf.sub(a, b))), a.shape),
      b: () => sumTo(tf.mul(dy as tf.Tensor, tf.mul(2, tf.sub(b, a))), b.shape)
    })
  });
}

/** A broadcast result's gradient summed back to the shape of the input it was broadcast from. */
function sumTo(gradient: tf.Tensor, shape: number[]): tf.Tensor {
  const axes = tf.backend_util.getReductionAxes(shape, gradient.shape);
  return tf.reshape(axes.length > 0 ? tf.sum(gradient, axes) : gradient, shape);
}
