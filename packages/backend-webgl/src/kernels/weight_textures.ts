import type {MathBackendWebGL} from '@tensorflow/tfjs-backend-webgl';
import type {DataId, TensorInfo} from '@tensorflow/tfjs-core';
import {backend_util} from '@tfjs-blocksparse/core';

import {WeightTexels} from '../block_sparse_product_gpu';

import {packedTexels, packInPlace} from './webgl_util';

/** W as a product program reads it: a packed texture of W's float32 shape [nnz, ...spatial, bs, bs], one 2x2 patch per texel. */
export interface WeightOperand extends WeightTexels {
  w: TensorInfo;
}

interface WeightTexture {
  texture: WebGLTexture;
  /** In elements, as tfjs's packed textures count them: twice the texels. */
  texShape: [number, number];
}

/** Per backend: the texture made for each int32 weight, by its data id. */
const cachedTextures = new WeakMap<MathBackendWebGL, Map<DataId, WeightTexture>>();

/**
 * Runs `run` with W ready for a product program (see weightOperand), then
 * frees what was made for the call, also where `run` throws.
 */
export function withWeightOperand<T>(
    backend: MathBackendWebGL, w: TensorInfo, blockSize: number, kernelName: string, run: (weight: WeightOperand) => T): T {
  const {release, ...weight} = weightOperand(backend, w, blockSize, kernelName);
  try {
    return run(weight);
  } finally {
    release();
  }
}

/**
 * W ready for a product program, and what frees what the call made for it
 * (never the cached texture itself). float32 blocks: W itself, packed once
 * (packInPlace). int32 blocks — float16 ([..., bs, bs / 2]) or int8
 * ([..., bs / 2, bs / 2]) — go to a texture of their own, made once per
 * weight from its values on the cpu: tfjs's webgl backend would keep int32
 * in float textures, which hold neither two halves nor four bytes per value
 * exactly. int8 blocks are an RGBA8_SNORM texture (4 bytes a 2x2 patch, a
 * quarter of float32) and float16 ones RGBA16F (half), each read as floats
 * by the sampler with no decoding in the shader. Textures of disposed
 * weights are deleted on the next call.
 */
function weightOperand(backend: MathBackendWebGL, w: TensorInfo, blockSize: number, kernelName: string): WeightOperand&{release(): void} {
  const textures = texturesOf(backend);
  const format = backend_util.blockFormatOf(w, blockSize);
  if (format === 'float32') {
    const packed = packInPlace(backend, w);
    return {w: packed, format, texels: packedTexels(backend, packed), release: () => {}};
  }
  let cached = textures.get(w.dataId);
  if (cached == null) {
    cached = makeWeightTexture(backend, w, blockSize, format, kernelName);
    textures.set(w.dataId, cached);
  }
  const shape = [...w.shape.slice(0, -2), blockSize, blockSize];
  const operand = backend.makeTensorInfo(shape, 'float32');
  Object.assign(
      backend.texData.get(operand.dataId),
      {texture: {texture: cached.texture, texShape: cached.texShape}, texShape: cached.texShape, isPacked: true});
  return {
    w: operand,
    format,
    texels: [cached.texShape[1] / 2, cached.texShape[0] / 2],
    release: () => {
      // The texture stays with the cache: the backend must not give it back to its pool of float textures.
      Object.assign(backend.texData.get(operand.dataId), {texture: null, texShape: null, isPacked: false});
      backend.disposeIntermediateTensorInfo(operand);
    }
  };
}

/** The backend's cache, less the textures of weights disposed since the last call. */
function texturesOf(backend: MathBackendWebGL): Map<DataId, WeightTexture> {
  let textures = cachedTextures.get(backend);
  if (textures == null) {
    textures = new Map();
    cachedTextures.set(backend, textures);
  }
  for (const [dataId, {texture}] of textures) {
    if (!backend.texData.has(dataId)) {
      backend.gpgpu.gl.deleteTexture(texture);
      textures.delete(dataId);
    }
  }
  return textures;
}

function makeWeightTexture(
    backend: MathBackendWebGL, w: TensorInfo, blockSize: number, format: 'int8'|'float16', kernelName: string): WeightTexture {
  const values = backend.texData.get(w.dataId).values;
  if (!(values instanceof Int32Array)) {
    throw new Error(
        `${kernelName}: these ${format} blocks were uploaded to a float texture by another webgl op first, which cannot hold ` +
        'their bits: pass them to the block-sparse ops before any other op');
  }
  const gl = backend.gpgpu.gl as WebGL2RenderingContext;
  const half = blockSize / 2;
  const texelCount = w.shape.reduce((a, b) => a * b, 1) / (format === 'int8' ? 1 : 2);
  const [width, height] = textureSize(texelCount, half, gl.getParameter(gl.MAX_TEXTURE_SIZE) as number, kernelName);
  const texture = gl.createTexture();
  if (texture == null) {
    throw new Error(`${kernelName}: webgl could not create a texture for ${format} blocks (context lost?)`);
  }
  gl.bindTexture(gl.TEXTURE_2D, texture);
  for (const [name, value] of [
           [gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE], [gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE], [gl.TEXTURE_MIN_FILTER, gl.NEAREST],
           [gl.TEXTURE_MAG_FILTER, gl.NEAREST]]) {
    gl.texParameteri(gl.TEXTURE_2D, name, value);
  }
  if (format === 'int8') {
    // Each word is a 2x2 patch already (quantize.ts's int8Offset): bytes (k, j), (k + 1, j), (k, j + 1), (k + 1, j + 1).
    const bytes = new Int8Array(width * height * 4);
    bytes.set(new Int8Array(values.buffer, values.byteOffset, texelCount * 4));
    gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA8_SNORM, width, height, 0, gl.RGBA, gl.BYTE, bytes);
  } else {
    // A patch's two rows are two words bs / 2 apart, each the row's two halves: (k, j), (k, j + 1) | (k + 1, j), (k + 1, j + 1).
    const words = new Uint32Array(width * height * 2);
    for (let t = 0; t < texelCount; t++) {
      const first = 2 * Math.floor(t / half) * half + (t % half);
      words[2 * t] = values[first];
      words[2 * t + 1] = values[first + half];
    }
    gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA16F, width, height, 0, gl.RGBA, gl.HALF_FLOAT, new Uint16Array(words.buffer));
  }
  gl.bindTexture(gl.TEXTURE_2D, null);
  return {texture, texShape: [2 * height, 2 * width]};
}

/**
 * [width, height] in texels for `texels` patches of blocks bs / 2 patches
 * wide: a block's row of patches per texture row, as tfjs lays out
 * [nnz, bs, bs]; where that is too tall, rows of whole blocks.
 */
function textureSize(texels: number, half: number, maxSize: number, kernelName: string): [number, number] {
  if (texels / half <= maxSize) {
    return [half, texels / half];
  }
  const blockTexels = half * half;
  const width = blockTexels * Math.ceil(texels / blockTexels / maxSize);
  if (width > maxSize) {
    throw new Error(`${kernelName}: ${texels} patches of quantized blocks do not fit a ${maxSize} x ${maxSize} webgl texture`);
  }
  return [width, Math.ceil(texels / width)];
}
