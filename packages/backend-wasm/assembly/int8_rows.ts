/*
 * The operands of the int8 products: x's rows as int16 with a scale each,
 * and int8 blocks widened back to f32 for the float32 kernels (the
 * transposed products of dx, and weights small enough: widensInt8).
 */

/** The largest int16 magnitude used: symmetric, so that -x quantizes to -q. */
const INT16_MAX: f32 = 32767;

/**
 * Rows [unitFirst, unitEnd) of x [rows, cols] (cols a multiple of 4) as
 * int16 in xq [rows, cols]: each row times 32767 over its largest
 * magnitude, rounded; xScales[row] gets that magnitude over 32767, what a
 * sum of the row's int16 values is multiplied by. A row of zeros gets
 * scale 0; a row holding NaN or ±Infinity gets scale NaN (and zeros), so
 * that its outputs are NaN as the float32 product's would be (a conv's row
 * is a whole image: all its outputs).
 */
export function quantizeRows(x: usize, cols: i32, xq: usize, xScales: usize, unitFirst: i32, unitEnd: i32): void {
  for (let r = unitFirst; r < unitEnd; r++) {
    const row = x + (<usize>(r * cols) << 2);
    const out = xq + (<usize>(r * cols) << 1);
    let largest = f32x4.splat(0);
    for (let c = 0; c < cols; c += 4) {
      largest = f32x4.max(largest, f32x4.abs(v128.load(row + (<usize>c << 2))));
    }
    const magnitude = max(max(f32x4.extract_lane(largest, 0), f32x4.extract_lane(largest, 1)),
                          max(f32x4.extract_lane(largest, 2), f32x4.extract_lane(largest, 3)));
    const finite = magnitude - magnitude == 0;
    store<f32>(xScales + (<usize>r << 2), finite ? magnitude / INT16_MAX : NaN);
    const inverse = f32x4.splat(finite && magnitude > 0 ? INT16_MAX / magnitude : 0);
    for (let c = 0; c < cols; c += 4) {
      const q = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v128.load(row + (<usize>c << 2)), inverse)));
      v128.store64_lane(out + (<usize>c << 1), i16x8.narrow_i32x4_s(q, q), 0);
    }
  }
}

/**
 * Kept blocks [unitFirst, unitEnd) of int8 blocks ([nnz, taps] blocks of
 * bs x bs bytes, in pairs of rows: core's int8Offset) as f32 blocks, row
 * after row, in out: each value times its output column's scale (scales:
 * 0 for scale 1; block e's columns start at blockCols[e] · bs).
 */
export function widenBlocks(w: usize, bs: i32, taps: i32, blockCols: usize, scales: usize, out: usize, unitFirst: i32, unitEnd: i32): void {
  for (let e = unitFirst; e < unitEnd; e++) {
    const column = scales + (<usize>(load<i32>(blockCols + (<usize>e << 2)) * bs) << 2);
    for (let b = e * taps; b < (e + 1) * taps; b++) {
      const block = w + <usize>(b * bs * bs);
      const outBlock = out + (<usize>(b * bs * bs) << 2);
      for (let k = 0; k < bs; k++) {
        const pairRow = block + <usize>((k >> 1) * 2 * bs + (k & 1));
        for (let j = 0; j < bs; j++) {
          const q = <f32>load<i8>(pairRow + <usize>(2 * j));
          store<f32>(outBlock + (<usize>(k * bs + j) << 2), scales == 0 ? q : q * load<f32>(column + (<usize>j << 2)));
        }
      }
    }
  }
}
