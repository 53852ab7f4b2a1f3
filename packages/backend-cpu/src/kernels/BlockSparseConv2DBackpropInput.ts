import type {MathBackendCPU} from '@tensorflow/tfjs-backend-cpu';
import {backend_util, BlockSparseConv2DBackpropInput, BlockSparseConv2DBackpropInputAttrs, BlockSparseConv2DBackpropInputInputs} from '@tfjs-blocksparse/core';
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';

import {float32Values, packedWeight} from './cpu_util';

/** dx: each output pixel's dy scatters back through the kept blocks' taps. */
export function blockSparseConv2DBackpropInput(
    args: {inputs: BlockSparseConv2DBackpropInputInputs, backend: MathBackendCPU, attrs: BlockSparseConv2DBackpropInputAttrs}): TensorInfo {
  const {inputs: {dy, w}, backend, attrs} = args;
  const {layout, inputShape} = attrs;
  const info = backend_util.conv2DInfo(inputShape, w.shape[1], w.shape[2], attrs);
  const dyv = float32Values(backend, dy);
  const {values: wv, rowStart, step} = packedWeight(backend, w, layout.blockSize);
  const {batchSize, inHeight, inWidth, outHeight, outWidth} = info;
  const {blockSize: bs, inputSize: cin, outputSize: cout, nnz} = layout;
  const bs2 = bs * bs;
  const taps = info.filterHeight * info.filterWidth;
  const {start, tap, pixel} = backend_util.convTaps(info);
  const dx = new Float32Array(batchSize * inHeight * inWidth * cin);
  for (let b = 0; b < batchSize; b++) {
    const xImage = b * inHeight * inWidth;
    for (let p = 0; p < outHeight * outWidth; p++) {
      const dyPixel = (b * outHeight * outWidth + p) * cout;
      for (let t = start[p]; t < start[p + 1]; t++) {
        const dxPixel = (xImage + pixel[t]) * cin;
        for (let i = 0; i < nnz; i++) {
          const dyBase = dyPixel + layout.cols[i] * bs;
          const dxBase = dxPixel + layout.rows[i] * bs;
          const wBase = (i * taps + tap[t]) * bs2;
          for (let k = 0; k < bs; k++) {
            const wRow = rowStart(wBase, k);
            let sum = 0;
            for (let j = 0, at = wRow; j < bs; j++, at += step) {
              sum += wv[at] * dyv[dyBase + j];
            }
            dx[dxBase + k] += sum;
          }
        }
      }
    }
  }
  return backend.makeTensorInfo(inputShape, 'float32', dx);
}

export const blockSparseConv2DBackpropInputConfig: KernelConfig = {
  kernelName: BlockSparseConv2DBackpropInput,
  backendName: 'cpu',
  kernelFunc: blockSparseConv2DBackpropInput as unknown as KernelFunc
};
