// The cell the recurrent demos (text, sentiment) compare, as in OpenAI's
// sparse sentiment and text models.
import tf from '@tensorflow/tfjs';
import layers from '@tfjs-blocksparse/layers';

/**
 * A dense LSTM cell (density 1), or a multiplicative LSTM cell whose
 * recurrent kernels keep `density` of their blocks in small-world layouts.
 * The sparse cell's input kernels stay dense: the demos' 32-number embedding
 * is one or two rows of blocks, and at low density most gates would never
 * see the input.
 */
export function recurrentCell({units, density, blockSize, seed}) {
  const kernelInitializer = tf.initializers.glorotUniform({seed: seed + 1});
  const recurrentInitializer = tf.initializers.glorotUniform({seed: seed + 2});
  return density === 1 ?
      tf.layers.lstmCell({units, kernelInitializer, recurrentInitializer}) :
      layers.blockSparseLSTMCell({
        units, kernelInitializer, recurrentInitializer, multiplicative: true, blockSize, density,
        inputDensity: 1, layoutKind: 'smallWorld', seed
      });
}
