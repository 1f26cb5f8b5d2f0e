/** Text helpers both engines share: search patterns and what erase scrubs from free text. */
import type { Subscriber } from './types.js';

export const ERASED_MARK = '[erased]';

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
