/*
 * An LSTM step's gates (core's lstmGates): c' = σ(zf)·c + σ(zi)·tanh(zc),
 * h = σ(zo)·tanh(c'), four units at a time, with exp in SIMD as XNNPACK's
 * vectorized sigmoid does (a scalar exp per value cost more than the rest of
 * the step).
 */

const LOG2E: f32 = 1.44269504;
// ln 2 in two parts, so that v − n·ln 2 loses no bits for |n| up to 128.
const LN2_HI: f32 = 0.693359375;
const LN2_LO: f32 = -2.12194440e-4;

/**
 * e^v lane by lane: v = n·ln 2 + r with |r| ≤ ln 2 / 2, e^r by its degree-6
 * Taylor polynomial (relative error under 2e-7), times 2^n set in the
 * exponent bits. v is clamped to [-87, 88] (e^v stays a normal float); NaN stays NaN.
 */
// @ts-ignore: decorator
@inline
function exp4(v: v128): v128 {
  const x = f32x4.max(f32x4.min(v, f32x4.splat(88)), f32x4.splat(-87));
  const n = f32x4.nearest(f32x4.mul(x, f32x4.splat(LOG2E)));
  const r = f32x4.sub(f32x4.sub(x, f32x4.mul(n, f32x4.splat(LN2_HI))), f32x4.mul(n, f32x4.splat(LN2_LO)));
  let p = f32x4.splat(1.0 / 720);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0 / 120));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0 / 24));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0 / 6));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(0.5));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1));
  const scale = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  return f32x4.mul(p, scale);
}

// @ts-ignore: decorator
@inline
function gate4(v: v128, sigmoid: bool): v128 {
  if (sigmoid) {
    return f32x4.div(f32x4.splat(1), f32x4.add(f32x4.splat(1), exp4(f32x4.neg(v))));
  }
  // hardSigmoid: clip(0.2·v + 0.5, 0, 1); min and max keep NaN.
  return f32x4.min(f32x4.max(f32x4.add(f32x4.mul(v, f32x4.splat(0.2)), f32x4.splat(0.5)), f32x4.splat(0)), f32x4.splat(1));
}

/** tanh(v) = 1 − 2 / (e^2v + 1): ±1 where e^2v saturates. */
// @ts-ignore: decorator
@inline
function tanh4(v: v128): v128 {
  return f32x4.sub(f32x4.splat(1), f32x4.div(f32x4.splat(2), f32x4.add(exp4(f32x4.add(v, v)), f32x4.splat(1))));
}

/** Four values at p, or (whole false) the one at p in every lane. */
// @ts-ignore: decorator
@inline
function load4(p: usize, whole: bool): v128 {
  return whole ? v128.load(p) : f32x4.splat(load<f32>(p));
}

/** Units at byte offset `at` of a row: four, or (whole false) one. */
// @ts-ignore: decorator
@inline
function unitsAt(zRow: usize, gateBytes: usize, c: usize, h: usize, cNext: usize, at: usize, isSigmoid: bool, whole: bool): void {
  const i = gate4(load4(zRow + at, whole), isSigmoid);
  const f = gate4(load4(zRow + gateBytes + at, whole), isSigmoid);
  const g = tanh4(load4(zRow + 2 * gateBytes + at, whole));
  const o = gate4(load4(zRow + 3 * gateBytes + at, whole), isSigmoid);
  const next = f32x4.add(f32x4.mul(f, load4(c + at, whole)), f32x4.mul(i, g));
  const out = f32x4.mul(o, tanh4(next));
  if (whole) {
    v128.store(cNext + at, next);
    v128.store(h + at, out);
  } else {
    store<f32>(cNext + at, f32x4.extract_lane(next, 0));
    store<f32>(h + at, f32x4.extract_lane(out, 0));
  }
}

/**
 * Rows [unitFirst, unitEnd) of z [rows, 4·units] and c [rows, units] into h
 * and cNext [rows, units]; sigmoid: 1 for σ = sigmoid, 0 for hardSigmoid.
 * The last units % 4 go one at a time through lane 0 of the same functions.
 */
export function lstmGates(z: usize, c: usize, h: usize, cNext: usize, units: i32, sigmoid: i32, unitFirst: i32, unitEnd: i32): void {
  const isSigmoid = sigmoid != 0;
  const gateBytes = <usize>units << 2;
  for (let r = unitFirst; r < unitEnd; r++) {
    const zRow = z + <usize>r * 4 * gateBytes;
    const row = <usize>r * gateBytes;
    let j = 0;
    for (; j + 4 <= units; j += 4) {
      unitsAt(zRow, gateBytes, c + row, h + row, cNext + row, <usize>j << 2, isSigmoid, true);
    }
    for (; j < units; j++) {
      unitsAt(zRow, gateBytes, c + row, h + row, cNext + row, <usize>j << 2, isSigmoid, false);
    }
  }
}
