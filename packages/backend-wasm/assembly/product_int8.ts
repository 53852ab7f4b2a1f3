import {activate4, slopesAt} from './activation';
import {at, madd, rowAt} from './rows';

/**
 * y = x·(Q·diag(scales)) for int8 blocks Q, one output block column
 * (segment) at a time, over its kept blocks and, for a convolution, the
 * filter taps. x comes as int16 rows with a scale each (int8_rows.ts's
 * quantizeRows); Q's blocks lie in pairs of rows (core's int8Offset), so
 * one i32x4.dot_i16x8_s multiplies two x values (a row pair) by four
 * columns' two weights and adds the pairs: half the instructions of the
 * f32 product per multiply-add, and a quarter of its weight bytes. Every
 * x value of a row shares one scale (a matmul row's; a whole image's for a
 * convolution), so the sums go on in int32 over blocks and taps, joining
 * the row's f32 sums (times the scale) every 256 / bs of them: each adds at
 * most bs · 32767 · 127 in magnitude, so 256 · 32767 · 127 < 2^31 bounds them.
 * Each column's sum is multiplied by its scale, the bias (0: none) added and
 * the activation (activation.ts) applied before the single store.
 *
 * Rows are consecutive in xq (xTable == 0) or, for a convolution, looked
 * up per tap in xTable [taps][rows] (−1: outside the image, reads zeroRow).
 * xStride counts 4-byte units (two int16). Row m's scale is at xScales +
 * m · scaleStride (bytes; 0: one scale for every row). Tiles of 4 rows × 8 (or 4) columns; the last rows % 4 rows
 * (all of a batch of 1) one at a time, walking the blocks in storage order
 * (see rows_in_order.ts: a walk by output column jumps a block row apart at
 * every block, which at a batch of 1 made the int8 product slower than the
 * f32 one). Loop order and work units as productBroadcast's: where every
 * kept block fits in L1 (`rowTiles` > 0) each tile of 4 rows goes over
 * every segment and unit u is the u-th run of `rowTiles` row tiles, else
 * unit s < segments is segment s's tiled rows; the unit after them does
 * the last rows; a call does [unitFirst, unitEnd).
 */
export function productInt8(
    rows: i32, taps: i32, xq: usize, xStride: i32, xTable: usize, zeroRow: usize, xScales: usize, scaleStride: i32,
    w: usize, ptr: usize, block: usize, other: usize, segments: i32, bs: i32, blockRows: usize, blockCols: usize, nnz: i32,
    y: usize, yStride: i32, scales: usize, bias: usize, activation: i32, alphaBits: i32, rowTiles: i32, unitFirst: i32,
    unitEnd: i32): void {
  const tiled = rows & ~3;
  const tileUnits = rowTiles > 0 ? (tiled / 4 + rowTiles - 1) / rowTiles : segments;
  if (unitEnd > tileUnits) {
    for (let m = tiled; m < rows; m++) {
      int8Row(m, rows, taps, xq, xStride, xTable, zeroRow, xScaleAt(xScales, scaleStride, m), w, bs, blockRows, blockCols, nnz,
              y + (<usize>(m * yStride) << 2), segments * bs, scales, bias, activation, alphaBits);
    }
  }
  if (rowTiles > 0) {
    for (let u = unitFirst; u < min(unitEnd, tileUnits); u++) {
      const mEnd = min(tiled, (u + 1) * rowTiles * 4);
      for (let m = u * rowTiles * 4; m < mEnd; m += 4) {
        for (let s = 0; s < segments; s++) {
          rowTile(rows, taps, xq, xStride, xTable, zeroRow, xScales, scaleStride, w, block, other, at(ptr, s), at(ptr, s + 1), bs, y,
                  yStride, scales, bias, activation, alphaBits, s, m);
        }
      }
    }
    return;
  }
  for (let s = unitFirst; s < min(unitEnd, segments); s++) {
    for (let m = 0; m < tiled; m += 4) {
      rowTile(rows, taps, xq, xStride, xTable, zeroRow, xScales, scaleStride, w, block, other, at(ptr, s), at(ptr, s + 1), bs, y, yStride,
              scales, bias, activation, alphaBits, s, m);
    }
  }
}

