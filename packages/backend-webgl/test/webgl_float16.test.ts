import type {Browser} from 'playwright-core';

import {launchChromium, openPage, serveRepository} from '@tfjs-blocksparse/test-util/jest/browser';

// Devices without float32 render targets (WEBGL_RENDER_FLOAT32_ENABLED false,
// common on phones) keep every texture in float16, layout tables too, where
// integers are exact only up to 2048. Layouts of 4,096 blocks, every op and
// gradient on webgl against the same ops on the cpu backend: a table entry read
// wrong picks another block (errors of the outputs' own size); float16 storage
// of the values costs about 1e-3 of their scale. int8 and float16 blocks
// (textures of their own, read as floats) on the same textures; and those
// textures' lifetime: one per weight, deleted once the weight is disposed.
type Errors = Record<string, number>;

interface WeightTextures {
  /** Textures of int8 and float16 blocks made and deleted after two calls with one weight, and after one with another. */
  afterTwoCalls: {made: number, deleted: number};
  afterDisposeAndAnother: {made: number, deleted: number};
  /** What a call gets with int8 blocks that another webgl op uploaded to a float texture first. */
  uploadedFirst: string|null;
  /** What a call gets where tfjs runs WebGL 1 (the flag set for one call). */
  onWebGL1: string|null;
  leakedTensors: number;
}

let browser: Browser;
let server: Awaited<ReturnType<typeof serveRepository>>['server'];
let errors: Errors;
let weightTextures: WeightTextures;
let pageErrors: string[];

