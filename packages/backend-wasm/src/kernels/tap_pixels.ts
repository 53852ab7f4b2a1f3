import type {BackendWasm} from '@tensorflow/tfjs-backend-wasm';
import type {backend_util} from '@tensorflow/tfjs-core';

import {int32View, withScratch} from './wasm_util';

/**
 * Fills `target` [taps][outHeight·outWidth] with the input pixel (ih·W + iw)
 * that each filter tap reads for each output pixel, or −1 where the tap
 * falls in the padding: the row tables of the conv kernels, for one image.
 */
function writeTapPixels(info: backend_util.Conv2DInfo, target: Int32Array): void {
  const {outHeight, outWidth, inHeight, inWidth, filterHeight, filterWidth} = info;
  const pixels = outHeight * outWidth;
  for (let fh = 0; fh < filterHeight; fh++) {
    for (let fw = 0; fw < filterWidth; fw++) {
      const tapBase = (fh * filterWidth + fw) * pixels;
      for (let oh = 0; oh < outHeight; oh++) {
        const ih = oh * info.strideHeight - info.padInfo.top + fh * info.dilationHeight;
        for (let ow = 0; ow < outWidth; ow++) {
          const iw = ow * info.strideWidth - info.padInfo.left + fw * info.dilationWidth;
          const inside = ih >= 0 && ih < inHeight && iw >= 0 && iw < inWidth;
          target[tapBase + oh * outWidth + ow] = inside ? ih * inWidth + iw : -1;
        }
      }
    }
  }
}

/**
 * Runs body with one image's tap table ([taps][pixels] int32) in scratch
 * memory and, after it, a zeroed row of rowFloats floats: read by taps in the
 * padding, or written by them where the kernel writes through the table.
 */
export function withTapTable<T>(
    backend: BackendWasm, info: backend_util.Conv2DInfo, rowFloats: number, body: (table: number, row: number) => T): T {
  const entries = info.filterHeight * info.filterWidth * info.outHeight * info.outWidth;
  return withScratch(backend, 4 * (entries + rowFloats), table => {
    writeTapPixels(info, int32View(backend, table, entries));
    return body(table, table + 4 * entries);
  });
}