/** Rows m..m+3 of segment s over its blocks [first, end): 8 columns at a time, then 4. */
// @ts-ignore: decorator
@inline
function rowTile(
    rows: i32, taps: i32, xq: usize, xStride: i32, xTable: usize, zeroRow: usize, xScales: usize, scaleStride: i32,
    w: usize, block: usize, other: usize, first: i32, end: i32, bs: i32,
    y: usize, yStride: i32, scales: usize, bias: usize, activation: i32, alphaBits: i32, s: i32, m: i32): void {
  let j = 0;
  for (; j + 8 <= bs; j += 8) {
    tile4x8(rows, taps, xq, xStride, xTable, zeroRow, xScales, scaleStride, w, block, other, first, end, bs, y, yStride, scales, bias,
            activation, alphaBits, s, m, j);
  }
  if (j < bs) {
    tile4x4(rows, taps, xq, xStride, xTable, zeroRow, xScales, scaleStride, w, block, other, first, end, bs, y, yStride, scales, bias,
            activation, alphaBits, s, m, j);
  }
}

/** Where row m's int16 values of block e's input columns start, at tap t. */
// @ts-ignore: decorator
@inline
function xRow(rows: i32, xq: usize, xStride: i32, xTable: usize, zeroRow: usize, other: usize, bs: i32, e: i32, t: i32, m: i32): usize {
  const table: usize = xTable == 0 ? 0 : xTable + (<usize>(t * rows) << 2);
  return rowAt(xq, xStride, table, m, zeroRow) + (<usize>(at(other, e) * bs) << 1);
}

/** Row m's scale, in all four lanes. */
// @ts-ignore: decorator
@inline
function xScaleAt(xScales: usize, scaleStride: i32, m: i32): v128 {
  return v128.load_splat<f32>(xScales + <usize>(m * scaleStride));
}

/** Blocks (and taps) whose int32 sums add up before they join the f32 sums: see productInt8. */
// @ts-ignore: decorator
@inline
function joinEvery(bs: i32): i32 {
  return max(1, 256 / bs);
}

/** A finished sum of columns [column, column + 4): scaled, biased, activated. */
// @ts-ignore: decorator
@inline
function finish(acc: v128, scales: usize, bias: usize, column: i32, activation: i32, alphaBits: i32): v128 {
  let v = f32x4.mul(acc, v128.load(scales + (<usize>column << 2)));
  if (bias != 0) {
    v = f32x4.add(v, v128.load(bias + (<usize>column << 2)));
  }
  return activate4(v, activation, slopesAt(activation, alphaBits, column));
}

/** int32 sums as f32, times the row's scale, added to acc. */
// @ts-ignore: decorator
@inline
function join(sums: v128, scale: v128, acc: v128): v128 {
  return madd(f32x4.convert_i32x4_s(sums), scale, acc);
}

// @ts-ignore: decorator
@inline
function dotAdd(x: v128, w: v128, sums: v128): v128 {
  return i32x4.add(sums, i32x4.dot_i16x8_s(x, w));
}

/**
 * Row `row`'s int32 sums of columns [column, column + 4) joined into the
 * f32 sums kept in y (`first`: none yet) and, `last`, finished: only int32
 * sums stay in registers through the block loops (f32 ones as well would
 * not fit the 16 vector registers of x64 and spill there).
 */
// @ts-ignore: decorator
@inline
function joinIntoY(
    sums: v128, out: usize, scale: v128, first: bool, last: bool, scales: usize, bias: usize, column: i32, activation: i32,
    alphaBits: i32): void {
  const acc = join(sums, scale, first ? f32x4.splat(0) : v128.load(out));
  v128.store(out, last ? finish(acc, scales, bias, column, activation, alphaBits) : acc);
}

