import type {backend_util} from '@tfjs-blocksparse/core';

/**
 * WGSL functions that read a packed block-sparse weight `w`:
 * `wQuad(base, r4, c4)` is the 4x4 part of rows 4·r4.., columns 4·c4.. of
 * the block that starts at `base`, as a mat4x4 whose i-th column is its row
 * i (the products' step, in either direction). Float32 blocks also have
 * `wRow(base, k, n4)`, row k, columns 4·n4..4·n4+3, and `wColumn(base, k,
 * n4)`, column k, rows 4·n4..4·n4+3 (a tile of Wᵀ), as vec4s, and so do
 * float16 blocks. `base` counts vec4s of float32 blocks, which is also the
 * i32 words of int8 blocks (a block is bs²/4 of either) and half the words
 * of float16 blocks.
 */

/**
 * The WGSL readers for weights named `w` in `format` (w bound as vec4<f32>, or as i32 for int8 blocks, four to an
 * i32, and float16 blocks, two to one).
 */
export function weightReaders(format: backend_util.BlockFormat): string {
  const quadOfRows = `
  fn wQuad(base : i32, r4 : i32, c4 : i32) -> mat4x4<f32> {
    return mat4x4<f32>(wRow(base, r4 * 4, c4), wRow(base, r4 * 4 + 1, c4), wRow(base, r4 * 4 + 2, c4), wRow(base, r4 * 4 + 3, c4));
  }`;
  if (format === 'float16') {
    // A row's columns 4·n4.. are two words, the even column of each in its low half.
    return `
  fn wRow(base : i32, k : i32, n4 : i32) -> vec4<f32> {
    let at = base * 2 + k * (BS / 2) + n4 * 2;
    return vec4<f32>(unpack2x16float(bitcast<u32>(w[at])), unpack2x16float(bitcast<u32>(w[at + 1])));
  }

  fn wValue(base : i32, r : i32, c : i32) -> f32 {
    let at = base * 4 + r * BS + c;
    return unpack2x16float(bitcast<u32>(w[at / 2]))[at % 2];
  }

  fn wColumn(base : i32, k : i32, n4 : i32) -> vec4<f32> {
    return vec4<f32>(wValue(base, n4 * 4, k), wValue(base, n4 * 4 + 1, k), wValue(base, n4 * 4 + 2, k), wValue(base, n4 * 4 + 3, k));
  }
${quadOfRows}`;
  }
  if (format === 'float32') {
    return `
  fn wRow(base : i32, k : i32, n4 : i32) -> vec4<f32> {
    return w[base + k * BS4 + n4];
  }

  fn wColumn(base : i32, k : i32, n4 : i32) -> vec4<f32> {
    let at = base * 4 + n4 * 4 * BS + k;
    return vec4<f32>(w[at / 4][at % 4], w[(at + BS) / 4][(at + BS) % 4], w[(at + 2 * BS) / 4][(at + 2 * BS) % 4],
                     w[(at + 3 * BS) / 4][(at + 3 * BS) % 4]);
  }
${quadOfRows}`;
  }
  // Rows go in pairs, each pair's bs/2 words holding columns 2m, 2m+1 as bytes (k, 2m), (k+1, 2m), (k, 2m+1),
  // (k+1, 2m+1) (core's int8Offset): a quad's two row pairs are two words each, bytes 0 and 2 of them the pairs'
  // even rows, 1 and 3 the odd. A byte shifted to the top and back (arithmetic shift) is its signed value.
  return `
  fn wQuad(base : i32, r4 : i32, c4 : i32) -> mat4x4<f32> {
    let at = base + r4 * BS + c4 * 2;
    let words = vec4<i32>(w[at], w[at + 1], w[at + BS / 2], w[at + BS / 2 + 1]);
    let byte0 = vec4<f32>((words << vec4<u32>(24u)) >> vec4<u32>(24u));
    let byte1 = vec4<f32>((words << vec4<u32>(16u)) >> vec4<u32>(24u));
    let byte2 = vec4<f32>((words << vec4<u32>(8u)) >> vec4<u32>(24u));
    let byte3 = vec4<f32>(words >> vec4<u32>(24u));
    return mat4x4<f32>(vec4<f32>(byte0.xy, byte2.xy).xzyw, vec4<f32>(byte1.xy, byte3.xy).xzyw,
                       vec4<f32>(byte0.zw, byte2.zw).xzyw, vec4<f32>(byte1.zw, byte3.zw).xzyw);
  }`;
}
