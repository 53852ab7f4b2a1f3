import type {BackendWasm} from '@tensorflow/tfjs-backend-wasm';
import {DepthwiseConv2dNativeBackpropFilter, DepthwiseConv2dNativeBackpropFilterAttrs, KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';

import {forEachTap, forwardInfo, zeros} from './dense_conv_grads';
import {floatValues} from './wasm_util';

/** dW of a depthwise conv, which tfjs-backend-wasm lacks: each channel's x times its multiplier's dy, tap by tap. */
export function depthwiseConv2dNativeBackpropFilter(
    args: {inputs: {x: TensorInfo, dy: TensorInfo}, backend: BackendWasm, attrs: DepthwiseConv2dNativeBackpropFilterAttrs}): TensorInfo {
  const {inputs: {x, dy}, backend, attrs} = args;
  const info = forwardInfo(DepthwiseConv2dNativeBackpropFilter, x.shape, attrs.filterShape, attrs, true);
  const {inChannels: cin, outChannels: cout} = info;
  const [dw, dwValues] = zeros(backend, attrs.filterShape);
  const xValues = floatValues(backend, x), dyValues = floatValues(backend, dy);
  const multiplier = cout / cin;
  forEachTap(info, (inPixel, outPixel, tap) => {
    for (let ci = 0, c = 0; ci < cin; ci++) {
      const xv = xValues[inPixel * cin + ci];
      for (let m = 0; m < multiplier; m++, c++) {
        dwValues[tap * cout + c] += xv * dyValues[outPixel * cout + c];
      }
    }
  });
  return dw;
}

export const depthwiseConv2dNativeBackpropFilterConfig: KernelConfig = {
  kernelName: DepthwiseConv2dNativeBackpropFilter,
  backendName: 'wasm',
  kernelFunc: depthwiseConv2dNativeBackpropFilter as unknown as KernelFunc
};
