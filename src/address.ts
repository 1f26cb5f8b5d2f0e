import crypto from 'node:crypto';
import { canonicalEmail } from '../db/text.js';

export const MAX_EMAIL_LENGTH = 254;

// Characters that change an address without showing: controls (C0, C1 such
// as U+0085), format characters (U+200B, U+200D, U+FEFF, ...) and the other
// default-ignorable code points. An address holding one is refused, never
// cleaned, so two addresses that look the same are the same address.
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Default_Ignorable_Code_Point}\p{Zl}\p{Zp}]/u;

/**
 * The address to store and mail, as the person typed it: Unicode NFC,
 * trimmed, the domain lower-cased (the local part keeps its spelling, for
 * display). Returns null for anything that is not a plausible single
 * address: CR/LF, spaces, control or invisible characters, missing parts.
 */
export function normaliseEmail(input: unknown): string | null {
  // CR/LF anywhere is refused, not trimmed: it is how header injection starts.
  if (typeof input !== 'string' || /[\r\n]/.test(input)) return null;
  // Checked before trimming, which would quietly drop a leading U+FEFF.
  if (INVISIBLE.test(input.replace(/^[ \t]+|[ \t]+$/g, ''))) return null;
  const trimmed = input.trim().normalize('NFC');
  if (trimmed.length === 0 || trimmed.length > MAX_EMAIL_LENGTH) return null;
  // eslint-disable-next-line no-control-regex
  if (/[\s\u0000-\u001f\u007f<>(),;:"[\]\\]/.test(trimmed)) return null;
  const at = trimmed.lastIndexOf('@');
  if (at < 1 || at !== trimmed.indexOf('@')) return null;
  const local = trimmed.slice(0, at);
  const domain = trimmed.slice(at + 1).toLowerCase();
  if (local.length > 64 || local.startsWith('.') || local.endsWith('.') || local.includes('..')) return null;
  const labels = domain.split('.');
  if (labels.length < 2) return null;
  for (const label of labels) {
    if (!/^[a-z0-9\u00a1-\uffff]([a-z0-9\u00a1-\uffff-]{0,61}[a-z0-9\u00a1-\uffff])?$/.test(label)) return null;
  }
  if (!/^[a-z\u00a1-\uffff]{2,}$/.test(labels[labels.length - 1]!)) return null;
  return `${local}@${domain}`;
}

export { canonicalEmail };

/**
 * Keyed hash of an address in its canonical form, whatever its spelling:
 * lets us recognise an address without keeping it.
 */
export function emailHash(secret: string, email: string): string {
  return hashOf(secret, canonicalEmail(email));
}

/**
 * The hash releases before the canonical form gave an address: of the
 * address as stored (domain lower-cased, local part as typed). Only the
 * migration to canonical hashes uses it.
 */
export function legacyEmailHash(secret: string, storedEmail: string): string {
  return hashOf(secret, storedEmail);
}

/** The address's hash, and the one an earlier release gave this spelling when that differs. */
export function addressHashes(secret: string, email: string): { emailHash: string; legacyHash?: string } {
  const hash = emailHash(secret, email);
  const legacy = legacyEmailHash(secret, email);
  return legacy === hash ? { emailHash: hash } : { emailHash: hash, legacyHash: legacy };
}

function hashOf(secret: string, value: string): string {
  return crypto.createHmac('sha256', secret).update(`email:${value}`).digest('hex');
}
