/*
 * The fused activations, numbered as @tfjs-blocksparse/core's
 * FUSED_ACTIVATIONS lists them. Their slope below zero comes as alphaBits
 * (kernel arguments travel to the workers as int32): leakyrelu's as its f32
 * bits, prelu's as the address of its slopes, one f32 per output column.
 */
export const LINEAR = 0;
export const RELU = 1;
export const RELU6 = 2;
export const ELU = 3;
export const LEAKY_RELU = 4;
export const SIGMOID = 5;
export const PRELU = 6;

/** The slopes below zero of columns [column, column + 4) (leakyrelu's one slope in every lane). */
// @ts-ignore: decorator
@inline
export function slopesAt(activation: i32, alphaBits: i32, column: i32): v128 {
  return activation == PRELU ? v128.load(<usize>alphaBits + (<usize>column << 2)) : f32x4.splat(reinterpret<f32>(alphaBits));
}

/** The slope below zero of one column. */
// @ts-ignore: decorator
@inline
export function slopeAt(activation: i32, alphaBits: i32, column: i32): f32 {
  return activation == PRELU ? load<f32>(<usize>alphaBits + (<usize>column << 2)) : reinterpret<f32>(alphaBits);
}

/** One value activated (tfjs's formulas; NaN stays NaN); `slope` below zero for leakyrelu and prelu. */
// @ts-ignore: decorator
@inline
export function activate1(v: f32, activation: i32, slope: f32): f32 {
  switch (activation) {
    case RELU: return v < 0 ? 0 : v;
    case RELU6: return v < 0 ? 0 : v > 6 ? 6 : v;
    case ELU: return v >= 0 ? v : Mathf.exp(v) - 1;
    case LEAKY_RELU:
    case PRELU: return v < 0 ? slope * v : v;
    case SIGMOID: return 1 / (1 + Mathf.exp(-v));
    default: return v;
  }
}

/** Four values activated: relu, relu6, leakyrelu and prelu in SIMD (`slopes` from slopesAt), elu and sigmoid lane by lane. */
// @ts-ignore: decorator
@inline
export function activate4(v: v128, activation: i32, slopes: v128): v128 {
  if (activation == LINEAR) {
    return v;
  }
  // pmax(v, 0) is v < 0 ? 0 : v, one instruction where max (NaN- and
  // sign-of-zero-exact) takes several; NaN stays NaN, as activate1 has it.
  if (activation == RELU) {
    return f32x4.pmax(v, f32x4.splat(0));
  }
  if (activation == RELU6) {
    return f32x4.pmin(f32x4.pmax(v, f32x4.splat(0)), f32x4.splat(6));
  }
  if (activation == LEAKY_RELU || activation == PRELU) {
    return v128.bitselect(f32x4.mul(v, slopes), v, f32x4.lt(v, f32x4.splat(0)));
  }
  let out = v;
  out = f32x4.replace_lane(out, 0, activate1(f32x4.extract_lane(v, 0), activation, 0));
  out = f32x4.replace_lane(out, 1, activate1(f32x4.extract_lane(v, 1), activation, 0));
  out = f32x4.replace_lane(out, 2, activate1(f32x4.extract_lane(v, 2), activation, 0));
  return f32x4.replace_lane(out, 3, activate1(f32x4.extract_lane(v, 3), activation, 0));
}
