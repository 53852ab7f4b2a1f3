import type {MathBackendCPU} from '@tensorflow/tfjs-backend-cpu';
import {backend_util, BlockSparseConv2D, BlockSparseConv2DAttrs, BlockSparseConv2DInputs, BlockSparseConv2DInt8} from '@tfjs-blocksparse/core';
import type {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';

import {activationOf, finishBlock, float32Values, packedWeight} from './cpu_util';

/**
 * Each output pixel's block column sums over that column's kept blocks and
 * the taps inside the input, then takes the bias and activation.
 */
export function blockSparseConv2D(
    args: {inputs: BlockSparseConv2DInputs&{scales?: TensorInfo}, backend: MathBackendCPU, attrs: BlockSparseConv2DAttrs}): TensorInfo {
  const {inputs: {x, w, bias, preluActivationWeights, scales}, backend, attrs} = args;
  const {layout} = attrs;
  const biasValues = bias == null ? null : float32Values(backend, bias);
  const scaleValues = scales == null ? null : float32Values(backend, scales);
  const activate = activationOf(attrs, preluActivationWeights == null ? null : float32Values(backend, preluActivationWeights));
  const info = backend_util.conv2DInfo(x.shape, w.shape[1], w.shape[2], attrs);
  const xv = float32Values(backend, x);
  const {values: wv, rowStart, step} = packedWeight(backend, w, layout.blockSize);
  const {batchSize, inHeight, inWidth, outHeight, outWidth} = info;
  const {blockSize: bs, inputSize: cin, outputSize: cout} = layout;
  const bs2 = bs * bs;
  const taps = info.filterHeight * info.filterWidth;
  const {start, tap, pixel} = backend_util.convTaps(info);
  const {ptr, block, other} = layout.byColumn();
  const out = new Float32Array(batchSize * outHeight * outWidth * cout);
  const acc = new Float32Array(bs);
  for (let b = 0; b < batchSize; b++) {
    const xImage = b * inHeight * inWidth;
    for (let p = 0; p < outHeight * outWidth; p++) {
      const outBase = (b * outHeight * outWidth + p) * cout;
      for (let c = 0; c < layout.colBlocks; c++) {
        acc.fill(0);
        for (let e = ptr[c]; e < ptr[c + 1]; e++) {
          const blockBase = block[e] * taps;
          const xChannel = other[e] * bs;
          for (let t = start[p]; t < start[p + 1]; t++) {
            const xBase = (xImage + pixel[t]) * cin + xChannel;
            const wBase = (blockBase + tap[t]) * bs2;
            for (let k = 0; k < bs; k++) {
              const xk = xv[xBase + k];
              const wRow = rowStart(wBase, k);
              for (let j = 0, at = wRow; j < bs; j++, at += step) {
                acc[j] += xk * wv[at];
              }
            }
          }
        }
        finishBlock(acc, scaleValues, biasValues, c * bs, activate);
        out.set(acc, outBase + c * bs);
      }
    }
  }
  return backend.makeTensorInfo([batchSize, outHeight, outWidth, cout], 'float32', out);
}

export const blockSparseConv2DConfig: KernelConfig = {
  kernelName: BlockSparseConv2D,
  backendName: 'cpu',
  kernelFunc: blockSparseConv2D as unknown as KernelFunc
};

/** int8 blocks (w int32) with their scales: the same loops, reading int8 values. */
export const blockSparseConv2DInt8Config: KernelConfig = {
  kernelName: BlockSparseConv2DInt8,
  backendName: 'cpu',
  kernelFunc: blockSparseConv2D as unknown as KernelFunc
};
