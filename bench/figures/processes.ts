// The processes users run: compiled `npm run worker` and `npm run tick`
// (dist/, node started with the flags of their package.json scripts), over
// HTTP to the fake Resend in its own process, at the real time and under
// `--now`:
// - pacing: one process at SEND_RATE 2, 5 and 10 with the fake limiting to
//   the same rate; emails/s against the allowed rate x 100, and its 429s;
// - throughput: 2,000 due sent by one `npm run tick` from spawn to exit
//   (cold start included), against the same tick run in this process;
// - PostgreSQL: three processes sharing one SEND_RATE of 5 against one.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { sqliteStoresFor } from '../../db/sqlite/index.js';
import { systemClock } from '../../src/clock.js';
import { loadEnv } from '../../src/env.js';
import { createLogger } from '../../src/logger.js';
import { emailHash } from '../../src/address.js';
import { renderSequenceEmail } from '../../src/mail/render.js';
import { createResendTransport } from '../../src/mail/resend.js';
import { createPacer, realSleep } from '../../src/nurture/pacer.js';
import { SEQUENCES } from '../../src/nurture/sequence.js';
import { runTick } from '../../src/nurture/tick.js';
import type { Figure } from '../report.js';
import { startFakeProcess } from '../support/fake-client.js';
import { BENCH_PG_URL, freshDatabase } from '../support/postgres.js';
import { BENCH_SECRET, rearm, seedSubscribers, tempDb } from '../support/seed.js';

type Fake = Awaited<ReturnType<typeof startFakeProcess>>;

// Each pacing run sends this many seconds' worth of the allowed rate.
const SECONDS = Number(process.env.BENCH_PROCESS_SECONDS ?? 15);
const RATES = [2, 5, 10];
const THROUGHPUT_DUE = 2_000;
const PG_RATE = 5;
// BENCH_PROCESS_PARTS=pacing,postgres runs only those parts.
const PARTS = new Set((process.env.BENCH_PROCESS_PARTS ?? 'pacing,throughput,postgres').split(','));
// The tick's clock under --now: weeks ahead of the real time, as staff run it to try a schedule.
const NOW_AHEAD_MS = 21 * 86_400_000;

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const env = loadEnv({ PUBLIC_URL: 'https://learn.example.org', MAIL_FROM: 'Isha Health <education@example.org>', POSTAL_ADDRESS: 'Isha Health, 1 Main Street, Springfield, IL 62701, USA' });

/** `npm run <script>` as node arguments: its flags and its file in dist/, run without npm in between. */
function scriptArgs(script: 'worker' | 'tick'): string[] {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const [node, ...args] = pkg.scripts[script]!.split(/\s+/);
  if (node !== 'node') throw new Error(`npm run ${script} does not start node: ${pkg.scripts[script]}`);
  return args.map((a) => (a.startsWith('-') ? a : path.join(root, a)));
}

type Mode = 'real time' | '--now';
type Run = { emails: number; seconds: number; share: number; tooMany: number; requests: number };

/**
 * Starts `count` processes of `script` on `database` (a SQLite file or a
 * postgres:// URL), each with its own environment as a user sets it, and
 * waits until the fake accepted `emails`: a worker is then stopped as a user
 * stops it (SIGTERM); a tick exits by itself.
 */
