/*
 * Reading a block's weights as f32x4 vectors, whether the blocks are f32
 * or int8 (four to an int32 in the tensor, so one byte each in memory, in
 * order). W is the element type: f32 or i8. int8 values widen in
 * registers (i8 → i16 → i32 → f32); their scale is applied to the sums.
 */

/** The address of element `index` of blocks of W at `w`. */
// @ts-ignore: decorator
@inline
export function weightAt<W>(w: usize, index: i32): usize {
  return w + <usize>index * sizeof<W>();
}

/** Four weights at p, as f32. */
// @ts-ignore: decorator
@inline
export function load4<W>(p: usize): v128 {
  if (sizeof<W>() == 1) {
    return f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(i16x8.extend_low_i8x16_s(v128.load32_zero(p))));
  }
  return v128.load(p);
}

/**
 * Eight weights at p, loaded for first4 and last4 to read: int8 ones
 * widened to i16 at once; of f32 ones the first four (last4 loads the rest).
 */
// @ts-ignore: decorator
@inline
export function load8<W>(p: usize): v128 {
  if (sizeof<W>() == 1) {
    return v128.load_ext<i8>(p);
  }
  return v128.load(p);
}

/** The first four of load8's weights, as f32. */
// @ts-ignore: decorator
@inline
export function first4<W>(loaded: v128): v128 {
  if (sizeof<W>() == 1) {
    return f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(loaded));
  }
  return loaded;
}

/** The last four of load8's weights at p, as f32. */
// @ts-ignore: decorator
@inline
export function last4<W>(loaded: v128, p: usize): v128 {
  if (sizeof<W>() == 1) {
    return f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(loaded));
  }
  return v128.load(p, 16);
}
