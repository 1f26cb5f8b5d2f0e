// A sequence that changes while people are in it: six and a half simulated weeks across
// time zones. People confirm over three weeks, so when an admin publishes
// version 2 (a step added, one removed, one re-timed) someone is at every
// step; more confirm after it. Each person must get exactly the step ids the
// design's rules give, in order, none twice, at least 20 hours apart, each
// inside their morning window and no sooner than its delay after the email
// before. What the preview said before publishing must be what happened,
// person by person: each email lost, gained and moved, at the time it said.
import { describe, expect, it } from 'vitest';
import { renderSequenceEmail } from '../src/mail/render.js';
import type { OutgoingEmail } from '../src/mail/transport.js';
import { localWall } from '../src/nurture/schedule.js';
import { buildCatalog, catalogsWith, VERSION_PLANS, type VersionPlan } from '../src/nurture/sequence.js';
import { createWorker } from '../src/nurture/worker.js';
import { testApp } from './helpers/app.js';
import { linkToken, postForm } from './helpers/public.js';
import { basicAuthOf } from './helpers/staff.js';

const V1 = VERSION_PLANS[0]!;
const byId = (id: number) => V1.steps.find((s) => s.id === id)!;
// Version 2: a new step 9 on day 12 (between 5 and 6), step 7 removed, step 6 moved from day 14 to day 15.
const V2: VersionPlan = {
  version: 2,
  summary: 'A new email on day 12; the street-drug email removed; the safety email a day later.',
  steps: [byId(1), byId(2), byId(3), byId(4), byId(5), { id: 9, templateId: '04-where-it-stands', dayOffset: 12 }, { ...byId(6), dayOffset: 15 }, byId(8)],
};
const CATALOG = buildCatalog([V1, V2]);
const V2_ORDER = V2.steps.map((s) => s.id);

const ZONES = ['America/Los_Angeles', 'Europe/Berlin', 'Asia/Kolkata', 'Pacific/Auckland', 'UTC', 'America/St_Johns'];
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const TICK = 15 * 60_000;

const stepOf = (m: OutgoingEmail) => Number(m.tags?.find((t) => t.name === 'step')?.value);
const isSequence = (m: OutgoingEmail) => m.tags?.some((t) => t.name === 'category' && t.value === 'sequence') ?? false;
const localDayNumber = (zone: string, t: number) => Math.floor(localWall(zone, t) / DAY);
const minuteOfDay = (zone: string, t: number) => Math.floor((((localWall(zone, t) % DAY) + DAY) % DAY) / 60_000);

/** The design's rule for someone in flight: the steps after the furthest one they have (in the new order) that they lack. */
function expectedAfter(order: number[], received: number[]): number[] {
  const furthest = Math.max(-1, ...received.map((id) => order.indexOf(id)));
  return order.slice(furthest + 1).filter((id) => !received.includes(id));
}

