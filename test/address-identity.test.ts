// One address, one person, whatever its spelling: every comparison of
// addresses (lookup, suppression, erasure, duplicates, rate caps, imports)
// uses the canonical form; an erased or suppressed address stays blocked in
// any spelling, except that an erased person may sign up again themselves.
import { describe, expect, it } from 'vitest';
import { emailHash } from '../src/address.js';
import { testApp } from './helpers/app.js';
import { basicAuthOf } from './helpers/staff.js';
import { linkToken, postForm, postJson, signupForm } from './helpers/public.js';

type T = ReturnType<typeof testApp>;
const HEADER = 'email,first_name,timezone,reader,consent_source,consent_date,consent_text';
const WORDING = 'Yes, send me the email series on MDMA-assisted therapy. (Clinic intake form, v3)';

function rows(t: T) {
  return t.db.$client.prepare('SELECT id, email, status FROM subscribers ORDER BY id').all() as { id: number; email: string | null; status: string }[];
}

function mailTo(t: T, address: string) {
  return t.transport.sent.filter((m) => m.to.toLowerCase() === address.toLowerCase());
}

async function importCsv(t: T, lines: string[]) {
  const res = await t.app.request('/api/imports', { method: 'POST', headers: { authorization: basicAuthOf('admin'), 'content-type': 'text/csv' }, body: `${HEADER}\n${lines.join('\n')}\n` });
  expect(res.status).toBe(200);
  return (await res.json()) as { summary: Record<string, number>; rows: { outcome: string }[] };
}

async function confirmFromMail(t: T, address: string) {
  const mail = mailTo(t, address).at(-1)!;
  const res = await postForm(t.app, `/confirm/${linkToken(mail, 'confirm')}`, {});
  expect(res.status).toBeLessThan(400);
  await t.drain();
}

async function erase(t: T, id: number) {
  const res = await t.app.request(`/api/subscribers/${id}`, { method: 'DELETE', headers: { authorization: basicAuthOf('admin') } });
  expect(res.status).toBe(200);
}

describe('the canonical form of an address', () => {
  it('hashes every spelling of one address alike, and different addresses apart', () => {
    const k = 'k';
    expect(emailHash(k, 'Alice.Victim@Example.com')).toBe(emailHash(k, 'alice.victim@example.com'));
    expect(emailHash(k, 'ALICE.VICTIM@EXAMPLE.COM')).toBe(emailHash(k, 'alice.victim@example.com'));
    // NFC: a decomposed é is the same address as the composed one.
    expect(emailHash(k, 'jose\u0301@example.org')).toBe(emailHash(k, 'jos\u00e9@example.org'));
    expect(emailHash(k, 'alice.victim@example.com')).not.toBe(emailHash(k, 'alicevictim@example.com'));
  });

  it.each(['ali\u200bce@example.org', 'alice@exa\u200dmple.org', 'alice\u0085@example.org', '\ufeffalice@example.org', 'ali\u00adce@example.org', 'alice\u2060@example.org', 'al\u034fice@example.org'])(
    'refuses an address holding an invisible or format character: %j',
    async (email) => {
      const t = testApp();
      const res = await postJson(t.app, '/subscribe', { email, consent: true });
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBeTruthy();
      await t.drain();
      expect(rows(t)).toEqual([]);
      expect(t.transport.sent).toEqual([]);
    },
  );
});

describe('one address, one person', () => {
  it('a signup in capitals finds the person who signed up in lower case: one record, one confirmation', async () => {
    const t = testApp();
    await postForm(t.app, '/subscribe', signupForm('alice.victim@example.com'));
    t.clock.advance(11 * 60_000);
    await postForm(t.app, '/subscribe', signupForm('Alice.Victim@Example.com'));
    await t.drain();
    expect(rows(t)).toHaveLength(1);
    const list = (await (await t.app.request('/api/subscribers', { headers: { authorization: basicAuthOf('admin') } })).json()) as { total: number };
    expect(list.total).toBe(1);
  });

  it('shares the daily confirmation cap between spellings', async () => {
    const t = testApp();
    for (const email of ['target@example.org', 'Target@example.org', 'TARGET@example.org', 'tArGeT@example.org', 'TaRgEt@example.org']) {
      expect((await postJson(t.app, '/subscribe', { email, consent: true })).status).toBe(202);
      t.clock.advance(11 * 60_000);
    }
    await t.drain();
    expect(mailTo(t, 'target@example.org')).toHaveLength(3);
  });

  it('an import merges spellings with the list and within the file', async () => {
    const t = testApp();
    await postForm(t.app, '/subscribe', signupForm('robin@example.org'));
    const report = await importCsv(t, ['ROBIN@example.org,,,,,,', 'Sam@example.org,,,,,,', 'sam@EXAMPLE.org,,,,,,']);
    expect(report.summary).toMatchObject({ exists: 1, invited: 1, duplicate: 1 });
    expect(rows(t)).toHaveLength(2);
  });
});

