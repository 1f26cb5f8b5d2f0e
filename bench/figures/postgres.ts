// PostgreSQL (skipped without BENCH_DATABASE_URL or TEST_DATABASE_URL, a user
// that may create databases):
// - workers: three worker processes vs one against the fake limited to 5
//   requests/s: each run's share of the allowed rate, and its 429s;
// - scale: a tick of 1,000 due among 1,000,000 subscribers vs among 10,000;
// - signup: POST /subscribe requests/s on PostgreSQL vs on SQLite.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { postgresStores, type PostgresStores } from '../../db/postgres/index.js';
import { sqliteStores } from '../../db/sqlite/index.js';
import type { Stores } from '../../db/stores.js';
import { createApp } from '../../src/app.js';
import { systemClock } from '../../src/clock.js';
import { loadEnv } from '../../src/env.js';
import { createLogger } from '../../src/logger.js';
import { emailHash } from '../../src/address.js';
import { renderSequenceEmail } from '../../src/mail/render.js';
import { createPacer, realSleep } from '../../src/nurture/pacer.js';
import { SEQUENCES } from '../../src/nurture/sequence.js';
import { runTick } from '../../src/nurture/tick.js';
import type { Figure } from '../report.js';
import { startFakeProcess } from '../support/fake-client.js';
import { loadFromOwnProcess } from '../support/load.js';
import { nullTransport, serveOn } from '../support/serve.js';
import { BENCH_PG_URL, freshDatabase } from '../support/postgres.js';
import { BENCH_SECRET } from '../support/seed.js';

const URL_ = BENCH_PG_URL;
const CHILD = path.resolve('test/fixtures/tick-child.ts');
const LIMIT = 5;
const WORKER_EMAILS = Number(process.env.BENCH_PG_EMAILS ?? 6000);
const SCALE_DUE = 1_000;
const SCALE_SMALL = 10_000;
const SCALE_LARGE = Number(process.env.BENCH_SCALE_LARGE ?? 1_000_000);
const RUNS = 5;
// Which figures to measure (all by default): `BENCH_PG_PARTS=signup npm run bench -- postgres`.
const PARTS = new Set((process.env.BENCH_PG_PARTS ?? 'workers,scale,signup').split(','));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const env = loadEnv({ PUBLIC_URL: 'https://learn.example.org', MAIL_FROM: 'Harbor Clinic <education@example.org>', POSTAL_ADDRESS: 'Harbor Clinic, 1 Main Street, Springfield, IL 62701, USA', LOG_LEVEL: 'silent', SEND_WINDOW: '00:00-24:00' });
const config = { ...env, secretKey: BENCH_SECRET, staffPassword: 'bench-password' };

/** `count` subscribers, the first `due` of them due for step 1 now, the rest scheduled later or completed; a third also in the consult follow-up. */
async function seed(stores: PostgresStores, count: number, due: number, now: number) {
  await stores.pool.query(
    `INSERT INTO subscribers (email, email_hash, first_name, timezone, status, source, created_at, updated_at, confirmed_at, completed_at)
     SELECT 'reader' || i || '@example.org', md5('reader' || i), 'Reader' || (i % 97), 'UTC',
            CASE WHEN i <= $2::int OR i % 2 = 0 THEN 'active' ELSE 'completed' END, 'form', $3::bigint, $3::bigint, $3::bigint,
            CASE WHEN i > $2::int AND i % 2 = 1 THEN $3::bigint END
     FROM generate_series(1, $1::int) AS i`,
    [count, due, now],
  );
  await stores.pool.query(
    `INSERT INTO enrolments (subscriber_id, sequence, version, started_at, next_step, next_send_at, last_sent_at, ended_at, ended_reason)
     SELECT s.id, 'education', 1, $2::bigint,
            CASE WHEN s.id <= $1::int THEN 1 WHEN s.status = 'active' THEN 2 + s.id % 7 END,
            CASE WHEN s.id <= $1::int THEN $2::bigint WHEN s.status = 'active' THEN $2::bigint + 3600000 + (s.id % 1800000)::bigint * 1000 END,
            CASE WHEN s.id > $1::int THEN $2::bigint END,
            CASE WHEN s.status = 'completed' THEN $2::bigint END, CASE WHEN s.status = 'completed' THEN 'completed' END
     FROM subscribers s`,
    [due, now],
  );
  // A third of them are in the consult follow-up too: its next email a week off, or ended.
  await stores.pool.query(
    `INSERT INTO enrolments (subscriber_id, sequence, version, started_at, next_step, next_send_at, ended_at, ended_reason)
     SELECT s.id, 'consult-follow-up', 1, $1::bigint,
            CASE WHEN s.status = 'active' THEN 2 END,
            CASE WHEN s.status = 'active' THEN $1::bigint + 7 * 86400000 + (s.id % 86400)::bigint * 1000 END,
            CASE WHEN s.status = 'completed' THEN $1::bigint END, CASE WHEN s.status = 'completed' THEN 'completed' END
     FROM subscribers s WHERE s.id % 3 = 0`,
    [now],
  );
  await stores.pool.query('ANALYZE');
}