// @ts-ignore: decorator
@inline
function tile4x8(
    rows: i32, taps: i32, xq: usize, xStride: i32, xTable: usize, zeroRow: usize, xScales: usize, scaleStride: i32,
    w: usize, block: usize, other: usize, first: i32, end: i32, bs: i32,
    y: usize, yStride: i32, scales: usize, bias: usize, activation: i32, alphaBits: i32, s: i32, m: i32, j: i32): void {
  const column = s * bs + j;
  const out = y + (<usize>(m * yStride + column) << 2);
  const rowBytes = <usize>yStride << 2;
  let i00 = i32x4.splat(0), i01 = i32x4.splat(0), i10 = i32x4.splat(0), i11 = i32x4.splat(0);
  let i20 = i32x4.splat(0), i21 = i32x4.splat(0), i30 = i32x4.splat(0), i31 = i32x4.splat(0);
  const pairRow = <usize>(2 * bs);
  const every = joinEvery(bs);
  let summed = 0;
  let joined = false;
  const total = (end - first) * taps;
  for (let e = first; e < end; e++) {
    const tapBase = at(block, e) * taps;
    for (let t = 0; t < taps; t++) {
      let x0 = xRow(rows, xq, xStride, xTable, zeroRow, other, bs, e, t, m);
      let x1 = xRow(rows, xq, xStride, xTable, zeroRow, other, bs, e, t, m + 1);
      let x2 = xRow(rows, xq, xStride, xTable, zeroRow, other, bs, e, t, m + 2);
      let x3 = xRow(rows, xq, xStride, xTable, zeroRow, other, bs, e, t, m + 3);
      let wp = w + <usize>((tapBase + t) * bs * bs + 2 * j);
      for (let p = 0; p < bs; p += 2) {
        const w0 = v128.load_ext<i8>(wp);
        const w1 = v128.load_ext<i8>(wp, 8);
        const b0 = v128.load32_splat(x0);
        const b1 = v128.load32_splat(x1);
        const b2 = v128.load32_splat(x2);
        const b3 = v128.load32_splat(x3);
        i00 = dotAdd(b0, w0, i00);
        i01 = dotAdd(b0, w1, i01);
        i10 = dotAdd(b1, w0, i10);
        i11 = dotAdd(b1, w1, i11);
        i20 = dotAdd(b2, w0, i20);
        i21 = dotAdd(b2, w1, i21);
        i30 = dotAdd(b3, w0, i30);
        i31 = dotAdd(b3, w1, i31);
        x0 += 4;
        x1 += 4;
        x2 += 4;
        x3 += 4;
        wp += pairRow;
      }
      // Joined every `every` blocks and taps, and after the last (where the last group is short).
      if (++summed == every && (e - first) * taps + t + 1 < total) {
        joinTile8(i00, i01, i10, i11, i20, i21, i30, i31, out, rowBytes, xScales, scaleStride, m, !joined, false, scales, bias, column,
                  activation, alphaBits);
        i00 = i01 = i10 = i11 = i20 = i21 = i30 = i31 = i32x4.splat(0);
        summed = 0;
        joined = true;
      }
    }
  }
  joinTile8(i00, i01, i10, i11, i20, i21, i30, i31, out, rowBytes, xScales, scaleStride, m, !joined, true, scales, bias, column, activation,
            alphaBits);
}

