import * as tf from '@tensorflow/tfjs';

/** The weight encodings of tfjs's manifest (`quantization.dtype`), as tensorflowjs_converter's --quantize_*. */
export type QuantizeDtype = 'float16'|'uint8'|'uint16';
export const QUANTIZE_DTYPES: readonly QuantizeDtype[] = ['float16', 'uint8', 'uint16'];

const BYTES: Record<string, number> = {
  float16: 2,
  uint8: 1,
  uint16: 2,
  bool: 1
};

/** Bytes one value of a manifest entry takes in the weight files (quantized or not). */
export function storedBytesPerValue(spec: tf.io.WeightsManifestEntry): number {
  return BYTES[spec.quantization?.dtype ?? spec.dtype] ?? 4;
}

/**
 * Re-encodes float32 weights (specs and data as tf.io.encodeWeights gives
 * them) with the manifest's `quantization` field, the way
 * tensorflowjs_converter writes it, so tfjs's own loaders dequantize them:
 * uint8/uint16 as q * scale + min over the tensor's range (nudged so that 0
 * is exact where the tensor holds zeros: pruned blocks' zeros stay zeros),
 * float16 rounded to nearest even. `dtypeOf` picks each weight's encoding;
 * undefined keeps float32. A weight found in `originals` with the encoding
 * asked for and the very values its stored bytes decode to (one the
 * converter did not change) is written as those bytes, so re-encoding never
 * coarsens it. int32 weights (layout tables: block coordinates) are stored
 * losslessly as uint8 or uint16 (scale 1, min 0) when their values fit,
 * which tfjs's loaders also read; at 8x8 blocks they are an eighth of a
 * uint8 model.
 */
export function quantizeWeights(
    specs: tf.io.WeightsManifestEntry[], data: ArrayBuffer, dtypeOf: (spec: tf.io.WeightsManifestEntry) => QuantizeDtype | undefined,
    originals?: StoredWeights): {specs: tf.io.WeightsManifestEntry[], data: ArrayBuffer} {
  const parts: ArrayBuffer[] = [];
  const outSpecs: tf.io.WeightsManifestEntry[] = [];
  for (const [spec, raw] of storedEntries(specs, data)) {
    if (spec.quantization != null) {
      throw new Error(`quantizeWeights: ${spec.name} is already quantized (${spec.quantization.dtype})`);
    }
    const dtype = spec.dtype === 'float32' ? dtypeOf(spec) : undefined;
    const narrowInts = spec.dtype === 'int32' ? narrowIntegers(new Int32Array(raw)) : undefined;
    const original = dtype == null ? undefined : originals?.get(spec.name);
    if (original != null && original.spec.quantization?.dtype === dtype && sameValues(original, raw)) {
      parts.push(original.bytes);
      outSpecs.push({...spec, quantization: original.spec.quantization});
    } else if (narrowInts != null) {
      parts.push(narrowInts.values.buffer as ArrayBuffer);
      outSpecs.push({...spec, quantization: {dtype: narrowInts.dtype, min: 0, scale: 1}});
    } else if (dtype == null) {
      parts.push(raw);
      outSpecs.push(spec);
    } else {
      const {values, quantization} = quantizeValues(new Float32Array(raw), dtype);
      parts.push(values.buffer as ArrayBuffer);
      outSpecs.push({...spec, quantization});
    }
  }
  return {specs: outSpecs, data: tf.io.concatenateArrayBuffers(parts)};
}

/** A model's weights as its files store them: each manifest entry and its bytes, by weight name. */
export type StoredWeights = Map<string, {spec: tf.io.WeightsManifestEntry, bytes: ArrayBuffer}>;

export function storedWeights(specs: tf.io.WeightsManifestEntry[], data: ArrayBuffer): StoredWeights {
  return new Map(Array.from(storedEntries(specs, data), ([spec, bytes]) => [spec.name, {spec, bytes}]));
}

