import { htmlToReadableText, sentences } from './claims.js';

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

/**
 * The prose a reader reads in an email's body: its paragraphs, without
 * headings, lists, tables, the greeting, the sign-off, the footer, and the
 * source citations (names and addresses nobody reads aloud). The brief's
 * grade applies to this.
 */
export function proseOf(html: string): string {
  const card = html.slice(html.indexOf('class="dm-card"'), html.indexOf('If you are in crisis'));
  return (card.match(/<p\b(?![^>]*data-skip-in-text)[^>]*>[\s\S]*?<\/p>/g) ?? [])
    .map((p) => htmlToReadableText(p).replace(/\s+/g, ' ').trim())
    .filter((p) => p && !/^(Hi .*,|Warmly,.*|Sources?:.*)$/.test(p) && !/^Email \d+ of \d+$/.test(p))
    .map((p) => withoutCitations(p).replace('3,4-methylenedioxymethamphetamine', 'MDMA'))
    .join('\n');
}

/** Text without its " (source: ...)" citations; a label may hold parentheses of its own. */
export function withoutCitations(text: string): string {
  let out = text;
  for (let at = out.search(/ \(sources?: /); at >= 0; at = out.search(/ \(sources?: /)) {
    let depth = 0;
    let end = at + 1;
    for (; end < out.length; end++) {
      if (out[end] === '(') depth++;
      else if (out[end] === ')' && --depth === 0) break;
    }
    out = out.slice(0, at) + out.slice(end + 1);
  }
  return out;
}
