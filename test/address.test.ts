import { describe, expect, it } from 'vitest';
import { emailHash, normaliseEmail } from '../src/address.js';

describe('normaliseEmail', () => {
  it('trims and lower-cases the domain only', () => {
    expect(normaliseEmail('  Jane.Doe@Example.ORG ')).toBe('Jane.Doe@example.org');
  });

  it.each([
    '',
    'plain',
    '@example.org',
    'a@b',
    'a@@example.org',
    'a b@example.org',
    'a@example.org\r\nBcc: x@y.org',
    'a@example.org\n',
    'a@exa mple.org',
    '.a@example.org',
    'a..b@example.org',
    `${'x'.repeat(250)}@example.org`,
    'a@-example.org',
    'a@example.1',
    '<a@example.org>',
  ])('rejects %j', (input) => {
    expect(normaliseEmail(input)).toBeNull();
  });

  it('rejects non-strings', () => {
    expect(normaliseEmail(undefined)).toBeNull();
    expect(normaliseEmail(['a@example.org'])).toBeNull();
  });
});

describe('emailHash', () => {
  it('is keyed and stable', () => {
    expect(emailHash('k1', 'a@example.org')).toBe(emailHash('k1', 'a@example.org'));
    expect(emailHash('k1', 'a@example.org')).not.toBe(emailHash('k2', 'a@example.org'));
    expect(emailHash('k1', 'a@example.org')).toMatch(/^[0-9a-f]{64}$/);
  });
});
