import { sentences } from './claims.js';

/** Syllables in an English word, by the usual vowel-group heuristic (good to about one per word). */
export function syllables(word: string): number {
  let w = word.toLowerCase().replace(/[^a-z]/g, '');
  if (!w) return 0;
  if (w.length <= 3) return 1;
  w = w.replace(/(?:[^laeiouy]es|[^laeiouy]ed|[^laeiouy]e)$/, '').replace(/^y/, '');
  return Math.max(1, w.match(/[aeiouy]{1,2}/g)?.length ?? 1);
}

/** Flesch-Kincaid grade level of a text: 0.39 words/sentence + 11.8 syllables/word - 15.59. */
export function fleschKincaidGrade(text: string): number {
  const ss = sentences(text).filter((s) => /[a-z]/i.test(s));
  const words = ss.flatMap((s) => s.split(/\s+/)).filter((w) => /[a-z]/i.test(w));
  const syl = words.reduce((n, w) => n + syllables(w), 0);
  return 0.39 * (words.length / ss.length) + 11.8 * (syl / words.length) - 15.59;
}
