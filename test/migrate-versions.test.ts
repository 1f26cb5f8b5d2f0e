// Upgrading a database made by the release before sequence versions: its
// people sit at every step (and some are done, gone or not confirmed). The
// upgrade enrols everyone who confirmed in version 1, and from then on the
// worker sends each person exactly the steps they had not had: none resent,
// none skipped. On SQLite and on PostgreSQL.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Stores } from '../db/stores.js';
import { fixedClock } from '../src/clock.js';
import { emailHash } from '../src/address.js';
import { renderSequenceEmail } from '../src/mail/render.js';
import { createPacer } from '../src/nurture/pacer.js';
import { SEQUENCES } from '../src/nurture/sequence.js';
import { runTick } from '../src/nurture/tick.js';
import { upgradePostgres, upgradeSqlite } from './helpers/release-migrations.js';
import { captureLogger, TEST_SECRET, testConfig } from './helpers/app.js';
import { memoryTransport } from './helpers/memory-transport.js';
import { POSTGRES_SKIP_MESSAGE, TEST_DATABASE_URL } from './helpers/postgres.js';

// The migrations of the release before versions: SQLite 0000..0004, PostgreSQL 0000..0003.
const RELEASE_MIGRATIONS = { sqlite: 5, postgres: 4 };

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.parse('2026-03-02T10:00:00Z');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nurture-upgrade-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));


type Person = { email: string; status: string; had: number[]; next: number | null };

// Someone at every step, one done, one gone, one never confirmed.
const PEOPLE: Person[] = [
  ...[1, 2, 3, 4, 5, 6, 7, 8].map((next) => ({ email: `at${next}@example.org`, status: 'active', had: Array.from({ length: next - 1 }, (_, i) => i + 1), next })),
  { email: 'done@example.org', status: 'completed', had: [1, 2, 3, 4, 5, 6, 7, 8], next: null },
  { email: 'left@example.org', status: 'unsubscribed', had: [1, 2, 3], next: null },
  { email: 'pending@example.org', status: 'pending', had: [], next: null },
];

/** Rows as the previous release wrote them (its columns only), with `?` or `$n` placeholders. */
async function fillReleaseDatabase(exec: (sql: string, params: unknown[]) => Promise<number | undefined>) {
  for (const p of PEOPLE) {
    const confirmed = p.status === 'pending' ? null : T0 - 30 * DAY;
    const last = p.had.length ? T0 - DAY : null;
    const id = await exec(
      `INSERT INTO subscribers (email, email_hash, first_name, timezone, status, created_at, updated_at, confirmed_at, next_step, next_send_at, last_sequence_sent_at)
       VALUES ($1, $2, $3, 'Europe/Berlin', $4, $5, $5, $6, $7, $8, $9) RETURNING id`,
      [p.email, emailHash(TEST_SECRET, p.email), 'Robin', p.status, T0 - 31 * DAY, confirmed, p.next, p.next === null ? null : T0 + HOUR, last],
    );
    for (const step of p.had) {
      await exec(
        `INSERT INTO deliveries (subscriber_id, kind, step, template_id, subject, status, created_at, sent_at) VALUES ($1, 'sequence', $2, $3, 'Subject', 'sent', $4, $4) RETURNING id`,
        [id, step, `step-${step}`, T0 - DAY - (8 - step) * 3 * DAY],
      );
    }
  }
}

/** Four weeks of hourly ticks on the upgraded stores; every sequence email sent, by address. */
async function runWeeks(stores: Stores) {
  const clock = fixedClock(new Date(T0).toISOString());
  const transport = memoryTransport(() => clock.now());
  const sleep = async (ms: number) => clock.advance(Math.max(0, Math.ceil(ms)));
  const deps = { stores, clock, transport, logger: captureLogger().logger, config: testConfig(), sequences: SEQUENCES, render: renderSequenceEmail, pacer: createPacer({ rate: 1000, clock, sleep }), sleep, random: () => 0.5, realNow: () => clock.now() };
  for (let h = 0; h < 28 * 24; h++) {
    await runTick(deps);
    clock.advance(HOUR);
  }
  const sent = new Map<string, number[]>();
  for (const m of transport.sent) sent.set(m.to as string, [...(sent.get(m.to as string) ?? []), Number(m.tags?.find((t) => t.name === 'step')?.value)]);
  return sent;
}

async function expectUpgraded(stores: Stores) {
  expect((await stores.sequence.published('education')).map((p) => [p.version, p.publishedBy])).toEqual([[1, 'migration']]);
  const byEmail = new Map<string, { status: string; sequenceVersion: number | null; id: number }>();
  for await (const s of stores.subscribers.all()) byEmail.set(s.email!, s);
  for (const p of PEOPLE) expect(byEmail.get(p.email)!.sequenceVersion, p.email).toBe(p.status === 'pending' ? null : 1);

  const sent = await runWeeks(stores);
  for (const p of PEOPLE) {
    const missing = p.status === 'active' ? [1, 2, 3, 4, 5, 6, 7, 8].filter((s) => !p.had.includes(s)) : [];
    expect(sent.get(p.email) ?? [], p.email).toEqual(missing);
    const after = byEmail.get(p.email)!;
    const steps = (await stores.subscribers.record(after.id))!.deliveries.filter((d) => d.kind === 'sequence').map((d) => d.step).sort((a, b) => a - b);
    expect(steps, p.email).toEqual(p.status === 'active' || p.status === 'completed' ? [1, 2, 3, 4, 5, 6, 7, 8] : p.had);
    if (p.status === 'active') expect((await stores.subscribers.byId(after.id))!.status, p.email).toBe('completed');
  }
}

describe('upgrading a database made by the release before sequence versions', () => {
  it('SQLite: everyone confirmed is on version 1 and gets exactly the steps they lacked', () =>
    upgradeSqlite(tmp, RELEASE_MIGRATIONS.sqlite, fillReleaseDatabase, expectUpgraded, (old) =>
      expect(old.prepare("SELECT count(*) AS n FROM pragma_table_info('subscribers') WHERE name = 'sequence_version'").get()).toEqual({ n: 0 }),
    ), 120_000);

  it.skipIf(!TEST_DATABASE_URL)('PostgreSQL: the same', () => upgradePostgres(tmp, RELEASE_MIGRATIONS.postgres, fillReleaseDatabase, expectUpgraded), 120_000);

  if (!TEST_DATABASE_URL) it.skip(POSTGRES_SKIP_MESSAGE, () => undefined);
});
