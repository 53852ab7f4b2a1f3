import type {MathBackendWebGL} from '@tensorflow/tfjs-backend-webgl';
import type {TensorInfo} from '@tensorflow/tfjs-core';
import type {BlockLayout} from '@tfjs-blocksparse/core';

/** With no kept block there is nothing to run: the result is zeros. */
export function zeros(backend: MathBackendWebGL, shape: number[]): TensorInfo {
  return backend.makeTensorInfo(shape, 'float32', new Float32Array(shape.reduce((a, b) => a * b, 1)));
}

/**
 * The same data seen with another shape of the same size, as tfjs's webgl
 * reshape does; free when the last two dimensions agree (the backend
 * repacks otherwise). Not a new reference: pass it on or return it once.
 */
export function view(t: TensorInfo, shape: number[]): TensorInfo {
  return {dataId: t.dataId, shape, dtype: t.dtype};
}

/** The packed programs read 2x2 patches, which must not straddle blocks. */
export function checkEvenBlockSize(layout: BlockLayout, kernelName: string) {
  if (layout.blockSize % 2 !== 0) {
    throw new Error(
        `${kernelName} on webgl: block size ${layout.blockSize} is not supported; ` +
        'the packed GLSL kernels take even block sizes');
  }
}

/** The packed conv filter [nnz, kh, kw, bs, bs] as one tile per block and tap, [nnz, taps, bs, bs] ([nnz, bs, bs] for one tap). */
export function filterByTap(w: TensorInfo): TensorInfo {
  const [nnz, kh, kw, bs] = w.shape;
  return view(w, kh * kw === 1 ? [nnz, bs, bs] : [nnz, kh * kw, bs, bs]);
}

/**
 * The [width, height] in texels of t's packed texture, where t already is
 * one that a program reads as it is from its first texel (same last two
 * dimensions, so no repacking; not a view into another tensor's texture);
 * null otherwise.
 */
export function packedTexels(backend: MathBackendWebGL, t: TensorInfo): [number, number]|null {
  const data = backend.texData.get(t.dataId);
  const sameTiles = data.shape.slice(-2).join() === t.shape.slice(-2).join();
  if (data.texture == null || !data.isPacked || data.texShape == null || data.slice != null || !sameTiles) {
    return null;
  }
  const [rows, columns] = data.texShape;
  return [Math.ceil(columns / 2), Math.ceil(rows / 2)];
}
