// Float16 blocks (core's toFloat16Blocks: two halves to an i32, in the float32 blocks' order) read as float32.

/**
 * Four consecutive weights at p as float32: f32 values as they are, or
 * (W = u16) float16s widened in four instructions: sign-extended to 32 bits
 * and shifted up 13, a half's exponent and mantissa land where a float32's
 * low exponent bits and high mantissa bits are; clearing the sign's copies
 * above the exponent leaves the value times 2^-112 (subnormal halves as
 * float32 subnormals), which one multiply rescales, exactly.
 */
// @ts-ignore: decorator
@inline
export function weights4<W>(p: usize): v128 {
  if (sizeof<W>() == 2) {
    const bits = v128.and(i32x4.shl(i32x4.extend_low_i16x8_s(v128.load64_zero(p)), 13), i32x4.splat(<i32>0x8fffffff));
    return f32x4.mul(bits, f32x4.splat(5.192296858534828e33));
  }
  return v128.load(p);
}

/** `count` float16s at from (a multiple of 4) widened to float32 at to. */
// @ts-ignore: decorator
@inline
export function widen(from: usize, to: usize, count: i32): void {
  for (let i = 0; i < count; i += 4) {
    v128.store(to + (<usize>i << 2), weights4<u16>(from + (<usize>i << 1)));
  }
}

/** Float16 blocks widened to float32, vectors [unitFirst, unitEnd) of their values / 4. */
export function widenHalves(w: usize, out: usize, unitFirst: i32, unitEnd: i32): void {
  widen(w + (<usize>unitFirst << 3), out + (<usize>unitFirst << 4), (unitEnd - unitFirst) * 4);
}