async function rearm(stores: PostgresStores, due: number, now: number) {
  await stores.pool.query('TRUNCATE deliveries, batches RESTART IDENTITY CASCADE');
  await stores.pool.query("UPDATE subscribers SET status = 'active', completed_at = NULL WHERE id <= $1", [due]);
  await stores.pool.query("UPDATE enrolments SET next_step = 1, next_send_at = $2, ended_at = NULL, ended_reason = NULL WHERE subscriber_id <= $1 AND sequence = 'education'", [due, now]);
  // Their email of the run before would hold the next one back 20 hours (one email a day across sequences).
  await stores.pool.query('UPDATE enrolments SET last_sent_at = NULL WHERE subscriber_id <= $1', [due]);
}

async function workersRun(fake: Awaited<ReturnType<typeof startFakeProcess>>, workers: number) {
  const db = await freshDatabase(`w${workers}`);
  const stores = await postgresStores(db.url, { max: 2 });
  const emails = Array.from({ length: WORKER_EMAILS }, (_, i) => `w${workers}-${i}@example.org`);
  const now = Date.now() - 1000;
  await stores.pool.query(
    `WITH s AS (INSERT INTO subscribers (email, email_hash, first_name, timezone, status, created_at, updated_at, confirmed_at)
       SELECT e, h, 'P', 'UTC', 'active', $3, $3, $3 FROM unnest($1::text[], $2::text[]) AS u(e, h) RETURNING id)
     INSERT INTO enrolments (subscriber_id, sequence, started_at, next_step, next_send_at) SELECT id, 'education', $3, 1, $3 FROM s`,
    [emails, emails.map((e) => emailHash(BENCH_SECRET, e)), now],
  );
  await fake.reset();
  const start = performance.now();
  const exits = Array.from({ length: workers }, () => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, db.url, fake.url, '30000', String(LIMIT), '100'], { stdio: ['ignore', 'ignore', 'inherit'] });
    return new Promise<number | null>((resolve) => child.on('exit', resolve));
  });
  const codes = await Promise.all(exits);
  const seconds = (performance.now() - start) / 1000;
  const stats = await fake.stats();
  await stores.close();
  await db.drop();
  if (codes.some((c) => c !== 0) || stats.unique !== WORKER_EMAILS || stats.duplicates !== 0) {
    throw new Error(`${workers} workers: exit codes ${codes.join(',')}, ${stats.unique} of ${WORKER_EMAILS} accepted, ${stats.duplicates} twice`);
  }
  // From the first accepted request to the last, plus one request interval.
  const span = (stats.lastAt - stats.firstAt) / 1000 + 1 / LIMIT;
  const requests = Object.values(stats.statuses).reduce((a, b) => a + b, 0);
  return { share: WORKER_EMAILS / span / (LIMIT * 100), tooMany: stats.statuses['429'] ?? 0, requests, seconds };
}

async function signupRate(stores: Stores): Promise<number> {
  const app = createApp({ stores, config, clock: systemClock, transport: nullTransport(), logger: createLogger('silent'), subscribeRateLimit: { max: Number.MAX_SAFE_INTEGER, windowMs: 60_000 } });
  // With the server's env, as `npm start` serves it: the app reads a body from the socket itself.
  const served = await serveOn((req, env) => app.fetch(req, env));
  try {
    const opts = { url: `${served.url}/subscribe`, method: 'POST' as const, headers: { 'content-type': 'application/json' }, body: `{"email":"s-[<id>]-${Date.now()}@example.org","consent":true}`, idReplacement: true, connections: 10 };
    await loadFromOwnProcess({ ...opts, duration: 1 });
    const r = await loadFromOwnProcess({ ...opts, duration: 5 });
    if (r.errors > 0 || r.non2xx > 0) throw new Error(`signup: ${r.errors} errors, ${r.non2xx} non-2xx`);
    return r.rps;
  } finally {
    await served.close();
  }
}

