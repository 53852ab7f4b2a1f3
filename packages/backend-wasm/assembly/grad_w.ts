import {at, madd, rowAt} from './rows';

/**
 * dW = xᵀ·dy for the kept blocks only: dW[e, t, k, j] = Σ over rows p of
 * x[row p at tap t, block row's k] · dy[p, block column's j]. Tiles of
 * 4 k × 8 (or 4) j in v128 accumulators, one pass over the rows each.
 *
 * dy rows are consecutive; x rows are consecutive (xTable == 0) or, for a
 * convolution, looked up per tap in xTable [taps][rows] (−1: reads zeroRow,
 * adding nothing). With accumulate, dW += result (a convolution's images).
 * Work units, for threads to share: unit e is kept block e.
 */
/**
 * Below this many rows a 4 × 8 tile does too little work per setup and
 * writes dW in scattered 32-byte pieces; 1 × 16 tiles write whole cache
 * lines in order (at 1 row, dW is an outer product: a pure write stream).
 */
const FEW_ROWS = 8;

export function gradW(
    rows: i32, taps: i32, x: usize, xStride: i32, xTable: usize, zeroRow: usize,
    dy: usize, dyStride: i32, blockRows: usize, blockCols: usize, nnz: i32, bs: i32,
    dw: usize, accumulate: bool, unitFirst: i32, unitEnd: i32): void {
  for (let e = unitFirst; e < min(unitEnd, nnz); e++) {
    const xColumn = <usize>(at(blockRows, e) * bs) << 2;
    const dyColumn = dy + (<usize>(at(blockCols, e) * bs) << 2);
    for (let t = 0; t < taps; t++) {
      const table: usize = xTable == 0 ? 0 : xTable + (<usize>(t * rows) << 2);
      const out = dw + (<usize>((e * taps + t) * bs * bs) << 2);
      if (rows < FEW_ROWS) {
        for (let k = 0; k < bs; k++) {
          let j = 0;
          for (; j + 16 <= bs; j += 16) {
            tile1x16(rows, x, xStride, table, zeroRow, xColumn + (<usize>k << 2), dyColumn + (<usize>j << 2), dyStride,
                     out + (<usize>(k * bs + j) << 2), accumulate);
          }
          for (; j < bs; j += 4) {
            tile1x4(rows, x, xStride, table, zeroRow, xColumn + (<usize>k << 2), dyColumn + (<usize>j << 2), dyStride,
                    out + (<usize>(k * bs + j) << 2), accumulate);
          }
        }
        continue;
      }
      for (let k = 0; k < bs; k += 4) {
        let j = 0;
        for (; j + 8 <= bs; j += 8) {
          tile4x8(rows, x, xStride, table, zeroRow, xColumn + (<usize>k << 2), dyColumn + (<usize>j << 2), dyStride,
                  out + (<usize>(k * bs + j) << 2), bs, accumulate);
        }
        if (j < bs) {
          tile4x4(rows, x, xStride, table, zeroRow, xColumn + (<usize>k << 2), dyColumn + (<usize>j << 2), dyStride,
                  out + (<usize>(k * bs + j) << 2), bs, accumulate);
        }
      }
    }
  }
}

// @ts-ignore: decorator
@inline
function lane(v: v128, i: u8): v128 {
  return i == 0 ? v128.shuffle<f32>(v, v, 0, 0, 0, 0) :
         i == 1 ? v128.shuffle<f32>(v, v, 1, 1, 1, 1) :
         i == 2 ? v128.shuffle<f32>(v, v, 2, 2, 2, 2) : v128.shuffle<f32>(v, v, 3, 3, 3, 3);
}

// @ts-ignore: decorator
@inline
function put(out: usize, offset: usize, acc: v128, accumulate: bool): void {
  v128.store(out + offset, accumulate ? f32x4.add(acc, v128.load(out + offset)) : acc);
}

