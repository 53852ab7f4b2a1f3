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
