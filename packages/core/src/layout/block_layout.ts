/**
 * Which [blockSize, blockSize] tiles of a dense [K, N] weight are kept.
 *
 * Rows index input blocks (K / blockSize of them), columns index output
 * blocks (N / blockSize). Kept blocks are held in one canonical order,
 * row-major (by row, then column); block i of a packed weight
 * [nnz, ..., blockSize, blockSize] is the dense tile at (rows[i], cols[i]).
 *
 * A layout is immutable and owns its lookup tables: they are built on first
 * use and shared by every op call and every backend that uses the layout.
 */
export interface BlockLayoutJSON {
  blockSize: number;
  rowBlocks: number;
  colBlocks: number;
  /** Kept blocks as flat [row0, col0, row1, col1, ...] in canonical order. */
  blocks: number[];
}

/**
 * Kept blocks grouped by one grid axis: segment s (a row or a column) holds
 * entries ptr[s] .. ptr[s + 1] - 1; entry e names the packed block index
 * block[e] and the block's coordinate on the other axis, other[e].
 */
export interface BlockTable {
  readonly ptr: Int32Array;
  readonly block: Int32Array;
  readonly other: Int32Array;
  /** Largest number of entries in one segment. */
  readonly maxSegment: number;
}

export class BlockLayout {
  /** Each kept block's input block row, in canonical order (frozen: op caches are keyed on the layout). */
  readonly rows: readonly number[];
  /** Each kept block's output block column, in canonical order (frozen). */
  readonly cols: readonly number[];
  private columnTable?: BlockTable;
  private rowTable?: BlockTable;
  private indexGrid?: Int32Array;

  /**
   * Blocks may come in any order; they are stored (and packed weights are
   * expected) in canonical row-major order. Throws on a bad block size or
   * grid, on blocks outside the grid and on duplicates.
   */
  constructor(
      readonly blockSize: number, readonly rowBlocks: number, readonly colBlocks: number, blocks: ArrayLike<readonly[number, number]>) {
    checkPositiveInt(blockSize, 'blockSize');
    checkPositiveInt(rowBlocks, 'rowBlocks');
    checkPositiveInt(colBlocks, 'colBlocks');
    const keys: number[] = [];
    for (let i = 0; i < blocks.length; i++) {
      const [r, c] = blocks[i];
      if (!Number.isInteger(r) || !Number.isInteger(c) || r < 0 || c < 0 || r >= rowBlocks || c >= colBlocks) {
        throw new Error(
            `BlockLayout: block ${i} at (${r}, ${c}) is outside the ` +
            `${rowBlocks}x${colBlocks} block grid`);
      }
      keys.push(r * colBlocks + c);
    }
    keys.sort((a, b) => a - b);
    for (let i = 1; i < keys.length; i++) {
      if (keys[i] === keys[i - 1]) {
        const r = Math.floor(keys[i] / colBlocks);
        throw new Error(`BlockLayout: block (${r}, ${keys[i] % colBlocks}) is listed twice`);
      }
    }
    this.rows = Object.freeze(keys.map(k => Math.floor(k / colBlocks)));
    this.cols = Object.freeze(keys.map(k => k % colBlocks));
  }

  /** Number of kept blocks. */
  get nnz(): number {
    return this.rows.length;
  }

  /** Fraction of the block grid that is kept. */
  get density(): number {
    return this.nnz / (this.rowBlocks * this.colBlocks);
  }

  /** Dense input size K. */
  get inputSize(): number {
    return this.rowBlocks * this.blockSize;
  }

  /** Dense output size N. */
  get outputSize(): number {
    return this.colBlocks * this.blockSize;
  }

  /** For each output block column, its kept blocks and their input rows. */
  byColumn(): BlockTable {
    if (this.columnTable == null) {
      this.columnTable = buildTable(this.cols, this.rows, this.colBlocks);
    }
    return this.columnTable;
  }

  /** For each input block row, its kept blocks and their output columns. */
  byRow(): BlockTable {
    if (this.rowTable == null) {
      this.rowTable = buildTable(this.rows, this.cols, this.rowBlocks);
    }
    return this.rowTable;
  }

  /** Packed index of the block at (row, col) of the grid, or -1. */
  blockIndex(row: number, col: number): number {
    if (this.indexGrid == null) {
      const grid = new Int32Array(this.rowBlocks * this.colBlocks).fill(-1);
      for (let i = 0; i < this.nnz; i++) {
        grid[this.rows[i] * this.colBlocks + this.cols[i]] = i;
      }
      this.indexGrid = grid;
    }
    return this.indexGrid[row * this.colBlocks + col];
  }

