import type {backend_util} from '@tensorflow/tfjs-core';

/**
 * For each output pixel (oh, ow) of one image, the filter taps that land
 * inside the input, as flat lists of [tap index fh*kw+fw, input pixel
 * ih*W+iw]: output pixel p's taps are entries start[p] .. start[p + 1]. Built
 * once per call so the kernels' inner loops carry no bounds tests (cpu and
 * wasm kernels that loop in JavaScript).
 */
export function convTaps(info: backend_util.Conv2DInfo): {start: Int32Array, tap: Int32Array, pixel: Int32Array} {
  const {outHeight, outWidth, inHeight, inWidth, filterHeight, filterWidth} = info;
  const start = new Int32Array(outHeight * outWidth + 1);
  const tap: number[] = [];
  const pixel: number[] = [];
  for (let oh = 0; oh < outHeight; oh++) {
    for (let ow = 0; ow < outWidth; ow++) {
      for (let fh = 0; fh < filterHeight; fh++) {
        const ih = oh * info.strideHeight - info.padInfo.top + fh * info.dilationHeight;
        if (ih < 0 || ih >= inHeight) {
          continue;
        }
        for (let fw = 0; fw < filterWidth; fw++) {
          const iw = ow * info.strideWidth - info.padInfo.left + fw * info.dilationWidth;
          if (iw >= 0 && iw < inWidth) {
            tap.push(fh * filterWidth + fw);
            pixel.push(ih * inWidth + iw);
          }
        }
      }
      start[oh * outWidth + ow + 1] = tap.length;
    }
  }
  return {start, tap: Int32Array.from(tap), pixel: Int32Array.from(pixel)};
}
