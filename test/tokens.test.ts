import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openSealedAddress, sealAddress, signToken, verifyToken } from '../src/mail/tokens.js';

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
      fc.property(fc.nat(t.length - 1), fc.constantFrom(...'ABCxyz019-_.+/='), (i, ch) => {
        fc.pre(t[i] !== ch);
        expect(verifyToken(SECRET, t.slice(0, i) + ch + t.slice(i + 1), 'confirm', 0)).toBeNull();
      }),
    );
  });

  it('accepts the signature only in its canonical encoding: not with other unused low bits, padding or the other alphabet', () => {
    const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    for (let n = 0; n < 50; n++) {
      const t = signToken(SECRET, { purpose: 'unsubscribe', subscriberId: n + 1, generation: n % 3 });
      const [body, sig] = t.split('.') as [string, string];
      // A 20-byte MAC is 27 characters: the last one carries 4 bits and 2 unused ones.
      const last = ALPHABET.indexOf(sig.at(-1)!);
      const twins = [1, 2, 3].map((low) => `${sig.slice(0, -1)}${ALPHABET[(last & ~3) | ((last + low) & 3)]}`);
      for (const twin of twins) {
        expect(Buffer.from(twin, 'base64url').equals(Buffer.from(sig, 'base64url'))).toBe(true);
        expect(verifyToken(SECRET, `${body}.${twin}`, 'unsubscribe', 0)).toBeNull();
      }
      // Padding, a space or an encoded one are not part of it.
      for (const tail of ['=', ' ', '%20', 'A']) expect(verifyToken(SECRET, `${t}${tail}`, 'unsubscribe', 0)).toBeNull();
      // Punctuation a mail client may take into a link from the text after it ("...TOKEN: this link") is not in the alphabet: dropped.
      for (const tail of [':', '.', ')', ':)']) expect(verifyToken(SECRET, `${t}${tail}`, 'unsubscribe', 0)).toEqual(verifyToken(SECRET, t, 'unsubscribe', 0));
      const otherAlphabet = sig.replace(/-/g, '+').replace(/_/g, '/');
      if (otherAlphabet !== sig) expect(verifyToken(SECRET, `${body}.${otherAlphabet}`, 'unsubscribe', 0)).toBeNull();
      expect(verifyToken(SECRET, t, 'unsubscribe', 0)).not.toBeNull();
    }
  });

  it('never throws on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (s) => {
        expect(verifyToken(SECRET, s, 'confirm', 0)).toBeNull();
      }),
    );
  });
});

describe('sealed addresses (the check-your-inbox link)', () => {
  it('open to the address sealed, under the same key and before they expire; never readable in the link', () => {
    const sealed = sealAddress(SECRET, 'Mina@Example.org', 1000);
    expect(sealed).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(Buffer.from(sealed, 'base64url').toString('latin1')).not.toMatch(/mina|example/i);
    expect(openSealedAddress(SECRET, sealed, 999)).toBe('Mina@Example.org');
    expect(openSealedAddress(SECRET, sealed, 1001)).toBeNull();
    expect(openSealedAddress('b'.repeat(64), sealed, 999)).toBeNull();
    // Two seals of one address differ, so a link says nothing about another.
    expect(sealAddress(SECRET, 'Mina@Example.org', 1000)).not.toBe(sealed);
  });

  it('refuse anything changed or malformed', () => {
    const sealed = sealAddress(SECRET, 'a@example.org', 1000);
    fc.assert(
      fc.property(fc.nat({ max: sealed.length - 1 }), fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'), (i, ch) => {
        const changed = sealed.slice(0, i) + ch + sealed.slice(i + 1);
        const opened = openSealedAddress(SECRET, changed, 0);
        return changed === sealed || opened === null || opened === 'a@example.org';
      }),
    );
    for (const bad of ['', 'x', '!!!', 'A'.repeat(5000)]) expect(openSealedAddress(SECRET, bad, 0)).toBeNull();
  });
});
