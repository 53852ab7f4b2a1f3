import type {BackendWasm} from '@tensorflow/tfjs-backend-wasm';
import {Conv2DBackpropFilter, Conv2DBackpropFilterAttrs, KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';

import {forEachTap, forwardInfo, zeros} from './dense_conv_grads';
import {floatValues} from './wasm_util';

/**
 * dW of a dense conv, which tfjs-backend-wasm lacks (training a converted
 * model's dense convs needs it): Σ over pixels of x ⊗ dy, tap by tap.
 */
export function conv2DBackpropFilter(
    args: {inputs: {x: TensorInfo, dy: TensorInfo}, backend: BackendWasm, attrs: Conv2DBackpropFilterAttrs}): TensorInfo {
  const {inputs: {x, dy}, backend, attrs} = args;
  const info = forwardInfo(Conv2DBackpropFilter, x.shape, attrs.filterShape, attrs, false);
  const {inChannels: cin, outChannels: cout} = info;
  const [dw, dwValues] = zeros(backend, attrs.filterShape);
  const xValues = floatValues(backend, x), dyValues = floatValues(backend, dy);
  forEachTap(info, (inPixel, outPixel, tap) => {
    const x0 = inPixel * cin, dy0 = outPixel * cout;
    for (let ci = 0; ci < cin; ci++) {
      const xv = xValues[x0 + ci];
      if (xv === 0) {
        continue;
      }
      const dw0 = (tap * cin + ci) * cout;
      for (let co = 0; co < cout; co++) {
        dwValues[dw0 + co] += xv * dyValues[dy0 + co];
      }
    }
  });
  return dw;
}

export const conv2DBackpropFilterConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilter as unknown as KernelFunc
};
