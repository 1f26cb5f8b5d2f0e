import crypto from 'node:crypto';

export const MAX_EMAIL_LENGTH = 254;

/**
 * Trims and lower-cases the domain (the local part is case-sensitive in
 * principle, so it is kept as typed). Returns null for anything that is not a
 * plausible single address: CR/LF, spaces, control characters, missing parts.
 */
export function normaliseEmail(input: unknown): string | null {
  // CR/LF anywhere is refused, not trimmed: it is how header injection starts.
  if (typeof input !== 'string' || /[\r\n]/.test(input)) return null;
  const trimmed = input.trim();
  if (trimmed.length === 0 || trimmed.length > MAX_EMAIL_LENGTH) return null;
  // eslint-disable-next-line no-control-regex
  if (/[\s\u0000-\u001f\u007f<>(),;:"\[\]\\]/.test(trimmed)) return null;
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

/** Keyed hash of a normalised address: lets us recognise an address without keeping it. */
export function emailHash(secret: string, normalisedEmail: string): string {
  return crypto.createHmac('sha256', secret).update(`email:${normalisedEmail}`).digest('hex');
}
