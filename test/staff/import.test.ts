// POST /api/imports: a CSV of people who gave their address elsewhere. Rows
// with a recorded consent are enrolled through the normal confirmation,
// the others get the double opt-in email only; duplicates are merged,
// suppressed and erased addresses are never created or mailed, and a file
// that cannot be read changes nothing.
import { requestWithout } from '../../src/mail/envelope.js';
import { describe, expect, it } from 'vitest';
import { emailHash } from '../../src/address.js';
import { buildCatalog, VERSION_PLANS } from '../../src/nurture/sequence.js';
import { importedConsentVersion, type ImportReport } from '../../src/subscribers/import.js';
import { TEST_SECRET, testApp } from '../helpers/app.js';
import { addSubscriber, asStaff, basicAuthOf } from '../helpers/staff.js';

const NOW = '2026-03-02T14:00:00Z';
const HEADER = 'email,first_name,timezone,reader,consent_source,consent_date,consent_text';
const WORDING = 'Yes, send me the email series on MDMA-assisted therapy. (Clinic intake form, v3)';

type Role = 'admin' | 'editor' | 'viewer';

function post(t: ReturnType<typeof testApp>, csv: string, opts: { role?: Role; accept?: string; type?: string } = {}) {
  const headers: Record<string, string> = { authorization: basicAuthOf(opts.role ?? 'admin'), 'content-type': opts.type ?? 'text/csv' };
  if (opts.accept) headers.accept = opts.accept;
  return t.app.request('/api/imports', { method: 'POST', headers, body: csv });
}

function table(t: ReturnType<typeof testApp>) {
  const sql = t.db.$client;
  return {
    subscribers: () => sql.prepare('SELECT count(*) AS n FROM subscribers').get() as { n: number },
    deliveries: () => sql.prepare('SELECT count(*) AS n FROM deliveries').get() as { n: number },
    audit: (action: string) => sql.prepare('SELECT actor, subscriber_id AS s, detail FROM audit_log WHERE action = ? ORDER BY id').all(action) as { actor: string; s: number | null; detail: string }[],
  };
}

/** Sent emails by address: confirmations and sequence steps. */
function mailByAddress(t: ReturnType<typeof testApp>) {
  const by = new Map<string, string[]>();
  for (const m of t.transport.sent) {
    const category = m.tags?.find((tag) => tag.name === 'category')?.value ?? 'sequence';
    by.set(m.to, [...(by.get(m.to) ?? []), category]);
  }
  return by;
}

