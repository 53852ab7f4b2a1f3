import {activate4, slopesAt} from './activation';
import {weights4, widen} from './float16';
import {at, madd, rowAt} from './rows';
import {broadcastRow, finishRow} from './rows_in_order';

/**
 * y = x·W, one output block column (segment) at a time, over that column's
 * kept blocks and, for a convolution, the filter taps: tiles of 4 rows ×
 * 8 (or 4) columns live in v128 accumulators; each step broadcasts one x
 * value per row against a W row's vectors (XNNPACK's 4x8 "loadsplat" GEMM).
 * A segment's blocks stay in cache while every row tile passes over them.
 * The last rows % 4 rows (all of a batch of 1) go one at a time, in
 * storage order (rows_in_order.ts).
 *
 * Rows are consecutive in x (xTable == 0) or, for a convolution, looked up
 * per tap in xTable [taps][rows] (−1: outside the image, reads zeroRow).
 * bias (0: none) is added and the activation (activation.ts) applied before
 * the single store.
 *
 * Where every kept block fits in L1 (`rowTiles` > 0) the loops turn
 * around: each tile of 4 rows goes over every segment, so that a row's
 * outputs are written together, a cache line at once, instead of 8 floats
 * per row in one pass over the whole output per segment, which made thin
 * layers with wide outputs (1x1 convs of 16 -> 96 channels) slower than
 * tfjs's dense conv even with no block kept.
 *
 * Work units, for threads to share: segment-major, unit s < segments is
 * segment s's tiled rows; row-major, unit u is the u-th run of `rowTiles`
 * row tiles; the unit after them does the last rows. A call does
 * [unitFirst, unitEnd).
 */
export function productBroadcast(
    rows: i32, taps: i32, x: usize, xStride: i32, xTable: usize, zeroRow: usize,
    w: usize, ptr: usize, block: usize, other: usize, segments: i32, bs: i32,
    blockRows: usize, blockCols: usize, nnz: i32,
    y: usize, yStride: i32, bias: usize, activation: i32, alphaBits: i32, rowTiles: i32, unitFirst: i32, unitEnd: i32): void {
  productBroadcastOf<f32>(rows, taps, x, xStride, xTable, zeroRow, w, ptr, block, other, segments, bs, blockRows, blockCols, nnz, y,
                          yStride, bias, activation, alphaBits, rowTiles, 0, 0, 0, unitFirst, unitEnd);
}

/**
 * productBroadcast over float16 blocks (two to an i32, core's
 * toFloat16Blocks). Without regions (0), widened to float32 in registers
 * as they load, for every tile of rows again; with them, each group of
 * `group` blocks of a segment is widened once into the segment's region
 * (`group` float32 blocks a segment), which the tiles then read as float32
 * blocks, finding them through `indices`: the i32s 0, 1, ..., group - 1.
 */
export function productBroadcastHalf(
    rows: i32, taps: i32, x: usize, xStride: i32, xTable: usize, zeroRow: usize,
    w: usize, ptr: usize, block: usize, other: usize, segments: i32, bs: i32,
    blockRows: usize, blockCols: usize, nnz: i32,
    y: usize, yStride: i32, bias: usize, activation: i32, alphaBits: i32, rowTiles: i32, indices: usize, regions: usize,
    group: i32, unitFirst: i32, unitEnd: i32): void {
  productBroadcastOf<u16>(rows, taps, x, xStride, xTable, zeroRow, w, ptr, block, other, segments, bs, blockRows, blockCols, nnz, y,
                          yStride, bias, activation, alphaBits, rowTiles, indices, regions, group, unitFirst, unitEnd);
}

