// One scenario on any engine's stores: people enter a sequence over nearly
// three weeks, an admin publishes a version that adds, removes and re-times
// steps, five days later rolls back to the first version (published again as
// version 3), and the worker runs until everyone is done. Each preview taken
// just before publishing must be what then happened, person by person.
import { expect } from 'vitest';
import type { Stores } from '../../db/stores.js';
import { fixedClock } from '../../src/clock.js';
import { renderSequenceEmail } from '../../src/mail/render.js';
import type { OutgoingEmail } from '../../src/mail/transport.js';
import { createPacer } from '../../src/nurture/pacer.js';
import { plannedSends } from '../../src/nurture/previews.js';
import { buildCatalog, catalogsWith, VERSION_PLANS, type VersionPlan } from '../../src/nurture/sequence.js';
import { runTick } from '../../src/nurture/tick.js';
import { previewPublish, publishVersion } from '../../src/nurture/versions.js';
import { readImportCsv, runImport } from '../../src/subscribers/import.js';
import { captureLogger, testConfig } from './app.js';
import { memoryTransport } from './memory-transport.js';

const V1 = VERSION_PLANS[0]!;
const byId = (id: number) => V1.steps.find((s) => s.id === id)!;
// A new step 9 on day 12, step 7 removed, step 6 from day 14 to day 15 (so 8 comes sooner after it for those who lose 7).
const V2: VersionPlan = {
  version: 2,
  summary: 'A new email on day 12; the street-drug email removed; the safety email a day later.',
  steps: [byId(1), byId(2), byId(3), byId(4), byId(5), { id: 9, templateId: '04-where-it-stands', dayOffset: 12 }, { ...byId(6), dayOffset: 15 }, byId(8)],
};
export const VERSION_CHANGE_CATALOG = buildCatalog([V1, V2]);

const ZONES = ['America/Los_Angeles', 'Europe/Berlin', 'Asia/Kolkata', 'Pacific/Auckland', 'UTC', 'America/St_Johns'];
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const TICK = 15 * 60_000;
const stepOf = (m: OutgoingEmail) => Number(m.tags?.find((t) => t.name === 'step')?.value);
const isSequence = (m: OutgoingEmail) => m.tags?.some((t) => t.name === 'category' && t.value === 'sequence') ?? false;

