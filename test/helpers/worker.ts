import type { SqliteDb as Db } from '../../db/sqlite/client.js';
import type { Stores } from '../../db/stores.js';
import { fixedClock } from '../../src/clock.js';
import type { Config } from '../../src/config.js';
import type { Logger } from '../../src/logger.js';
import { emailHash } from '../../src/address.js';
import type { Transport } from '../../src/mail/transport.js';
import { createPacer } from '../../src/nurture/pacer.js';
import { queueSchedule, type QueueSequence, type QueueStep } from '../../src/nurture/decide.js';
import { scheduleOptions } from '../../src/nurture/schedule.js';
import type { QueueSchedule } from '../../db/types.js';
import { runTick, type RenderSequence, type TickDeps } from '../../src/nurture/tick.js';
import type { SequenceCatalogs } from '../../src/nurture/sequence.js';
import { captureLogger, storesOf, TEST_SECRET, testConfig } from './app.js';

/** The content brief's days, with stand-in templates: the worker tests are about sending, not content. */
export const STUB_SEQUENCE: QueueStep[] = [0, 2, 4, 7, 10, 14, 18, 21].map((dayOffset, i) => ({
  step: i + 1,
  dayOffset,
  templateId: `step-${i + 1}`,
  subject: `Lesson ${i + 1}`,
}));

/** The stub steps as the one version the database starts with. */
export const STUB_VERSIONS: QueueSequence[] = [{ version: 1, steps: STUB_SEQUENCE }];

/** The consult follow-up's days, with stand-in templates. */
export const STUB_CONSULT: QueueStep[] = [2, 7, 14].map((dayOffset, i) => ({ step: i + 1, dayOffset, templateId: `consult-step-${i + 1}`, subject: `Consult ${i + 1}` }));

/** Both sequences with stand-in templates, each as the one version the database starts with. */
export const STUB_CATALOGS: SequenceCatalogs<QueueSequence> = { education: STUB_VERSIONS, 'consult-follow-up': [{ version: 1, steps: STUB_CONSULT }] };

/** The queue's decisions for the stub versions 1 and a config's send window. */
export function stubSchedule(config: Pick<Config, 'sendWindow'>, skipWeekends = false): QueueSchedule {
  return queueSchedule({ education: STUB_VERSIONS[0]!, 'consult-follow-up': STUB_CATALOGS['consult-follow-up'][0]! }, scheduleOptions(config, skipWeekends));
}

export const stubRender: RenderSequence = (step, props) => ({
  subject: step.subject,
  html: `<html><body><h1>${step.subject}</h1><p>Hello ${props.firstName ?? 'there'}</p><p>${props.postalAddress}</p><a href="${props.unsubscribeUrl}">Unsubscribe</a></body></html>`,
  text: `${step.subject}\n\nHello ${props.firstName ?? 'there'}\n\n${props.postalAddress}\nUnsubscribe: ${props.unsubscribeUrl}`,
  templateVersion: 'stub-1',
});

/** Inserts active subscribers due for `step` at `at`, with one prepared statement in one transaction. */
export function seedDue(db: Db, count: number, options: { at: number; step?: number; timezone?: string; lastSentAt?: number | null; domain?: string; startId?: number }): number[] {
  const insert = db.$client.prepare(`
    INSERT INTO subscribers (email, email_hash, first_name, timezone, status, created_at, updated_at, confirmed_at)
    VALUES (?, ?, ?, ?, 'active', ?, ?, ?) RETURNING id`);
  const enrol = db.$client.prepare(`
    INSERT INTO enrolments (subscriber_id, sequence, started_at, next_step, next_send_at, last_sent_at) VALUES (?, 'education', ?, ?, ?, ?)`);
  const ids: number[] = [];
  db.$client.transaction(() => {
    for (let i = 0; i < count; i++) {
      const email = `person${(options.startId ?? 0) + i}@${options.domain ?? 'example.org'}`;
      const row = insert.get(email, emailHash(TEST_SECRET, email), `P${i}`, options.timezone ?? 'UTC', options.at, options.at, options.at) as { id: number };
      enrol.run(row.id, options.at, options.step ?? 1, options.at, options.lastSentAt ?? null);
      ids.push(row.id);
    }
  })();
  return ids;
}

/**
 * Deliveries the provider reported: `delivered` of them delivered at
 * `deliveredAt`, the first `complained` of those complained about at `complainedAt`.
 */
export function seedReported(db: Db, o: { delivered: number; deliveredAt: number; complained?: number; complainedAt?: number }) {
  const insert = db.$client.prepare(`
    INSERT INTO deliveries (kind, step, template_id, subject, status, created_at, sent_at, delivered_at, complained_at)
    VALUES ('confirmation', 0, 'confirmation', 'Confirm', 'sent', @at, @at, @at, @complainedAt)`);
  db.$client.transaction(() => {
    for (let i = 0; i < o.delivered; i++) insert.run({ at: o.deliveredAt, complainedAt: i < (o.complained ?? 0) ? (o.complainedAt ?? o.deliveredAt) : null });
  })();
}

/** Everything runTick needs, on a fixed clock whose sleep advances time (no real waiting); on a SQLite db or any engine's stores. */
export function tickHarness(db: Db | Stores, transport: Transport, options: { now: string; config?: Partial<Config>; logger?: Logger } = { now: '2026-03-02T14:00:00Z' }) {
  const clock = fixedClock(options.now);
  const sleeps: number[] = [];
  const sleep = async (ms: number) => {
    sleeps.push(ms);
    clock.advance(Math.max(0, ms));
  };
  const captured = captureLogger('debug');
  const config = testConfig({ sendRate: 1000, ...options.config });
  const pacer = createPacer({ rate: config.sendRate, clock, sleep });
  const deps: TickDeps = {
    stores: 'sendQueue' in db ? db : storesOf(db),
    clock,
    transport,
    logger: options.logger ?? captured.logger,
    config,
    sequences: STUB_CATALOGS,
    render: stubRender,
    pacer,
    sleep,
    random: () => 0.5,
    realNow: () => clock.now(),
  };
  return { deps, clock, sleeps, logs: captured.lines, tick: (extra: Partial<TickDeps> = {}) => runTick({ ...deps, ...extra }) };
}

export function countBy<T>(items: T[], key: (t: T) => string): Map<string, number> {
  const m = new Map<string, number>();
  for (const i of items) m.set(key(i), (m.get(key(i)) ?? 0) + 1);
  return m;
}
