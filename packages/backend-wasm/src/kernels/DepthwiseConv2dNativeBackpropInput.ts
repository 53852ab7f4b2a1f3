import type {BackendWasm} from '@tensorflow/tfjs-backend-wasm';
import {DepthwiseConv2dNativeBackpropInput, DepthwiseConv2dNativeBackpropInputAttrs, KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';

import {forEachTap, forwardInfo, zeros} from './dense_conv_grads';
import {floatValues} from './wasm_util';

/** dx of a depthwise conv, which tfjs-backend-wasm lacks: each tap's dy, times the filter, added back to the pixel it read. */
export function depthwiseConv2dNativeBackpropInput(
    args: {inputs: {dy: TensorInfo, filter: TensorInfo}, backend: BackendWasm, attrs: DepthwiseConv2dNativeBackpropInputAttrs}):
    TensorInfo {
  const {inputs: {dy, filter}, backend, attrs} = args;
  const info = forwardInfo(DepthwiseConv2dNativeBackpropInput, attrs.inputShape, filter.shape, attrs, true);
  const {inChannels: cin, outChannels: cout} = info;
  const [dx, dxValues] = zeros(backend, attrs.inputShape);
  const dyValues = floatValues(backend, dy), filterValues = floatValues(backend, filter);
  const multiplier = cout / cin;
  forEachTap(info, (inPixel, outPixel, tap) => {
    for (let ci = 0, c = 0; ci < cin; ci++) {
      let sum = 0;
      for (let m = 0; m < multiplier; m++, c++) {
        sum += dyValues[outPixel * cout + c] * filterValues[tap * cout + c];
      }
      dxValues[inPixel * cin + ci] += sum;
    }
  });
  return dx;
}

export const depthwiseConv2dNativeBackpropInputConfig: KernelConfig = {
  kernelName: DepthwiseConv2dNativeBackpropInput,
  backendName: 'wasm',
  kernelFunc: depthwiseConv2dNativeBackpropInput as unknown as KernelFunc
};
