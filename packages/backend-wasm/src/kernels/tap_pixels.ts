import type {backend_util} from '@tensorflow/tfjs-core';

/**
 * Fills `target` [taps][outHeight·outWidth] with the input pixel (ih·W + iw)
 * that each filter tap reads for each output pixel, or −1 where the tap
 * falls in the padding: the row tables of the conv kernels, for one image.
 */
export function writeTapPixels(info: backend_util.Conv2DInfo, target: Int32Array): void {
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

/** Scratch for one conv call: the tap table, then a zeroed row of `rowFloats` (read for taps in the padding, or written for them). */
export function convScratchBytes(info: backend_util.Conv2DInfo, rowFloats: number): number {
  return 4 * (info.filterHeight * info.filterWidth * info.outHeight * info.outWidth + rowFloats);
}