describe('POST /api/imports: a file of 10,000 rows', () => {
  it('enrols, invites, merges, skips and refuses exactly as the report says; suppressed and erased addresses are never mailed', async () => {
    const t = testApp({ now: NOW });
    const at = Date.parse(NOW);
    // Already known here: 150 subscribers (100 active, 50 unsubscribed), 100
    // suppressed (60 only on the list, 40 suppressed subscribers), 50 erased.
    const known = Array.from({ length: 150 }, (_, i) => `known${i}@example.org`);
    known.forEach((email, i) => addSubscriber(t.db, { email, firstName: 'Kept', status: i < 100 ? 'active' : 'unsubscribed', confirmedAt: at - 86_400_000 }));
    const suppressed = Array.from({ length: 100 }, (_, i) => `suppressed${i}@example.org`);
    for (const [i, email] of suppressed.entries()) {
      if (i >= 60) addSubscriber(t.db, { email, status: 'suppressed' });
      await t.stores.subscribers.suppress({ emailHash: emailHash(TEST_SECRET, email), reason: i % 2 ? 'bounced' : 'complained', at });
    }
    const erased = Array.from({ length: 50 }, (_, i) => `erased${i}@example.org`);
    for (const email of erased) await t.stores.subscribers.erase(addSubscriber(t.db, { email }).id, at, requestWithout);
    const before = table(t).subscribers().n;

    // The file: 4,000 with a consent, 4,900 without, 300 repeats, 150 known,
    // 100 suppressed, 50 erased, 500 faulty rows (100 without an address, 400
    // with a wrong optional field: invited, with a warning), in a mixed order.
    const consenting = Array.from({ length: 4000 }, (_, i) => `consent${i}@example.org`);
    const inviting = Array.from({ length: 4900 }, (_, i) => `invite${i}@example.org`);
    const lines: string[] = [];
    const firsts: string[] = [];
    const bad = [
      (i: number) => `not-an-address-${i},,,,,,`,
      (i: number) => `badtz${i}@example.org,,Mars/Olympus,,,,`,
      (i: number) => `badreader${i}@example.org,,,patient,,,`,
      (i: number) => `partial${i}@example.org,,,,Clinic intake,,"${WORDING}"`,
      (i: number) => `baddate${i}@example.org,,,,Clinic intake,2025-02-30,"${WORDING}"`,
    ];
    for (let i = 0, c = 0, v = 0, k = 0, s = 0, e = 0, b = 0, d = 0; lines.length < 10_000; i++) {
      if (c < consenting.length && i % 9 < 4) {
        lines.push(`${consenting[c]},Reader ${c},Europe/Berlin,supporter,Clinic intake form,2025-11-${String((c % 28) + 1).padStart(2, '0')},"${WORDING}"`);
        firsts.push(consenting[c++]!);
      } else if (v < inviting.length && i % 9 < 8) {
        lines.push(`${inviting[v]},,,,,,`);
        firsts.push(inviting[v++]!);
      } else if (k < known.length) lines.push(`${known[k++]},Overwritten?,,,,,`);
      else if (s < suppressed.length) lines.push(`${suppressed[s++]},,,,Clinic intake form,2025-11-20,"${WORDING}"`);
      else if (e < erased.length) lines.push(`${erased[e++]},,,,,,`);
      else if (b < 500) lines.push(bad[b % bad.length]!(b++));
      else if (d < 300) {
        // A repeat of an earlier row, the domain in capitals (the same address).
        const [local, domain] = firsts[(d * 29) % firsts.length]!.split('@');
        lines.push(`${local}@${domain!.toUpperCase()},,,,,,`);
        d++;
      } else if (c < consenting.length || v < inviting.length) continue;
    }
    expect(lines).toHaveLength(10_000);

    const res = await post(t, `${HEADER}\n${lines.join('\n')}\n`);
    expect(res.status).toBe(200);
    const report = (await res.json()) as ImportReport;
    expect(Object.keys(report)).toEqual(['summary', 'notes', 'rows', 'id']);
    expect(report.summary).toEqual({ rows: 10_000, warnings: 400, enrolled: 4000, invited: 4900 + 400, duplicate: 300, exists: 150, suppressed: 100, erased: 50, invalid: 100 });
    expect(report.notes).toEqual([]);
    expect(report.rows.map((r) => r.row)).toEqual(Array.from({ length: 10_000 }, (_, i) => i + 2));
    const byEmail = new Map(report.rows.map((r) => [r.email, r]));
    expect(byEmail.get('consent0@example.org')).toEqual({ row: 2, email: 'consent0@example.org', outcome: 'enrolled', subscriberId: expect.any(Number) });
    expect(byEmail.get('invite0@example.org')).toMatchObject({ outcome: 'invited', subscriberId: expect.any(Number) });
    expect(byEmail.get('known0@example.org')).toMatchObject({ outcome: 'exists', status: 'active' });
    expect(byEmail.get('known120@example.org')).toMatchObject({ outcome: 'exists', status: 'unsubscribed' });
    expect(byEmail.get('suppressed70@example.org')).toEqual({ row: expect.any(Number), email: 'suppressed70@example.org', outcome: 'suppressed' });
    expect(byEmail.get('erased3@example.org')).toEqual({ row: expect.any(Number), email: 'erased3@example.org', outcome: 'erased' });
    expect(byEmail.get('not-an-address-0')).toMatchObject({ outcome: 'invalid', reason: expect.stringMatching(/^email: /) });
    expect(byEmail.get('badtz1@example.org')).toMatchObject({ outcome: 'invited', warnings: [expect.stringMatching(/^timezone: .*left empty/)] });
    expect(byEmail.get('partial3@example.org')).toMatchObject({ outcome: 'invited', warnings: [expect.stringMatching(/consent was not recorded/)] });
    // Merged into the first row of the address (the repeat names it), saying what the repeat would have changed.
    for (const dup of report.rows.filter((r) => r.outcome === 'duplicate')) {
      const first = report.rows[dup.of - 2]!;
      expect(first.email).toBe(dup.email.replace('EXAMPLE.ORG', 'example.org'));
      expect(first.row).toBeLessThan(dup.row);
      if (first.outcome === 'enrolled') expect(dup.note).toBe(`Differs from row ${first.row} in first_name, timezone, reader, consent; row ${first.row} was used.`);
      else expect(dup).toEqual({ row: dup.row, email: dup.email, outcome: 'duplicate', of: first.row });
    }

    // In the database: 9,300 new people, nobody else created or changed.
    const sql = t.db.$client;
    expect(table(t).subscribers().n).toBe(before + 9300);
    const enrolled = sql
      .prepare("SELECT s.*, e.next_step, e.version AS sequence_version FROM subscribers s JOIN enrolments e ON e.subscriber_id = s.id AND e.sequence = 'education' WHERE email LIKE 'consent%'")
      .all() as Record<string, unknown>[];
    expect(enrolled).toHaveLength(4000);
    for (const s of enrolled) {
      expect(s).toMatchObject({
        status: 'active',
        source: 'import',
        timezone: 'Europe/Berlin',
        reader: 'supporter',
        consent_text: WORDING,
        consent_version: importedConsentVersion(WORDING),
        consent_source: 'Clinic intake form',
        confirmed_at: at,
        next_step: 1,
        sequence_version: 1,
        confirmation_sent_at: null,
      });
      // A date alone is its midnight in the person's zone (Berlin: UTC+1 in November).
      const c = Number(String(s.first_name).replace('Reader ', ''));
      expect(s.consent_given_at).toBe(Date.parse(`2025-11-${String((c % 28) + 1).padStart(2, '0')}T00:00:00+01:00`));
    }
    expect(sql.prepare("SELECT status, count(*) AS n FROM subscribers WHERE email LIKE 'invite%' GROUP BY status").all()).toEqual([{ status: 'pending', n: 4900 }]);
    expect(sql.prepare("SELECT count(*) AS n FROM subscribers WHERE email LIKE 'known%' AND first_name = 'Kept'").get()).toEqual({ n: 150 });
    expect(sql.prepare("SELECT count(*) AS n FROM subscribers WHERE email LIKE 'suppressed%' OR email LIKE 'erased%' OR email IS NULL").get()).toEqual({ n: 40 + 50 });

    // Audited: the import as a whole, and each person it added.
    const whole = table(t).audit('subscribers.imported');
    expect(whole).toHaveLength(1);
    expect(whole[0]).toMatchObject({ actor: 'staff', s: null });
    expect(JSON.parse(whole[0]!.detail)).toMatchObject(report.summary);
    const each = table(t).audit('subscriber.imported');
    expect(each).toHaveLength(9300);
    expect(each.filter((e) => JSON.parse(e.detail).outcome === 'enrolled')).toHaveLength(4000);

    // The worker: the confirmation alone to each invited one at once; email 1 to each enrolled
    // person (in Berlin, where 15:00 is past the window) the next morning there; nothing else.
    expect(t.worker.kicks).toBeGreaterThan(0);
    await t.drain();
    for (const email of consenting) expect(mailByAddress(t).has(email)).toBe(false);
    t.clock.set('2026-03-03T08:00:00Z');
    await t.drain();
    const mail = mailByAddress(t);
    expect(mail.size).toBe(9300);
    for (const email of consenting) expect(mail.get(email)).toEqual(['sequence']);
    for (const email of inviting) expect(mail.get(email)).toEqual(['confirmation']);
    for (const email of [...suppressed, ...erased, ...known]) expect(mail.has(email), email).toBe(false);
    const steps = sql.prepare("SELECT step, count(*) AS n FROM deliveries WHERE kind = 'sequence' GROUP BY step").all();
    expect(steps).toEqual([{ step: 1, n: 4000 }]);

    // The same file again: everyone is known now; nothing is created or mailed.
    const sent = t.transport.sent.length;
    const again = (await (await post(t, `${HEADER}\n${lines.join('\n')}\n`)).json()) as ImportReport;
    expect(again.summary).toEqual({ rows: 10_000, warnings: 0, enrolled: 0, invited: 0, duplicate: 300, exists: 150 + 9300, suppressed: 100, erased: 50, invalid: 100 });
    await t.drain();
    expect(t.transport.sent.length).toBe(sent);
  }, 120_000);
});