/** The product with weights of type W: f32, or u16 holding float16s (float16.ts's weights4; regions as productBroadcastHalf's). */
// @ts-ignore: decorator
@inline
function productBroadcastOf<W>(
    rows: i32, taps: i32, x: usize, xStride: i32, xTable: usize, zeroRow: usize,
    w: usize, ptr: usize, block: usize, other: usize, segments: i32, bs: i32,
    blockRows: usize, blockCols: usize, nnz: i32,
    y: usize, yStride: i32, bias: usize, activation: i32, alphaBits: i32, rowTiles: i32, indices: usize, regions: usize,
    regionGroup: i32, unitFirst: i32, unitEnd: i32): void {
  const tiled = rows & ~3;
  const tileUnits = rowTiles > 0 ? (tiled / 4 + rowTiles - 1) / rowTiles : segments;
  if (unitEnd > tileUnits) {
    for (let m = tiled; m < rows; m++) {
      const out = y + (<usize>(m * yStride) << 2);
      broadcastRow<W>(m, rows, taps, x, xStride, xTable, zeroRow, w, blockRows, blockCols, nnz, bs, out, segments * bs);
      finishRow(out, segments * bs, bias, activation, alphaBits);
    }
  }
  if (rowTiles > 0) {
    for (let u = unitFirst; u < min(unitEnd, tileUnits); u++) {
      const mEnd = min(tiled, (u + 1) * rowTiles * 4);
      for (let m = u * rowTiles * 4; m < mEnd; m += 4) {
        for (let s = 0; s < segments; s++) {
          rowTile<W>(rows, taps, x, xStride, xTable, zeroRow, w, block, other, at(ptr, s), at(ptr, s + 1), bs, y, yStride, bias, activation,
                  alphaBits, s, m, true, true);
        }
      }
    }
    return;
  }
  const group = regions != 0 ? regionGroup : max(1, GROUP_BYTES / (bs * bs * taps * sizeof<W>()));
  const blockValues = bs * bs * taps;
  for (let s = unitFirst; s < min(unitEnd, segments); s++) {
    const end = at(ptr, s + 1);
    // One pass per group of the segment's blocks (one pass for a segment with none).
    let first = at(ptr, s);
    do {
      const last = min(first + group, end);
      const opening = first == at(ptr, s);
      const closing = last == end;
      if (regions != 0) {
        // The group's blocks as float32, in order in the segment's region; the indices then map block e to e - first.
        const region = regions + <usize>(s * group * blockValues) * 4;
        for (let e = first; e < last; e++) {
          widen(w + <usize>(at(block, e) * blockValues) * 2, region + <usize>((e - first) * blockValues) * 4, blockValues);
        }
        for (let m = 0; m < tiled; m += 4) {
          rowTile<f32>(rows, taps, x, xStride, xTable, zeroRow, region, indices - (<usize>first << 2), other, first, last, bs, y, yStride,
                       bias, activation, alphaBits, s, m, opening, closing);
        }
      } else {
        for (let m = 0; m < tiled; m += 4) {
          rowTile<W>(rows, taps, x, xStride, xTable, zeroRow, w, block, other, first, last, bs, y, yStride, bias, activation, alphaBits, s,
                     m, opening, closing);
        }
      }
      first = last;
    } while (first < end);
  }
}

/** Rows m..m+3 of segment s over its blocks [first, end): 8 columns at a time, then 4. */
// @ts-ignore: decorator
@inline
function rowTile<W>(
    rows: i32, taps: i32, x: usize, xStride: i32, xTable: usize, zeroRow: usize,
    w: usize, block: usize, other: usize, first: i32, end: i32, bs: i32,
    y: usize, yStride: i32, bias: usize, activation: i32, alphaBits: i32, s: i32, m: i32, opening: bool, closing: bool): void {
  let j = 0;
  for (; j + 8 <= bs; j += 8) {
    tile4x8<W>(rows, taps, x, xStride, xTable, zeroRow, w, block, other, first, end, bs, y, yStride, bias, activation, alphaBits, s, m, j,
            opening, closing);
  }
  if (j < bs) {
    tile4x4<W>(rows, taps, x, xStride, xTable, zeroRow, w, block, other, first, end, bs, y, yStride, bias, activation, alphaBits, s, m, j,
            opening, closing);
  }
}

