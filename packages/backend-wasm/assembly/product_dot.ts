import {activate1, slopeAt} from './activation';
import {at, madd, rowAt} from './rows';
import {dotRow, finishRow, lanes} from './rows_in_order';

/**
 * y = x·Wᵀ (dx of the product; per tap, dx of a convolution), one input
 * block row (segment) at a time: y[m, i] = Σ over the row's kept blocks of
 * x[m, block's columns] · W[i, :], a dot product along W's contiguous rows.
 * Tiles of 4 rows × 2 outputs keep 8 v128 partial sums, added across lanes
 * once at the end. The last rows % 4 rows go one at a time, in storage
 * order (rows_in_order.ts).
 *
 * x rows are consecutive; y rows are consecutive (yTable == 0) or looked up
 * in yTable [rows] (−1: write to scratchRow). With accumulate, y += result
 * (conv dx, which has neither bias nor activation). Work units as in
 * productBroadcast: segments, then the last rows.
 * W blocks are [nnz, taps, bs, bs]; `tap` picks one.
 */
export function productDot(
    rows: i32, taps: i32, tap: i32, x: usize, xStride: i32,
    w: usize, ptr: usize, block: usize, other: usize, segments: i32, bs: i32,
    blockRows: usize, blockCols: usize, nnz: i32,
    y: usize, yStride: i32, yTable: usize, scratchRow: usize, accumulate: bool, bias: usize, activation: i32,
    alphaBits: i32, unitFirst: i32, unitEnd: i32): void {
  const rowBytes = <usize>xStride << 2;
  const wRow = <usize>bs << 2;
  const tiled = rows & ~3;
  if (unitEnd > segments) {
    for (let m = tiled; m < rows; m++) {
      const out = rowAt(y, yStride, yTable, m, scratchRow);
      dotRow(x + <usize>m * rowBytes, taps, tap, w, blockRows, blockCols, nnz, bs, out, segments * bs, accumulate);
      finishRow(out, segments * bs, bias, activation, alphaBits);
    }
  }
  for (let s = unitFirst; s < min(unitEnd, segments); s++) {
    const first = at(ptr, s);
    const end = at(ptr, s + 1);
    for (let m = 0; m < tiled; m += 4) {
      const x0 = x + (<usize>m * rowBytes);
      const x1 = x0 + rowBytes;
      const x2 = x1 + rowBytes;
      const x3 = x2 + rowBytes;
      for (let i = 0; i < bs; i += 2) {
        let a00 = f32x4.splat(0), a01 = f32x4.splat(0), a10 = f32x4.splat(0), a11 = f32x4.splat(0);
        let a20 = f32x4.splat(0), a21 = f32x4.splat(0), a30 = f32x4.splat(0), a31 = f32x4.splat(0);
        for (let e = first; e < end; e++) {
          const xColumn = <usize>(at(other, e) * bs) << 2;
          const w0 = w + (<usize>((at(block, e) * taps + tap) * bs * bs + i * bs) << 2);
          const w1 = w0 + wRow;
          for (let jj: usize = 0; jj < wRow; jj += 16) {
            const v0 = v128.load(w0 + jj);
            const v1 = v128.load(w1 + jj);
            const b0 = v128.load(x0 + xColumn + jj);
            const b1 = v128.load(x1 + xColumn + jj);
            const b2 = v128.load(x2 + xColumn + jj);
            const b3 = v128.load(x3 + xColumn + jj);
            a00 = madd(b0, v0, a00);
            a01 = madd(b0, v1, a01);
            a10 = madd(b1, v0, a10);
            a11 = madd(b1, v1, a11);
            a20 = madd(b2, v0, a20);
            a21 = madd(b2, v1, a21);
            a30 = madd(b3, v0, a30);
            a31 = madd(b3, v1, a31);
          }
        }
        const column = s * bs + i;
        finish(y, yStride, yTable, scratchRow, m, column, lanes(a00), lanes(a01), accumulate, bias, activation, alphaBits);
        finish(y, yStride, yTable, scratchRow, m + 1, column, lanes(a10), lanes(a11), accumulate, bias, activation, alphaBits);
        finish(y, yStride, yTable, scratchRow, m + 2, column, lanes(a20), lanes(a21), accumulate, bias, activation, alphaBits);
        finish(y, yStride, yTable, scratchRow, m + 3, column, lanes(a30), lanes(a31), accumulate, bias, activation, alphaBits);
      }
    }
  }
}

/** Stores y[row, column] and y[row, column + 1], after bias, activation and accumulation. */
// @ts-ignore: decorator
@inline
function finish(
    y: usize, yStride: i32, yTable: usize, scratchRow: usize, row: i32, column: i32, v0: f32, v1: f32,
    accumulate: bool, bias: usize, activation: i32, alphaBits: i32): void {
  const out = rowAt(y, yStride, yTable, row, scratchRow) + (<usize>column << 2);
  if (bias != 0) {
    v0 += load<f32>(bias + (<usize>column << 2));
    v1 += load<f32>(bias + (<usize>column << 2), 4);
  }
  v0 = activate1(v0, activation, slopeAt(activation, alphaBits, column));
  v1 = activate1(v1, activation, slopeAt(activation, alphaBits, column + 1));
  if (accumulate) {
    v0 += load<f32>(out);
    v1 += load<f32>(out, 4);
  }
  store<f32>(out, v0);
  store<f32>(out, v1, 4);
}