async function runProcesses(fake: Fake, opts: { script: 'worker' | 'tick'; mode: Mode; count: number; database: string; sendRate: number; emails: number; cwd: string }): Promise<Run & { wallSeconds: number }> {
  const database = /^postgres/.test(opts.database) ? { DATABASE_URL: opts.database } : { DATABASE_PATH: opts.database };
  const args = [...scriptArgs(opts.script), ...(opts.mode === '--now' && opts.script === 'tick' ? ['--now', new Date(Date.now() + NOW_AHEAD_MS).toISOString()] : [])];
  if (opts.mode === '--now' && opts.script !== 'tick') throw new Error('only a tick runs under --now');
  await fake.reset();
  const start = performance.now();
  const children = Array.from({ length: opts.count }, () =>
    spawn(process.execPath, args, {
      cwd: opts.cwd,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: {
        PATH: process.env.PATH,
        ...database,
        OUTBOX_DIR: path.join(opts.cwd, 'outbox'),
        RESEND_API_KEY: fake.apiKey,
        RESEND_BASE_URL: fake.url,
        SECRET_KEY: BENCH_SECRET,
        SEND_RATE: String(opts.sendRate),
        PUBLIC_URL: env.publicUrl,
        MAIL_FROM: env.mailFrom,
        POSTAL_ADDRESS: env.postalAddress,
        CLINIC_NAME: 'Bench Clinic',
        STAFF_PASSWORD: 'bench-staff-password-0123456789',
        LOG_LEVEL: 'warn',
      },
    }),
  );
  let stderr = '';
  const exits = children.map((child) => {
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    return new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  });
  let exited = 0;
  void Promise.all(exits.map((e) => e.then(() => exited++)));
  try {
    const limit = start + (opts.emails / (opts.sendRate * 100)) * 3000 + 60_000;
    for (;;) {
      const stats = await fake.stats();
      if (stats.accepted >= opts.emails) break;
      if (exited === children.length) throw new Error(`npm run ${opts.script} exited after ${stats.accepted} of ${opts.emails} emails: ${stderr}`);
      if (performance.now() > limit) throw new Error(`npm run ${opts.script}: ${stats.accepted} of ${opts.emails} emails in time: ${stderr}`);
      await realSleep(100);
    }
  } finally {
    if (opts.script === 'worker') for (const c of children) c.kill('SIGTERM');
  }
  const codes = await Promise.all(exits);
  const wallSeconds = (performance.now() - start) / 1000;
  const stats = await fake.stats();
  if (codes.some((c) => c !== 0) || stats.unique !== opts.emails || stats.duplicates !== 0) {
    throw new Error(`npm run ${opts.script} (${opts.mode}, ${opts.count}): exit codes ${codes.join(',')}, ${stats.unique} of ${opts.emails} accepted, ${stats.duplicates} twice: ${stderr}`);
  }
  // From the first accepted request to the last, plus one request interval.
  const seconds = (stats.lastAt - stats.firstAt) / 1000 + 1 / opts.sendRate;
  const requests = Object.values(stats.statuses).reduce((a, b) => a + b, 0);
  return { emails: opts.emails, seconds, wallSeconds, share: opts.emails / seconds / (opts.sendRate * 100), tooMany: stats.statuses['429'] ?? 0, requests };
}

const tooManyNote = (r: Run) => `${r.tooMany} x 429 of ${r.requests} requests`;

async function pacing(fake: Fake): Promise<Figure[]> {
  const figures: Figure[] = [];
  for (const rate of RATES) {
    await fake.setRateLimit(rate);
    const runs: Partial<Record<Mode, Run>> = {};
    for (const [mode, script] of [['real time', 'worker'], ['--now', 'tick']] as const) {
      const emails = rate * 100 * SECONDS;
      const t = tempDb(`pacing-${rate}`);
      seedSubscribers(t.db, emails, emails, Date.now());
      t.db.$client.close();
      try {
        runs[mode] = await runProcesses(fake, { script, mode, count: 1, database: t.file, sendRate: rate, emails, cwd: t.dir });
      } finally {
        fs.rmSync(t.dir, { recursive: true, force: true });
      }
    }
    const allowed = rate * 100;
    for (const mode of ['real time', '--now'] as const) {
      const r = runs[mode]!;
      figures.push({
        name: `pacing at SEND_RATE ${rate}: ${mode === '--now' ? 'npm run tick -- --now' : 'npm run worker'}`,
        value: r.emails / r.seconds,
        unit: 'emails/s',
        baseline: allowed,
        ratio: r.share,
        goal: '>= 0.95, no 429',
        note: `${r.emails} emails (${SECONDS} s at the allowed rate), fake limited to ${rate} req/s; ${tooManyNote(r)}; none lost or twice`,
      });
    }
  }
  await fake.setRateLimit(undefined);
  return figures;
}

