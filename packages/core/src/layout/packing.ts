import * as tf from '@tensorflow/tfjs-core';

import {BlockLayout, isBlockLayout} from './block_layout';

/**
 * The dense weight [...spatial, K, N] of a packed block-sparse weight
 * [nnz, ...spatial, bs, bs]: the kept tiles in place, zeros elsewhere.
 * Differentiable with respect to `packed`.
 */
export function densify(packed: tf.Tensor, layout: BlockLayout): tf.Tensor {
  const spatial = checkPacked(packed, layout, 'densify');
  const {blockSize: bs, rowBlocks: R, colBlocks: C} = layout;
  const slots = new Int32Array(R * C);
  for (let i = 0; i < layout.nnz; i++) {
    slots[layout.rows[i] * C + layout.cols[i]] = i + 1;
  }
  return tf.tidy(() => {
    const withZeroBlock = tf.concat([tf.zeros([1, ...spatial, bs, bs]), packed]);
    const grid = tf.reshape(tf.gather(withZeroBlock, tf.tensor1d(slots, 'int32')), [R, C, ...spatial, bs, bs]);
    const s = spatial.length;
    const spatialAxes = Array.from({length: s}, (_, i) => 2 + i);
    return tf.reshape(tf.transpose(grid, [...spatialAxes, 0, 2 + s, 1, 3 + s]), [...spatial, R * bs, C * bs]);
  });
}

/**
 * The packed weight [nnz, ...spatial, bs, bs] holding the tiles of a dense
 * [...spatial, K, N] weight that the layout keeps. Differentiable.
 */
export function sparsify(dense: tf.Tensor, layout: BlockLayout): tf.Tensor {
  checkLayout(layout, 'sparsify');
  const {blockSize: bs, rowBlocks: R, colBlocks: C} = layout;
  if (!(dense instanceof tf.Tensor) || dense.rank < 2 || dense.shape[dense.rank - 2] !== layout.inputSize ||
      dense.shape[dense.rank - 1] !== layout.outputSize) {
    throw new Error(
        `sparsify: dense weight must be [..., ${layout.inputSize}, ` +
        `${layout.outputSize}] for this layout, got ` +
        `${dense instanceof tf.Tensor ? `[${dense.shape}]` : typeof dense}`);
  }
  const spatial = dense.shape.slice(0, -2);
  const s = spatial.length;
  const cells = Int32Array.from(layout.rows, (r, i) => r * C + layout.cols[i]);
  return tf.tidy(() => {
    const spatialAxes = Array.from({length: s}, (_, i) => i);
    const tiles = tf.transpose(tf.reshape(dense, [...spatial, R, bs, C, bs]), [s, s + 2, ...spatialAxes, s + 1, s + 3]);
    const grid = tf.reshape(tiles, [R * C, ...spatial, bs, bs]);
    // Blocks are stored in row-major order, so a layout keeping all of them
    // needs no gather (whose gradient tfjs-backend-wasm lacks): a dense
    // weight can train through the block-sparse kernels there.
    return layout.nnz === R * C ? grid : tf.gather(grid, tf.tensor1d(cells, 'int32'));
  });
}

/** Checks a packed weight against its layout and returns its spatial dims. */
function checkPacked(packed: tf.Tensor, layout: BlockLayout, caller: string): number[] {
  checkLayout(layout, caller);
  const bs = layout.blockSize;
  if (!(packed instanceof tf.Tensor) || packed.rank < 3 || packed.shape[0] !== layout.nnz || packed.shape[packed.rank - 1] !== bs ||
      packed.shape[packed.rank - 2] !== bs) {
    throw new Error(
        `${caller}: packed weight must be [${layout.nnz}, ..., ${bs}, ${bs}] ` +
        `(one ${bs}x${bs} tile per kept block), got ` +
        `${packed instanceof tf.Tensor ? `[${packed.shape}]` : typeof packed}`);
  }
  return packed.shape.slice(1, -2);
}

/**
 * Checks float32 blocks [nnz, ...spatial, bs, bs] against their layout (as quantizeBlocks and toFloat16Blocks take them); returns the
 * spatial dims.
 */
export function checkFloatBlocks(packed: unknown, layout: BlockLayout, caller: string): number[] {
  checkLayout(layout, caller);
  const bs = layout.blockSize;
  if (!(packed instanceof tf.Tensor) || packed.dtype !== 'float32' || packed.rank < 3 || packed.shape[0] !== layout.nnz ||
      packed.shape[packed.rank - 2] !== bs || packed.shape[packed.rank - 1] !== bs) {
    throw new Error(
        `${caller}: packed weight must be float32 [${layout.nnz}, ..., ${bs}, ${bs}] (one ${bs}x${bs} tile per kept block), got ` +
        `${packed instanceof tf.Tensor ? `${packed.dtype} [${packed.shape}]` : typeof packed}`);
  }
  return packed.shape.slice(1, -2);
}

export function checkLayout(layout: unknown, caller: string): asserts layout is BlockLayout {
  if (!isBlockLayout(layout)) {
    throw new Error(`${caller}: layout must be a BlockLayout, got ${describe(layout)}`);
  }
}

function describe(value: unknown): string {
  if (value == null) {
    return String(value);
  }
  return typeof value === 'object' ? (value.constructor?.name ?? 'object') : typeof value;
}