/**
 * The weight bytes a pass over the row tiles works on: a segment's blocks
 * go in groups this large, which stay in L1 while every row tile reads
 * them, the partial sums waiting in y between groups. Without groups a
 * dense column at block 32 (256 KiB) streamed from L2 for each row tile,
 * which on an Intel Xeon made the forward at density 1 half as fast as
 * tfjs's dense matmul.
 */
const GROUP_BYTES = 16384;

/**
 * A tile's output: as summed so far, or (closing: after the segment's last
 * group) biased and activated. `biasVector` holds the bias of the tile's
 * columns, loaded once per tile (`bias` says whether there is one).
 */
// @ts-ignore: decorator
@inline
function epilogue(acc: v128, bias: usize, biasVector: v128, activation: i32, slopes: v128, closing: bool): v128 {
  if (!closing) {
    return acc;
  }
  if (bias != 0) {
    acc = f32x4.add(acc, biasVector);
  }
  return activate4(acc, activation, slopes);
}

/** The bias of columns [column, column + 4), or zeros where there is none. */
// @ts-ignore: decorator
@inline
function biasAt(bias: usize, column: i32): v128 {
  return bias == 0 ? f32x4.splat(0) : v128.load(bias + (<usize>column << 2));
}

// @ts-ignore: decorator
@inline
function tile4x8<W>(
    rows: i32, taps: i32, x: usize, xStride: i32, xTable: usize, zeroRow: usize,
    w: usize, block: usize, other: usize, first: i32, end: i32, bs: i32,
    y: usize, yStride: i32, bias: usize, activation: i32, alphaBits: i32, s: i32, m: i32, j: i32, opening: bool, closing: bool): void {
  const column = s * bs + j;
  const out = y + (<usize>(m * yStride + column) << 2);
  const rowBytes = <usize>yStride << 2;
  // A later group goes on from the sums the earlier ones left in y.
  const zero = f32x4.splat(0);
  let a00 = opening ? zero : v128.load(out), a01 = opening ? zero : v128.load(out, 16);
  let a10 = opening ? zero : v128.load(out + rowBytes), a11 = opening ? zero : v128.load(out + rowBytes, 16);
  let a20 = opening ? zero : v128.load(out + 2 * rowBytes), a21 = opening ? zero : v128.load(out + 2 * rowBytes, 16);
  let a30 = opening ? zero : v128.load(out + 3 * rowBytes), a31 = opening ? zero : v128.load(out + 3 * rowBytes, 16);
  const wRow = <usize>bs * sizeof<W>();
  for (let e = first; e < end; e++) {
    const xColumn = <usize>(at(other, e) * bs) << 2;
    const tapBase = at(block, e) * taps;
    for (let t = 0; t < taps; t++) {
      const table: usize = xTable == 0 ? 0 : xTable + (<usize>(t * rows) << 2);
      let x0 = rowAt(x, xStride, table, m, zeroRow) + xColumn;
      let x1 = rowAt(x, xStride, table, m + 1, zeroRow) + xColumn;
      let x2 = rowAt(x, xStride, table, m + 2, zeroRow) + xColumn;
      let x3 = rowAt(x, xStride, table, m + 3, zeroRow) + xColumn;
      let wp = w + <usize>((tapBase + t) * bs * bs + j) * sizeof<W>();
      for (let k = 0; k < bs; k++) {
        const w0 = weights4<W>(wp);
        const w1 = weights4<W>(wp + 4 * sizeof<W>());
        const b0 = v128.load_splat<f32>(x0);
        const b1 = v128.load_splat<f32>(x1);
        const b2 = v128.load_splat<f32>(x2);
        const b3 = v128.load_splat<f32>(x3);
        a00 = madd(b0, w0, a00);
        a01 = madd(b0, w1, a01);
        a10 = madd(b1, w0, a10);
        a11 = madd(b1, w1, a11);
        a20 = madd(b2, w0, a20);
        a21 = madd(b2, w1, a21);
        a30 = madd(b3, w0, a30);
        a31 = madd(b3, w1, a31);
        x0 += 4;
        x1 += 4;
        x2 += 4;
        x3 += 4;
        wp += wRow;
      }
    }
  }
  const b0 = biasAt(bias, column), b1 = biasAt(bias, column + 4);
  const p0 = slopesAt(activation, alphaBits, column), p1 = slopesAt(activation, alphaBits, column + 4);
  v128.store(out, epilogue(a00, bias, b0, activation, p0, closing));
  v128.store(out, epilogue(a01, bias, b1, activation, p1, closing), 16);
  v128.store(out + rowBytes, epilogue(a10, bias, b0, activation, p0, closing));
  v128.store(out + rowBytes, epilogue(a11, bias, b1, activation, p1, closing), 16);
  v128.store(out + 2 * rowBytes, epilogue(a20, bias, b0, activation, p0, closing));
  v128.store(out + 2 * rowBytes, epilogue(a21, bias, b1, activation, p1, closing), 16);
  v128.store(out + 3 * rowBytes, epilogue(a30, bias, b0, activation, p0, closing));
  v128.store(out + 3 * rowBytes, epilogue(a31, bias, b1, activation, p1, closing), 16);
}

