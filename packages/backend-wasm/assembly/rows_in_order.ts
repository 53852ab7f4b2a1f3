import {activate4, LINEAR, slopesAt} from './activation';
import {weights4} from './float16';
import {madd, rowAt} from './rows';

/*
 * One row of a product, walking the kept blocks in storage order (W's
 * row-major packing) and adding each block's part into the output row,
 * which stays in L1. W then streams through memory front to back, as in
 * a dense GEMV; walking by output column instead jumps a block row apart
 * at every block (one page each at block 32), which halved the speed at a
 * batch of 1. The product kernels use these for their last rows % 4 rows.
 */

/** The epilogue over a finished output row of `size` floats (bias: 0 for none). */
export function finishRow(out: usize, size: i32, bias: usize, activation: i32, alphaBits: i32): void {
  if (bias == 0 && activation == LINEAR) {
    return;
  }
  for (let c = 0; c < size; c += 4) {
    let v = v128.load(out + (<usize>c << 2));
    if (bias != 0) {
      v = f32x4.add(v, v128.load(bias + (<usize>c << 2)));
    }
    v = activate4(v, activation, slopesAt(activation, alphaBits, c));
    v128.store(out + (<usize>c << 2), v);
  }
}

/** out[0, size) = x row · W over every kept block and tap (out is zeroed here); W's values of type W (float16.ts's weights4). */
export function broadcastRow<W>(
    row: i32, rows: i32, taps: i32, x: usize, xStride: i32, xTable: usize, zeroRow: usize, w: usize,
    blockRows: usize, blockCols: usize, nnz: i32, bs: i32, out: usize, size: i32): void {
  memory.fill(out, 0, <usize>size << 2);
  const wRow = <usize>bs * sizeof<W>();
  let wp = w;
  for (let e = 0; e < nnz; e++) {
    const xColumn = <usize>(load<i32>(blockRows + (<usize>e << 2)) * bs) << 2;
    const outBlock = out + (<usize>(load<i32>(blockCols + (<usize>e << 2)) * bs) << 2);
    for (let t = 0; t < taps; t++) {
      const table: usize = xTable == 0 ? 0 : xTable + (<usize>(t * rows) << 2);
      const xr = rowAt(x, xStride, table, row, zeroRow) + xColumn;
      let j = 0;
      for (; j + 16 <= bs; j += 16) {
        let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
        let wk = wp + <usize>j * sizeof<W>();
        for (let k = 0; k < bs; k++) {
          const b = v128.load_splat<f32>(xr + (<usize>k << 2));
          a0 = madd(b, weights4<W>(wk), a0);
          a1 = madd(b, weights4<W>(wk + 4 * sizeof<W>()), a1);
          a2 = madd(b, weights4<W>(wk + 8 * sizeof<W>()), a2);
          a3 = madd(b, weights4<W>(wk + 12 * sizeof<W>()), a3);
          wk += wRow;
        }
        const o = outBlock + (<usize>j << 2);
        v128.store(o, f32x4.add(v128.load(o), a0));
        v128.store(o, f32x4.add(v128.load(o, 16), a1), 16);
        v128.store(o, f32x4.add(v128.load(o, 32), a2), 32);
        v128.store(o, f32x4.add(v128.load(o, 48), a3), 48);
      }
      for (; j < bs; j += 4) {
        let a0 = f32x4.splat(0);
        let wk = wp + <usize>j * sizeof<W>();
        for (let k = 0; k < bs; k++) {
          a0 = madd(v128.load_splat<f32>(xr + (<usize>k << 2)), weights4<W>(wk), a0);
          wk += wRow;
        }
        const o = outBlock + (<usize>j << 2);
        v128.store(o, f32x4.add(v128.load(o), a0));
      }
      wp += <usize>(bs * bs) * sizeof<W>();
    }
  }
}

/** The sum of a vector's four lanes. */
// @ts-ignore: decorator
@inline
export function lanes(v: v128): f32 {
  const pairs = f32x4.add(v, v128.shuffle<f32>(v, v, 2, 3, 0, 1));
  return f32x4.extract_lane(pairs, 0) + f32x4.extract_lane(pairs, 1);
}

/** out[0, size) (+)= x row · Wᵀ at one tap, over every kept block (without accumulate, out is zeroed first). */
export function dotRow(
    x: usize, taps: i32, tap: i32, w: usize, blockRows: usize, blockCols: usize, nnz: i32, bs: i32, out: usize,
    size: i32, accumulate: bool): void {
  if (!accumulate) {
    memory.fill(out, 0, <usize>size << 2);
  }
  const wRow = <usize>bs << 2;
  for (let e = 0; e < nnz; e++) {
    const xColumn = x + (<usize>(load<i32>(blockCols + (<usize>e << 2)) * bs) << 2);
    const outBlock = out + (<usize>(load<i32>(blockRows + (<usize>e << 2)) * bs) << 2);
    const wBlock = w + (<usize>((e * taps + tap) * bs * bs) << 2);
    for (let i = 0; i < bs; i += 4) {
      const w0 = wBlock + <usize>i * wRow;
      let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
      for (let jj: usize = 0; jj < wRow; jj += 16) {
        const b = v128.load(xColumn + jj);
        a0 = madd(b, v128.load(w0 + jj), a0);
        a1 = madd(b, v128.load(w0 + wRow + jj), a1);
        a2 = madd(b, v128.load(w0 + 2 * wRow + jj), a2);
        a3 = madd(b, v128.load(w0 + 3 * wRow + jj), a3);
      }
      const o = outBlock + (<usize>i << 2);
      store<f32>(o, load<f32>(o) + lanes(a0));
      store<f32>(o, load<f32>(o, 4) + lanes(a1), 4);
      store<f32>(o, load<f32>(o, 8) + lanes(a2), 8);
      store<f32>(o, load<f32>(o, 12) + lanes(a3), 12);
    }
  }
}
