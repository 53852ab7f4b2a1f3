/**
 * Where row p of an operand starts in memory. Rows are either consecutive
 * (table == 0: base + p·stride floats) or looked up in an int32 table of
 * pixel indices, where −1 means "no row" (a tap outside the image) and
 * yields `none`: a zeroed row to read, or a scratch row to write.
 */
// @ts-ignore: decorator
@inline
export function rowAt(base: usize, stride: i32, table: usize, p: i32, none: usize): usize {
  if (table == 0) {
    return base + (<usize>(p * stride) << 2);
  }
  const pixel = load<i32>(table + (<usize>p << 2));
  return pixel < 0 ? none : base + (<usize>(pixel * stride) << 2);
}

/** The i32 at index i of a table. */
// @ts-ignore: decorator
@inline
export function at(table: usize, i: i32): i32 {
  return load<i32>(table + (<usize>i << 2));
}

/**
 * a·b + c per lane: one fused multiply-add where the engine has relaxed SIMD
 * (the relaxed build; Chrome 114+), else a multiply and an add. Fusing may
 * round once instead of twice: results differ from the unfused build in the
 * last bits, as XNNPACK's relaxed kernels do.
 */
// @ts-ignore: decorator
@inline
export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    return f32x4.relaxed_madd(a, b, c);
  }
  return f32x4.add(c, f32x4.mul(a, b));
}
