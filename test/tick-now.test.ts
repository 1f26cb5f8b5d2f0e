// `npm run tick -- --now <ISO>` days ahead behaves as a tick at the real
// time: a process's own batches never look abandoned to its other lanes, so
// each provider request costs exactly one pacer turn, and a tick killed with
// SIGKILL under --now is still recovered. On SQLite and on PostgreSQL.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { postgresStores, type PostgresStores } from '../db/postgres/index.js';
import { openSqlite } from '../db/sqlite/client.js';
import { emailHash } from '../src/address.js';
import { startFakeResend, type FakeResend } from './fake-resend/server.js';
import { TEST_SECRET } from './helpers/app.js';
import { createTestDatabase, POSTGRES_SKIP_MESSAGE, TEST_DATABASE_URL } from './helpers/postgres.js';
import { until } from './helpers/process.js';
import { countBy, seedDue } from './helpers/worker.js';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'tick-child.ts');
const DAY = 24 * 60 * 60 * 1000;
const SUBSCRIBERS = 100;
const BATCH = 10;
const RATE = 20;
const LEASE_MS = 1500;

type Engine = {
  name: string;
  /** A database with SUBSCRIBERS people due at `at`; the child's target and a reader of batch rows. */
  open(at: number): Promise<{ target: string; readyBatches(): Promise<{ leaseExpiresAt: number | null }[]>; close(): Promise<void> }>;
};

const sqlite: Engine = {
  name: 'SQLite',
  async open(at) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nurture-now-'));
    const file = path.join(dir, 'n.db');
    const db = openSqlite(file);
    seedDue(db, SUBSCRIBERS, { at });
    return {
      target: file,
      async readyBatches() {
        return db.$client.prepare("SELECT lease_expires_at AS leaseExpiresAt FROM batches WHERE status = 'ready'").all() as { leaseExpiresAt: number | null }[];
      },
      async close() {
        db.$client.close();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

const postgres: Engine = {
  name: 'PostgreSQL',
  async open(at) {
    const db = await createTestDatabase();
    const stores: PostgresStores = await postgresStores(db.url, { max: 2 });
    const emails = Array.from({ length: SUBSCRIBERS }, (_, i) => `person${i}@example.org`);
    await stores.pool.query(
      `WITH s AS (INSERT INTO subscribers (email, email_hash, first_name, timezone, status, created_at, updated_at, confirmed_at)
         SELECT e, h, 'P', 'UTC', 'active', $3, $3, $3 FROM unnest($1::text[], $2::text[]) AS u(e, h) RETURNING id)
       INSERT INTO enrolments (subscriber_id, sequence, started_at, next_step, next_send_at) SELECT id, 'education', $3, 1, $3 FROM s`,
      [emails, emails.map((e) => emailHash(TEST_SECRET, e)), at],
    );
    return {
      target: db.url,
      async readyBatches() {
        return (await stores.pool.query<{ leaseExpiresAt: number | null }>(`SELECT lease_expires_at AS "leaseExpiresAt" FROM batches WHERE status = 'ready'`)).rows;
      },
      async close() {
        await stores.close();
        await db.drop();
      },
    };
  },
};

const engines = TEST_DATABASE_URL ? [sqlite, postgres] : [sqlite];
if (!TEST_DATABASE_URL) console.warn(POSTGRES_SKIP_MESSAGE);

let fake: FakeResend;
const children: ChildProcess[] = [];
beforeAll(async () => {
  fake = await startFakeResend({ latencyMs: { min: 5, max: 20 } });
});
afterAll(() => fake.close());
afterEach(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  fake.reset();
});

/** The tick child under `--now <at>`; its summaries as they come. */
function startTick(target: string, at: number) {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, target, fake.url, String(LEASE_MS), String(RATE), String(BATCH)], {
    env: { ...process.env, TICK_NOW: new Date(at).toISOString() },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  const lines: { sent: number; turns: number }[] = [];
  let rest = '';
  child.stdout!.on('data', (d) => {
    const parts = (rest + String(d)).split('\n');
    rest = parts.pop()!;
    for (const p of parts) if (p.trim()) lines.push(JSON.parse(p));
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, lines, exited };
}

function expectEachOnce() {
  const perAddress = countBy(fake.emails, (e) => e.to[0]!);
  expect(perAddress.size).toBe(SUBSCRIBERS);
  expect([...perAddress.values()].filter((n) => n !== 1)).toEqual([]);
}

describe.each(engines)('a tick under --now days ahead ($name)', (engine) => {
  it('takes exactly one pacer turn per provider request', async () => {
    const at = Date.now() + 3 * DAY;
    const db = await engine.open(at);
    try {
      const tick = startTick(db.target, at);
      expect(await tick.exited).toBe(0);
      expectEachOnce();
      expect(fake.requests.map((r) => r.status)).toEqual(Array(SUBSCRIBERS / BATCH).fill(200));
      expect(tick.lines.at(-1)!.turns).toBe(fake.requests.length);
    } finally {
      await db.close();
    }
  }, 60_000);

  it('a SIGKILL mid-request is recovered by the next --now tick, each email once', async () => {
    const at = Date.now() + 3 * DAY;
    const db = await engine.open(at);
    try {
      const first = startTick(db.target, at);
      await until(() => fake.emails.length >= 30, 'the first batches');
      const open = fake.hold();
      const heldAt = fake.requests.length;
      await until(() => fake.requests.length > heldAt, 'a request in flight');
      first.child.kill('SIGKILL');
      await first.exited;
      // The provider accepts what was in flight; the dead tick never hears of it.
      open();
      const second = startTick(db.target, at + 60_000);
      expect(await second.exited).toBe(0);
      expectEachOnce();
      expect(fake.requests.some((r) => r.replayed)).toBe(true);
      expect(await db.readyBatches()).toEqual([]);
    } finally {
      await db.close();
    }
  }, 60_000);
});
