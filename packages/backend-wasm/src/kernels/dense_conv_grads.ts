import type {BackendWasm} from '@tensorflow/tfjs-backend-wasm';
import {backend_util, TensorInfo} from '@tensorflow/tfjs-core';
import {backend_util as blockSparseUtil} from '@tfjs-blocksparse/core';

import {floatValues, makeZeros} from './wasm_util';

/**
 * What the dense conv gradients below share: the geometry of the forward conv,
 * NHWC only.
 */
export function forwardInfo(
    kernelName: string, xShape: number[], filterShape: number[], attrs: {
      strides: number|[number, number],
      pad: 'valid'|'same'|number|backend_util.ExplicitPadding,
      dilations?: number|[number, number],
      dataFormat?: 'NHWC'|'NCHW',
      dimRoundingMode?: 'floor'|'round'|'ceil'
    },
    depthwise: boolean): backend_util.Conv2DInfo {
  if (attrs.dataFormat != null && attrs.dataFormat !== 'NHWC') {
    throw new Error(`${kernelName} on wasm: only the NHWC data format is supported, got ${attrs.dataFormat}`);
  }
  return backend_util.computeConv2DInfo(
      xShape as [number, number, number, number], filterShape as [number, number, number, number], attrs.strides, attrs.dilations ?? 1,
      attrs.pad, attrs.dimRoundingMode, depthwise);
}

/** A float32 output set to zeros, and its view, for the gradients that accumulate. */
export function zeros(backend: BackendWasm, shape: number[]): [TensorInfo, Float32Array] {
  const out = makeZeros(backend, shape);
  return [out, floatValues(backend, out)];
}

/**
 * Calls visit(inPixel, outPixel, tap) for every output pixel of every image
 * and every filter tap that falls inside the input: pixels count over the
 * whole batch (multiply by the channels), tap = fh·filterWidth + fw.
 */
export function forEachTap(info: backend_util.Conv2DInfo, visit: (inPixel: number, outPixel: number, tap: number) => void): void {
  const {start, tap, pixel} = blockSparseUtil.convTaps(info);
  const inPixels = info.inHeight * info.inWidth, outPixels = info.outHeight * info.outWidth;
  for (let b = 0; b < info.batchSize; b++) {
    for (let p = 0; p < outPixels; p++) {
      for (let k = start[p]; k < start[p + 1]; k++) {
        visit(b * inPixels + pixel[k], b * outPixels + p, tap[k]);
      }
    }
  }
}
