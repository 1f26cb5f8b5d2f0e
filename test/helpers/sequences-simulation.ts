/**
 * Six simulated weeks of two sequences on one set of stores (either engine):
 * people confirm every few hours across time zones; some click the booking
 * link in an email (a person's click, or a link scanner's), some are enrolled
 * by staff, some convert, some unsubscribe; a new version of each sequence is
 * published on day 20. The worker ticks every hour and scans booking clicks
 * after each tick, as the runtime worker does. Answers what happened, for the
 * caller's assertions.
 */
import type { Stores } from '../../db/stores.js';
import type { SequenceId } from '../../db/types.js';
import { fixedClock } from '../../src/clock.js';
import { linkWithoutTokens } from '../../src/mail/links.js';
import { createPacer } from '../../src/nurture/pacer.js';
import { buildCatalog, CONSULT_PLANS, VERSION_PLANS, type SequenceCatalogs } from '../../src/nurture/sequence.js';
import { runTick } from '../../src/nurture/tick.js';
import { confirmingNow } from '../../src/subscribers/confirm.js';
import { enrolIn, startFromBookingClicks } from '../../src/subscribers/sequences.js';
import { decideSignup } from '../../src/subscribers/subscribe.js';
import { emailHash } from '../../src/address.js';
import { captureLogger, TEST_SECRET, testConfig } from './app.js';
import { memoryTransport } from './memory-transport.js';
import { stubRender } from './worker.js';

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
export const START = Date.parse('2026-03-02T13:07:00Z');
export const BOOKING = 'https://clinic.example/book';
/** The versions published on day 20: some people had education email 7 by then, some had not. */
export const PUBLISH_AT = START + 20 * DAY;

const ZONES = ['America/New_York', 'America/Los_Angeles', 'Europe/Berlin', 'Asia/Kolkata', 'Australia/Lord_Howe', 'Pacific/Auckland', 'America/St_Johns', 'UTC'];

/** Education version 2 drops email 7; consult version 2 sends its last email two days sooner. */
export const CATALOGS: SequenceCatalogs = {
  education: buildCatalog([VERSION_PLANS[0]!, { version: 2, summary: 'Without email 7.', steps: VERSION_PLANS[0]!.steps.filter((s) => s.id !== 7) }]),
  'consult-follow-up': buildCatalog([
    CONSULT_PLANS[0]!,
    { version: 2, summary: 'The last email on day 12.', steps: CONSULT_PLANS[0]!.steps.map((s) => (s.id === 3 ? { ...s, dayOffset: 12 } : s)) },
  ]),
};

export type Person = {
  id: number;
  email: string;
  zone: string;
  confirmedAt: number;
  /** A person's click on the booking link, on day 3 after confirming. */
  clicks: boolean;
  /** Only a link scanner's click. */
  scannerClicks: boolean;
  /** Staff enrol them on day 5. */
  staffEnrols: boolean;
  convertsAt: number | null;
  unsubscribesAt: number | null;
  /** When they entered the consult follow-up (null: never). */
  enteredAt: number | null;
  /** Whether they had education email 7 when version 2 (without it) was published. */
  hadSevenAtPublish: boolean;
};

export type Sent = { sequence: SequenceId; step: number; at: number };