export async function run(): Promise<Figure[]> {
  if (!URL_) {
    console.error('postgres figures skipped: set BENCH_DATABASE_URL (or TEST_DATABASE_URL) to a PostgreSQL user that may create databases');
    return [];
  }
  const figures: Figure[] = [];

  // ---- three workers vs one ---------------------------------------------
  if (PARTS.has('workers')) {
    const fake = await startFakeProcess();
    try {
      await fake.setRateLimit(LIMIT);
      const one = await workersRun(fake, 1);
      const three = await workersRun(fake, 3);
      figures.push({
        name: 'pg: three workers vs one, share of the allowed rate',
        value: three.share,
        unit: 'share',
        baseline: one.share,
        ratio: three.share / one.share,
        goal: 'both >= 0.9, 429s < 5%',
        note: `${WORKER_EMAILS} emails, fake limited to ${LIMIT} req/s; one worker ${one.share.toFixed(3)} of the allowed rate with ${one.tooMany} x 429 of ${one.requests} requests; three workers ${three.share.toFixed(3)} with ${three.tooMany} x 429 of ${three.requests}`,
      });
    } finally {
      await fake.close();
    }
  }

  // ---- scale --------------------------------------------------------------
  if (PARTS.has('scale')) {
    const small = await freshDatabase('small');
    const large = await freshDatabase('large');
    const smallStores = await postgresStores(small.url);
    const largeStores = await postgresStores(large.url);
    const now = Date.now();
    await seed(smallStores, SCALE_SMALL, SCALE_DUE, now);
    await seed(largeStores, SCALE_LARGE, SCALE_DUE, now);
    const tickMs = async (stores: PostgresStores) => {
      await rearm(stores, SCALE_DUE, Date.now());
      const start = performance.now();
      const s = await runTick({ stores, clock: systemClock, transport: nullTransport(), logger: createLogger('warn'), config, sequences: SEQUENCES, render: renderSequenceEmail, pacer: createPacer({ rate: 1000, clock: systemClock, sleep: realSleep }), concurrency: 4 });
      if (s.sent !== SCALE_DUE) throw new Error(`pg scale tick sent ${s.sent} of ${SCALE_DUE}: ${JSON.stringify(s)}`);
      return performance.now() - start;
    };
    await tickMs(smallStores);
    await tickMs(largeStores);
    const smallRuns: number[] = [];
    const largeRuns: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      smallRuns.push(await tickMs(smallStores));
      largeRuns.push(await tickMs(largeStores));
    }
    await smallStores.close();
    await largeStores.close();
    await small.drop();
    await large.drop();
    figures.push({
      name: `pg: tick of ${SCALE_DUE} due among ${SCALE_LARGE}`,
      value: median(largeRuns),
      unit: 'ms',
      baseline: median(smallRuns),
      ratio: median(largeRuns) / median(smallRuns),
      goal: '<= 1.5x',
      note: `baseline: the same tick among ${SCALE_SMALL}, a third of each in both sequences (medians of ${RUNS}, alternating; null transport)`,
    });
  }

  // ---- signup: PostgreSQL vs SQLite ---------------------------------------
  if (PARTS.has('signup')) {
    const db = await freshDatabase('signup');
    const pgStores = await postgresStores(db.url);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nurture-bench-signup-pg-'));
    const liteStores = sqliteStores(path.join(dir, 'bench.db'));
    try {
      const lite = await signupRate(liteStores);
      const onPg = await signupRate(pgStores);
      figures.push({ name: 'pg: POST /subscribe vs SQLite', value: onPg, unit: 'req/s', baseline: lite, ratio: onPg / lite, goal: '>= 1,000 req/s', note: '10 connections, 5 s each, JSON body, new address each time' });
    } finally {
      await pgStores.close();
      await liteStores.close();
      await db.drop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  for (const f of figures) if (f.note) console.error(`  ${f.name}: ${f.note}`);
  return figures;
}
