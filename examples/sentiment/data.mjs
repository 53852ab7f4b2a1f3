// UCI "Sentiment Labelled Sentences" (Kotzias et al., KDD 2015): 1,000 IMDB,
// 1,000 Yelp and 1,000 Amazon sentences labelled positive or negative, as
// shipped in the npm package `sentiment` (test/fixtures).
import core from '@tfjs-blocksparse/core';

import {readRepoJSON} from '../shared/repo_files.mjs';

export const SOURCES = ['imdb', 'yelp', 'amazon'];
/** Words the models know; the rest read as UNKNOWN. */
export const VOCABULARY = 2000;
/** Word numbers: PAD fills short texts, UNKNOWN stands for words outside the vocabulary. */
export const PAD = 0;
export const UNKNOWN = 1;
const FIRST_WORD = 2;
export const INPUT_SIZE = FIRST_WORD + VOCABULARY;
/** Words read per text (99% of the sentences have at most 36). */
export const MAX_TOKENS = 32;
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
  const shuffled = core.shuffleInPlace(corpus.slice(), core.seededRandom(seed));
  const nTest = Math.round(shuffled.length * TEST_FRACTION);
  return {train: shuffled.slice(nTest), test: shuffled.slice(0, nTest)};
}

export function tokenize(text) {
  return text.toLowerCase().match(/[a-z0-9']+|[!?]/g) ?? [];
}

/**
 * The VOCABULARY most frequent words of the training sentences (ties alphabetical), numbered from FIRST_WORD: the same list in Node and in
 * a page.
 */
export function buildVocabulary(texts) {
  const counts = new Map();
  for (const text of texts) {
    for (const word of tokenize(text)) {
      counts.set(word, (counts.get(word) ?? 0) + 1);
    }
  }
  const ranked = [...counts].sort(([a, ca], [b, cb]) => cb - ca || (a < b ? -1 : 1)).slice(0, VOCABULARY);
  return new Map(ranked.map(([word], i) => [word, FIRST_WORD + i]));
}

/**
 * Each text as MAX_TOKENS word numbers in reading order: UNKNOWN for words
 * outside the vocabulary, PAD in front of short texts (so that every text
 * ends at the last step, where the classifier reads the state), the last
 * MAX_TOKENS words of long ones. [texts.length * MAX_TOKENS].
 */
export function encodeTexts(texts, vocabulary) {
  const codes = new Int32Array(texts.length * MAX_TOKENS).fill(PAD);
  texts.forEach((text, i) => {
    const words = tokenize(text).slice(-MAX_TOKENS);
    words.forEach((word, j) => {
      codes[(i + 1) * MAX_TOKENS - words.length + j] = vocabulary.get(word) ?? UNKNOWN;
    });
  });
  return codes;
}

/** Whether a text has at least one word the vocabulary knows. */
export function hasKnownWords(text, vocabulary) {
  return tokenize(text).some(word => vocabulary.has(word));
}

const NEGATION = /^(not|no|never|nothing|nor|without)$|n't$/;
const CONTRAST = new Set(['but', 'although', 'though', 'however', 'yet']);
const COPULAS = new Set(['is', 'was', 'are', 'were']);
const COPULA = /\b(is|was|are|were)\b/i;

/**
 * Counterfactual copies that teach negation: a short sentence with one
 * "is/was/are/were", no negation and no contrast ("This movie is bad.")
 * gets "not" after the verb and the opposite label ("This movie is not
 * bad.", positive). A bag of words cannot use them; a model that reads
 * word order can learn what "not" does to what follows.
 */
export function negatedCopies(sentences, maxWords = 12) {
  return sentences
      .filter(({text}) => {
        const words = tokenize(text);
        return words.length <= maxWords && words.filter(w => COPULAS.has(w)).length === 1 &&
            !words.some(w => NEGATION.test(w) || CONTRAST.has(w));
      })
      .map(s => ({...s, text: s.text.replace(COPULA, '$1 not'), label: 1 - s.label, negated: true}));
}
