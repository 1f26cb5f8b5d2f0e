import type { Config } from '../config.js';
import { signToken } from './tokens.js';

/** How long a confirmation link works; after that, signing up again sends a fresh one. */
export const CONFIRM_LINK_TTL_MS = 7 * 24 * 60 * 60 * 1000;

type LinkSubject = { id: number; tokenGeneration: number };

export function confirmUrl(config: Pick<Config, 'publicUrl' | 'secretKey'>, s: LinkSubject, now: number): string {
  const token = signToken(config.secretKey, { purpose: 'confirm', subscriberId: s.id, generation: s.tokenGeneration, expiresAt: Math.floor(now + CONFIRM_LINK_TTL_MS) });
  return `${config.publicUrl}/confirm/${token}`;
}

/** Unsubscribe links never expire. */
export function unsubscribeUrl(config: Pick<Config, 'publicUrl' | 'secretKey'>, s: LinkSubject): string {
  const token = signToken(config.secretKey, { purpose: 'unsubscribe', subscriberId: s.id, generation: s.tokenGeneration });
  return `${config.publicUrl}/u/${token}`;
}

/** Preference page links never expire either; they are bound to the token generation (see preferences.ts). */
export function preferencesUrl(config: Pick<Config, 'publicUrl' | 'secretKey'>, s: LinkSubject): string {
  const token = signToken(config.secretKey, { purpose: 'preferences', subscriberId: s.id, generation: s.tokenGeneration });
  return `${config.publicUrl}/p/${token}`;
}

/**
 * Which page was clicked, without what could identify the reader: no query or
 * fragment, and long path segments (our confirm/unsubscribe tokens) elided.
 */
export function linkWithoutTokens(link: unknown): string | undefined {
  if (typeof link !== 'string') return undefined;
  try {
    const url = new URL(link);
    const path = url.pathname
      .split('/')
      .map((seg) => (seg.length > 24 ? '…' : seg))
      .join('/');
    return `${url.origin}${path}`.slice(0, 300);
  } catch {
    return undefined;
  }
}
