/**
 * Reads rendered emails sentence by sentence and reports the claims the
 * content brief forbids. Sentence-level on purpose: "MDMA-assisted therapy is
 * not approved" is right, "MDMA-assisted therapy is approved" is a bug.
 */

export type Violation = { rule: string; sentence: string };

const MDMA = /\b(mdma|molly|ecstasy)\b/i;
const KETAMINE = /\bketamine\b/i; // not "esketamine": no word boundary inside it
const APPROVAL = /\bapprov(e|ed|es|al|ing)\b/i;
const NEGATION = /\b(not|no|never|cannot|declined|against|without|neither|nor)\b|n't\b/i;
// Approvals that are real: ketamine as an anesthetic, esketamine (Spravato),
// sertraline and paroxetine for PTSD.
const REAL_APPROVAL = /\b(esketamine|spravato|anesthetic|sertraline|paroxetine)\b/i;
const PSYCHIATRIC_USE = /\b(depress\w*|ptsd|psychiatric|mental|mood|anxiety|by mouth|oral|our|we)\b/i;
const LEGAL = /\b(legal|legally|lawful|lawfully|available|prescrib\w*)\b/i;
const TRIALS = /\btrials?\b/i;
const ELSEWHERE = /\baustralia\w*\b/i;
const OBTAIN = /\b(buy|buying|purchase|obtain|dealers?|vendors?|dark ?web|darknet|order (it|them|online))\b/i;
const WORKS = /\b(works?|effective|treats?|helps?|proven)\b/i;
const DOSE_AMOUNT = /\b\d+(?:[.,]\d+)?\s*(?:mg|milligrams?|mcg|µg|micrograms?|g|grams?|ml|mg\/kg)\b/i;
const DOSE_WORD = /\bdos(e|es|age|ing)\b/i;
const DURATION = /\b\d+\s*(hours?|minutes?|days?|weeks?|months?|years?)\b/gi;
const ORAL_OR_COMPOUNDED = /\b(oral|orally|by mouth|lozenges?|troches?|tablets?|compounded|compounding)\b/i;
const PTSD = /\b(ptsd|post-?traumatic)\b/i;
const TREATS = /\b(treats?|treating|treatment|therapy for|works?|effective|helps?|proven|relieves?|heals?)\b/i;
// Our clinic or program, as the subject of a sentence about its treatment.
const OUR_CARE = /\b(our|we|clinic'?s?|program)\b/i;
const SAFE = /\b(safe|safely|risk-free|harmless)\b/i;
const CONSULT = /\bconsult(ation)?s?\b/i;
const PROMISE = /\b(will|you'll|guarantee\w*|promis\w*|ensures?|sure to|certain to|always)\b/i;
const RESULT = /\b(feel better|get better|better|results?|relief|improve\w*|heal\w*|recover\w*|start (your )?treatment|get (the )?treatment|be treated|right treatment|qualify|eligible|works?)\b/i;

// Asking for an approval claims none: "the last stage before a company can ask for approval".
const REQUEST_FOR_APPROVAL = /\b(ask|asks|asked|apply|applies|applied|seek|seeks|sought|request|requests|requested)\s+(for\s+)?(an?\s+|its\s+)?approval\b/gi;

type Rule = { rule: string; test: (s: string) => boolean };

const RULES: Rule[] = [
  // Anything called approved must be negated, or be one of the real approvals.
  { rule: 'approval claim', test: (s) => APPROVAL.test(s) && !NEGATION.test(s) && !REAL_APPROVAL.test(s) },
  { rule: 'MDMA approved', test: (s) => MDMA.test(s) && APPROVAL.test(s) && !NEGATION.test(s) },
  {
    rule: 'oral ketamine approved for a psychiatric use',
    test: (s) => KETAMINE.test(s) && APPROVAL.test(s) && PSYCHIATRIC_USE.test(s) && !NEGATION.test(s),
  },
  {
    rule: 'MDMA legally available outside trials',
    test: (s) => MDMA.test(s) && LEGAL.test(s) && !NEGATION.test(s) && !TRIALS.test(s) && !ELSEWHERE.test(s),
  },
  {
    rule: 'oral or compounded ketamine approved',
    test: (s) => KETAMINE.test(s) && ORAL_OR_COMPOUNDED.test(s) && APPROVAL.test(s) && !NEGATION.test(s),
  },
  { rule: 'ketamine treats PTSD', test: (s) => KETAMINE.test(s) && PTSD.test(s) && TREATS.test(s) && !NEGATION.test(s) },
  { rule: "the clinic's treatment is safe", test: (s) => OUR_CARE.test(s) && SAFE.test(s) && !NEGATION.test(s) },
  { rule: 'a consult promises results', test: (s) => CONSULT.test(s) && PROMISE.test(s) && RESULT.test(s) && !NEGATION.test(s) },
  { rule: 'cure', test: (s) => /\bcur(e|es|ed|ing)\b/i.test(s) },
  { rule: 'guaranteed', test: (s) => /\bguarantee(s|d)?\b/i.test(s) },
  { rule: 'completely safe', test: (s) => /\b(completely|totally|perfectly|100%)\s+safe\b/i.test(s) },
  { rule: '67% called remission', test: (s) => /\b67\s?%/.test(s) && /remission/i.test(s) },
  { rule: 'mixed 67-88% figure', test: (s) => /\b67\s?%?\s?[-–—]\s?88\s?%/.test(s) },
  // A number beside "dose" is an amount unless it is a length of time ("watched for 2 hours after each dose") or part of a link.
  { rule: 'dose amount', test: (s) => DOSE_AMOUNT.test(s) || (DOSE_WORD.test(s) && /\d/.test(s.replace(DURATION, '').replace(/https?:\/\/\S+/g, ''))) },
  { rule: 'where to obtain MDMA', test: (s) => MDMA.test(s) && OBTAIN.test(s) && !NEGATION.test(s) },
  {
    rule: 'MDMA works for depression',
    test: (s) => MDMA.test(s) && /\bdepress/i.test(s) && WORKS.test(s) && !NEGATION.test(s) && !/explor/i.test(s),
  },
];

/** Splits text into sentences: at line breaks and after . ! ? followed by space. */
export function sentences(text: string): string[] {
  return text
    .split(/\n+/)
    .flatMap((line) => line.split(/(?<=[.!?])\s+/))
    .map((s) => s.replace(/\s+/g, ' ').trim())
    .filter((s) => s.length > 0);
}

const INLINE_TAGS = /^(a|strong|b|em|i|span|sup|sub|small)$/i;
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

/** The visible text of an email's html (preheader included), block elements on their own lines. */
export function htmlToReadableText(html: string): string {
  return html
    .replace(/<head[\s\S]*?<\/head>/i, '')
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/?([a-z0-9]+)(\s[^>]*)?\/?>/gi, (_m, tag: string) => (INLINE_TAGS.test(tag) ? '' : '\n'))
    .replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (m, e: string) => {
      if (e[0] === '#') return String.fromCodePoint(e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
      return ENTITIES[e.toLowerCase()] ?? m;
    });
}

export function checkClaims(text: string): Violation[] {
  const out: Violation[] = [];
  for (const sentence of sentences(text)) {
    const claimed = sentence.replace(REQUEST_FOR_APPROVAL, 'asking');
    for (const r of RULES) if (r.test(claimed)) out.push({ rule: r.rule, sentence });
  }
  return out;
}

// ---------------------------------------------------------------------------
// Round 3: benefits never stand alone, and every regulatory fact has its source beside it.

/** A sentence that states a benefit as a figure: a share or an effect size of people helped. */
const BENEFIT = /(\b\d+(?:\.\d+)?\s?%|\bd\s?=\s?\d)/;
const BENEFIT_WORDS = /\b(no longer met|remission|effect size|improv\w*|responded|response rate)\b/i;
// The common side effects seen in the trials, as the brief lists them.
export const TRIAL_SIDE_EFFECT_TERMS = ['jaw clenching', 'nausea', 'muscle tightness', 'reduced appetite', 'sweating', 'heart rate', 'blood pressure'] as const;
/** How close (in sentences, either way) the side effects must be to a benefit figure to count as beside it. */
export const HARMS_WITHIN_SENTENCES = 15;

const namesSideEffects = (s: string) => TRIAL_SIDE_EFFECT_TERMS.filter((t) => s.toLowerCase().includes(t)).length >= 3;

/** The sentences of a text that give a benefit figure with no side effects named near them. */
export function benefitsWithoutHarms(text: string): string[] {
  const ss = sentences(text);
  // The side effects may take two or three sentences: a window of three is read as one.
  const harmsAt = ss.map((_, i) => i).filter((i) => namesSideEffects(ss.slice(i, i + 3).join(' ')));
  return ss.filter((s, i) => BENEFIT.test(s) && BENEFIT_WORDS.test(s) && !harmsAt.some((j) => Math.abs(j - i) <= HARMS_WITHIN_SENTENCES));
}

/**
 * A statement of a regulatory fact: an approval or its absence, a label, the
 * FDA's or another regulator's decisions, a retraction, "only in trials".
 */
export const REGULATORY =
  /\b(FDA|TGA|approv\w*|Breakthrough Therapy|retract\w*|advisory committee|complete response|REMS|label|off-label|prescribe MDMA)\b|\bonly (inside|in) (clinical )?trials\b|\bonly way\b[^.]*\btrial/i;

/**
 * The paragraphs and list items of an email's body (before the footer) that
 * state a regulatory fact without a link to one of `sources` beside it. A
 * list that a sourced paragraph introduces ("... (source: X):") is covered
 * by that source; a title (no full stop) and a "Next time:" line state no
 * fact.
 */
export function regulatoryWithoutSource(html: string, sources: readonly string[]): string[] {
  const card = html.slice(html.indexOf('class="dm-card"'), html.indexOf('If you are in crisis'));
  const sourced = (b: string) => [...b.matchAll(/href="([^"]*)"/g)].some((m) => sources.includes(m[1]!.replaceAll('&amp;', '&')));
  const missing: string[] = [];
  let introducedBySource = false;
  for (const [block, tag] of card.matchAll(/<(p|li)\b[^>]*>[\s\S]*?<\/\1>/g)) {
    const text = htmlToReadableText(block).replace(/\s+/g, ' ').trim();
    if (tag === 'p') introducedBySource = sourced(block) && text.endsWith(':');
    if (/^(Sources:|Next time)/.test(text) || !/[.:]$/.test(text)) continue;
    if (REGULATORY.test(text.replace(REQUEST_FOR_APPROVAL, 'asking')) && !sourced(block) && !(tag === 'li' && introducedBySource)) missing.push(text);
  }
  return missing;
}