describe('erased and suppressed, in any spelling', () => {
  it('an import never re-adds an erased address, in another spelling, even with a recorded consent', async () => {
    const t = testApp();
    await postForm(t.app, '/subscribe', signupForm('alice.victim@example.com'));
    await t.drain();
    await confirmFromMail(t, 'alice.victim@example.com');
    await erase(t, rows(t)[0]!.id);
    const sentBefore = t.transport.sent.length;
    const report = await importCsv(t, [`Alice.Victim@example.com,Alice,,,Clinic intake form,2025-11-20,"${WORDING}"`]);
    expect(report.rows.map((r) => r.outcome)).toEqual(['erased']);
    await t.drain();
    expect(t.transport.sent.length).toBe(sentBefore);
    expect(rows(t).filter((r) => r.email !== null)).toEqual([]);
  });

  it('the erased person may sign up again through the form: they get the opt-in email, and the sequence only after confirming', async () => {
    const t = testApp();
    await postForm(t.app, '/subscribe', signupForm('alice.victim@example.com'));
    await t.drain();
    await confirmFromMail(t, 'alice.victim@example.com');
    await erase(t, rows(t)[0]!.id);
    t.clock.advance(24 * 60 * 60_000);
    const sentBefore = t.transport.sent.length;

    const res = await postForm(t.app, '/subscribe', signupForm('Alice.Victim@example.com'));
    expect(res.status).toBe(303);
    await t.drain();
    const fresh = t.transport.sent.slice(sentBefore);
    expect(fresh.map((m) => m.tags?.find((tag) => tag.name === 'category')?.value)).toEqual(['confirmation']);
    expect(rows(t).filter((r) => r.email !== null)).toMatchObject([{ email: 'Alice.Victim@example.com', status: 'pending' }]);

    // Before they confirm, an import still cannot enrol them.
    const report = await importCsv(t, [`alice.victim@example.com,,,,Clinic intake form,2025-11-20,"${WORDING}"`]);
    expect(report.rows.map((r) => r.outcome)).toEqual(['exists']);

    await confirmFromMail(t, 'alice.victim@example.com');
    expect(rows(t).filter((r) => r.email !== null)).toMatchObject([{ status: 'active' }]);
    expect(t.transport.sent.length).toBe(sentBefore + 2);
  });

  it('a bounced or complained address stays suppressed for a signup and an import in any spelling', async () => {
    for (const reason of ['bounced', 'complained'] as const) {
      const t = testApp();
      await t.stores.subscribers.suppress({ emailHash: emailHash('test-secret-key-0123456789abcdef0123456789abcdef', 'gone@example.org'), reason, at: t.clock.now() });
      await postForm(t.app, '/subscribe', signupForm('Gone@Example.org'));
      await postJson(t.app, '/subscribe', { email: 'GONE@example.org', consent: true });
      const report = await importCsv(t, [`gOne@example.org,,,,Clinic intake form,2025-11-20,"${WORDING}"`]);
      expect(report.rows.map((r) => r.outcome)).toEqual(['suppressed']);
      await t.drain();
      expect(t.transport.sent).toEqual([]);
      expect(rows(t)).toEqual([]);
    }
  });
});

describe('a staff test email', () => {
  it('never goes to a bounced, complained or erased address, in any spelling', async () => {
    const t = testApp();
    await t.stores.subscribers.suppress({ emailHash: emailHash('test-secret-key-0123456789abcdef0123456789abcdef', 'bounced@example.org'), reason: 'bounced', at: t.clock.now() });
    await postForm(t.app, '/subscribe', signupForm('erase.me@example.org'));
    await t.drain();
    await erase(t, rows(t)[0]!.id);
    const sentBefore = t.transport.sent.length;
    for (const to of ['Bounced@Example.org', 'ERASE.ME@example.org']) {
      const res = await t.app.request('/api/templates/01-welcome/test', { method: 'POST', headers: { authorization: basicAuthOf('editor'), 'content-type': 'application/json' }, body: JSON.stringify({ to }) });
      expect(res.status).toBe(409);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('suppressed_address');
    }
    const ok = await t.app.request('/api/templates/01-welcome/test', { method: 'POST', headers: { authorization: basicAuthOf('editor'), 'content-type': 'application/json' }, body: JSON.stringify({ to: 'coordinator@clinic.example' }) });
    expect(ok.status).toBe(202);
    await t.drain();
    expect(t.transport.sent.slice(sentBefore).map((m) => m.to)).toEqual(['coordinator@clinic.example']);
  });
});