describe('POST /api/imports', () => {
  const small = `${HEADER}\nann@example.org,Ann,,,Clinic form,2025-11-20,I agree\nbob@example.org,Bob,,,,,\n`;

  it('is for admins: a viewer and an editor are refused and nothing is written; basic auth or the session', async () => {
    const t = testApp({ now: NOW });
    for (const role of ['viewer', 'editor'] as const) {
      const res = await post(t, small, { role });
      expect(res.status).toBe(403);
      expect(await res.json()).toEqual({ error: { code: 'forbidden', message: expect.stringContaining('admin') } });
    }
    expect((await t.app.request('/api/imports', { method: 'POST', headers: { 'content-type': 'text/csv' }, body: small })).status).toBe(401);
    expect(table(t).subscribers().n).toBe(0);
    const res = await t.app.request('/api/imports', asStaff({ method: 'POST', headers: { 'content-type': 'text/csv' }, body: small }, 'admin'));
    expect(res.status).toBe(200);
    expect(((await res.json()) as ImportReport).summary).toMatchObject({ enrolled: 1, invited: 1 });
  });

  it('refuses a malformed file with a clear 400 and writes nothing, however far into the file the fault is', async () => {
    const t = testApp({ now: NOW });
    const good = Array.from({ length: 1200 }, (_, i) => `p${i}@example.org,P${i},,,,,`);
    const cases: [string, string, RegExp][] = [
      [`${HEADER}\n${good.join('\n')}\nlate@example.org,"Unclosed,,,,,\n`, 'malformed_csv', /never closed/],
      [`${HEADER}\n${good.join('\n')}\nlate@example.org,Late,,,,,,extra\n`, 'malformed_csv', /^Line 1202 has a different number of values/],
      ['first_name\nAnn\n', 'no_email_column', /email/],
      ['', 'empty_file', /empty/],
    ];
    for (const [csv, code, message] of cases) {
      const res = await post(t, csv, { accept: 'application/x-ndjson' });
      expect(res.status, code).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await res.json()).toEqual({ error: { code, message: expect.stringMatching(message) } });
    }
    expect(table(t).subscribers().n).toBe(0);
    expect(table(t).deliveries().n).toBe(0);
    expect(table(t).audit('subscribers.imported')).toEqual([]);
  });

  it('refuses what it does not read: another media type (415), a file over the limit (413)', async () => {
    const t = testApp({ now: NOW });
    const json = await post(t, '{"email":"a@example.org"}', { type: 'application/json' });
    expect(json.status).toBe(415);
    expect(await json.json()).toEqual({ error: { code: 'unsupported_media_type', message: expect.stringContaining('text/csv') } });
    const big = await t.app.request('/api/imports', {
      method: 'POST',
      headers: { authorization: basicAuthOf('admin'), 'content-type': 'text/csv', 'content-length': String(11 * 1024 * 1024) },
      body: 'email\n',
    });
    expect(big.status).toBe(413);
    expect(await big.json()).toEqual({ error: { code: 'payload_too_large', message: expect.stringContaining('10 MB') } });
    expect(table(t).subscribers().n).toBe(0);
  });

  it('takes a multipart form with the file, notes unknown columns, and reports per row', async () => {
    const t = testApp({ now: NOW });
    const form = new FormData();
    form.set('file', new File([`Email,First Name,Phone\nann@example.org,Ann,555\nnope,,\n`], 'people.csv', { type: 'text/csv' }));
    const res = await t.app.request('/api/imports', { method: 'POST', headers: { authorization: basicAuthOf('admin') }, body: form });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      summary: { rows: 2, warnings: 0, enrolled: 0, invited: 1, duplicate: 0, exists: 0, suppressed: 0, erased: 0, invalid: 1 },
      notes: ['Ignored a column the import does not read: Phone.'],
      rows: [
        { row: 2, email: 'ann@example.org', outcome: 'invited', subscriberId: expect.any(Number) },
        { row: 3, email: 'nope', outcome: 'invalid', reason: expect.stringMatching(/^email: /) },
      ],
      id: expect.any(Number),
    });
    const noFile = new FormData();
    noFile.set('other', 'x');
    const refused = await t.app.request('/api/imports', { method: 'POST', headers: { authorization: basicAuthOf('admin') }, body: noFile });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ error: { code: 'no_file' } });
  });

  it('streams progress as NDJSON when asked, then the same report', async () => {
    const t = testApp({ now: NOW });
    const rows = Array.from({ length: 1234 }, (_, i) => `n${i}@example.org,,,,,,`);
    const res = await post(t, `${HEADER}\nbad,,,,,,\n${rows.join('\n')}\n`, { accept: 'application/x-ndjson' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-ndjson; charset=utf-8');
    const lines = (await res.text())
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.slice(0, -1)).toEqual([1, 501, 1001, 1235].map((done) => ({ type: 'progress', done, total: 1235 })));
    const last = lines.at(-1);
    expect(last.type).toBe('report');
    expect(last.report.summary).toMatchObject({ rows: 1235, invited: 1234, invalid: 1 });
    expect(last.report.rows).toHaveLength(1235);
  });

  it('an invited person gets one confirmation: signing up on the form straight after sends no second one', async () => {
    const t = testApp({ now: NOW });
    await post(t, `email\ncarol@example.org\n`);
    const form = await t.app.request('/subscribe', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'carol@example.org', consent: true }) });
    expect(form.status).toBe(202);
    await t.drain();
    expect(mailByAddress(t).get('carol@example.org')).toEqual(['confirmation']);
  });

  it('an imported consent enrols in the version running now, as a confirmation link does', async () => {
    const v1 = VERSION_PLANS[0]!;
    const t = testApp({ now: NOW, sequences: buildCatalog([v1, { version: 2, summary: 'Without the last email.', steps: v1.steps.slice(0, 7) }]) });
    const published = await t.app.request('/api/sequence/publish', {
      method: 'POST',
      headers: { authorization: basicAuthOf('admin'), 'content-type': 'application/json' },
      body: JSON.stringify({ version: 2 }),
    });
    expect(published.status).toBe(200);
    const report = (await (await post(t, small)).json()) as ImportReport;
    const ann = report.rows[0] as { subscriberId: number };
    expect(await t.stores.subscribers.byId(ann.subscriberId)).toMatchObject({ status: 'active', sequenceVersion: 2, nextStep: 1 });
  });

  it("an enrolled person's email 1 goes in their next send window, not at the hour of the import", async () => {
    // 14:00 UTC: 15:00 in Berlin (the 09:00-11:00 window closed), 09:00 in New York (open), 23:00 in Tokyo.
    const t = testApp({ now: NOW });
    const csv = [HEADER, ...['Europe/Berlin', 'America/New_York', 'Asia/Tokyo'].map((tz, i) => `p${i}@example.org,,${tz},,Clinic form,2025-11-20,I agree`)].join('\n');
    const report = (await (await post(t, csv)).json()) as ImportReport;
    const ids = report.rows.map((r) => (r as { subscriberId: number }).subscriberId);
    const next = await Promise.all(ids.map(async (id) => (await t.stores.subscribers.byId(id))?.nextSendAt));
    expect(next).toEqual([Date.parse('2026-03-03T08:00:00Z'), Date.parse(NOW), Date.parse('2026-03-03T00:00:00Z')]);
    // The worker now sends email 1 to New York alone.
    await t.drain();
    expect(t.transport.sent.map((m) => m.to)).toEqual(['p1@example.org']);
  });

  it("an enrolled person's page shows the consent as recorded: wording, source and the date it was given", async () => {
    const t = testApp({ now: NOW });
    const report = (await (await post(t, small)).json()) as ImportReport;
    const ann = report.rows[0] as { subscriberId: number };
    const page = await (await t.app.request(`/staff/subscribers/${ann.subscriberId}`, asStaff())).text();
    expect(page).toContain('Clinic form');
    expect(page).toContain('I agree');
    expect(page).toContain('<dt>Consent given</dt><dd>2025-11-20 00:00 (America/New_York) · 2025-11-20T05:00:00.000Z</dd>');
  });
});
