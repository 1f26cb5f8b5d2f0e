// One scenario on any engine's stores: people enter a sequence over nearly
// three weeks, an admin publishes a version that adds, removes and re-times
// steps, and the worker runs until everyone is done. The preview taken just
// before publishing must be what then happened, person by person.
import { expect } from 'vitest';
import type { Stores } from '../../db/stores.js';
import { fixedClock } from '../../src/clock.js';
import { renderSequenceEmail } from '../../src/mail/render.js';
import type { OutgoingEmail } from '../../src/mail/transport.js';
import { createPacer } from '../../src/nurture/pacer.js';
import { plannedSends } from '../../src/nurture/previews.js';
import { buildCatalog, VERSION_PLANS, type VersionPlan } from '../../src/nurture/sequence.js';
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
  const tick = () => runTick({ stores, clock, transport, logger, config, sequences, render: renderSequenceEmail, pacer, sleep, random: () => 0.5, realNow: () => clock.now() });
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

  // One person every 7 hours for 19 days: someone waits for every step of version 1 on publish day.
  await runFor(19 * DAY, 7 * HOUR);
  const publishedAt = clock.now();
  const before = new Map<number, { step: number; at: number }[]>();
  for (const p of people) {
    const s = (await stores.subscribers.byId(p.id))!;
    // Their plan under version 1, as their subscriber page shows it (its own schedule code).
    if (s.status === 'active' && s.nextSendAt !== null) before.set(p.id, (await plannedSends(deps, s, publishedAt)).map(({ step, at }) => ({ step, at })));
  }
  expect(new Set([...before.values()].map((plan) => plan[0]!.step))).toEqual(new Set([2, 3, 4, 5, 6, 7, 8]));

  const preview = await previewPublish(deps, 2, { limit: 10_000 });
  if (!preview.ok) throw new Error(preview.reason);
  const { effect } = preview;
  expect(effect).toMatchObject({ scheduled: before.size, nextAfter: null, inFlight: 0 });
  expect(effect.changed).toBe(effect.people.length);
  const step = (id: number) => effect.steps.find((s) => s.step === id)!;
  expect(step(7).removed).toBeGreaterThan(0);
  expect(step(9).added).toBeGreaterThan(0);
  expect(step(6).moved).toBeGreaterThan(0);

  const published = await publishVersion({ ...deps, logger }, 2, 'staff');
  expect(published).toMatchObject({ ok: true, version: 2 });
  await runFor(30 * DAY);

  // Each person's emails after publishing are their plan before with the preview's changes applied,
  // in that order, each at the first tick at or after the time the preview gave.
  for (const [id, plan] of before) {
    const email = people.find((p) => p.id === id)!.email;
    const change = effect.people.find((p) => p.subscriberId === id) ?? { removed: [], added: [], moved: [] };
    const expected = plan
      .filter((b) => !change.removed.some((r) => r.step === b.step && r.at === b.at))
      .map((b) => ({ step: b.step, at: change.moved.find((m) => m.step === b.step)?.to ?? b.at }))
      .concat(change.added)
      .sort((a, b) => a.at - b.at);
    const happened = transport.sent.filter((m) => m.to === email && isSequence(m) && m.at! >= publishedAt).map((m) => ({ step: stepOf(m), at: m.at! }));
    expect(happened.map((h) => h.step), email).toEqual(expected.map((e) => e.step));
    happened.forEach((h, i) => {
      const late = h.at - expected[i]!.at;
      expect(late >= 0 && late < TICK, `${email}: step ${h.step} planned ${new Date(expected[i]!.at).toISOString()}, sent ${new Date(h.at).toISOString()}`).toBe(true);
    });
    expect((await stores.subscribers.byId(id))!.status, email).toBe('completed');
  }
}
