/** Text helpers both engines share: search patterns and what erase scrubs from free text. */
import type { Subscriber } from './types.js';

export const ERASED_MARK = '[erased]';

/**
 * The one form every comparison of addresses uses (the lookup hash,
 * suppression, erasure, duplicates, rate caps, import merging): NFC, the
 * whole address lower-cased. `Alice@Example.org` and `alice@example.org`
 * are one person. Here, below the stores, so that they compare alike too.
 */
export function canonicalEmail(email: string): string {
  return email.normalize('NFC').toLowerCase().normalize('NFC');
}

/**
 * Audit detail keys that hold what staff typed (removed from the entries
 * about a person when they are erased) or an address (removed from every
 * entry that names theirs).
 */
export const AUDIT_TYPED_TEXT = ['reason'] as const;
export const AUDIT_FREE_TEXT = [...AUDIT_TYPED_TEXT, 'to'] as const;

/** A LIKE pattern matching `q` as a literal substring (%, _ and \ escaped; use with ESCAPE '\'). */
export function likeSubstring(q: string): string {
  return `%${q.replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
}

/** The personal strings of a subscriber worth scrubbing from free text (one-letter names would scrub everything). */
export function personalStrings(s: Subscriber): string[] {
  return [s.email, s.firstName, s.signupIp, s.signupUserAgent, s.consentIp, s.consentUserAgent].filter((v): v is string => typeof v === 'string' && v.length >= 2);
}

/** `text` with every personal string replaced by the erased mark. */
export function scrub(text: string | null, secrets: string[]): string | null {
  if (text === null) return null;
  let out = text;
  for (const s of secrets) out = out.split(s).join(ERASED_MARK);
  return out;
}