/** A 4 x 8 tile's int32 sums joined into y (see joinIntoY). */
// @ts-ignore: decorator
@inline
function joinTile8(
    i00: v128, i01: v128, i10: v128, i11: v128, i20: v128, i21: v128, i30: v128, i31: v128, out: usize, rowBytes: usize,
    xScales: usize, scaleStride: i32, m: i32, first: bool, last: bool, scales: usize, bias: usize, column: i32, activation: i32,
    alphaBits: i32): void {
  const s0 = xScaleAt(xScales, scaleStride, m), s1 = xScaleAt(xScales, scaleStride, m + 1);
  const s2 = xScaleAt(xScales, scaleStride, m + 2), s3 = xScaleAt(xScales, scaleStride, m + 3);
  joinIntoY(i00, out, s0, first, last, scales, bias, column, activation, alphaBits);
  joinIntoY(i01, out + 16, s0, first, last, scales, bias, column + 4, activation, alphaBits);
  joinIntoY(i10, out + rowBytes, s1, first, last, scales, bias, column, activation, alphaBits);
  joinIntoY(i11, out + rowBytes + 16, s1, first, last, scales, bias, column + 4, activation, alphaBits);
  joinIntoY(i20, out + 2 * rowBytes, s2, first, last, scales, bias, column, activation, alphaBits);
  joinIntoY(i21, out + 2 * rowBytes + 16, s2, first, last, scales, bias, column + 4, activation, alphaBits);
  joinIntoY(i30, out + 3 * rowBytes, s3, first, last, scales, bias, column, activation, alphaBits);
  joinIntoY(i31, out + 3 * rowBytes + 16, s3, first, last, scales, bias, column + 4, activation, alphaBits);
}

/** The last 4 columns of a block whose size is not a multiple of 8. */
// @ts-ignore: decorator
@inline
function tile4x4(
    rows: i32, taps: i32, xq: usize, xStride: i32, xTable: usize, zeroRow: usize, xScales: usize, scaleStride: i32,
    w: usize, block: usize, other: usize, first: i32, end: i32, bs: i32,
    y: usize, yStride: i32, scales: usize, bias: usize, activation: i32, alphaBits: i32, s: i32, m: i32, j: i32): void {
  const column = s * bs + j;
  const out = y + (<usize>(m * yStride + column) << 2);
  const rowBytes = <usize>yStride << 2;
  let i0 = i32x4.splat(0), i1 = i32x4.splat(0), i2 = i32x4.splat(0), i3 = i32x4.splat(0);
  const pairRow = <usize>(2 * bs);
  const every = joinEvery(bs);
  let summed = 0;
  let joined = false;
  const total = (end - first) * taps;
  for (let e = first; e < end; e++) {
    const tapBase = at(block, e) * taps;
    for (let t = 0; t < taps; t++) {
      let x0 = xRow(rows, xq, xStride, xTable, zeroRow, other, bs, e, t, m);
      let x1 = xRow(rows, xq, xStride, xTable, zeroRow, other, bs, e, t, m + 1);
      let x2 = xRow(rows, xq, xStride, xTable, zeroRow, other, bs, e, t, m + 2);
      let x3 = xRow(rows, xq, xStride, xTable, zeroRow, other, bs, e, t, m + 3);
      let wp = w + <usize>((tapBase + t) * bs * bs + 2 * j);
      for (let p = 0; p < bs; p += 2) {
        const w0 = v128.load_ext<i8>(wp);
        i0 = dotAdd(v128.load32_splat(x0), w0, i0);
        i1 = dotAdd(v128.load32_splat(x1), w0, i1);
        i2 = dotAdd(v128.load32_splat(x2), w0, i2);
        i3 = dotAdd(v128.load32_splat(x3), w0, i3);
        x0 += 4;
        x1 += 4;
        x2 += 4;
        x3 += 4;
        wp += pairRow;
      }
      if (++summed == every && (e - first) * taps + t + 1 < total) {
        joinTile4(i0, i1, i2, i3, out, rowBytes, xScales, scaleStride, m, !joined, false, scales, bias, column, activation, alphaBits);
        i0 = i1 = i2 = i3 = i32x4.splat(0);
        summed = 0;
        joined = true;
      }
    }
  }
  joinTile4(i0, i1, i2, i3, out, rowBytes, xScales, scaleStride, m, !joined, true, scales, bias, column, activation, alphaBits);
}