/** The last 4 columns of a block whose size is not a multiple of 8. */
// @ts-ignore: decorator
@inline
function tile4x4<W>(
    rows: i32, taps: i32, x: usize, xStride: i32, xTable: usize, zeroRow: usize,
    w: usize, block: usize, other: usize, first: i32, end: i32, bs: i32,
    y: usize, yStride: i32, bias: usize, activation: i32, alphaBits: i32, s: i32, m: i32, j: i32, opening: bool, closing: bool): void {
  const column = s * bs + j;
  const out = y + (<usize>(m * yStride + column) << 2);
  const rowBytes = <usize>yStride << 2;
  const zero = f32x4.splat(0);
  let a0 = opening ? zero : v128.load(out), a1 = opening ? zero : v128.load(out + rowBytes);
  let a2 = opening ? zero : v128.load(out + 2 * rowBytes), a3 = opening ? zero : v128.load(out + 3 * rowBytes);
  const wRow = <usize>bs * sizeof<W>();
  for (let e = first; e < end; e++) {
    const xColumn = <usize>(at(other, e) * bs) << 2;
    const tapBase = at(block, e) * taps;
    for (let t = 0; t < taps; t++) {
      const table: usize = xTable == 0 ? 0 : xTable + (<usize>(t * rows) << 2);
      let x0 = rowAt(x, xStride, table, m, zeroRow) + xColumn;
      let x1 = rowAt(x, xStride, table, m + 1, zeroRow) + xColumn;
      let x2 = rowAt(x, xStride, table, m + 2, zeroRow) + xColumn;
      let x3 = rowAt(x, xStride, table, m + 3, zeroRow) + xColumn;
      let wp = w + <usize>((tapBase + t) * bs * bs + j) * sizeof<W>();
      for (let k = 0; k < bs; k++) {
        const w0 = weights4<W>(wp);
        a0 = madd(v128.load_splat<f32>(x0), w0, a0);
        a1 = madd(v128.load_splat<f32>(x1), w0, a1);
        a2 = madd(v128.load_splat<f32>(x2), w0, a2);
        a3 = madd(v128.load_splat<f32>(x3), w0, a3);
        x0 += 4;
        x1 += 4;
        x2 += 4;
        x3 += 4;
        wp += wRow;
      }
    }
  }
  const b0 = biasAt(bias, column);
  const p0 = slopesAt(activation, alphaBits, column);
  v128.store(out, epilogue(a0, bias, b0, activation, p0, closing));
  v128.store(out + rowBytes, epilogue(a1, bias, b0, activation, p0, closing));
  v128.store(out + 2 * rowBytes, epilogue(a2, bias, b0, activation, p0, closing));
  v128.store(out + 3 * rowBytes, epilogue(a3, bias, b0, activation, p0, closing));
}

