import { describe, expect, it } from 'vitest';
import type { StaffRole } from '../../db/types.js';
import type { DnsResolver } from '../../src/mail/sender-dns.js';
import { COMPLAINT_GUARD_KEY, readComplaintGuard } from '../../src/nurture/complaint-guard.js';
import { recordLastTick } from '../../src/nurture/last-tick.js';
import { QUOTA_KEY, type TickSummary } from '../../src/nurture/tick.js';
import { testApp, testConfig } from '../helpers/app.js';
import { asStaff, basicAuthOf, csrfFrom, staffForm } from '../helpers/staff.js';
import { seedDue, seedReported } from '../helpers/worker.js';

type T = ReturnType<typeof testApp>;
type Check = { id: string; label: string; status: 'ok' | 'warn' | 'fail'; message: string; action: string | null; detail?: Record<string, unknown> };

const HOUR = 3600_000;
const DAY = 24 * HOUR;
const ROLES: StaffRole[] = ['viewer', 'editor', 'admin'];

async function health(t: T, role: StaffRole = 'viewer'): Promise<{ status: string; checkedAt: string; checks: Check[] }> {
  const res = await t.app.request('/api/health', { headers: { authorization: basicAuthOf(role) } });
  expect(res.status).toBe(200);
  return res.json();
}
const checkOf = async (t: T, id: string) => (await health(t)).checks.find((c) => c.id === id)!;

const summary = (over: Partial<TickSummary> = {}): TickSummary => ({ due: 3, sent: 3, failed: 0, retried: 0, dropped: 0, rescheduled: 0, completed: 0, batches: 1, held: 0, durationMs: 20, ...over });

/** Complaints above the default 0.3 % of 1,000 delivered, and a tick that paused sequence emails for them. */
async function pausedForComplaints(t: T) {
  seedReported(t.db, { delivered: 1000, deliveredAt: t.clock.now() - 2 * DAY, complained: 5, complainedAt: t.clock.now() - DAY });
  seedDue(t.db, 2, { at: t.clock.now(), timezone: 'America/New_York' });
  expect((await t.drain()).sequencePaused).toBe('complaints');
}

const auditEntries = (t: T) => t.db.$client.prepare('SELECT actor, action, detail FROM audit_log ORDER BY id').all() as { actor: string; action: string; detail: string }[];

const resume = (t: T, role: StaffRole) => t.app.request('/api/sending/resume', { method: 'POST', headers: { authorization: basicAuthOf(role) } });