/** A 4 x 4 tile's int32 sums joined into y (see joinIntoY). */
// @ts-ignore: decorator
@inline
function joinTile4(
    i0: v128, i1: v128, i2: v128, i3: v128, out: usize, rowBytes: usize, xScales: usize, scaleStride: i32, m: i32, first: bool,
    last: bool, scales: usize, bias: usize, column: i32, activation: i32, alphaBits: i32): void {
  joinIntoY(i0, out, xScaleAt(xScales, scaleStride, m), first, last, scales, bias, column, activation, alphaBits);
  joinIntoY(i1, out + rowBytes, xScaleAt(xScales, scaleStride, m + 1), first, last, scales, bias, column, activation, alphaBits);
  joinIntoY(i2, out + 2 * rowBytes, xScaleAt(xScales, scaleStride, m + 2), first, last, scales, bias, column, activation, alphaBits);
  joinIntoY(i3, out + 3 * rowBytes, xScaleAt(xScales, scaleStride, m + 3), first, last, scales, bias, column, activation, alphaBits);
}

/**
 * out[0, size) = one row of the product over every kept block and tap in
 * storage order: each block's int32 sums, times the row's scale, are added
 * into the row (in L1); then scales, bias and activation.
 */
function int8Row(
    m: i32, rows: i32, taps: i32, xq: usize, xStride: i32, xTable: usize, zeroRow: usize, scale: v128,
    w: usize, bs: i32, blockRows: usize, blockCols: usize, nnz: i32,
    out: usize, size: i32, scales: usize, bias: usize, activation: i32, alphaBits: i32): void {
  memory.fill(out, 0, <usize>size << 2);
  const pairRow = <usize>(2 * bs);
  let wBlock = w;
  for (let e = 0; e < nnz; e++) {
    const xColumn = <usize>(at(blockRows, e) * bs) << 1;
    const outBlock = out + (<usize>(at(blockCols, e) * bs) << 2);
    for (let t = 0; t < taps; t++) {
      const table: usize = xTable == 0 ? 0 : xTable + (<usize>(t * rows) << 2);
      const x0 = rowAt(xq, xStride, table, m, zeroRow) + xColumn;
      let j = 0;
      for (; j + 16 <= bs; j += 16) {
        let i0 = i32x4.splat(0), i1 = i32x4.splat(0), i2 = i32x4.splat(0), i3 = i32x4.splat(0);
        let wp = wBlock + <usize>(2 * j);
        let xp = x0;
        for (let p = 0; p < bs; p += 2) {
          const b = v128.load32_splat(xp);
          i0 = dotAdd(b, v128.load_ext<i8>(wp), i0);
          i1 = dotAdd(b, v128.load_ext<i8>(wp, 8), i1);
          i2 = dotAdd(b, v128.load_ext<i8>(wp, 16), i2);
          i3 = dotAdd(b, v128.load_ext<i8>(wp, 24), i3);
          xp += 4;
          wp += pairRow;
        }
        const o = outBlock + (<usize>j << 2);
        v128.store(o, join(i0, scale, v128.load(o)));
        v128.store(o, join(i1, scale, v128.load(o, 16)), 16);
        v128.store(o, join(i2, scale, v128.load(o, 32)), 32);
        v128.store(o, join(i3, scale, v128.load(o, 48)), 48);
      }
      for (; j < bs; j += 4) {
        let i0 = i32x4.splat(0);
        let wp = wBlock + <usize>(2 * j);
        let xp = x0;
        for (let p = 0; p < bs; p += 2) {
          i0 = dotAdd(v128.load32_splat(xp), v128.load_ext<i8>(wp), i0);
          xp += 4;
          wp += pairRow;
        }
        const o = outBlock + (<usize>j << 2);
        v128.store(o, join(i0, scale, v128.load(o)));
      }
      wBlock += <usize>(bs * bs);
    }
  }
  for (let c = 0; c < size; c += 4) {
    v128.store(out + (<usize>c << 2), finish(v128.load(out + (<usize>c << 2)), scales, bias, c, activation, alphaBits));
  }
}