describe('six and a half simulated weeks while version 2 adds, removes and re-times a step', () => {
  it('gives each person exactly the steps the rules say, once each, in their window, and as the preview predicted', async () => {
    const t = testApp({ now: '2026-03-01T13:07:00Z', sequences: CATALOG });
    const { app, clock, transport, stores, config, logger, drain } = t;
    const worker = createWorker({ stores, clock, transport, logger, config, sendRate: 1000, sequences: catalogsWith(CATALOG), render: renderSequenceEmail, sleep: async (ms) => clock.advance(Math.max(0, Math.min(ms, 1000))), realNow: () => clock.now() });
    const admin = { authorization: basicAuthOf('admin') };
    const people: { email: string; zone: string; id: number }[] = [];

    async function signUp(i: number) {
      const zone = ZONES[i % ZONES.length]!;
      const email = `reader${i}@example.org`;
      const res = await app.request('/subscribe', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, timezone: zone, consent: true }) });
      expect(res.status).toBe(202);
      await drain();
      const token = linkToken(transport.sent.findLast((m) => m.to === email)!, 'confirm');
      expect((await app.request(`/confirm/${token}`, { method: 'POST' })).status).toBe(200);
      const id = (await stores.subscribers.list({ q: email })).items[0]!.id;
      people.push({ email, zone, id });
      return email;
    }
    async function runFor(ms: number, every = DAY, signUpFrom?: number) {
      const end = clock.now() + ms;
      let next = clock.now();
      let i = signUpFrom ?? 0;
      while (clock.now() < end) {
        if (signUpFrom !== undefined && clock.now() >= next) {
          await signUp(i++);
          next += every;
        }
        await worker.tick();
        clock.advance(TICK);
      }
      return i;
    }

    // Nearly three weeks of confirmations, one every 7 hours, so someone is at every step on publish day.
    // One reader leaves after email 3 and comes back after the publish.
    let index = await runFor(5 * DAY, 7 * HOUR, 0);
    const returning = people[0]!;
    const unsubscribeToken = linkToken(transport.sent.findLast((m) => m.to === returning.email && isSequence(m))!, 'u');
    expect(transport.sent.filter((m) => m.to === returning.email && isSequence(m)).map(stepOf)).toEqual([1, 2, 3]);
    expect((await postForm(app, `/u/${unsubscribeToken}`, {})).status).toBe(200);
    index = await runFor(14 * DAY, 7 * HOUR, index);

    // What staff see before publishing; then an admin publishes.
    const before = await (await app.request('/api/sequence/versions', { headers: admin })).json();
    expect(before.running).toBe(1);
    const v2 = before.versions.find((v: { version: number }) => v.version === 2);
    expect(v2.status).toBe('unpublished');
    const scheduledBefore = new Map<number, number>();
    for (const p of people) {
      const s = (await stores.subscribers.byId(p.id))!;
      if (s.status === 'active' && s.nextSendAt !== null) scheduledBefore.set(p.id, s.nextStep!);
    }
    expect(v2.effect.scheduled).toBe(scheduledBefore.size);
    const publishedAt = clock.now();
    const receivedAtPublish = new Map(people.map((p) => [p.email, transport.sent.filter((m) => m.to === p.email && isSequence(m)).map(stepOf)]));
    // People sit at every step of version 1 when it changes.
    expect(new Set(scheduledBefore.values())).toEqual(new Set([2, 3, 4, 5, 6, 7, 8]));

    // The exact preview, every person, and each one's plan under version 1 as their subscriber page has it.
    const preview = await (await app.request('/api/sequence/versions/2/preview?limit=1000', { headers: admin })).json();
    expect(preview.effect.nextAfter).toBeNull();
    type Planned = { step: number; at: string };
    const previewOf = new Map<number, { removed: Planned[]; added: Planned[]; moved: { step: number; to: { at: string } }[] }>(preview.effect.people.map((p: { subscriberId: number }) => [p.subscriberId, p]));
    const expectedSends = new Map<number, { step: number; at: number }[]>();
    for (const id of scheduledBefore.keys()) {
      const before: Planned[] = (await (await app.request(`/api/subscribers/${id}`, { headers: admin })).json()).planned;
      const change = previewOf.get(id) ?? { removed: [], added: [], moved: [] };
      const plan = before
        .filter((b) => !change.removed.some((r) => r.step === b.step))
        .map((b) => ({ step: b.step, at: Date.parse(change.moved.find((m) => m.step === b.step)?.to.at ?? b.at) }))
        .concat(change.added.map((a) => ({ step: a.step, at: Date.parse(a.at) })))
        .sort((a, b) => a.at - b.at);
      expectedSends.set(id, plan);
    }
    // It has something of each kind to prove: emails lost, gained and moved.
    expect(preview.effect.steps.find((s: { step: number }) => s.step === 7).removed).toBeGreaterThan(0);
    expect(preview.effect.steps.find((s: { step: number }) => s.step === 9).added).toBeGreaterThan(0);
    expect(preview.effect.steps.find((s: { step: number }) => s.step === 6).moved).toBeGreaterThan(0);
    expect(preview.effect.changed).toBe(preview.effect.people.length);

    const published = await app.request('/api/sequence/publish', { method: 'POST', headers: { ...admin, 'content-type': 'application/json' }, body: JSON.stringify({ version: 2 }) });
    expect(published.status).toBe(200);
    expect((await (await app.request('/api/sequence/versions', { headers: admin })).json()).running).toBe(2);

    // The returning reader confirms again; two days more of new people on version 2; then until everyone is done (day 45).
    const again = await app.request('/subscribe', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: returning.email, timezone: returning.zone, consent: true }) });
    expect(again.status).toBe(202);
    await drain();
    const reconfirm = linkToken(transport.sent.findLast((m) => m.to === returning.email)!, 'confirm');
    expect((await app.request(`/confirm/${reconfirm}`, { method: 'POST' })).status).toBe(200);
    await runFor(2 * DAY, 7 * HOUR, index);
    await runFor(45 * DAY - (clock.now() - Date.parse('2026-03-01T13:07:00Z')));

    // Each person's exact list of step ids.
    for (const p of people) {
      const sends = transport.sent.filter((m) => m.to === p.email && isSequence(m)).map((m) => ({ step: stepOf(m), at: m.at!, version: m.at! < publishedAt ? 1 : 2 }));
      const got = sends.map((s) => s.step);
      const had = receivedAtPublish.get(p.email) ?? [];
      const expected = p === returning ? [1, 2, 3, ...V2_ORDER.filter((id) => ![1, 2, 3].includes(id))] : [...had, ...expectedAfter(V2_ORDER, had)];
      expect(got, p.email).toEqual(expected);
      expect(new Set(got).size, `${p.email}: a step twice`).toBe(got.length);

      for (let i = 1; i < sends.length; i++) {
        const [prev, cur] = [sends[i - 1]!, sends[i]!];
        if (p === returning && cur.step === 4) continue; // the first email after coming back goes at once
        expect(cur.at - prev.at, `${p.email}: step ${cur.step} after ${prev.step}`).toBeGreaterThanOrEqual(20 * HOUR);
        const minute = minuteOfDay(p.zone, cur.at);
        expect(minute).toBeGreaterThanOrEqual(config.sendWindow.startMinute);
        expect(minute).toBeLessThan(config.sendWindow.endMinute);
        // Its delay (after the step before it in the version it went on), counted from the last email.
        const order = cur.version === 1 ? V1.steps : V2.steps;
        const k = order.findIndex((s) => s.id === cur.step);
        const delayDays = order[k]!.dayOffset - order[k - 1]!.dayOffset;
        expect(localDayNumber(p.zone, cur.at) - localDayNumber(p.zone, prev.at), `${p.email}: days before step ${cur.step}`).toBeGreaterThanOrEqual(delayDays);
      }
    }
    // Everyone finished, and the new step and the re-timed one reached people who were in flight.
    for (const p of people) expect((await stores.subscribers.byId(p.id))!.status, p.email).toBe('completed');
    const inFlightGot9 = people.filter((p) => (receivedAtPublish.get(p.email) ?? []).length > 0 && transport.sent.some((m) => m.to === p.email && stepOf(m) === 9));
    expect(inFlightGot9.length).toBeGreaterThan(0);

    // What the preview said is what happened, person by person: the steps after publishing, in order,
    // each sent at the first tick at or after the time the preview planned for it.
    for (const [id, plan] of expectedSends) {
      const p = people.find((x) => x.id === id)!;
      const after = transport.sent.filter((m) => m.to === p.email && isSequence(m) && m.at! >= publishedAt).map((m) => ({ step: stepOf(m), at: m.at! }));
      expect(after.map((a) => a.step), p.email).toEqual(plan.map((x) => x.step));
      after.forEach((a, i) => {
        expect(a.at - plan[i]!.at, `${p.email}: step ${a.step} planned ${new Date(plan[i]!.at).toISOString()}, sent ${new Date(a.at).toISOString()}`).toBeGreaterThanOrEqual(0);
        expect(a.at - plan[i]!.at, `${p.email}: step ${a.step}`).toBeLessThan(TICK);
      });
    }
    expect(v2.effect.steps.find((s: { step: number }) => s.step === 9).sentences[0]).toMatch(/^\d+ (people|person) will newly get step 9 \(".+"\)\.$/);
  }, 240_000);
});
