import { describe, expect, it } from 'vitest';
import { fixedClock } from '../src/clock.js';
import { cachedTxtLookup, checkSenderDomain, domainAndParents, isPublicDomain, senderDomain, type DnsResolver } from '../src/mail/sender-dns.js';

type Answer = string[][] | { code: string } | 'hang';

/** A resolver answering from a table; a name not in it does not exist. Counts the questions asked. */
function fakeResolver(table: Record<string, Answer>) {
  const asked: string[] = [];
  const resolver: DnsResolver = {
    resolveTxt(name) {
      asked.push(name);
      const answer = table[name];
      if (answer === 'hang') return new Promise(() => {});
      if (answer === undefined) return Promise.reject(Object.assign(new Error(`queryTxt ENOTFOUND ${name}`), { code: 'ENOTFOUND' }));
      if (!Array.isArray(answer)) return Promise.reject(Object.assign(new Error(`queryTxt ${answer.code} ${name}`), { code: answer.code }));
      return Promise.resolve(answer);
    },
  };
  return { resolver, asked };
}

const clock = () => fixedClock('2026-03-02T14:00:00Z');
const check = (table: Record<string, Answer>, mailFrom = 'Clinic <education@clinic.org>', timeoutMs?: number) =>
  checkSenderDomain(mailFrom, cachedTxtLookup(fakeResolver(table).resolver, clock(), timeoutMs === undefined ? {} : { timeoutMs }));

const RESEND_SPF = 'v=spf1 include:amazonses.com ~all';
// A DKIM key is long: DNS hands it back in chunks of at most 255 characters.
const DKIM_KEY: string[] = ['p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC', 'x7Jk2q0w'];