async function throughput(fake: Fake): Promise<Figure[]> {
  const t = tempDb('process-throughput');
  const figures: Figure[] = [];
  try {
    // Baseline: the same tick in this process (booted, warm), on the same database.
    seedSubscribers(t.db, THROUGHPUT_DUE, THROUGHPUT_DUE, Date.now());
    const inProcess = async () => {
      rearm(t.db, THROUGHPUT_DUE, Date.now());
      await fake.reset();
      const start = performance.now();
      const s = await runTick({
        stores: sqliteStoresFor(t.db),
        clock: systemClock,
        transport: createResendTransport(fake.apiKey, { baseUrl: fake.url }),
        logger: createLogger('warn'),
        config: { ...env, secretKey: BENCH_SECRET },
        sequences: SEQUENCES,
        render: renderSequenceEmail,
        pacer: createPacer({ rate: 1000, clock: systemClock, sleep: realSleep }),
        concurrency: 8,
      });
      if (s.sent !== THROUGHPUT_DUE) throw new Error(`in-process tick sent ${s.sent} of ${THROUGHPUT_DUE}`);
      return THROUGHPUT_DUE / ((performance.now() - start) / 1000);
    };
    await inProcess();
    const baseline = await inProcess();
    for (const mode of ['real time', '--now'] as const) {
      rearm(t.db, THROUGHPUT_DUE, Date.now());
      t.db.$client.pragma('wal_checkpoint(TRUNCATE)');
      const r = await runProcesses(fake, { script: 'tick', mode, count: 1, database: t.file, sendRate: 1000, emails: THROUGHPUT_DUE, cwd: t.dir });
      const rate = THROUGHPUT_DUE / r.wallSeconds;
      figures.push({
        name: `throughput: ${THROUGHPUT_DUE} due by one npm run tick${mode === '--now' ? ' -- --now' : ''}`,
        value: rate,
        unit: 'emails/s',
        baseline,
        ratio: rate / baseline,
        goal: '>= 1,000 emails/s',
        note: `from spawn to exit (node started, database opened and migrated, ${THROUGHPUT_DUE} sent at SEND_RATE=1000, summary printed), ${r.wallSeconds.toFixed(2)} s, of which ${r.seconds.toFixed(2)} s from the first request accepted to the last; baseline: the same tick run in this process, booted and warm`,
      });
    }
  } finally {
    t.cleanup();
  }
  return figures;
}

async function postgresWorkers(fake: Fake): Promise<Figure[]> {
  if (!BENCH_PG_URL) {
    console.error('processes: PostgreSQL figures skipped: set BENCH_DATABASE_URL (or TEST_DATABASE_URL)');
    return [];
  }
  await fake.setRateLimit(PG_RATE);
  const emails = PG_RATE * 100 * SECONDS;
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'nurture-bench-pg-'));
  const run = async (script: 'worker' | 'tick', mode: Mode, count: number) => {
    const db = await freshDatabase(`proc${count}`);
    try {
      // Migrated by a first process, as at a first start; then the due people.
      await runProcesses(fake, { script: 'tick', mode: 'real time', count: 1, database: db.url, sendRate: PG_RATE, emails: 0, cwd });
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      const addresses = Array.from({ length: emails }, (_, i) => `p${count}-${i}@example.org`);
      const now = Date.now() - 1000;
      await client.query(
        `WITH s AS (INSERT INTO subscribers (email, email_hash, first_name, timezone, status, created_at, updated_at, confirmed_at)
           SELECT e, h, 'P', 'UTC', 'active', $3, $3, $3 FROM unnest($1::text[], $2::text[]) AS u(e, h) RETURNING id)
         INSERT INTO enrolments (subscriber_id, sequence, started_at, next_step, next_send_at) SELECT id, 'education', $3, 1, $3 FROM s`,
        [addresses, addresses.map((e) => emailHash(BENCH_SECRET, e)), now],
      );
      await client.end();
      return await runProcesses(fake, { script, mode, count, database: db.url, sendRate: PG_RATE, emails, cwd });
    } finally {
      await db.drop();
    }
  };
  const figures: Figure[] = [];
  try {
    for (const [mode, script] of [['real time', 'worker'], ['--now', 'tick']] as const) {
      const one = await run(script, mode, 1);
      const three = await run(script, mode, 3);
      const command = script === 'tick' ? 'npm run tick -- --now' : 'npm run worker';
      figures.push({
        name: `pg: three ${command} vs one, share of the allowed rate`,
        value: three.share,
        unit: 'share',
        baseline: one.share,
        ratio: three.share / one.share,
        goal: 'three >= 0.9, 429s < 5%',
        note: `${emails} emails, SEND_RATE=${PG_RATE} shared, fake limited to ${PG_RATE} req/s; one process ${one.share.toFixed(3)} of the allowed rate with ${tooManyNote(one)}; three ${three.share.toFixed(3)} with ${tooManyNote(three)}`,
      });
    }
  } finally {
    await fake.setRateLimit(undefined);
    fs.rmSync(cwd, { recursive: true, force: true });
  }
  return figures;
}

export async function run(): Promise<Figure[]> {
  // dist/ is what users run: bring it up to date with the sources (tsc is incremental).
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
  const fake = await startFakeProcess();
  const figures: Figure[] = [];
  try {
    if (PARTS.has('pacing')) figures.push(...(await pacing(fake)));
    if (PARTS.has('throughput')) figures.push(...(await throughput(fake)));
    if (PARTS.has('postgres')) figures.push(...(await postgresWorkers(fake)));
  } finally {
    await fake.close();
  }
  for (const f of figures) if (f.note) console.error(`  ${f.name}: ${f.note}`);
  return figures;
}