describe('GET /api/health', () => {
  it('any staff role reads it, by basic auth or session; nobody else', async () => {
    const t = testApp();
    for (const role of ROLES) {
      expect((await t.app.request('/api/health', { headers: { authorization: basicAuthOf(role) } })).status).toBe(200);
      expect((await t.app.request('/api/health', asStaff({}, role))).status).toBe(200);
    }
    const anonymous = await t.app.request('/api/health');
    expect(anonymous.status).toBe(401);
    expect((await anonymous.json()).error.code).toBe('unauthorized');
  });

  it('answers every check of the design in order, each with a status, a sentence and what to do', async () => {
    const t = testApp();
    const body = await health(t);
    expect(body.checkedAt).toBe('2026-03-02T14:00:00.000Z');
    expect(body.checks.map((c) => c.id)).toEqual(['clinic_name', 'postal_address', 'webhook_secret', 'last_tick', 'sending', 'complaint_rate', 'spf', 'dkim', 'dmarc']);
    for (const c of body.checks) {
      expect(['ok', 'warn', 'fail']).toContain(c.status);
      expect(c.message.length).toBeGreaterThan(20);
      if (c.status !== 'ok') expect(c.action).toEqual(expect.any(String));
    }
    // The test set-up: a real postal address, outbox mode, no webhook secret, no tick yet, MAIL_FROM at localhost.
    expect(Object.fromEntries(body.checks.map((c) => [c.id, c.status]))).toEqual({
      clinic_name: 'ok',
      postal_address: 'ok',
      webhook_secret: 'warn',
      last_tick: 'warn',
      sending: 'warn',
      complaint_rate: 'warn',
      spf: 'fail',
      dkim: 'fail',
      dmarc: 'fail',
    });
    expect(body.status).toBe('fail');
  });

  it('the example clinic of the defaults fails, naming CLINIC_NAME', async () => {
    const c = await checkOf(testApp({ config: testConfig({ clinicName: 'Example Clinic', clinicNameIsDefault: true }) }), 'clinic_name');
    expect(c.status).toBe('fail');
    expect(c.action).toContain('CLINIC_NAME');
    expect((await checkOf(testApp(), 'clinic_name')).message).toContain('Harbor Clinic');
  });

  it('the postal address placeholder fails', async () => {
    const t = testApp({ config: testConfig({ postalAddress: 'Harbor Clinic, 123 Example Street, Anytown, ST 00000, USA', postalAddressIsPlaceholder: true }) });
    const c = await checkOf(t, 'postal_address');
    expect(c.status).toBe('fail');
    expect(c.action).toContain('POSTAL_ADDRESS');
  });

  it('without the webhook secret: a warning in outbox mode, a failure when sending through Resend; ok when set', async () => {
    expect((await checkOf(testApp(), 'webhook_secret')).status).toBe('warn');
    const resend = await checkOf(testApp({ config: testConfig({ resendApiKey: 're_test' }) }), 'webhook_secret');
    expect(resend.status).toBe('fail');
    expect(resend.action).toContain('http://nurture.test/webhooks/resend');
    expect((await checkOf(testApp({ config: testConfig({ resendWebhookSecret: 'whsec_dGVzdA==' }) }), 'webhook_secret')).status).toBe('ok');
  });

  it('the last tick: ok when recent, a warning when late or with failures, a failure when it failed or stopped', async () => {
    const t = testApp();
    const now = t.clock.now();
    await recordLastTick(t, now - 60_000, { summary: summary() });
    expect(await checkOf(t, 'last_tick')).toMatchObject({ status: 'ok', detail: { at: new Date(now - 60_000).toISOString(), sent: 3 } });
    expect((await checkOf(t, 'last_tick')).message).toContain('1 minute ago');
    await recordLastTick(t, now - 60_000, { summary: summary({ failed: 1 }) });
    expect((await checkOf(t, 'last_tick')).status).toBe('warn');
    await recordLastTick(t, now - 8 * 60_000, { summary: summary() });
    expect((await checkOf(t, 'last_tick')).status).toBe('warn');
    await recordLastTick(t, now - 20 * 60_000, { summary: summary() });
    expect((await checkOf(t, 'last_tick')).message).toContain('stopped');
    await recordLastTick(t, now - 60_000, { error: new Error('database is locked') });
    const failed = await checkOf(t, 'last_tick');
    expect(failed).toMatchObject({ status: 'fail', detail: { ok: false, error: 'database is locked' } });
  });

  it('sending: says why it is paused (daily quota, complaints), or that it is on', async () => {
    const t = testApp({ config: testConfig({ resendApiKey: 're_test', resendWebhookSecret: 'whsec_dGVzdA==' }) });
    expect(await checkOf(t, 'sending')).toMatchObject({ status: 'ok', detail: { paused: null } });
    await t.stores.settings.set(QUOTA_KEY, String(t.clock.now() + 3 * HOUR), t.clock.now());
    const quota = await checkOf(t, 'sending');
    expect(quota).toMatchObject({ status: 'warn', detail: { paused: 'quota', until: '2026-03-02T17:00:00.000Z' } });
    expect(quota.message).toContain('daily sending quota');
    await t.stores.settings.set(QUOTA_KEY, String(t.clock.now() - 1), t.clock.now());
    expect((await checkOf(t, 'sending')).status).toBe('ok');
  });

  it('a complaint pause: sending and the complaint rate fail with the figures; after the resume only new complaints count', async () => {
    const t = testApp({ config: testConfig({ resendWebhookSecret: 'whsec_dGVzdA==' }) });
    await pausedForComplaints(t);
    const sending = await checkOf(t, 'sending');
    expect(sending).toMatchObject({ status: 'fail', detail: { paused: 'complaints', complained: 5, delivered: 1000, rate: 0.005, threshold: 0.003 } });
    expect(sending.message).toContain('the complaint rate, 0.50 % (5 complaints against 1,000 emails delivered in 7 days), was above the limit of 0.30 %');
    expect(sending.message).toContain('Confirmation emails and tests still go');
    const rate = await checkOf(t, 'complaint_rate');
    expect(rate).toMatchObject({ status: 'fail', detail: { delivered: 1000, complained: 5 } });

    t.clock.advance(60_000);
    expect((await resume(t, 'admin')).status).toBe(200);
    expect(await checkOf(t, 'sending')).toMatchObject({ status: 'warn', detail: { paused: null } }); // outbox mode
    expect((await checkOf(t, 'sending')).message).toContain('last resumed by staff');
    const after = await checkOf(t, 'complaint_rate');
    expect(after).toMatchObject({ status: 'warn', detail: { complained: 5, complainedSinceResume: 0 } });
    expect(after.message).toContain('0 new complaints count toward the pause');
  });

  it('the complaint rate: a warning above the 0.1 % Gmail asks for, ok below, not judged under 1,000 delivered', async () => {
    const t = testApp({ config: testConfig({ resendWebhookSecret: 'whsec_dGVzdA==' }) });
    seedReported(t.db, { delivered: 500, deliveredAt: t.clock.now() - DAY, complained: 1 });
    const few = await checkOf(t, 'complaint_rate');
    expect(few.status).toBe('ok');
    expect(few.message).toContain('only from 1,000 delivered emails a week');
    seedReported(t.db, { delivered: 1500, deliveredAt: t.clock.now() - DAY, complained: 2 }); // 3 of 2,000: 0.15 %
    expect((await checkOf(t, 'complaint_rate')).status).toBe('warn');
    seedReported(t.db, { delivered: 2000, deliveredAt: t.clock.now() - DAY }); // 3 of 4,000: 0.075 %
    expect((await checkOf(t, 'complaint_rate')).status).toBe('ok');
  });

  it("looks the sender domain up through the injected resolver, once per few minutes for the page and the API together", async () => {
    const asked: string[] = [];
    const table: Record<string, string[][]> = {
      'send.clinic.org': [['v=spf1 include:amazonses.com ~all']],
      'resend._domainkey.clinic.org': [['p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC']],
      '_dmarc.clinic.org': [['v=DMARC1; p=none; rua=mailto:dmarc@clinic.org']],
    };
    const dns: DnsResolver = {
      async resolveTxt(name) {
        asked.push(name);
        if (table[name]) return table[name]!;
        throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
      },
    };
    const t = testApp({ dns, config: testConfig({ mailFrom: 'Clinic <education@clinic.org>' }) });
    const body = await health(t);
    expect(body.checks.filter((c) => ['spf', 'dkim', 'dmarc'].includes(c.id)).map((c) => c.status)).toEqual(['ok', 'ok', 'ok']);
    expect(body.checks.find((c) => c.id === 'dmarc')!.action).toContain('p=quarantine');
    expect(asked).toHaveLength(4);
    const page = await (await t.app.request('/staff', asStaff({}, 'viewer'))).text();
    expect(page).toContain('resend._domainkey.clinic.org holds Resend');
    expect(asked).toHaveLength(4);
    t.clock.advance(5 * 60_000 + 1);
    await health(t);
    expect(asked).toHaveLength(8);
  });
});

