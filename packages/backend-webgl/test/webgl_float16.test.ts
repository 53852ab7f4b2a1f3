import type {Browser} from 'playwright-core';

import {launchChromium, openPage, serveRepository} from '@tfjs-blocksparse/test-util/jest/browser';

// Devices without float32 render targets (WEBGL_RENDER_FLOAT32_ENABLED false,
// common on phones) keep every texture in float16, layout tables too, where
// integers are exact only up to 2048. Layouts of 4,096 blocks, every op and
// gradient on webgl against the same ops on the cpu backend: a table entry read
// wrong picks another block (errors of the outputs' own size); float16 storage
// of the values costs about 1e-3 of their scale.
type Errors = Record<string, number>;

let browser: Browser;
let server: Awaited<ReturnType<typeof serveRepository>>['server'];
let errors: Errors;
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
      return {
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
}, 600000);

afterAll(async () => {
  await browser?.close();
  server?.close();
});

test('on float16 textures, layouts of 4,096 blocks give the cpu backend\'s outputs and gradients within float16 rounding', () => {
  expect(pageErrors).toEqual([]);
  expect(Object.keys(errors)).toEqual(['matMul', 'dx', 'dw', 'conv', 'dImage', 'dFilter']);
  for (const [name, error] of Object.entries(errors)) {
    expect([name, error]).toEqual([name, expect.any(Number)]);
    expect(error).toBeLessThan(1e-2);
  }
});