describe('the sender domain in DNS (fake resolver)', () => {
  it('passes when Resend set-up and DMARC are in place', async () => {
    const r = await check({
      'send.clinic.org': [[RESEND_SPF]],
      'clinic.org': [['google-site-verification=abc'], ['v=spf1 include:_spf.google.com ~all']],
      'resend._domainkey.clinic.org': [DKIM_KEY],
      '_dmarc.clinic.org': [['v=DMARC1; p=quarantine; rua=mailto:dmarc@clinic.org']],
    });
    expect(r.domain).toBe('clinic.org');
    expect(r.spf).toMatchObject({ status: 'ok', action: null });
    expect(r.spf.message).toContain('send.clinic.org');
    expect(r.dkim).toMatchObject({ status: 'ok', action: null });
    expect(r.dmarc).toMatchObject({ status: 'ok', action: null, detail: { policy: 'quarantine' } });
  });

  it('fails each one that is missing, saying what to add', async () => {
    const r = await check({ 'clinic.org': [['google-site-verification=abc']], '_dmarc.clinic.org': [['not a dmarc record']] });
    expect(r.spf.status).toBe('fail');
    expect(r.spf.action).toContain('send.clinic.org');
    expect(r.spf.action).toContain('include:amazonses.com');
    expect(r.dkim.status).toBe('fail');
    expect(r.dkim.action).toContain('resend._domainkey');
    expect(r.dmarc.status).toBe('fail');
    expect(r.dmarc.message).toMatch(/Gmail and Yahoo require one/);
    expect(r.dmarc.action).toContain('_dmarc.clinic.org: v=DMARC1; p=none');
  });

  it('p=none passes, with a note that it protects nothing', async () => {
    const r = await check({ 'send.clinic.org': [[RESEND_SPF]], 'resend._domainkey.clinic.org': [DKIM_KEY], '_dmarc.clinic.org': [['v=DMARC1; p=none']] });
    expect(r.dmarc.status).toBe('ok');
    expect(r.dmarc.message).toContain('p=none');
    expect(r.dmarc.message).toContain('does not stop others from sending email in your name');
    expect(r.dmarc.action).toContain('p=quarantine');
  });

  it('SPF naming Resend on the From domain instead of send.: misplaced, a warning', async () => {
    const r = await check({ 'clinic.org': [[RESEND_SPF]], 'resend._domainkey.clinic.org': [DKIM_KEY], '_dmarc.clinic.org': [['v=DMARC1; p=reject']] });
    expect(r.spf.status).toBe('warn');
    expect(r.spf.message).toContain('bounce address send.clinic.org');
  });

  it('SPF without Resend in it: a warning', async () => {
    const r = await check({ 'send.clinic.org': [['v=spf1 include:mailgun.org ~all']], 'resend._domainkey.clinic.org': [DKIM_KEY], '_dmarc.clinic.org': [['v=DMARC1; p=reject']] });
    expect(r.spf.status).toBe('warn');
    expect(r.spf.message).toContain('does not name Resend');
  });

  it('two SPF or two DMARC records at one name fail: receivers treat them as broken', async () => {
    const r = await check({
      'send.clinic.org': [[RESEND_SPF], ['v=spf1 -all']],
      'resend._domainkey.clinic.org': [DKIM_KEY],
      '_dmarc.clinic.org': [['v=DMARC1; p=none'], ['v=DMARC1; p=reject']],
    });
    expect(r.spf.status).toBe('fail');
    expect(r.dmarc.status).toBe('fail');
  });

  it('DMARC with strict SPF alignment (aspf=s) is misaligned with Resend: a warning', async () => {
    const r = await check({ 'send.clinic.org': [[RESEND_SPF]], 'resend._domainkey.clinic.org': [DKIM_KEY], '_dmarc.clinic.org': [['v=DMARC1; p=reject; aspf=s']] });
    expect(r.dmarc.status).toBe('warn');
    expect(r.dmarc.message).toContain('aspf=s');
    expect(r.dmarc.action).toContain('Remove aspf=s');
  });

  it('a subdomain sender with records only on the parent: SPF and DKIM misaligned, and strict DKIM alignment on the parent policy', async () => {
    const r = await check(
      {
        'send.clinic.org': [[RESEND_SPF]],
        'resend._domainkey.clinic.org': [DKIM_KEY],
        '_dmarc.clinic.org': [['v=DMARC1; p=reject; adkim=s']],
      },
      'Clinic <education@news.clinic.org>',
    );
    expect(r.domain).toBe('news.clinic.org');
    expect(r.spf.status).toBe('warn');
    expect(r.spf.message).toContain('send.clinic.org');
    expect(r.spf.message).toContain('news.clinic.org');
    expect(r.dkim.status).toBe('warn');
    expect(r.dmarc).toMatchObject({ status: 'warn', detail: { name: '_dmarc.clinic.org', inheritedFrom: 'clinic.org' } });
    expect(r.dmarc.message).toContain('signed for clinic.org, not news.clinic.org');
  });

  it('a subdomain verified on its own passes under the parent policy, whose sp= applies to it', async () => {
    const r = await check(
      {
        'send.news.clinic.org': [[RESEND_SPF]],
        'resend._domainkey.news.clinic.org': [DKIM_KEY],
        '_dmarc.clinic.org': [['v=DMARC1; p=reject; sp=none; adkim=s']],
      },
      'education@news.clinic.org',
    );
    expect(r.spf.status).toBe('ok');
    expect(r.dkim.status).toBe('ok');
    expect(r.dmarc).toMatchObject({ status: 'ok', detail: { policy: 'none', inheritedFrom: 'clinic.org' } });
    expect(r.dmarc.message).toContain('from _dmarc.clinic.org');
  });

  it('a withdrawn DKIM key (empty p=) fails', async () => {
    const r = await check({ 'send.clinic.org': [[RESEND_SPF]], 'resend._domainkey.clinic.org': [['v=DKIM1; p=']], '_dmarc.clinic.org': [['v=DMARC1; p=none']] });
    expect(r.dkim.status).toBe('fail');
    expect(r.dkim.message).toContain('withdrawn');
  });

  it('a DNS server that fails or does not answer gives "could not look up", not a failure', async () => {
    const failing = await check({ 'send.clinic.org': { code: 'ESERVFAIL' }, 'clinic.org': [[RESEND_SPF]], 'resend._domainkey.clinic.org': { code: 'ECONNREFUSED' }, '_dmarc.clinic.org': { code: 'ESERVFAIL' } });
    for (const c of [failing.spf, failing.dkim, failing.dmarc]) {
      expect(c.status).toBe('warn');
      expect(c.message).toMatch(/^Could not look up/);
    }
    expect(failing.dkim.detail).toEqual({ name: 'resend._domainkey.clinic.org', error: 'ECONNREFUSED' });

    const silent = await check({ 'send.clinic.org': 'hang', 'clinic.org': 'hang', 'resend._domainkey.clinic.org': 'hang', '_dmarc.clinic.org': 'hang' }, undefined, 5);
    for (const c of [silent.spf, silent.dkim, silent.dmarc]) expect(c).toMatchObject({ status: 'warn', detail: { error: 'ETIMEOUT' } });
  });

  it('a sender at localhost or a reserved name is not looked up', async () => {
    const { resolver, asked } = fakeResolver({});
    const r = await checkSenderDomain('Harbor Clinic <education@localhost>', cachedTxtLookup(resolver, clock()));
    expect(asked).toEqual([]);
    expect(r.spf.status).toBe('fail');
    expect(r.spf.message).toContain('localhost');
    expect(isPublicDomain('clinic.example')).toBe(false);
    expect(isPublicDomain('mail.test')).toBe(false);
    expect(isPublicDomain('10.0.0.1')).toBe(false);
    expect(isPublicDomain('clinic.org')).toBe(true);
    expect(isPublicDomain('news.clinic.co.uk')).toBe(true);
  });
});

