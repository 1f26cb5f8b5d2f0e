import crypto from 'node:crypto';

/**
 * Signed, tamper-proof tokens for links in emails. A token carries its purpose,
 * the subscriber id and the subscriber's token generation, signed with
 * HMAC-SHA256 under SECRET_KEY, so it survives restarts and needs no storage.
 * Format: base64url(purpose.id.generation[.expiresAt]).base64url(mac[0..20])
 */
export type TokenPurpose = 'confirm' | 'unsubscribe' | 'preferences';
export type TokenClaims = { purpose: TokenPurpose; subscriberId: number; generation: number; expiresAt?: number };

const MAC_BYTES = 20;
const MAX_TOKEN_LENGTH = 200;

function mac(secret: string, body: string): Buffer {
  return crypto.createHmac('sha256', secret).update(body).digest().subarray(0, MAC_BYTES);
}

export function signToken(secret: string, claims: TokenClaims): string {
  const parts = [claims.purpose, claims.subscriberId, claims.generation];
  if (claims.expiresAt !== undefined) parts.push(claims.expiresAt);
  const body = Buffer.from(parts.join('.')).toString('base64url');
  return `${body}.${mac(secret, body).toString('base64url')}`;
}

const TRAILING_PUNCTUATION = /[:;,.)\]>'"!?]+$/;

/** Returns the claims if the token is authentic, of the expected purpose and not expired; otherwise null. */
export function verifyToken(secret: string, raw: string, purpose: TokenPurpose, now: number): TokenClaims | null {
  if (typeof raw !== 'string' || raw.length > MAX_TOKEN_LENGTH) return null;
  // The plain-text part of an email puts a colon (or a stop) right after a
  // link ("…/u/TOKEN: this link opens a page"), and some mail clients make it
  // part of the link. None of these is in the token's alphabet, so dropping
  // them never turns one token into another.
  const token = raw.replace(TRAILING_PUNCTUATION, '');
  const dot = token.indexOf('.');
  if (dot < 1 || dot !== token.lastIndexOf('.')) return null;
  const body = token.slice(0, dot);
  // Compared as text, not decoded: a decoder takes other low bits in the last
  // character, padding and the other alphabet, so one MAC has many spellings;
  // only the one we issue is the token.
  const given = Buffer.from(token.slice(dot + 1));
  const expected = Buffer.from(mac(secret, body).toString('base64url'));
  if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) return null;
  const fields = Buffer.from(body, 'base64url').toString('utf8').split('.');
  const [p, id, gen, exp] = fields;
  if (p !== purpose || fields.length > 4) return null;
  const subscriberId = Number(id);
  const generation = Number(gen);
  if (!Number.isSafeInteger(subscriberId) || subscriberId < 1 || !Number.isSafeInteger(generation) || generation < 0) return null;
  const expiresAt = exp === undefined ? undefined : Number(exp);
  if (expiresAt !== undefined && (!Number.isFinite(expiresAt) || now > expiresAt)) return null;
  return { purpose, subscriberId, generation, ...(expiresAt !== undefined ? { expiresAt } : {}) };
}

// An address carried in a link the reader's own browser follows (the
// check-your-inbox page after a signup), encrypted and authenticated
// (AES-256-GCM) under a key derived from SECRET_KEY, so the link, logs and
// history hold no readable address and nobody can make the page show another.
const SEAL_IV_BYTES = 12;
const SEAL_TAG_BYTES = 16;
const MAX_SEALED_LENGTH = 600;

function sealKey(secret: string): Buffer {
  return crypto.createHmac('sha256', secret).update('sealed-address').digest();
}

/** The address, sealed until `expiresAt`; base64url, different every time. */
export function sealAddress(secret: string, address: string, expiresAt: number): string {
  const iv = crypto.randomBytes(SEAL_IV_BYTES);
  const cipher = crypto.createCipheriv('aes-256-gcm', sealKey(secret), iv);
  const body = Buffer.concat([cipher.update(JSON.stringify({ a: address, e: expiresAt }), 'utf8'), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url');
}

/** The address sealed by sealAddress under this secret, or null when it was changed, has expired or is not one. */
export function openSealedAddress(secret: string, sealed: string, now: number): string | null {
  if (typeof sealed !== 'string' || sealed.length > MAX_SEALED_LENGTH || !/^[A-Za-z0-9_-]+$/.test(sealed)) return null;
  const raw = Buffer.from(sealed, 'base64url');
  if (raw.length <= SEAL_IV_BYTES + SEAL_TAG_BYTES) return null;
  try {
    const decipher = crypto.createDecipheriv('aes-256-gcm', sealKey(secret), raw.subarray(0, SEAL_IV_BYTES));
    decipher.setAuthTag(raw.subarray(raw.length - SEAL_TAG_BYTES));
    const text = Buffer.concat([decipher.update(raw.subarray(SEAL_IV_BYTES, raw.length - SEAL_TAG_BYTES)), decipher.final()]).toString('utf8');
    const claims = JSON.parse(text) as { a?: unknown; e?: unknown };
    if (typeof claims.a !== 'string' || typeof claims.e !== 'number' || now > claims.e) return null;
    return claims.a;
  } catch {
    return null;
  }
}
