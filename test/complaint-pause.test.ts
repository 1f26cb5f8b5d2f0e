import { describe, expect, it } from 'vitest';
import { COMPLAINT_GUARD_KEY, readComplaintGuard, resumeSequenceSending } from '../src/nurture/complaint-guard.js';
import { readLastTick } from '../src/nurture/last-tick.js';
import { createWorker } from '../src/nurture/worker.js';
import { testApp, testDb } from './helpers/app.js';
import { memoryTransport } from './helpers/memory-transport.js';
import { postJson } from './helpers/public.js';
import { seedDue, seedReported, tickHarness } from './helpers/worker.js';

const HOUR = 3600_000;
const DAY = 24 * HOUR;

describe('the complaint guard in the worker tick', () => {
  it('above COMPLAINT_PAUSE, sequence emails stop while confirmations still go; after a resume they go again, and only new complaints pause again', async () => {
    // 14:00 UTC is 09:00 in New York: inside the send window.
    const t = testApp({ now: '2026-03-02T14:00:00Z' });
    const now = t.clock.now();
    // 1,000 delivered in the last week, 4 complaints: 0.4 %, above the default 0.3 %.
    seedReported(t.db, { delivered: 1000, deliveredAt: now - 2 * DAY, complained: 4, complainedAt: now - DAY });
    const due = seedDue(t.db, 3, { at: now, timezone: 'America/New_York' });
    expect((await postJson(t.app, '/subscribe', { email: 'new.reader@example.org', consent: true, timezone: 'America/New_York' })).status).toBe(202);

    const first = await t.drain();
    expect(first.sequencePaused).toBe('complaints');
    expect(t.transport.sent.map((e) => e.to)).toEqual(['new.reader@example.org']);
    expect(t.transport.sent[0]!.subject).toMatch(/confirm/i);
    const state = await readComplaintGuard(t.stores.settings);
    expect(state.paused).toEqual({ since: now, delivered: 1000, complained: 4, rate: 0.004, threshold: 0.003, windowStart: now - 7 * DAY, complaintsSince: now - 7 * DAY });
    // The due subscribers are left as they were, not claimed.
    for (const id of due) expect((await t.stores.subscribers.byId(id))!.nextSendAt).toBe(now);
    expect(t.logs.some((l) => l.level === 40 && String(l.msg).includes('sequence emails paused'))).toBe(true);

    // Still paused on the next tick, even though nothing new happened.
    t.clock.advance(60_000);
    expect((await t.drain()).sequencePaused).toBe('complaints');
    expect(t.transport.sent).toHaveLength(1);

    // An admin resumes: the same old complaints do not pause it again.
    t.clock.advance(60_000);
    const resumedAt = t.clock.now();
    expect(await resumeSequenceSending(t.stores.settings, resumedAt, 'staff')).toMatchObject({ complained: 4, delivered: 1000 });
    const after = await t.drain();
    expect(after.sequencePaused).toBeUndefined();
    expect(after.sent).toBe(3);
    expect(await readComplaintGuard(t.stores.settings)).toEqual({ paused: null, resumedAt, resumedBy: 'staff' });

    // New complaints after the resume, again above the rate, pause it again.
    t.clock.advance(HOUR);
    seedReported(t.db, { delivered: 5, deliveredAt: t.clock.now() - 30 * 60_000, complained: 5, complainedAt: t.clock.now() - 60_000 });
    seedDue(t.db, 2, { at: t.clock.now(), timezone: 'America/New_York', startId: 100 });
    const again = await t.drain();
    expect(again).toMatchObject({ sequencePaused: 'complaints', sent: 0 });
    expect((await readComplaintGuard(t.stores.settings)).paused).toMatchObject({ delivered: 1005, complained: 5, complaintsSince: resumedAt });
  });

  it('does not judge fewer than 1,000 delivered in the last 7 days, nor deliveries older than that', async () => {
    const t = testApp({ now: '2026-03-02T14:00:00Z' });
    const now = t.clock.now();
    seedReported(t.db, { delivered: 999, deliveredAt: now - DAY, complained: 100 });
    seedReported(t.db, { delivered: 5000, deliveredAt: now - 8 * DAY, complained: 100 });
    seedDue(t.db, 2, { at: now, timezone: 'America/New_York' });
    const summary = await t.drain();
    expect(summary).toMatchObject({ sent: 2 });
    expect(summary.sequencePaused).toBeUndefined();
    expect(await t.stores.settings.get(COMPLAINT_GUARD_KEY)).toBeNull();
  });

  it('follows COMPLAINT_PAUSE', async () => {
    const db = testDb();
    const now = Date.parse('2026-03-02T14:00:00Z');
    seedReported(db, { delivered: 2000, deliveredAt: now - DAY, complained: 4 }); // 0.2 %
    seedDue(db, 1, { at: now });
    const strict = tickHarness(db, memoryTransport(), { now: '2026-03-02T14:00:00Z', config: { complaintPause: 0.001 } });
    expect((await strict.tick()).sequencePaused).toBe('complaints');
  });
});

describe('the last tick', () => {
  it('is recorded by the worker: its figures, or the error it failed with (without addresses)', async () => {
    const db = testDb();
    const now = Date.parse('2026-03-02T14:00:00Z');
    seedDue(db, 2, { at: now });
    const h = tickHarness(db, memoryTransport(), { now: '2026-03-02T14:00:00Z' });
    const worker = createWorker({ ...h.deps, sendRate: 1000 });
    await worker.tick();
    expect(await readLastTick(h.deps.stores.settings)).toMatchObject({ at: h.clock.now(), ok: true, due: 2, sent: 2, failed: 0, held: 0 });

    const broken = createWorker({
      ...h.deps,
      sendRate: 1000,
      stores: {
        ...h.deps.stores,
        sendQueue: {
          ...h.deps.stores.sendQueue,
          claimStale: async () => {
            throw new Error('disk I/O error near reader@example.org');
          },
        },
      },
    });
    expect(await broken.tick()).toBeNull();
    const last = await readLastTick(h.deps.stores.settings);
    expect(last).toMatchObject({ ok: false, error: 'disk I/O error near [address]' });
  });
});
