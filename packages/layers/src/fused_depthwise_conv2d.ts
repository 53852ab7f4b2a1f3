import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

type DepthwiseConv2DArgs = Parameters<typeof tfl.layers.depthwiseConv2d>[0];

/** What tfjs-layers' DepthwiseConv2D resolves from its arguments (its fields are not public API). */
interface DepthwiseInternals {
  depthwiseKernel: tfl.LayerVariable;
  bias: tfl.LayerVariable|null;
  strides: [number, number];
  padding: 'valid'|'same';
  dataFormat: 'channelsFirst'|'channelsLast';
  activation: {getClassName(): string, apply(x: tf.Tensor): tf.Tensor};
}

/** tfjs-layers' DepthwiseConv2D class (exported by tfjs-layers only through its factory). */
const DepthwiseConv2D = tfl.layers.depthwiseConv2d({kernelSize: 1}).constructor as (new (args: DepthwiseConv2DArgs) => tfl.layers.Layer) &
    tf.serialization.SerializableConstructor<tfl.layers.Layer>;

/** The activations tf.fused.depthwiseConv2d applies in its kernel. */
const FUSED = ['linear', 'relu', 'relu6', 'elu', 'sigmoid'];

/**
 * tf.layers.depthwiseConv2d whose bias and activation run in the conv's own
 * kernel (tf.fused.depthwiseConv2d, FusedDepthwiseConv2D on every tfjs
 * backend), as tensorflowjs_converter fuses them in graph models; tfjs-layers
 * adds the bias and activates as ops of their own. The converter makes one
 * where it folds a BatchNormalization (and the ReLU after it) into a
 * DepthwiseConv2D. Same arguments, weights and outputs as
 * tf.layers.depthwiseConv2d (channelsLast; dilations unused, as tfjs-layers
 * does).
 */
export class FusedDepthwiseConv2D extends DepthwiseConv2D {
  static className = 'FusedDepthwiseConv2D';

  call(inputs: tf.Tensor|tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      const d = this as unknown as DepthwiseInternals;
      if (d.dataFormat === 'channelsFirst') {
        throw new Error(`${FusedDepthwiseConv2D.className}: only dataFormat 'channelsLast' (NHWC) is supported`);
      }
      const name = d.activation.getClassName();
      const fused = FUSED.includes(name);
      const y = tf.fused.depthwiseConv2d({
        x,
        filter: d.depthwiseKernel.read() as tf.Tensor4D,
        strides: d.strides,
        pad: d.padding,
        bias: d.bias?.read(),
        activation: fused ? name as tf.fused.Activation : 'linear'
      });
      return fused ? y : d.activation.apply(y);
    });
  }
}

tf.serialization.registerClass(FusedDepthwiseConv2D);