export async function simulateSequences(stores: Stores): Promise<{ people: Person[]; sent: Map<number, Sent[]>; transportCount: number; window: { startMinute: number; endMinute: number } }> {
  const clock = fixedClock(new Date(START).toISOString());
  const transport = memoryTransport(() => clock.now());
  const sleep = async (ms: number) => clock.advance(Math.max(0, Math.min(ms, 1000)));
  const config = testConfig({ bookingUrl: `${BOOKING}?utm_source=email` });
  const logger = captureLogger().logger;
  const tickDeps = { stores, clock, transport, logger, config, sequences: CATALOGS, render: stubRender, pacer: createPacer({ rate: 1000, clock, sleep }), sleep, random: () => 0.5, realNow: () => clock.now() };
  const services = { stores, config, clock, logger, sequences: CATALOGS.education };

  const people: Person[] = [];
  let events = 0;
  /** A click on the booking link in the person's latest email (a scanner's is flagged as one). */
  async function click(p: Person, scanner: boolean) {
    const record = (await stores.subscribers.record(p.id))!;
    const delivery = record.deliveries.filter((d) => d.status === 'sent' && d.providerId).at(-1)!;
    await stores.events.record({
      eventId: `evt-${++events}`,
      type: 'email.clicked',
      providerId: delivery.providerId,
      occurredAt: clock.now(),
      receivedAt: clock.now(),
      detail: { link: linkWithoutTokens(`${BOOKING}?utm_source=email`) },
      column: 'clickedAt',
      suppress: null,
      recipientHashes: [],
      classify: () => ({ flag: scanner ? { flag: 'link_scanner', reason: 'scanner_user_agent' } : null, alsoFlag: [] }),
    });
  }

  for (let hour = 0; hour < 42 * 24; hour++) {
    const now = clock.now();
    // A confirmation every three hours over the first five days.
    if (hour % 3 === 0 && hour < 5 * 24) {
      const i = people.length;
      const email = `person${i}@example.org`;
      const zone = ZONES[i % ZONES.length]!;
      const hash = emailHash(TEST_SECRET, email);
      await stores.subscribers.signup(
        { email, emailHash: hash, firstName: `P${i}`, timezone: zone, reader: null, source: 'signup-form', ip: null, userAgent: null, now },
        (existing, suppressed) => decideSignup(existing, suppressed, now),
      );
      const id = (await stores.subscribers.list({ q: email })).items[0]!.id;
      const input = (await confirmingNow(services, now))({ text: 'Yes, send me the emails.', version: 'v1', ip: null, userAgent: null });
      await stores.subscribers.confirm(id, input);
      people.push({
        id,
        email,
        zone,
        confirmedAt: now,
        clicks: i % 5 === 1,
        scannerClicks: i % 5 === 2,
        staffEnrols: i % 7 === 3,
        convertsAt: i % 6 === 4 ? now + 12 * DAY : null,
        unsubscribesAt: i % 8 === 5 ? now + 9 * DAY : null,
        enteredAt: null,
        hadSevenAtPublish: false,
      });
    }
    for (const p of people) {
      const since = now - p.confirmedAt;
      const at = (days: number) => since >= days * DAY && since < days * DAY + HOUR;
      if ((p.clicks || p.scannerClicks) && at(3)) await click(p, p.scannerClicks);
      if (p.staffEnrols && at(5)) await enrolIn(services, p.id, 'consult-follow-up', 'staff');
      if (p.convertsAt !== null && now >= p.convertsAt && now < p.convertsAt + HOUR) await stores.subscribers.markConverted(p.id, now);
      if (p.unsubscribesAt !== null && now >= p.unsubscribesAt && now < p.unsubscribesAt + HOUR) await stores.subscribers.unsubscribe(p.id, now, { method: 'page' });
    }
    if (now >= PUBLISH_AT && now < PUBLISH_AT + HOUR) {
      for (const p of people) p.hadSevenAtPublish = (await stores.subscribers.record(p.id))!.deliveries.some((d) => d.kind === 'sequence' && d.sequence === 'education' && d.step === 7);
      for (const id of ['education', 'consult-follow-up'] as const) await stores.sequence.publish(id, 2, 'admin', now);
    }
    await runTick(tickDeps);
    await startFromBookingClicks(services);
    clock.advance(HOUR);
  }

  const sent = new Map<number, Sent[]>();
  for (const p of people) {
    const record = (await stores.subscribers.record(p.id))!;
    p.enteredAt = record.enrolments.find((e) => e.sequence === 'consult-follow-up')?.startedAt ?? null;
    sent.set(
      p.id,
      record.deliveries
        .filter((d) => d.kind === 'sequence' && d.status === 'sent')
        .map((d) => ({ sequence: d.sequence!, step: d.step, at: d.sentAt! }))
        .sort((a, b) => a.at - b.at),
    );
  }
  return { people, sent, transportCount: transport.sent.filter((m) => m.tags?.some((t) => t.name === 'category' && t.value === 'sequence')).length, window: config.sendWindow };
}

