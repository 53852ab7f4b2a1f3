import '@tfjs-blocksparse/backend-cpu';

import * as tf from '@tensorflow/tfjs';
import {main, readModel, weightBytes} from '@tfjs-blocksparse/converter';
import {mkdtempSync, readFileSync} from 'fs';
import {tmpdir} from 'os';
import {join} from 'path';

// Models other people publish inside npm packages (nsfwjs and @vladmandic/human are devDependencies): a uint8
// Keras MobileNetV2 Layers model, a uint8 TF Hub graph model and a float16 graph model, through the CLI as a user would.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const {PUBLISHED, writePublishedModel} = require('../../../scripts/published_models.cjs');

let dir: string;

beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = mkdtempSync(join(tmpdir(), 'blocksparse-published-'));
});

async function convert(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(['convert', ...argv], {out: t => out += t, err: t => err += t});
  return {code, out, err};
}

describe.each(Object.keys(PUBLISHED).filter(name => PUBLISHED[name].tested))('published model %s', name => {
  const spec = PUBLISHED[name];
  const load = async (path: string) => (await readModel(path)).model;

  test('converts through the CLI: equal to the original at density 1 (in its own encoding), a third of its bytes at 1/4', async () => {
    const path: string|null = writePublishedModel(name, dir);
    if (path == null) {
      throw new Error(`${spec.package} is a devDependency and must be installed`);
    }
    const original = await load(path);
    const exact = await convert(path, join(dir, `${name}-1`), '--density', '1', '--block-size', '8');
    expect(exact.code).toBe(0);
    expect(Number(/(\d+) converted/.exec(exact.out)![1])).toBe(spec.converts);
    const x = tf.randomUniform([1, ...spec.inputShape], 0, 1, 'float32', 1);
    // Every output (faceres has three), each against its own scale.
    const outputsOf = (model: tf.LayersModel|tf.GraphModel) => ([] as tf.Tensor[]).concat(model.predict(x) as tf.Tensor | tf.Tensor[]);
    const expected = outputsOf(original);
    const converted = await load(join(dir, `${name}-1`, 'model.json'));
    outputsOf(converted).forEach((actual, i) => {
      const error = tf.max(tf.abs(tf.sub(actual, expected[i]))).dataSync()[0];
      expect(error).toBeLessThanOrEqual(1e-5 * tf.max(tf.abs(expected[i])).dataSync()[0]);
    });
    // Every weight the converter left as it was (same name and shape) decodes to the original's values exactly.
    const [stored, written] = await Promise.all([path, join(dir, `${name}-1`, 'model.json')].map(async p => {
      const {artifacts} = await readModel(p);
      return tf.io.decodeWeights(tf.io.concatenateArrayBuffers(artifacts.weightData!), artifacts.weightSpecs!);
    }));
    const untouched = Object.keys(written).filter(k => stored[k] != null && stored[k].shape.join() === written[k].shape.join());
    expect(untouched.length).toBeGreaterThan(30);
    untouched.forEach(k => expect([k, Array.from(written[k].dataSync())]).toEqual([k, Array.from(stored[k].dataSync())]));

    const quarter = await convert(path, join(dir, `${name}-4`), '--density', '0.25', '--block-size', '8');
    expect(quarter.code).toBe(0);
    expect(quarter.out).toMatch(/weight files: [\d.]+ MiB (uint8|float16) -> [\d.]+ [KM]iB \1 \(as the input/);
    const manifest = (modelJson: string) =>
        JSON.parse(readFileSync(modelJson, 'utf8')).weightsManifest.flatMap((g: tf.io.WeightsManifestConfig[number]) => g.weights);
    const [before, after] = [manifest(path), manifest(join(dir, `${name}-4`, 'model.json'))].map(weightBytes);
    expect(after).toBeLessThan(0.35 * before);
    const sparse = await load(join(dir, `${name}-4`, 'model.json'));
    expect(outputsOf(sparse).map(t => t.shape)).toEqual(expected.map(t => t.shape));
  });
});