// @ts-ignore: decorator
@inline
function tile4x8(
    rows: i32, x: usize, xStride: i32, table: usize, zeroRow: usize, xColumn: usize,
    dy: usize, dyStride: i32, out: usize, bs: i32, accumulate: bool): void {
  let a00 = f32x4.splat(0), a01 = f32x4.splat(0), a10 = f32x4.splat(0), a11 = f32x4.splat(0);
  let a20 = f32x4.splat(0), a21 = f32x4.splat(0), a30 = f32x4.splat(0), a31 = f32x4.splat(0);
  const dyRow = <usize>dyStride << 2;
  let dp = dy;
  for (let p = 0; p < rows; p++) {
    const xv = v128.load(rowAt(x, xStride, table, p, zeroRow) + xColumn);
    const d0 = v128.load(dp);
    const d1 = v128.load(dp, 16);
    const b0 = lane(xv, 0), b1 = lane(xv, 1), b2 = lane(xv, 2), b3 = lane(xv, 3);
    a00 = madd(b0, d0, a00);
    a01 = madd(b0, d1, a01);
    a10 = madd(b1, d0, a10);
    a11 = madd(b1, d1, a11);
    a20 = madd(b2, d0, a20);
    a21 = madd(b2, d1, a21);
    a30 = madd(b3, d0, a30);
    a31 = madd(b3, d1, a31);
    dp += dyRow;
  }
  const rowBytes = <usize>bs << 2;
  put(out, 0, a00, accumulate);
  put(out, 16, a01, accumulate);
  put(out, rowBytes, a10, accumulate);
  put(out, rowBytes + 16, a11, accumulate);
  put(out, 2 * rowBytes, a20, accumulate);
  put(out, 2 * rowBytes + 16, a21, accumulate);
  put(out, 3 * rowBytes, a30, accumulate);
  put(out, 3 * rowBytes + 16, a31, accumulate);
}

/** The last 4 columns of a block whose size is not a multiple of 8. */
// @ts-ignore: decorator
@inline
function tile4x4(
    rows: i32, x: usize, xStride: i32, table: usize, zeroRow: usize, xColumn: usize,
    dy: usize, dyStride: i32, out: usize, bs: i32, accumulate: bool): void {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  const dyRow = <usize>dyStride << 2;
  let dp = dy;
  for (let p = 0; p < rows; p++) {
    const xv = v128.load(rowAt(x, xStride, table, p, zeroRow) + xColumn);
    const d0 = v128.load(dp);
    a0 = madd(lane(xv, 0), d0, a0);
    a1 = madd(lane(xv, 1), d0, a1);
    a2 = madd(lane(xv, 2), d0, a2);
    a3 = madd(lane(xv, 3), d0, a3);
    dp += dyRow;
  }
  const rowBytes = <usize>bs << 2;
  put(out, 0, a0, accumulate);
  put(out, rowBytes, a1, accumulate);
  put(out, 2 * rowBytes, a2, accumulate);
  put(out, 3 * rowBytes, a3, accumulate);
}

/** One row k of a dW block, 16 columns. */
// @ts-ignore: decorator
@inline
function tile1x16(
    rows: i32, x: usize, xStride: i32, table: usize, zeroRow: usize, xColumn: usize,
    dy: usize, dyStride: i32, out: usize, accumulate: bool): void {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  const dyRow = <usize>dyStride << 2;
  let dp = dy;
  for (let p = 0; p < rows; p++) {
    const b = v128.load_splat<f32>(rowAt(x, xStride, table, p, zeroRow) + xColumn);
    a0 = madd(b, v128.load(dp), a0);
    a1 = madd(b, v128.load(dp, 16), a1);
    a2 = madd(b, v128.load(dp, 32), a2);
    a3 = madd(b, v128.load(dp, 48), a3);
    dp += dyRow;
  }
  put(out, 0, a0, accumulate);
  put(out, 16, a1, accumulate);
  put(out, 32, a2, accumulate);
  put(out, 48, a3, accumulate);
}

/** One row k of a dW block, 4 columns: the rest of a block narrower than 16 or not a multiple of it. */
// @ts-ignore: decorator
@inline
function tile1x4(
    rows: i32, x: usize, xStride: i32, table: usize, zeroRow: usize, xColumn: usize,
    dy: usize, dyStride: i32, out: usize, accumulate: bool): void {
  let a0 = f32x4.splat(0);
  const dyRow = <usize>dyStride << 2;
  let dp = dy;
  for (let p = 0; p < rows; p++) {
    const b = v128.load_splat<f32>(rowAt(x, xStride, table, p, zeroRow) + xColumn);
    a0 = madd(b, v128.load(dp), a0);
    dp += dyRow;
  }
  put(out, 0, a0, accumulate);
}