describe('resuming sequence emails', () => {
  it('POST /api/sending/resume: a viewer or an editor may not; an admin resumes (audited), and the waiting emails go', async () => {
    const t = testApp();
    await pausedForComplaints(t);
    for (const role of ['viewer', 'editor'] as const) {
      const res = await resume(t, role);
      expect(res.status).toBe(403);
      expect((await res.json()).error.code).toBe('forbidden');
    }
    expect((await readComplaintGuard(t.stores.settings)).paused).not.toBeNull();
    expect(auditEntries(t)).toEqual([]);

    t.clock.advance(60_000);
    const res = await resume(t, 'admin');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      status: 'resumed',
      resumedAt: '2026-03-02T14:01:00.000Z',
      pause: { since: '2026-03-02T14:00:00.000Z', rate: 0.005, complained: 5, delivered: 1000, threshold: 0.003 },
    });
    expect(t.worker.kicks).toBe(1);
    expect(auditEntries(t).map((e) => ({ ...e, detail: JSON.parse(e.detail) }))).toEqual([
      { actor: 'staff', action: 'sending.resumed', detail: { pausedSince: Date.parse('2026-03-02T14:00:00Z'), rate: 0.005, complained: 5, delivered: 1000, threshold: 0.003 } },
    ]);
    expect((await t.drain()).sent).toBe(2);

    const again = await resume(t, 'admin');
    expect(again.status).toBe(409);
    expect((await again.json()).error.code).toBe('not_paused');
    expect(auditEntries(t)).toHaveLength(1);
  });

  it('the dashboard says why and offers admins the button; viewers and editors see who can; the page route is admin-only', async () => {
    const t = testApp();
    await pausedForComplaints(t);
    const viewerPage = await (await t.app.request('/staff', asStaff({}, 'viewer'))).text();
    expect(viewerPage).toContain('Sequence emails are paused since 2026-03-02 09:00 (America/New_York)');
    expect(viewerPage).toContain('An admin resumes sending.');
    expect(viewerPage).not.toContain('action="/staff/sending/resume"');
    const editorPage = await (await t.app.request('/staff', asStaff({}, 'editor'))).text();
    expect(editorPage).not.toContain('action="/staff/sending/resume"');
    const adminPage = await (await t.app.request('/staff', asStaff())).text();
    expect(adminPage).toContain('action="/staff/sending/resume"');
    expect(adminPage).toMatch(/<h2 id="health">Health: \d+ to fix, \d+ to check<\/h2>/);

    const _csrf = csrfFrom(adminPage);
    for (const role of ['viewer', 'editor'] as const) expect((await t.app.request('/staff/sending/resume', staffForm({ _csrf }, {}, role))).status).toBe(403);
    expect(await t.stores.settings.get(COMPLAINT_GUARD_KEY)).toContain('"paused":{');

    const res = await t.app.request('/staff/sending/resume', staffForm({ _csrf }));
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/staff?done=resumed');
    expect((await readComplaintGuard(t.stores.settings)).paused).toBeNull();
    expect(auditEntries(t).map((e) => [e.actor, e.action])).toEqual([['staff', 'sending.resumed']]);
    const after = await (await t.app.request('/staff?done=resumed', asStaff())).text();
    expect(after).toContain('Sequence emails resumed.');
    expect(after).not.toContain('action="/staff/sending/resume"');

    expect((await t.app.request('/staff/sending/resume', staffForm({ _csrf }))).status).toBe(409);
  });
});