beforeAll(async () => {
  let url: string;
  ({server, url} = await serveRepository());
  browser = await launchChromium();
  const opened = await openPage(browser, `${url}/packages/test-util/browser/suite.html`);
  pageErrors = opened.errors;
  errors = await opened.page.evaluate(async () => {
    const {tf, tfbs} = window as unknown as {tf: typeof import('@tensorflow/tfjs'), tfbs: typeof import('@tfjs-blocksparse/core')};
    tf.env().set('WEBGL_RENDER_FLOAT32_ENABLED', false);
    // 512 x 512 in 8 x 8 blocks, all 4,096 kept: table entries up to 4,096.
    const layout = tfbs.randomLayout({inputSize: 512, outputSize: 512, blockSize: 8, density: 1, seed: 1});
    // The same seeded inputs on each backend.
    const outputs = (): Record<string, import('@tensorflow/tfjs').Tensor> => {
      const x = tf.randomNormal([4, 512], 0, 1, 'float32', 2);
      const w = tf.randomNormal([layout.nnz, 8, 8], 0, 0.1, 'float32', 3);
      const image = tf.randomNormal<import('@tensorflow/tfjs').Rank.R4>([1, 4, 4, 512], 0, 1, 'float32', 4);
      const filter = tf.randomNormal([layout.nnz, 3, 3, 8, 8], 0, 0.05, 'float32', 5);
      const matMul = (a: import('@tensorflow/tfjs').Tensor, b: import('@tensorflow/tfjs').Tensor) =>
          tf.sum(tf.square(tfbs.blockSparseMatMul(a, b, layout)));
      const conv = (a: import('@tensorflow/tfjs').Tensor, b: import('@tensorflow/tfjs').Tensor) =>
          tf.sum(tf.square(tfbs.blockSparseConv2d(a as import('@tensorflow/tfjs').Tensor4D, b, layout, 1, 'same')));
      const [dx, dw] = tf.grads(matMul)([x, w]);
      const [dImage, dFilter] = tf.grads(conv)([image, filter]);
      const int8 = tfbs.quantizeBlocks(w, layout);
      const int8Filter = tfbs.quantizeBlocks(filter, layout);
      const float16 = tfbs.toFloat16Blocks(w, layout);
      const float16Filter = tfbs.toFloat16Blocks(filter, layout);
      const int8Dx = tf.grad(a => tf.sum(tf.square(tfbs.blockSparseMatMul(a, int8.w, layout, {scales: int8.scales}))))(x);
      const float16DImage = tf.grad(
          a =>
              tf.sum(tf.square(tfbs.blockSparseConv2d(a as import('@tensorflow/tfjs').Tensor4D, float16Filter, layout, 1, 'same'))))(image);
      return {
        int8MatMul: tfbs.blockSparseMatMul(x, int8.w, layout, {scales: int8.scales}),
        int8Dx,
        int8Conv: tfbs.blockSparseConv2d(image, int8Filter.w, layout, 1, 'same', 1, {scales: int8Filter.scales}),
        float16MatMul: tfbs.blockSparseMatMul(x, float16, layout),
        float16DImage,
        matMul: tfbs.blockSparseMatMul(x, w, layout),
        dx,
        dw,
        conv: tfbs.blockSparseConv2d(image, filter, layout, 1, 'same'),
        dImage,
        dFilter
      };
    };
    const run = async (backend: string) => {
      if (!(await tf.setBackend(backend))) {
        throw new Error(`backend ${backend} is not available`);
      }
      const values: Record<string, Float32Array> = {};
      const results = tf.tidy(outputs);
      for (const [name, t] of Object.entries(results)) {
        values[name] = await t.data() as Float32Array;
      }
      tf.dispose(Object.values(results));
      return values;
    };
    const [expected, actual] = [await run('cpu'), await run('webgl')];
    if (tf.env().getBool('WEBGL_RENDER_FLOAT32_ENABLED')) {
      throw new Error('webgl still renders to float32 textures');
    }
    // Each output's largest error relative to its largest value.
    return Object.fromEntries(Object.entries(expected).map(([name, e]) => {
      const scale = e.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      return [name, e.reduce((m, v, i) => Math.max(m, Math.abs(v - actual[name][i])), 0) / scale];
    }));
  });
  weightTextures = await opened.page.evaluate(async () => {
    const {tf, tfbs} = window as unknown as {tf: typeof import('@tensorflow/tfjs'), tfbs: typeof import('@tfjs-blocksparse/core')};
    await tf.setBackend('webgl');
    const gl = (tf.backend() as unknown as {gpgpu: {gl: WebGL2RenderingContext}}).gpgpu.gl;
    // Textures given data in the formats of int8 and float16 blocks (tfjs's own get theirs by texSubImage2D).
    const made = new Set<WebGLTexture>();
    let deleted = 0;
    const {texImage2D, deleteTexture} = gl;
    gl.texImage2D = (...args: unknown[]) => {
      if (args.length === 9 && args[8] != null && (args[2] === gl.RGBA8_SNORM || args[2] === gl.RGBA16F)) {
        made.add(gl.getParameter(gl.TEXTURE_BINDING_2D) as WebGLTexture);
      }
      return (texImage2D as (...a: unknown[]) => void).apply(gl, args);
    };
    gl.deleteTexture = (texture: WebGLTexture|null) => {
      deleted += texture != null && made.has(texture) ? 1 : 0;
      return deleteTexture.call(gl, texture);
    };
    const before = tf.memory().numTensors;
    const layout = tfbs.randomLayout({inputSize: 64, outputSize: 64, blockSize: 8, density: 0.5, seed: 2});
    const x = tf.randomNormal([2, 64], 0, 1, 'float32', 6);
    const int8Blocks = (seed: number) => {
      const weight = tf.randomNormal([layout.nnz, 8, 8], 0, 0.1, 'float32', seed);
      const blocks = tfbs.quantizeBlocks(weight, layout);
      weight.dispose();
      return blocks;
    };
    const call = (blocks: ReturnType<typeof int8Blocks>) =>
        tf.tidy(() => tfbs.blockSparseMatMul(x, blocks.w, layout, {scales: blocks.scales}).dataSync());
    const first = int8Blocks(7);
    call(first);
    call(first);
    const afterTwoCalls = {made: made.size, deleted};
    tf.dispose([first.w, first.scales]);
    const second = int8Blocks(8);
    call(second);
    const afterDisposeAndAnother = {made: made.size, deleted};
    tf.dispose([second.w, second.scales]);
    const uploaded = int8Blocks(9);
    tf.tidy(() => tf.add(uploaded.w, 1).dataSync());
    let uploadedFirst: string|null = null;
    try {
      call(uploaded);
    } catch (e) {
      uploadedFirst = (e as Error).message;
    }
    const floatBlocks = tf.randomNormal([layout.nnz, 8, 8], 0, 0.1, 'float32', 10);
    let onWebGL1: string|null = null;
    tf.env().set('WEBGL_VERSION', 1);
    try {
      tf.tidy(() => tfbs.blockSparseMatMul(x, floatBlocks, layout));
    } catch (e) {
      onWebGL1 = (e as Error).message;
    } finally {
      tf.env().set('WEBGL_VERSION', 2);
    }
    tf.dispose([x, uploaded.w, uploaded.scales, floatBlocks]);
    tfbs.releaseLayoutTables(layout);
    Object.assign(gl, {texImage2D, deleteTexture});
    return {afterTwoCalls, afterDisposeAndAnother, uploadedFirst, onWebGL1, leakedTensors: tf.memory().numTensors - before};
  });
}, 600000);

afterAll(async () => {
  await browser?.close();
  server?.close();
});

test('on float16 textures, layouts of 4,096 blocks give the cpu backend\'s outputs and gradients within float16 rounding', () => {
  expect(pageErrors).toEqual([]);
  expect(Object.keys(errors)).toEqual([
    'int8MatMul', 'int8Dx', 'int8Conv', 'float16MatMul', 'float16DImage', 'matMul', 'dx', 'dw', 'conv', 'dImage', 'dFilter'
  ]);
  for (const [name, error] of Object.entries(errors)) {
    expect([name, error]).toEqual([name, expect.any(Number)]);
    expect(error).toBeLessThan(1e-2);
  }
});

test('int8 and float16 blocks get a texture each, made once and deleted after the weight is disposed; no tensor leaks', () => {
  expect(weightTextures)
      .toMatchObject({afterTwoCalls: {made: 1, deleted: 0}, afterDisposeAndAnother: {made: 2, deleted: 1}, leakedTensors: 0});
});

test('int8 blocks that another webgl op uploaded to a float texture first get a clear error', () => {
  expect(weightTextures.uploadedFirst).toMatch(/int8 blocks were uploaded to a float texture by another webgl op first/);
});

test('on WebGL 1 the kernels say that they need WebGL 2', () => {
  expect(weightTextures.onWebGL1).toMatch(/BlockSparseMatMul on webgl needs WebGL 2; this context is WebGL 1/);
});
