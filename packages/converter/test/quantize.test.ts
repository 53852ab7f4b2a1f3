import '@tfjs-blocksparse/backend-cpu';

import * as tf from '@tensorflow/tfjs';
import {quantizeWeights, storedWeights} from '@tfjs-blocksparse/converter';

import {toFloat16Bits} from '../src/quantize';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Quantized with ours, read back with tfjs's own decoder. */
async function roundTrip(tensors: tf.NamedTensorMap, dtype: 'float16'|'uint8'|'uint16') {
  const {specs, data} = await tf.io.encodeWeights(tensors);
  const quantized = quantizeWeights(specs, data, () => dtype);
  return {quantized, decoded: tf.io.decodeWeights(quantized.data, quantized.specs)};
}

describe('quantizeWeights', () => {
  test.each([['uint8', 255], ['uint16', 65535]] as const)(
      '%s: tfjs decodes every value within half a step, zeros exactly, and the data shrinks', async (dtype, levels) => {
        const values = tf.concat([tf.randomNormal([1000], 0, 1, 'float32', 1), tf.zeros([24])]);
        const {quantized, decoded} = await roundTrip({w: values, positive: tf.tensor1d([0.5, 2, 3])}, dtype);
        expect(quantized.specs[0].quantization).toMatchObject({dtype});
        expect(quantized.data.byteLength).toBe((1024 + 3) * (levels === 255 ? 1 : 2));
        const source = values.dataSync();
        const range = Math.max(...source) - Math.min(...source);
        const got = decoded['w'].dataSync();
        const worst = Math.max(...Array.from(source, (v, i) => Math.abs(v - got[i])));
        expect(worst).toBeLessThanOrEqual(range / levels / 2 * 1.0001 + 1e-7);
        expect(Array.from(got.slice(1000))).toEqual(new Array(24).fill(0));
        // A tensor without zeros keeps its own range: the step is (3 - 0.5) / levels, not 3 / levels.
        const positive = Array.from(decoded['positive'].dataSync());
        [0.5, 2, 3].forEach((v, i) => expect(Math.abs(positive[i] - v)).toBeLessThanOrEqual(2.5 / levels / 2 + 1e-7));
        expect(positive[0]).toBeCloseTo(0.5, 6);
      });

  test('a weight left as it was keeps its stored bytes; a changed one is re-encoded', async () => {
    const stored = await roundTrip({kept: tf.linspace(-4.9, -2.77, 300), changed: tf.linspace(-1, 1, 7)}, 'uint8');
    const originals = storedWeights(stored.quantized.specs, stored.quantized.data);
    const edited = {kept: stored.decoded['kept'], changed: tf.mul(stored.decoded['changed'], 0.5)};
    const {specs, data} = await tf.io.encodeWeights(edited);
    const again = quantizeWeights(specs, data, () => 'uint8', originals);
    expect(new Uint8Array(again.data.slice(0, 300))).toEqual(new Uint8Array(originals.get('kept')!.bytes));
    expect(again.specs[0].quantization).toEqual(stored.quantized.specs[0].quantization);
    expect(again.specs[1].quantization!.scale).toBeCloseTo(1 / 255, 6);
    // Asked for another encoding, the original bytes are not reused.
    expect(quantizeWeights(specs, data, () => 'uint16', originals).specs[0].quantization!.dtype).toBe('uint16');
  });

  test('a constant tensor decodes exactly', async () => {
    const {decoded} = await roundTrip({w: tf.fill([5], -1.25)}, 'uint8');
    expect(Array.from(decoded['w'].dataSync())).toEqual([-1.25, -1.25, -1.25, -1.25, -1.25]);
  });

  test('float16 rounds to nearest even, keeps signs, infinities and subnormals', async () => {
    const cases = [1, -2, 65504, 70000, 1 + 2 ** -11, 1 + 3 * 2 ** -11, 2 ** -24, 2 ** -26, 6.1e-5, -0, Infinity];
    const {decoded} = await roundTrip({w: tf.tensor1d(cases)}, 'float16');
    expect(Array.from(decoded['w'].dataSync())).toEqual([
      1, -2, 65504, Infinity, 1, 1 + 4 * 2 ** -11, 2 ** -24, 0, 1023 * 2 ** -24, -0, Infinity
    ]);
    expect(toFloat16Bits(NaN) & 0x7c00).toBe(0x7c00);
    expect(toFloat16Bits(NaN) & 0x3ff).not.toBe(0);
  });

  test('int32 weights (layout tables) are stored exactly in the narrowest unsigned type; quantizing twice is refused', async () => {
    const {quantized, decoded} = await roundTrip(
        {
          blocks: tf.tensor2d([[0, 1], [2, 255]], [2, 2], 'int32'),
          wide: tf.tensor1d([0, 300, 65535], 'int32'),
          negative: tf.tensor1d([-1, 2], 'int32'),
          w: tf.ones([2])
        },
        'uint8');
    expect(quantized.specs.map(s => s.quantization?.dtype)).toEqual(['uint8', 'uint16', undefined, 'uint8']);
    expect(quantized.data.byteLength).toBe(4 + 3 * 2 + 2 * 4 + 2);
    expect(Array.from(decoded['blocks'].dataSync())).toEqual([0, 1, 2, 255]);
    expect(Array.from(decoded['wide'].dataSync())).toEqual([0, 300, 65535]);
    expect(Array.from(decoded['negative'].dataSync())).toEqual([-1, 2]);
    expect(decoded['blocks'].dtype).toBe('int32');
    expect(() => quantizeWeights(quantized.specs, quantized.data, () => 'uint8')).toThrow(/blocks is already quantized \(uint8\)/);
  });
});
