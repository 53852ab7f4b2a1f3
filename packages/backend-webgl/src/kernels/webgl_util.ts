import type {MathBackendWebGL} from '@tensorflow/tfjs-backend-webgl';
import {env} from '@tensorflow/tfjs-core';
import type {TensorInfo} from '@tensorflow/tfjs-core';
import {backend_util, BlockLayout} from '@tfjs-blocksparse/core';

import {TABLE_HALF, TABLE_WIDTH} from '../block_sparse_product_gpu';

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

/**
 * prelu's slopes as the product programs read them, [N]: they may come
 * [1, 1, N], which the program's output does not broadcast (a free view).
 */
export function slopesAsVector(slopes: TensorInfo|undefined): TensorInfo|undefined {
  return slopes == null ? undefined : view(slopes, slopes.shape.slice(-1));
}

/**
 * Throws unless the kernels can run: the programs need WebGL 2 (texelFetch,
 * and 8- and 16-bit textures for quantized blocks), and read 2x2 patches,
 * which must not straddle blocks (even block sizes).
 */
export function checkSupported(layout: BlockLayout, kernelName: string) {
  if (env().getNumber('WEBGL_VERSION') !== 2) {
    throw new Error(`${kernelName} on webgl needs WebGL 2; this context is WebGL 1: use the wasm backend there`);
  }
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
 * Makes w's texture packed in w's own shape, once. Otherwise tfjs copies an
 * unpacked input of a packed program into a temporary packed texture on
 * every call, and reshapes a packed one whose texture was made for another
 * shape: for a layer's kernel (made by the ops of its initializer, then
 * reshaped) that was a copy of the whole weight per call: the text demo's
 * first sparse layer took 2.5 ms a call at batch 1 on webgl (SwiftShader),
 * 1.0 ms with its weight packed once. The two
 * textures trade places: w's dataId gets the packed one, as tfjs does when
 * it uploads a packed program's input, and the temporary tensor the old
 * one, freed with it (texture, shape and flags move together, so the
 * backend's byte counts stay right). Textures shared with slices are left
 * alone. Returns w.
 */
export function packInPlace(backend: MathBackendWebGL, w: TensorInfo): TensorInfo {
  const data = backend.texData.get(w.dataId);
  if (data.texture == null || data.slice != null || data.complexTensorInfos != null || (data.isPacked && sameTiles(data.shape, w.shape))) {
    return w;
  }
  const packed = backend.packTensor(w);
  const packedData = backend.texData.get(packed.dataId);
  const {texture, texShape, isPacked, usage, shape} = data;
  Object.assign(data, {
    texture: packedData.texture,
    texShape: packedData.texShape,
    isPacked: packedData.isPacked,
    usage: packedData.usage,
    shape: packedData.shape
  });
  Object.assign(packedData, {texture, texShape, isPacked, usage, shape});
  backend.disposeIntermediateTensorInfo(packed);
  return w;
}

/** Packed textures of these shapes have the same 2x2 tiles (the same last two dimensions). */
function sameTiles(a: number[], b: number[]): boolean {
  return a.slice(-2).join() === b.slice(-2).join();
}

/**
 * The [width, height] in texels of t's packed texture, where t already is
 * one that a program reads as it is from its first texel (same last two
 * dimensions, so no repacking; not a view into another tensor's texture);
 * null otherwise.
 */
export function packedTexels(backend: MathBackendWebGL, t: TensorInfo): [number, number]|null {
  const data = backend.texData.get(t.dataId);
  if (data.texture == null || !data.isPacked || data.texShape == null || data.slice != null || !sameTiles(data.shape, t.shape)) {
    return null;
  }
  const [rows, columns] = data.texShape;
  return [Math.ceil(columns / 2), Math.ceil(rows / 2)];
}

/**
 * packedTexels of x [..., K] where each texture row holds one pair of x's
 * rows (ceil(K / 2) texels wide), so that a program can step along a row's
 * columns by texture coordinates; null otherwise.
 */
export function rowTexels(backend: MathBackendWebGL, x: TensorInfo): [number, number]|null {
  const texels = packedTexels(backend, x);
  return texels != null && texels[0] === Math.ceil(x.shape[x.shape.length - 1] / 2) ? texels : null;
}

const MAX_TABLE_ENTRY = TABLE_HALF * 2048 - 1;

const tableBackends = new WeakMap<MathBackendWebGL, backend_util.TableBackend>();

/**
 * A layout's table (core's layoutTable) as the programs read it: each entry
 * split in halves, one texel each, TABLE_WIDTH texels to a row ([2 * rows,
 * 2 * width] values packed: an entry's halves are the top row of its texel).
 */
export function layoutTableTexture(backend: MathBackendWebGL, layout: BlockLayout, kind: backend_util.TableKind): TensorInfo {
  // Entries are block numbers, block counts and block rows or columns.
  const largest = Math.max(layout.nnz, layout.rowBlocks, layout.colBlocks);
  if (largest > MAX_TABLE_ENTRY) {
    throw new Error(
        `block-sparse kernels on webgl: a layout of ${layout.nnz} blocks in a ${layout.rowBlocks} x ${layout.colBlocks} ` +
        `grid is too large (table entries up to ${largest} > ${MAX_TABLE_ENTRY})`);
  }
  let tables = tableBackends.get(backend);
  if (tables == null) {
    tables = {
      makeTensorInfo: (_shape, _dtype, values) => {
        const width = Math.min(values.length, TABLE_WIDTH);
        const rows = Math.ceil(values.length / width);
        const texels = new Float32Array(4 * rows * width);
        values.forEach((v, i) => {
          const at = 4 * width * Math.floor(i / width) + 2 * (i % width);
          texels[at] = v % TABLE_HALF;
          texels[at + 1] = Math.floor(v / TABLE_HALF);
        });
        return backend.makeTensorInfo([2 * rows, 2 * width], 'float32', texels);
      },
      disposeData: (dataId, force) => backend.disposeData(dataId, force),
    };
    tableBackends.set(backend, tables);
  }
  return backend_util.layoutTable(tables, layout, kind);
}
