import * as tf from '@tensorflow/tfjs-core';

import type {BlockLayout} from '../layout/block_layout';
import {BlockFormat, blockFormatOf, checkFloat16Blocks} from '../layout/float16';
import {checkInt8Blocks} from '../layout/quantize';

export function checkFloatTensor(value: unknown, name: string, caller: string): asserts value is tf.Tensor {
  if (!(value instanceof tf.Tensor)) {
    throw new Error(`${caller}: ${name} must be a tf.Tensor, got ${typeof value}`);
  }
  if (value.dtype !== 'float32') {
    throw new Error(`${caller}: ${name} must be float32, got ${value.dtype}`);
  }
}

/** Packed weight [nnz, ...spatial, bs, bs], spatial given or read off. */
export function checkPackedWeight(w: unknown, layout: BlockLayout, spatialRank: number, caller: string): asserts w is tf.Tensor {
  checkFloatTensor(w, 'w', caller);
  const bs = layout.blockSize;
  const rank = spatialRank + 3;
  if (w.rank !== rank || w.shape[0] !== layout.nnz || w.shape[rank - 2] !== bs || w.shape[rank - 1] !== bs) {
    const spatial = spatialRank === 0 ? '' : ' kh, kw,';
    throw new Error(
        `${caller}: packed weight w must be [nnz=${layout.nnz},${spatial} ` +
        `${bs}, ${bs}] for this layout (one ${bs}x${bs} tile per kept ` +
        `block), got [${w.shape}]`);
  }
}

export function pairOf(value: number|[number, number], name: string, caller: string): [number, number] {
  const pair: [number, number] = typeof value === 'number' ? [value, value] : value;
  if (!Array.isArray(pair) || pair.length !== 2 || !pair.every(v => Number.isInteger(v) && v > 0)) {
    throw new Error(
        `${caller}: ${name} must be a positive integer or a pair of them, ` +
        `got ${JSON.stringify(value)}`);
  }
  return pair;
}

/** The package whose import registers this project's kernels for each backend. */
const KERNEL_PACKAGES: Record<string, string> = {
  cpu: '@tfjs-blocksparse/backend-cpu',
  wasm: '@tfjs-blocksparse/backend-wasm',
  webgl: '@tfjs-blocksparse/backend-webgl',
  webgpu: '@tfjs-blocksparse/backend-webgpu'
};

/**
 * Checks a packed weight — float32 blocks (without scales), int8 blocks
 * with their scales (quantizeBlocks) or float16 blocks (toFloat16Blocks) —
 * and that the active backend has the kernel that reads it (`kernelName`,
 * or `int8KernelName` for int8 blocks); returns how it holds its blocks.
 * Whether a backend reads float16 blocks its kernels say, with an error
 * of their own.
 */
export function checkBlocks(
    w: unknown, scales: unknown, layout: BlockLayout, spatialRank: number, kernelName: string, int8KernelName: string,
    caller: string): BlockFormat {
  if (!(w instanceof tf.Tensor && w.dtype === 'int32')) {
    checkKernel(kernelName, caller);
    checkPackedWeight(w, layout, spatialRank, caller);
    if (scales != null) {
      throw new Error(`${caller}: scales are for int8 blocks (w int32, from quantizeBlocks); this w holds float32 blocks`);
    }
    return 'float32';
  }
  if (blockFormatOf(w, layout.blockSize) === 'float16') {
    if (scales != null) {
      throw new Error(
          `${caller}: scales are for int8 blocks (w int32, from quantizeBlocks); this w holds float16 blocks (toFloat16Blocks)`);
    }
    checkFloat16Blocks(w, layout, spatialRank, caller);
    checkKernel(kernelName, caller);
    return 'float16';
  }
  checkInt8Blocks(w, scales, layout, spatialRank, caller);
  checkKernel(kernelName, caller);
  const backend = tf.getBackend();
  if (tf.getKernel(int8KernelName, backend) == null) {
    throw new Error(
        `${caller}: int8 blocks are not supported on the '${backend}' backend (no ${int8KernelName} kernel): use float32 blocks ` +
        '(dequantizeBlocks) there, or the cpu, wasm, webgl or webgpu backend');
  }
  return 'int8';
}

/**
 * Throws unless the active backend has a block-sparse kernel: without it,
 * tfjs's own message does not say which package registers it.
 */
export function checkKernel(kernelName: string, caller: string) {
  const backend = tf.getBackend();
  if (tf.getKernel(kernelName, backend) == null) {
    const fix = KERNEL_PACKAGES[backend] != null ? `import '${KERNEL_PACKAGES[backend]}' to register it` :
                                                   `kernels exist for ${Object.keys(KERNEL_PACKAGES).join(', ')}`;
    throw new Error(`${caller}: no ${kernelName} kernel is registered for the '${backend}' backend: ${fix}`);
  }
}
