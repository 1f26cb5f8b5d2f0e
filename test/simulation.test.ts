// Weeks of simulated ticks across time zones: people sign up through the real
// routes, confirm, and the worker runs every 15 minutes (with a three-day
// outage in the middle). Each person must get the eight emails once each, in
// order, email 1 right after confirming, the rest inside their own morning
// window, never two within 20 hours.
import { describe, expect, it } from 'vitest';
import { localWall } from '../src/nurture/schedule.js';
import { FIRST_VERSION, SEQUENCES } from '../src/nurture/sequence.js';
import { createWorker } from '../src/nurture/worker.js';
import { renderSequenceEmail } from '../src/mail/render.js';
import { testApp } from './helpers/app.js';
import { linkToken } from './helpers/public.js';

const SEQUENCE = FIRST_VERSION.steps;

const ZONES = [
  'America/New_York',
  'America/Los_Angeles',
  'Europe/Berlin',
  'Asia/Kolkata',
  'Asia/Kathmandu',
  'Australia/Lord_Howe',
  'Pacific/Auckland',
  'Pacific/Kiritimati',
  'America/St_Johns',
  'UTC',
];
const HOUR = 3_600_000;
const TICK = 15 * 60_000;

function minuteOfDay(zone: string, t: number): number {
  const wall = localWall(zone, t);
  return Math.floor((((wall % 86_400_000) + 86_400_000) % 86_400_000) / 60_000);
}

describe('four simulated weeks across time zones', () => {
  it('sends each person the eight emails once, in order, in their morning, at least 20 hours apart', async () => {
    // Starts a week before the US spring-forward so DST changes fall inside the run.
    const t = testApp({ now: '2026-03-01T13:07:00Z' });
    const { app, clock, transport, stores, config, logger, drain } = t;
    const worker = createWorker({
      stores,
      clock,
      transport,
      logger,
      config,
      sendRate: 1000,
      sequences: SEQUENCES,
      render: renderSequenceEmail,
      sleep: async (ms) => clock.advance(Math.max(0, Math.min(ms, 1000))),
      // The test's clock is the machine's too: leases and pacing run on it.
      realNow: () => clock.now(),
    });

    // Sign-ups spread over the first two days, in every zone.
    const people: { email: string; zone: string; confirmedAt: number }[] = [];
    for (let i = 0; i < ZONES.length * 3; i++) {
      const zone = ZONES[i % ZONES.length]!;
      const email = `person${i}@example.org`;
      const res = await app.request('/subscribe', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, firstName: `P${i}`, timezone: zone, consent: true }),
      });
      expect(res.status).toBe(202);
      await drain();
      const confirmation = transport.sent.findLast((m) => m.to === email);
      const token = linkToken(confirmation!, 'confirm');
      const confirmed = await app.request(`/confirm/${token}`, { method: 'POST' });
      expect(confirmed.status).toBe(200);
      people.push({ email, zone, confirmedAt: clock.now() });
      await worker.tick();
      clock.advance(97 * 60_000);
    }

    const end = clock.now() + 26 * 24 * HOUR;
    const outageStart = clock.now() + 9 * 24 * HOUR;
    const outageEnd = outageStart + 3 * 24 * HOUR;
    while (clock.now() < end) {
      const now = clock.now();
      if (now < outageStart || now >= outageEnd) await worker.tick();
      clock.set(now + TICK);
    }

    expect(transport.sent.filter((m) => m.headers?.['List-Unsubscribe-Post']).length).toBe(people.length * SEQUENCE.length);
    const bySubject = new Map(SEQUENCE.map((s) => [s.subject, s.step]));
    for (const p of people) {
      const got = transport.sent.filter((m) => m.to === p.email && bySubject.has(m.subject));
      const sends = got.map((m) => ({ step: bySubject.get(m.subject)!, at: m.at, m }));
      expect(sends.map((s) => s.step), p.email).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      // Email 1 right after confirming (the kick, or at worst the next tick).
      expect(sends[0]!.at - p.confirmedAt, p.email).toBeLessThanOrEqual(TICK);
      for (let i = 1; i < sends.length; i++) {
        const gap = sends[i]!.at - sends[i - 1]!.at;
        expect(gap, `${p.email} step ${i + 1}`).toBeGreaterThanOrEqual(20 * HOUR);
        // Inside the local window (a tick may land up to one tick after it opens).
        const minute = minuteOfDay(p.zone, sends[i]!.at);
        expect(minute, `${p.email} step ${i + 1} local minute`).toBeGreaterThanOrEqual(config.sendWindow.startMinute);
        expect(minute, `${p.email} step ${i + 1} local minute`).toBeLessThan(config.sendWindow.endMinute);
        // Never earlier than the brief's spacing.
        const days = SEQUENCE[i]!.dayOffset - SEQUENCE[i - 1]!.dayOffset;
        expect(gap, `${p.email} step ${i + 1} spacing`).toBeGreaterThan((days - 1) * 24 * HOUR);
      }
      for (const m of got) {
        expect(m.headers?.['List-Unsubscribe']).toMatch(/^<http:\/\/nurture\.test\/u\/[A-Za-z0-9_.-]+>$/);
        expect(m.headers?.['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
      }
    }
  });
});
