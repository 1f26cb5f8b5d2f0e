import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { signToken, verifyToken } from '../src/mail/tokens.js';

const SECRET = 'a'.repeat(64);

describe('tokens', () => {
  it('round-trips claims for the right purpose only', () => {
    const t = signToken(SECRET, { purpose: 'unsubscribe', subscriberId: 42, generation: 3 });
    expect(verifyToken(SECRET, t, 'unsubscribe', 0)).toEqual({ purpose: 'unsubscribe', subscriberId: 42, generation: 3 });
    expect(verifyToken(SECRET, t, 'confirm', 0)).toBeNull();
    expect(verifyToken('b'.repeat(64), t, 'unsubscribe', 0)).toBeNull();
  });

  it('expires', () => {
    const t = signToken(SECRET, { purpose: 'confirm', subscriberId: 1, generation: 0, expiresAt: 1000 });
    expect(verifyToken(SECRET, t, 'confirm', 999)?.subscriberId).toBe(1);
    expect(verifyToken(SECRET, t, 'confirm', 1001)).toBeNull();
  });

  it('rejects every single-character change', () => {
    const t = signToken(SECRET, { purpose: 'confirm', subscriberId: 7, generation: 0 });
    fc.assert(
      fc.property(fc.nat(t.length - 1), fc.constantFrom(...'ABCxyz019-_.'), (i, ch) => {
        fc.pre(t[i] !== ch);
        const tampered = t.slice(0, i) + ch + t.slice(i + 1);
        // base64url's last character can carry unused bits; a change that decodes to the same bytes is the same token.
        const same = Buffer.from(tampered.split('.')[1] ?? '', 'base64url').equals(Buffer.from(t.split('.')[1]!, 'base64url')) && tampered.split('.')[0] === t.split('.')[0];
        if (!same) expect(verifyToken(SECRET, tampered, 'confirm', 0)).toBeNull();
      }),
    );
  });

  it('never throws on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (s) => {
        expect(verifyToken(SECRET, s, 'confirm', 0)).toBeNull();
      }),
    );
  });
});
