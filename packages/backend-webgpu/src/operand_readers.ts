/**
 * WGSL functions that read the dense operand of a block-sparse product
 * through the geometry of the op: plain rows of a matrix, or (implicit
 * GEMM) the input pixel that one filter tap of a convolution sees. Each
 * reads 4 consecutive channels as a vec4 (block sizes are multiples of 4,
 * so `col` is too) and returns zeros outside the operand, so tiles need no
 * bounds tests of their own. Geometry lives in uniforms, so one compiled
 * shader serves every size.
 */

/** Uniform fields for the conv readers: sizes as (height, width) pairs. */
export const CONV_UNIFORMS = 'inSize : vec2<i32>, outSize : vec2<i32>, strides : vec2<i32>, pads : vec2<i32>, ' +
    'dilations : vec2<i32>, filterWidth : i32,';

/** Row `row` of a [rows, aWidth] matrix named `name`. */
export function matrixReader(fnName: string, name: string): string {
  return `
  fn ${fnName}(row : i32, col : i32, tap : i32) -> vec4<f32> {
    if (row >= uniforms.rows) {
      return vec4<f32>(0.0);
    }
    return ${name}[(row * uniforms.aWidth + col) / 4];
  }`;
}

/**
 * Rows are output pixels (b, oh, ow) of a conv; the value is the input
 * pixel that filter tap `tap` multiplies, channel `col`.
 */
export function convInputReader(fnName: string, name: string): string {
  return `
  fn ${fnName}(row : i32, col : i32, tap : i32) -> vec4<f32> {
    if (row >= uniforms.rows) {
      return vec4<f32>(0.0);
    }
    let pixels = uniforms.outSize.x * uniforms.outSize.y;
    let b = row / pixels;
    let p = row % pixels;
    let ih = (p / uniforms.outSize.y) * uniforms.strides.x - uniforms.pads.x +
        (tap / uniforms.filterWidth) * uniforms.dilations.x;
    let iw = (p % uniforms.outSize.y) * uniforms.strides.y - uniforms.pads.y +
        (tap % uniforms.filterWidth) * uniforms.dilations.y;
    if (ih < 0 || ih >= uniforms.inSize.x || iw < 0 || iw >= uniforms.inSize.y) {
      return vec4<f32>(0.0);
    }
    return ${name}[(((b * uniforms.inSize.x + ih) * uniforms.inSize.y + iw) * uniforms.aWidth + col) / 4];
  }`;
}

/**
 * Rows are input pixels (b, ih, iw) of a conv; the value is dy at the
 * output pixel that reached this input pixel through filter tap `tap`, or
 * 0 where no output pixel did (padding, or between strides).
 */
export function convOutputGradReader(fnName: string, name: string): string {
  return `
  fn ${fnName}(row : i32, col : i32, tap : i32) -> vec4<f32> {
    if (row >= uniforms.rows) {
      return vec4<f32>(0.0);
    }
    let pixels = uniforms.inSize.x * uniforms.inSize.y;
    let b = row / pixels;
    let p = row % pixels;
    let h = p / uniforms.inSize.y + uniforms.pads.x - (tap / uniforms.filterWidth) * uniforms.dilations.x;
    let w = p % uniforms.inSize.y + uniforms.pads.y - (tap % uniforms.filterWidth) * uniforms.dilations.y;
    if (h < 0 || w < 0 || h % uniforms.strides.x != 0 || w % uniforms.strides.y != 0) {
      return vec4<f32>(0.0);
    }
    let oh = h / uniforms.strides.x;
    let ow = w / uniforms.strides.y;
    if (oh >= uniforms.outSize.x || ow >= uniforms.outSize.y) {
      return vec4<f32>(0.0);
    }
    return ${name}[(((b * uniforms.outSize.x + oh) * uniforms.outSize.y + ow) * uniforms.aWidth + col) / 4];
  }`;
}

/** Conv geometry as the custom uniforms that CONV_UNIFORMS declares. */
export function convUniformData(info: {
  inHeight: number,
  inWidth: number,
  outHeight: number,
  outWidth: number,
  strideHeight: number,
  strideWidth: number,
  dilationHeight: number,
  dilationWidth: number,
  filterWidth: number,
  padInfo: {top: number, left: number}
}) {
  return [
    {type: 'int32', data: [info.inHeight, info.inWidth]},
    {type: 'int32', data: [info.outHeight, info.outWidth]},
    {type: 'int32', data: [info.strideHeight, info.strideWidth]},
    {type: 'int32', data: [info.padInfo.top, info.padInfo.left]},
    {type: 'int32', data: [info.dilationHeight, info.dilationWidth]},
    {type: 'int32', data: [info.filterWidth]},
  ];
}