/** Each manifest entry with its bytes in the weight data. */
function* storedEntries(specs: tf.io.WeightsManifestEntry[], data: ArrayBuffer): Generator<[tf.io.WeightsManifestEntry, ArrayBuffer]> {
  let offset = 0;
  for (const spec of specs) {
    const bytes = spec.shape.reduce((a, b) => a * b, 1) * storedBytesPerValue(spec);
    yield [spec, data.slice(offset, offset + bytes)];
    offset += bytes;
  }
}

/** Whether float32 `raw` holds exactly the values a stored weight decodes to. */
function sameValues(original: {spec: tf.io.WeightsManifestEntry, bytes: ArrayBuffer}, raw: ArrayBuffer): boolean {
  const size = original.spec.shape.reduce((a, b) => a * b, 1);
  if (raw.byteLength !== 4 * size) {
    return false;
  }
  const decoded = tf.io.decodeWeights(original.bytes, [original.spec])[original.spec.name];
  const [a, b] = [new Uint32Array(decoded.dataSync().buffer, 0, size), new Uint32Array(raw)];
  decoded.dispose();
  return a.every((bits, i) => bits === b[i]);
}

function quantizeValues(values: Float32Array, dtype: QuantizeDtype):
    {values: Uint8Array|Uint16Array, quantization: NonNullable<tf.io.WeightsManifestEntry['quantization']>} {
  if (dtype === 'float16') {
    return {values: Uint16Array.from(values, toFloat16Bits), quantization: {dtype}};
  }
  const levels = dtype === 'uint8' ? 255 : 65535;
  const [lo, hi] = rangeOf(values);
  const out = dtype === 'uint8' ? new Uint8Array(values.length) : new Uint16Array(values.length);
  if (lo === hi) {
    return {values: out, quantization: {dtype, min: lo, scale: 1}};
  }
  const scale = (hi - lo) / levels;
  // Where the tensor holds zeros (pruned blocks), 0 goes on a level so that it decodes exactly.
  const min = values.includes(0) ? -Math.round(-lo / scale) * scale : lo;
  for (let i = 0; i < values.length; i++) {
    out[i] = Math.min(levels, Math.max(0, Math.round((values[i] - min) / scale)));
  }
  return {values: out, quantization: {dtype, min, scale}};
}

/** The smallest and largest value. */
function rangeOf(values: ArrayLike<number>): [number, number] {
  let [lo, hi] = [Infinity, -Infinity];
  for (let i = 0; i < values.length; i++) {
    lo = Math.min(lo, values[i]);
    hi = Math.max(hi, values[i]);
  }
  return [lo, hi];
}

/** Non-negative integers below 2^16 as uint8 or uint16, exactly; undefined when they do not fit. */
function narrowIntegers(values: Int32Array): {values: Uint8Array|Uint16Array, dtype: 'uint8'|'uint16'}|undefined {
  const [lo, hi] = rangeOf(values);
  if (lo < 0 || hi > 65535) {
    return undefined;
  }
  return hi < 256 ? {values: Uint8Array.from(values), dtype: 'uint8'} : {values: Uint16Array.from(values), dtype: 'uint16'};
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE half-precision bits of a float32, rounded to nearest even (overflow to infinity). */
export function toFloat16Bits(value: number): number {
  f32[0] = value;
  const bits = u32[0];
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;
  if (exponent === 0xff) {
    return sign | 0x7c00 | (mantissa !== 0 ? 0x200 : 0);
  }
  const e = exponent - 127 + 15;
  if (e >= 0x1f) {
    return sign | 0x7c00;
  }
  if (e <= 0) {
    if (e < -10) {
      return sign;
    }
    return sign | roundShift(mantissa | 0x800000, 14 - e);
  }
  // A carry out of the mantissa correctly bumps the exponent (up to infinity).
  return sign | ((e << 10) + roundShift(mantissa, 13));
}

function roundShift(value: number, shift: number): number {
  const kept = value >>> shift;
  const rest = value & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  return rest > half || (rest === half && (kept & 1) === 1) ? kept + 1 : kept;
}
