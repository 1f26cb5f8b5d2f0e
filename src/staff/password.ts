import crypto from 'node:crypto';
import { promisify } from 'node:util';

const scrypt = promisify(crypto.scrypt) as (password: string, salt: Buffer, keylen: number, options: crypto.ScryptOptions) => Promise<Buffer>;

export type ScryptParams = { N: number; r: number; p: number };

// About 0.1 s and 64 MiB per check: costly to guess offline, bearable for a script's basic auth on every
// request. Each hash keeps its own parameters (tests pass a cheaper N; a later, costlier default still reads old hashes).
const DEFAULT_PARAMS: ScryptParams = { N: 2 ** 16, r: 8, p: 1 };
const KEY_LENGTH = 32;
// Stored parameters are bounded, so a tampered row cannot make a login burn the machine.
const MAX_N = 2 ** 20;

const memoryFor = ({ N, r }: ScryptParams) => 128 * N * r + 16 * 1024 * 1024;

/** `scrypt$N$r$p$salt$key` (salt and key base64url): everything a later check needs. */
export async function hashPassword(password: string, params: ScryptParams = DEFAULT_PARAMS): Promise<string> {
  const salt = crypto.randomBytes(16);
  const key = await scrypt(password.normalize('NFC'), salt, KEY_LENGTH, { ...params, maxmem: memoryFor(params) });
  return ['scrypt', params.N, params.r, params.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const m = /^scrypt\$(\d{1,8})\$(\d{1,3})\$(\d{1,3})\$([A-Za-z0-9_-]{16,64})\$([A-Za-z0-9_-]{16,128})$/.exec(stored);
  if (!m) return false;
  const params = { N: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
  if (params.N > MAX_N || params.N < 2 || (params.N & (params.N - 1)) !== 0 || params.r < 1 || params.p < 1 || params.p > 16) return false;
  const expected = Buffer.from(m[5]!, 'base64url');
  const key = await scrypt(password.normalize('NFC'), Buffer.from(m[4]!, 'base64url'), expected.length, { ...params, maxmem: memoryFor(params) });
  return crypto.timingSafeEqual(key, expected);
}

/** A password for a new account: 120 random bits, easy to copy. */
export function generatePassword(): string {
  return crypto.randomBytes(15).toString('base64url');
}