  /** The grid as rowBlocks arrays of colBlocks 0/1 entries. */
  toMask(): number[][] {
    const mask = Array.from({length: this.rowBlocks}, () => new Array<number>(this.colBlocks).fill(0));
    for (let i = 0; i < this.nnz; i++) {
      mask[this.rows[i]][this.cols[i]] = 1;
    }
    return mask;
  }

  /** The layout of the transposed weight [N, K]. */
  transpose(): BlockLayout {
    return new BlockLayout(this.blockSize, this.colBlocks, this.rowBlocks, Array.from(this.rows, (r, i) => [this.cols[i], r] as const));
  }

  /** True when both layouts keep the same blocks with the same block size. */
  equals(other: BlockLayout): boolean {
    if (this === other) {
      return true;
    }
    return this.blockSize === other.blockSize && this.rowBlocks === other.rowBlocks && this.colBlocks === other.colBlocks &&
        this.nnz === other.nnz && this.rows.every((r, i) => r === other.rows[i]) && this.cols.every((c, i) => c === other.cols[i]);
  }

  toJSON(): BlockLayoutJSON {
    const blocks: number[] = [];
    for (let i = 0; i < this.nnz; i++) {
      blocks.push(this.rows[i], this.cols[i]);
    }
    return {blockSize: this.blockSize, rowBlocks: this.rowBlocks, colBlocks: this.colBlocks, blocks};
  }

  static fromJSON(json: BlockLayoutJSON): BlockLayout {
    if (json == null || typeof json !== 'object' || !Array.isArray(json.blocks) || json.blocks.length % 2 !== 0) {
      throw new Error(
          'BlockLayout.fromJSON: expected {blockSize, rowBlocks, colBlocks, ' +
          'blocks: [row0, col0, row1, col1, ...]}');
    }
    const pairs: Array<[number, number]> = [];
    for (let i = 0; i < json.blocks.length; i += 2) {
      pairs.push([json.blocks[i], json.blocks[i + 1]]);
    }
    return new BlockLayout(json.blockSize, json.rowBlocks, json.colBlocks, pairs);
  }

  /** A layout from a 0/1 (or boolean) grid of rowBlocks x colBlocks. */
  static fromMask(mask: ArrayLike<ArrayLike<number|boolean>>, blockSize: number): BlockLayout {
    const rowBlocks = mask.length;
    const colBlocks = rowBlocks > 0 ? mask[0].length : 0;
    const blocks: Array<[number, number]> = [];
    for (let r = 0; r < rowBlocks; r++) {
      if (mask[r].length !== colBlocks) {
        throw new Error(
            `BlockLayout.fromMask: row ${r} has ${mask[r].length} entries, ` +
            `row 0 has ${colBlocks}`);
      }
      for (let c = 0; c < colBlocks; c++) {
        if (mask[r][c]) {
          blocks.push([r, c]);
        }
      }
    }
    return new BlockLayout(blockSize, rowBlocks, colBlocks, blocks);
  }

  /**
   * The grid for a dense [inputSize, outputSize] weight, checking that the
   * block size divides both.
   */
  static gridFor(inputSize: number, outputSize: number, blockSize: number): {rowBlocks: number, colBlocks: number} {
    checkPositiveInt(blockSize, 'blockSize');
    if (inputSize % blockSize !== 0 || outputSize % blockSize !== 0 || inputSize <= 0 || outputSize <= 0) {
      throw new Error(
          `BlockLayout: block size ${blockSize} must divide both dimensions ` +
          `of the dense weight [${inputSize}, ${outputSize}]`);
    }
    return {rowBlocks: inputSize / blockSize, colBlocks: outputSize / blockSize};
  }
}

export function isBlockLayout(value: unknown): value is BlockLayout {
  return value instanceof BlockLayout;
}

function checkPositiveInt(value: number, name: string) {
  if (!Number.isInteger(value) || value <= 0) {
    throw new Error(`BlockLayout: ${name} must be a positive integer, got ${value}`);
  }
}

function buildTable(segmentOf: readonly number[], otherOf: readonly number[], segments: number): BlockTable {
  const ptr = new Int32Array(segments + 1);
  for (const s of segmentOf) {
    ptr[s + 1]++;
  }
  let maxSegment = 0;
  for (let s = 0; s < segments; s++) {
    maxSegment = Math.max(maxSegment, ptr[s + 1]);
    ptr[s + 1] += ptr[s];
  }
  const fill = ptr.slice(0, segments);
  const block = new Int32Array(segmentOf.length);
  const other = new Int32Array(segmentOf.length);
  // Canonical order is row-major, so each segment's entries come out sorted
  // by their other coordinate in both tables.
  for (let i = 0; i < segmentOf.length; i++) {
    const e = fill[segmentOf[i]]++;
    block[e] = i;
    other[e] = otherOf[i];
  }
  return {ptr, block, other, maxSegment};
}