export async function previewMatchesWhatHappens(stores: Stores): Promise<void> {
  const clock = fixedClock('2026-03-01T13:07:00Z');
  const config = testConfig();
  const { logger } = captureLogger();
  const transport = memoryTransport(() => clock.now());
  const sequences = VERSION_CHANGE_CATALOG;
  const deps = { stores, config, clock, logger, sequences };
  const sleep = async (ms: number) => clock.advance(Math.max(0, Math.min(ms, 1000)));
  const pacer = createPacer({ rate: 1000, clock, sleep });
  const tick = () => runTick({ stores, clock, transport, logger, config, sequences: catalogsWith(sequences), render: renderSequenceEmail, pacer, sleep, random: () => 0.5, realNow: () => clock.now() });
  const people: { email: string; id: number }[] = [];

  async function enter(i: number) {
    const email = `reader${i}@example.org`;
    async function* body() {
      yield Buffer.from(`email,timezone,consent_source,consent_date,consent_text\n${email},${ZONES[i % ZONES.length]},Clinic form,2026-02-01,I agree\n`);
    }
    const file = await readImportCsv(body(), { defaultTimezone: 'UTC', now: clock.now() });
    if (!file.ok) throw new Error(file.message);
    const report = await runImport(deps, file.file, 'staff');
    expect(report.summary.enrolled).toBe(1);
    people.push({ email, id: (report.rows[0] as { subscriberId: number }).subscriberId });
  }
  async function runFor(ms: number, enterEvery?: number) {
    const end = clock.now() + ms;
    let next = clock.now();
    while (clock.now() < end) {
      if (enterEvery && clock.now() >= next) {
        await enter(people.length);
        next += enterEvery;
      }
      await tick();
      clock.advance(TICK);
    }
  }

  /** Each scheduled person's plan now (as their subscriber page shows it, by its own schedule code), and the exact preview of publishing `version`. */
  async function previewNow(version: number) {
    const before = new Map<number, { step: number; at: number }[]>();
    for (const p of people) {
      const s = (await stores.subscribers.byId(p.id))!;
      if (s.status === 'active' && s.nextSendAt !== null) before.set(p.id, (await plannedSends(deps, s, clock.now())).map(({ step, at }) => ({ step, at })));
    }
    const preview = await previewPublish(deps, version, { limit: 10_000 });
    if (!preview.ok) throw new Error(preview.reason);
    const { effect } = preview;
    expect(effect).toMatchObject({ scheduled: before.size, nextAfter: null, inFlight: 0 });
    expect(effect.changed).toBe(effect.people.length);
    // Each person's emails from now on: their plan with the preview's changes applied.
    const expected = new Map<number, { step: number; at: number }[]>();
    for (const [id, plan] of before) {
      const change = effect.people.find((p) => p.subscriberId === id) ?? { removed: [], added: [], moved: [] };
      for (const r of change.removed) expect(plan, `the preview removes a step #${id} had planned`).toContainEqual(r);
      expected.set(
        id,
        plan
          .filter((b) => !change.removed.some((r) => r.step === b.step))
          .map((b) => ({ step: b.step, at: change.moved.find((m) => m.step === b.step)?.to ?? b.at }))
          .concat(change.added)
          .sort((a, b) => a.at - b.at),
      );
    }
    return { before, effect, candidate: preview.candidate, expected, from: clock.now() };
  }

  /** What happened from `from` until `until` is what was expected, person by person: the steps in order, each at the first tick at or after its planned time. */
  function check(phase: { expected: Map<number, { step: number; at: number }[]>; from: number }, until = Infinity) {
    for (const [id, plan] of phase.expected) {
      const email = people.find((p) => p.id === id)!.email;
      const due = plan.filter((e) => e.at < until);
      const happened = transport.sent.filter((m) => m.to === email && isSequence(m) && m.at! >= phase.from && m.at! < until).map((m) => ({ step: stepOf(m), at: m.at! }));
      expect(happened.map((h) => h.step), email).toEqual(due.map((e) => e.step));
      happened.forEach((h, i) => {
        const late = h.at - due[i]!.at;
        expect(late >= 0 && late < TICK, `${email}: step ${h.step} planned ${new Date(due[i]!.at).toISOString()}, sent ${new Date(h.at).toISOString()}`).toBe(true);
      });
    }
  }

  // One person every 7 hours for 19 days: someone waits for every step of version 1 on publish day.
  await runFor(19 * DAY, 7 * HOUR);
  const toV2 = await previewNow(2);
  // (Someone imported since their last window opened waits for email 1 in their next one.)
  expect(new Set([...toV2.before.values()].map((plan) => plan[0]!.step))).toEqual(new Set([1, 2, 3, 4, 5, 6, 7, 8]));
  const step = (effect: typeof toV2.effect, id: number) => effect.steps.find((s) => s.step === id) ?? { removed: 0, added: 0, moved: 0 };
  expect(step(toV2.effect, 7).removed).toBeGreaterThan(0);
  expect(step(toV2.effect, 9).added).toBeGreaterThan(0);
  expect(step(toV2.effect, 6).moved).toBeGreaterThan(0);
  expect(await publishVersion({ ...deps, logger }, 2, 'staff')).toMatchObject({ ok: true, version: 2, plan: 2 });

  // Five days on version 2, then an admin rolls back: version 1 published again, as version 3, at an
  // hour when no one's window is open (so no email planned under version 2 is left waiting for a tick).
  await runFor(5 * DAY + 2 * HOUR);
  expect(new Date(clock.now()).toISOString()).toBe('2026-03-25T15:07:00.000Z');
  for (const plan of toV2.expected.values()) expect(plan.some((e) => e.at <= clock.now() && e.at > clock.now() - HOUR)).toBe(false);
  check(toV2, clock.now());
  const back = await previewNow(1);
  expect(back.candidate).toMatchObject({ version: 3, plan: 1, again: true });
  expect(step(back.effect, 9).removed).toBeGreaterThan(0);
  expect(step(back.effect, 7).added).toBeGreaterThan(0);
  expect(back.effect.steps.some((s) => s.moved > 0)).toBe(true);
  expect(await publishVersion({ ...deps, logger }, 1, 'staff')).toMatchObject({ ok: false, reason: 'not_newer', againAs: 3 });
  expect(await publishVersion({ ...deps, logger }, 1, 'staff', { again: true })).toMatchObject({ ok: true, version: 3, plan: 1 });
  await runFor(30 * DAY);
  check(back);

  for (const p of people) expect((await stores.subscribers.byId(p.id))!.status, p.email).toBe('completed');
  // Nobody got a step twice across both changes.
  for (const p of people) {
    const got = transport.sent.filter((m) => m.to === p.email && isSequence(m)).map(stepOf);
    expect(new Set(got).size, p.email).toBe(got.length);
  }
}
