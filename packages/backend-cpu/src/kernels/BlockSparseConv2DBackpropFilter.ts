import type {MathBackendCPU} from '@tensorflow/tfjs-backend-cpu';
import {backend_util, BlockSparseConv2DBackpropFilter, BlockSparseConv2DBackpropFilterAttrs, BlockSparseConv2DBackpropFilterInputs} from '@tfjs-blocksparse/core';
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';

import {float32Values} from './cpu_util';

/** dW for the kept blocks only: xᵀ·dy over every output pixel and its taps. */
export function blockSparseConv2DBackpropFilter(
    args: {inputs: BlockSparseConv2DBackpropFilterInputs, backend: MathBackendCPU, attrs: BlockSparseConv2DBackpropFilterAttrs}):
    TensorInfo {
  const {inputs: {x, dy}, backend, attrs} = args;
  const {layout, filterSize: [kh, kw]} = attrs;
  const info = backend_util.conv2DInfo(x.shape, kh, kw, attrs);
  const xv = float32Values(backend, x);
  const dyv = float32Values(backend, dy);
  const {batchSize, inHeight, inWidth, outHeight, outWidth} = info;
  const {blockSize: bs, inputSize: cin, outputSize: cout, nnz} = layout;
  const bs2 = bs * bs;
  const taps = kh * kw;
  const {start, tap, pixel} = backend_util.convTaps(info);
  const dw = new Float32Array(nnz * taps * bs2);
  for (let b = 0; b < batchSize; b++) {
    const xImage = b * inHeight * inWidth;
    for (let p = 0; p < outHeight * outWidth; p++) {
      const dyPixel = (b * outHeight * outWidth + p) * cout;
      for (let t = start[p]; t < start[p + 1]; t++) {
        const xPixel = (xImage + pixel[t]) * cin;
        for (let i = 0; i < nnz; i++) {
          const xBase = xPixel + layout.rows[i] * bs;
          const dyBase = dyPixel + layout.cols[i] * bs;
          const dwBase = (i * taps + tap[t]) * bs2;
          for (let k = 0; k < bs; k++) {
            const xk = xv[xBase + k];
            const dwRow = dwBase + k * bs;
            for (let j = 0; j < bs; j++) {
              dw[dwRow + j] += xk * dyv[dyBase + j];
            }
          }
        }
      }
    }
  }
  return backend.makeTensorInfo([nnz, kh, kw, bs, bs], 'float32', dw);
}

export const blockSparseConv2DBackpropFilterConfig: KernelConfig = {
  kernelName: BlockSparseConv2DBackpropFilter,
  backendName: 'cpu',
  kernelFunc: blockSparseConv2DBackpropFilter as unknown as KernelFunc
};