describe('looking up', () => {
  it('reads the domain from MAIL_FROM, lower case and in ASCII', () => {
    expect(senderDomain('Harbor Clinic <Education@News.Clinic.ORG>')).toBe('news.clinic.org');
    expect(senderDomain('education@clinic.org.')).toBe('clinic.org');
    expect(senderDomain('Klinik <info@bücher.example>')).toBe('xn--bcher-kva.example');
    expect(domainAndParents('a.news.clinic.org')).toEqual(['a.news.clinic.org', 'news.clinic.org', 'clinic.org']);
    expect(domainAndParents('clinic.org')).toEqual(['clinic.org']);
  });

  it('caches answers for 5 minutes and errors for 1 on the injected clock; concurrent callers share one lookup', async () => {
    const { resolver, asked } = fakeResolver({ 'a.org': [['v=spf1 -all']], 'b.org': { code: 'ESERVFAIL' } });
    const c = clock();
    const lookup = cachedTxtLookup(resolver, c);
    const [x, y] = await Promise.all([lookup('a.org'), lookup('a.org')]);
    expect(x).toEqual({ name: 'a.org', kind: 'found', records: ['v=spf1 -all'] });
    expect(y).toBe(x);
    await lookup('b.org');
    expect(asked).toEqual(['a.org', 'b.org']);
    c.advance(61_000);
    await lookup('a.org');
    await lookup('b.org');
    expect(asked).toEqual(['a.org', 'b.org', 'b.org']);
    c.advance(4 * 60_000);
    await lookup('a.org');
    expect(asked).toEqual(['a.org', 'b.org', 'b.org', 'a.org']);
    expect(await lookup('nothing.org')).toEqual({ name: 'nothing.org', kind: 'none' });
  });

  it('a whole check asks each name once, and the parents only when the domain itself misses', async () => {
    const { resolver, asked } = fakeResolver({
      'send.news.clinic.org': [[RESEND_SPF]],
      'resend._domainkey.news.clinic.org': [DKIM_KEY],
      '_dmarc.news.clinic.org': [['v=DMARC1; p=none']],
    });
    const lookup = cachedTxtLookup(resolver, clock());
    await checkSenderDomain('education@news.clinic.org', lookup);
    expect([...asked].sort()).toEqual(['_dmarc.news.clinic.org', 'news.clinic.org', 'resend._domainkey.news.clinic.org', 'send.news.clinic.org']);
    await checkSenderDomain('education@news.clinic.org', lookup);
    expect(asked).toHaveLength(4);
  });
});
