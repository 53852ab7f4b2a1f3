import type {GPGPUProgram} from '@tensorflow/tfjs-backend-webgl';
import type {backend_util} from '@tensorflow/tfjs-core';

/**
 * The convs run as block-sparse products over image patches. Patches are
 * laid out [batch * outHeight, outWidth, taps * inChannels] so that a packed
 * texel pairs two neighbouring output pixels of one image row, exactly as a
 * packed NHWC output does: the product's result is the conv's output with a
 * free reshape, and no texel pairs pixels of two rows. Channels come in
 * pairs (even block sizes), so a pair never straddles two taps.
 */
export function patchesShape(info: backend_util.Conv2DInfo): [number, number, number] {
  return [info.batchSize * info.outHeight, info.outWidth, info.filterHeight * info.filterWidth * info.inChannels];
}

/** x [batch, inHeight, inWidth, inChannels] -> its patches, zero where a tap falls outside the image. */
export class ImagePatchesPackedProgram implements GPGPUProgram {
  variableNames = ['x'];
  outputShape: number[];
  userCode: string;
  packedInputs = true;
  packedOutput = true;

  constructor(info: backend_util.Conv2DInfo) {
    this.outputShape = patchesShape(info);
    this.userCode = `
  void main() {
    ivec3 coords = getOutputCoords();
    int b = coords.x / ${info.outHeight};
    int oh = coords.x - b * ${info.outHeight};
    int t = coords.z / ${info.inChannels};
    int ch = coords.z - t * ${info.inChannels};
    int fh = t / ${info.filterWidth};
    int fw = t - fh * ${info.filterWidth};
    int ih = oh * ${info.strideHeight} - ${info.padInfo.top} + fh * ${info.dilationHeight};
    vec4 result = vec4(0.0);
    if (ih >= 0 && ih < ${info.inHeight}) {
      for (int i = 0; i < 2; i++) {
        int ow = coords.y + i;
        int iw = ow * ${info.strideWidth} - ${info.padInfo.left} + fw * ${info.dilationWidth};
        if (ow < ${info.outWidth} && iw >= 0 && iw < ${info.inWidth}) {
          vec4 v = getX(b, ih, iw, ch);
          vec2 pair = iw - 2 * (iw / 2) == 0 ? v.xy : v.zw;
          if (i == 0) {
            result.xy = pair;
          } else {
            result.zw = pair;
          }
        }
      }
    }
    setOutput(result);
  }`;
  }
}

/** The gradient of the patches back onto the image: each input pixel sums the patch entries that copied it. */
export class PatchesToImagePackedProgram implements GPGPUProgram {
  variableNames = ['patches'];
  outputShape: number[];
  userCode: string;
  packedInputs = true;
  packedOutput = true;

  constructor(info: backend_util.Conv2DInfo) {
    this.outputShape = [info.batchSize, info.inHeight, info.inWidth, info.inChannels];
    this.userCode = `
  void main() {
    ivec4 coords = getOutputCoords();
    vec4 result = vec4(0.0);
    for (int i = 0; i < 2; i++) {
      int iw = coords.z + i;
      vec2 sum = vec2(0.0);
      for (int fh = 0; fh < ${info.filterHeight}; fh++) {
        int h = coords.y + ${info.padInfo.top} - fh * ${info.dilationHeight};
        if (h < 0 || h % ${info.strideHeight} != 0 || h / ${info.strideHeight} >= ${info.outHeight}) {
          continue;
        }
        int row = coords.x * ${info.outHeight} + h / ${info.strideHeight};
        for (int fw = 0; fw < ${info.filterWidth}; fw++) {
          int w = iw + ${info.padInfo.left} - fw * ${info.dilationWidth};
          if (iw >= ${info.inWidth} || w < 0 || w % ${info.strideWidth} != 0 || w / ${info.strideWidth} >= ${info.outWidth}) {
            continue;
          }
          int ow = w / ${info.strideWidth};
          vec4 v = getPatches(row, ow, (fh * ${info.filterWidth} + fw) * ${info.inChannels} + coords.w);
          sum += ow - 2 * (ow / 2) == 0 ? v.xy : v.zw;
        }
      }
      if (i == 0) {
        result.xy = sum;
      } else {
        result.zw = sum;
      }
    }
    setOutput(result);
  }`;
  }
}