/** Local minute of the day in a zone. */
function minuteOfDay(zone: string, t: number): number {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(t);
  const get = (type: string) => Number(parts.find((x) => x.type === type)!.value);
  return get('hour') * 60 + get('minute');
}

/**
 * What the rules say each person got, checked against what they got: for
 * each person the exact list of (sequence, step), none twice, at most one a
 * day across both, every email after the first inside their window, each
 * sequence entered and ended by the rules.
 */
export function expectSimulationRules(result: Awaited<ReturnType<typeof simulateSequences>>, expect: (actual: unknown, message?: string) => { toEqual(v: unknown): void; toBe(v: unknown): void; toBeGreaterThanOrEqual(v: number): void; toBeLessThan(v: number): void; toBeNull(): void }) {
  const { people, sent, transportCount, window } = result;
  let total = 0;
  const entered = { click: 0, staff: 0, none: 0 };
  for (const p of people) {
    const got = sent.get(p.id)!;
    total += got.length;
    const left = Math.min(p.convertsAt ?? Infinity, p.unsubscribesAt ?? Infinity);
    // Nothing after they converted or unsubscribed.
    expect(got.filter((g) => g.at >= left), `${p.email}: after leaving`).toEqual([]);
    // Education: every email of their version in order, email 7 only if they had it when version 2 dropped it.
    const education = got.filter((g) => g.sequence === 'education').map((g) => g.step);
    const full = [1, 2, 3, 4, 5, 6, ...(p.hadSevenAtPublish ? [7] : []), 8];
    if (left === Infinity) expect(education, `${p.email}: education`).toEqual(full);
    else expect(education, `${p.email}: education before leaving`).toEqual(full.slice(0, education.length));
    // The consult follow-up: entered by a person's click or by staff, while they were still getting emails; never by a scanner's click.
    const clickedAt = p.clicks ? p.confirmedAt + 3 * DAY : null;
    const staffAt = p.staffEnrols ? p.confirmedAt + 5 * DAY : null;
    const firstEntry = [clickedAt, staffAt].filter((t): t is number => t !== null && t < left);
    if (firstEntry.length === 0) {
      expect(p.enteredAt, `${p.email}: entered`).toBeNull();
      entered.none++;
    } else {
      const earliest = Math.min(...firstEntry);
      // A click is taken once it settled (a minute), at the scan after the next tick.
      expect(p.enteredAt! >= earliest && p.enteredAt! < earliest + 2 * HOUR, `${p.email}: entered ${new Date(p.enteredAt ?? 0).toISOString()}`).toBe(true);
      entered[earliest === clickedAt ? 'click' : 'staff']++;
    }
    const consult = got.filter((g) => g.sequence === 'consult-follow-up');
    if (p.enteredAt !== null && left === Infinity) expect(consult.map((g) => g.step), `${p.email}: consult`).toEqual([1, 2, 3]);
    if (p.enteredAt !== null) {
      // Each on or after its day since entering (version 1 or 2: the last one no sooner than day 12).
      const days = [2, 7, 12];
      consult.forEach((g, i) => expect(g.at - p.enteredAt!, `${p.email}: consult ${g.step} day`).toBeGreaterThanOrEqual((days[i]! - 1) * DAY));
    } else expect(consult, `${p.email}: no consult`).toEqual([]);
    // One email a day across both sequences, each after the first in their morning window.
    for (let i = 1; i < got.length; i++) {
      expect(got[i]!.at - got[i - 1]!.at, `${p.email}: gap before ${got[i]!.sequence} ${got[i]!.step}`).toBeGreaterThanOrEqual(20 * HOUR);
      const minute = minuteOfDay(p.zone, got[i]!.at);
      expect(minute, `${p.email}: ${got[i]!.sequence} ${got[i]!.step} local minute`).toBeGreaterThanOrEqual(window.startMinute);
      expect(minute, `${p.email}: ${got[i]!.sequence} ${got[i]!.step} local minute`).toBeLessThan(window.endMinute);
    }
  }
  // Each recorded send left once; every kind of person was in the run.
  expect(transportCount, 'emails that left').toBe(total);
  expect(entered.click > 0 && entered.staff > 0 && entered.none > 0, JSON.stringify(entered)).toBe(true);
}
