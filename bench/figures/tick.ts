// The sending path, against the fake Resend in its own process:
// - tick throughput: emails/s through one tick (claim, render, persist, send,
//   record) with 100,000 subscribers due, vs the fake's own rate for the same
//   request bodies sent straight through the resend SDK (measured before and
//   after the tick, so a machine getting busier or quieter weighs on both);
// - memory: a worker process's peak RSS through a 100,000-email tick vs its
//   size idle after a first small tick;
// - pacing: with the fake limiting to 5 requests/s, emails/s as a share of
//   5 x 100, and nothing lost or sent twice;
// - scale: one tick of 1,000 due among 10,000 vs among 1,000,000 subscribers,
//   the database size per subscriber and per delivery.
import { execFileSync, fork } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { SqliteDb as Db } from '../../db/sqlite/client.js';
import { sqliteStoresFor } from '../../db/sqlite/index.js';
import { systemClock } from '../../src/clock.js';
import { loadEnv } from '../../src/env.js';
import { createLogger } from '../../src/logger.js';
import { renderSequenceEmail } from '../../src/mail/render.js';
import { Resend } from 'resend';
import { createResendTransport } from '../../src/mail/resend.js';
import { signToken } from '../../src/mail/tokens.js';
import type { OutgoingEmail, Transport } from '../../src/mail/transport.js';
import { sequenceEmail } from '../../src/nurture/decide.js';
import { batchRequest } from '../../src/mail/envelope.js';
import { createPacer, realSleep } from '../../src/nurture/pacer.js';
import { FIRST_VERSION, SEQUENCES } from '../../src/nurture/sequence.js';
import { runTick, type TickDeps } from '../../src/nurture/tick.js';
import type { Figure } from '../report.js';
import { startFakeProcess } from '../support/fake-client.js';
import { BENCH_SECRET, rearm, seedSubscribers, tempDb } from '../support/seed.js';

/** An email as the resend SDK takes it (the baseline sends through the SDK). */
function toApi(email: OutgoingEmail) {
  return {
    from: email.from,
    to: [email.to],
    ...(email.replyTo ? { replyTo: email.replyTo } : {}),
    subject: email.subject,
    html: email.html,
    text: email.text,
    ...(email.headers ? { headers: email.headers } : {}),
    ...(email.tags ? { tags: email.tags } : {}),
  };
}

const SEQUENCE = FIRST_VERSION.steps;

const THROUGHPUT_DUE = Number(process.env.BENCH_TICK_DUE ?? 100_000);
const MEMORY_DUE = Number(process.env.BENCH_MEMORY_DUE ?? 100_000);
const PACING_SECONDS = Number(process.env.BENCH_PACING_SECONDS ?? 60);
const PACING_LIMIT = 5;
const SCALE_DUE = 1_000;
const SCALE_SMALL = 10_000;
const SCALE_LARGE = Number(process.env.BENCH_SCALE_LARGE ?? 1_000_000);
const CONCURRENCY = 4;
// BENCH_TICK_PARTS=pacing,scale runs only those parts.
const PARTS = new Set((process.env.BENCH_TICK_PARTS ?? 'throughput,memory,pacing,scale').split(','));
const SCALE_RUNS = 5;

const env = loadEnv({ PUBLIC_URL: 'https://learn.example.org', MAIL_FROM: 'Harbor Clinic <education@example.org>', POSTAL_ADDRESS: 'Harbor Clinic, 1 Main Street, Springfield, IL 62701, USA', SEND_WINDOW: '00:00-24:00' });
const config = { ...env, secretKey: BENCH_SECRET };
const logger = createLogger('warn');

function tickDeps(db: Db, transport: Transport, rate: number, extra: Partial<TickDeps> = {}): TickDeps {
  return {
    stores: sqliteStoresFor(db),
    clock: systemClock,
    transport,
    logger,
    config,
    sequences: SEQUENCES,
    render: renderSequenceEmail,
    pacer: createPacer({ rate, clock: systemClock, sleep: realSleep }),
    concurrency: CONCURRENCY,
    ...extra,
  };
}

const mb = (kb: number) => kb / 1024;
const RAW_BATCHES = 60;
const here = path.dirname(fileURLToPath(import.meta.url));

const WARM_DUE = 100;
const root = path.join(here, '..', '..');

/** The node flags `npm run <script>` starts its process with (package.json). */
function nodeFlags(script: string): string[] {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  return pkg.scripts[script]!.split(/\s+/).filter((w) => w.startsWith('--'));
}

type MemoryReport = { bootKiB: number; idleKiB: number; peakKiB: number; sent: number; seconds: number };

/**
 * A worker process (bench/support/worker-memory.mjs, the compiled code in
 * dist/, the node flags of `execArgv`) on a database where one batch is due:
 * it sends that, reports its idle size, then sends MEMORY_DUE more made due
 * meanwhile, in one tick, and reports its peak.
 */
async function workerMemory(fake: Awaited<ReturnType<typeof startFakeProcess>>, execArgv: string[]): Promise<MemoryReport> {
  const t = tempDb('memory');
  seedSubscribers(t.db, WARM_DUE + MEMORY_DUE, WARM_DUE + MEMORY_DUE, Date.now());
  t.db.$client.prepare('UPDATE enrolments SET next_send_at = ? WHERE subscriber_id > ?').run(Date.now() + 86_400_000, WARM_DUE);
  t.db.$client.pragma('wal_checkpoint(TRUNCATE)');
  const child = fork(path.join(here, '..', 'support', 'worker-memory.mjs'), [], {
    cwd: t.dir,
    execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: {
      PATH: process.env.PATH,
      DATABASE_PATH: t.file,
      RESEND_API_KEY: fake.apiKey,
      RESEND_BASE_URL: fake.url,
      SECRET_KEY: BENCH_SECRET,
      SEND_RATE: '1000',
      PUBLIC_URL: config.publicUrl,
      MAIL_FROM: config.mailFrom,
      POSTAL_ADDRESS: config.postalAddress,
      CLINIC_NAME: 'Harbor Clinic',
      SEND_WINDOW: '00:00-24:00',
      LOG_LEVEL: 'warn',
    },
  });
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`the memory worker exited with ${code} before reporting`))));
  exited.catch(() => {}); // a normal exit, once everything is reported
  const next = <T>() => Promise.race([new Promise<T>((resolve) => child.once('message', (m) => resolve(m as T))), exited]);
  const idle = await next<{ bootKiB: number; idleKiB: number; sent: number }>();
  t.db.$client.prepare('UPDATE enrolments SET next_send_at = 1 WHERE subscriber_id > ?').run(WARM_DUE);
  child.send('go');
  const done = await next<{ peakKiB: number; sent: number; seconds: number }>();
  await new Promise((resolve) => child.once('exit', resolve));
  t.cleanup();
  const stats = await fake.stats();
  await fake.reset();
  if (idle.sent !== WARM_DUE || done.sent !== MEMORY_DUE || stats.unique !== WARM_DUE + MEMORY_DUE || stats.duplicates !== 0) {
    throw new Error(`memory worker sent ${idle.sent} + ${done.sent}, the fake accepted ${stats.accepted} (${stats.duplicates} twice) of ${WARM_DUE} + ${MEMORY_DUE}`);
  }
  return { bootKiB: idle.bootKiB, idleKiB: idle.idleKiB, peakKiB: done.peakKiB, sent: done.sent, seconds: done.seconds };
}

/** The worker's peak RSS vs idle, run as `npm run worker` runs (its heap flags), and once without the flags for comparison. */
async function memoryFigure(fake: Awaited<ReturnType<typeof startFakeProcess>>): Promise<Figure> {
  // dist/ is what a worker runs: bring it up to date with the sources (tsc is incremental).
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
  const flags = nodeFlags('worker');
  await fake.setLatency(Number(process.env.BENCH_MEMORY_LATENCY ?? 0));
  const r = await workerMemory(fake, flags);
  const plain = await workerMemory(fake, flags.filter((f) => !/^--max-(old|semi)-space-size/.test(f)));
  const rate = (m: MemoryReport) => (m.sent / m.seconds).toFixed(0);
  return {
    name: 'worker peak RSS',
    value: mb(r.peakKiB),
    unit: 'MiB',
    baseline: mb(r.idleKiB),
    ratio: r.peakKiB / r.idleKiB,
    goal: '<= 1.3x',
    note:
      `a worker process (dist/, node ${flags.join(' ')}, booted as npm run worker, SEND_RATE=1000) through a ${MEMORY_DUE}-email tick at ${rate(r)} emails/s; ` +
      `baseline: its RSS idle after a first tick of ${WARM_DUE} emails (${mb(r.bootKiB).toFixed(0)} MiB once booted, before any). ` +
      `Without the heap flags: peak ${mb(plain.peakKiB).toFixed(0)} MiB, idle ${mb(plain.idleKiB).toFixed(0)} MiB (${(plain.peakKiB / plain.idleKiB).toFixed(2)}x), ${rate(plain)} emails/s`,
  };
}

/** Batches of step-1 emails rendered and addressed as the tick does, for the raw baseline. */
async function sampleBatches(count: number): Promise<OutgoingEmail[][]> {
  const out: OutgoingEmail[][] = [];
  for (let b = 0; b < count; b++) {
    const emails: OutgoingEmail[] = [];
    for (let i = 0; i < 100; i++) {
      const id = b * 100 + i + 1;
      const unsubscribeUrl = `${config.publicUrl}/u/${signToken(config.secretKey, { purpose: 'unsubscribe', subscriberId: id, generation: 0 })}`;
      const r = await renderSequenceEmail(SEQUENCE[0]!, { firstName: `Reader${id % 97}`, publicUrl: config.publicUrl, unsubscribeUrl, postalAddress: config.postalAddress, clinicName: config.clinicName });
      emails.push(sequenceEmail({ deliveryId: id, subscriberId: id, step: 1, to: `raw${id}@example.org`, from: config.mailFrom, subject: r.subject, html: r.html, text: r.text, unsubscribeUrl }));
    }
    out.push(emails);
  }
  return out;
}

/** Emails/s the fake takes for `batches`, each sent by `send`, CONCURRENCY at a time. */
async function rawRate(batches: OutgoingEmail[][], send: (emails: OutgoingEmail[], i: number, key: string) => Promise<unknown>): Promise<number> {
  let next = 0;
  let sent = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < batches.length) {
        const i = next++;
        await send(batches[i]!, i, `raw-${i}-${start}`);
        sent += batches[i]!.length;
      }
    }),
  );
  return sent / ((performance.now() - start) / 1000);
}

export async function run(): Promise<Figure[]> {
  const fake = await startFakeProcess();
  const figures: Figure[] = [];
  try {
    // ---- memory -----------------------------------------------------------
    // First: measured after the throughput tick below (this process then
    // holding some 450 MiB), the worker peaked 20 to 30 MiB higher.
    if (PARTS.has('memory')) {
      figures.push(await memoryFigure(fake));
      await fake.reset();
    }

    // ---- throughput -------------------------------------------------------
    if (PARTS.has('throughput')) {
      const t = tempDb('throughput');
      seedSubscribers(t.db, THROUGHPUT_DUE, THROUGHPUT_DUE, Date.now());
      const transport = createResendTransport(fake.apiKey, { baseUrl: fake.url });
      // Baseline: bodies like the tick's (the same templates and headers, rendered
      // beforehand) sent straight through the resend SDK's batch.send, same
      // concurrency, no database.
      const resend = new Resend(fake.apiKey, { baseUrl: fake.url });
      const viaSdk = async (emails: OutgoingEmail[], _i: number, idempotencyKey: string) => {
        const { error } = await resend.batch.send(emails.map(toApi), { idempotencyKey, batchValidation: 'permissive' });
        if (error) throw new Error(`raw SDK batch: ${error.message}`);
      };
      const batches = await sampleBatches(RAW_BATCHES);
      // Warmed up first, as the tick warms up in its own first batches.
      await rawRate(batches.slice(0, 10), viaSdk);
      await fake.reset();
      const rawBefore = await rawRate(batches, viaSdk);
      await fake.reset();

      const start = performance.now();
      const summary = await runTick(tickDeps(t.db, transport, 1000));
      const seconds = (performance.now() - start) / 1000;
      const stats = await fake.stats();
      const tickRate = summary.sent / seconds;
      if (summary.sent !== THROUGHPUT_DUE || stats.unique !== THROUGHPUT_DUE || stats.duplicates !== 0) {
        throw new Error(`throughput tick sent ${summary.sent}, the fake accepted ${stats.accepted} (${stats.duplicates} twice) of ${THROUGHPUT_DUE}`);
      }
      await fake.reset();
      const rawAfter = await rawRate(batches, viaSdk);
      await fake.reset();
      // The fake's own pace: the same bodies serialised beforehand, sent through the transport.
      const bodies = batches.map((b) => batchRequest(b).body);
      const serialised = await rawRate(batches, (emails, i, idempotencyKey) => transport.sendBatch(emails, { idempotencyKey, body: bodies[i] }));
      await fake.reset();
      const rawRateMean = (rawBefore + rawAfter) / 2;
      figures.push({
        name: 'tick throughput',
        value: tickRate,
        unit: 'emails/s',
        baseline: rawRateMean,
        ratio: tickRate / rawRateMean,
        goal: '>= 0.8',
        note: `${THROUGHPUT_DUE} due, one tick, fake without latency or limit in its own process; baseline: the fake's rate for the same kind of bodies sent straight through the resend SDK's batch.send (mean of ${rawBefore.toFixed(0)} before and ${rawAfter.toFixed(0)} after the tick); with the bodies serialised beforehand and sent through the transport the fake took ${serialised.toFixed(0)} emails/s (tick ${(tickRate / serialised).toFixed(2)} of that)`,
      });

      // Database cost of what was sent: bytes per delivery row (all deliveries, payloads cleared).
      t.db.$client.pragma('wal_checkpoint(TRUNCATE)');
      const pages = t.db.$client.prepare("SELECT sum(pgsize) AS bytes FROM dbstat WHERE name IN ('deliveries', 'deliveries_batch_idx', 'deliveries_provider_idx', 'deliveries_step_idx', 'deliveries_sequence_once')").get() as { bytes: number } | undefined;
      if (pages?.bytes) figures.push({ name: 'db bytes per delivery', value: pages.bytes / THROUGHPUT_DUE, unit: 'bytes', baseline: 1, ratio: pages.bytes / THROUGHPUT_DUE, note: 'deliveries table and its indexes' });
      t.cleanup();
    }

    // ---- pacing -----------------------------------------------------------
    if (PARTS.has('pacing')) {
      await fake.setRateLimit(PACING_LIMIT);
      const t = tempDb('pacing');
      const due = Math.ceil(PACING_LIMIT * 100 * PACING_SECONDS * 1.3);
      seedSubscribers(t.db, due, due, Date.now());
      const transport = createResendTransport(fake.apiKey, { baseUrl: fake.url, onRateLimit: (i) => deps.pacer.observe(i) });
      let stopAt = Infinity;
      const deps = tickDeps(t.db, transport, PACING_LIMIT, { shouldStop: () => Date.now() >= stopAt });
      const first = transport.sendBatch.bind(transport);
      // The window starts with the first request.
      deps.transport = { ...transport, sendBatch: (e, o) => (stopAt === Infinity && (stopAt = Date.now() + PACING_SECONDS * 1000), first(e, o)) };
      await runTick(deps);
      const stats = await fake.stats();
      const sentInDb = (t.db.$client.prepare("SELECT count(*) AS n FROM deliveries WHERE status = 'sent'").get() as { n: number }).n;
      const span = (stats.lastAt - stats.firstAt) / 1000 + 1 / PACING_LIMIT;
      const rate = stats.accepted / span;
      const allowed = PACING_LIMIT * 100;
      const exact = stats.duplicates === 0 && sentInDb === stats.accepted;
      figures.push({
        name: 'pacing share of the allowed rate',
        value: rate,
        unit: 'emails/s',
        baseline: allowed,
        ratio: rate / allowed,
        goal: '>= 0.9, no 429, none lost or twice',
        note: `fake limited to ${PACING_LIMIT} req/s, measured over ${PACING_SECONDS} s (BENCH_PACING_SECONDS shortens it; ${stats.statuses['429'] ?? 0} x 429); ${exact ? 'every accepted email recorded once' : `MISMATCH: ${sentInDb} recorded, ${stats.accepted} accepted, ${stats.duplicates} twice`}`,
      });
      if (!exact) throw new Error('pacing run lost or duplicated emails');
      await fake.setRateLimit(undefined);
      await fake.reset();
      t.cleanup();
    }

    // ---- scale ------------------------------------------------------------
    if (PARTS.has('scale')) {
      const transport = createResendTransport(fake.apiKey, { baseUrl: fake.url });
      const tickMs = async (db: Db): Promise<number> => {
        rearm(db, SCALE_DUE, Date.now());
        const start = performance.now();
        const s = await runTick(tickDeps(db, transport, 1000));
        const ms = performance.now() - start;
        if (s.sent !== SCALE_DUE) throw new Error(`scale tick sent ${s.sent} of ${SCALE_DUE}`);
        await fake.reset();
        return ms;
      };
      const small = tempDb('scale-small');
      seedSubscribers(small.db, SCALE_SMALL, SCALE_DUE, Date.now());
      const large = tempDb('scale-large');
      seedSubscribers(large.db, SCALE_LARGE, SCALE_DUE, Date.now());
      large.db.$client.pragma('wal_checkpoint(TRUNCATE)');
      const bytesPerSubscriber = fs.statSync(large.file).size / SCALE_LARGE;
      // Alternate the two so a busy machine slows both alike; one warm-up each; median of the rest.
      await tickMs(small.db);
      await tickMs(large.db);
      const smallRuns: number[] = [];
      const largeRuns: number[] = [];
      for (let i = 0; i < SCALE_RUNS; i++) {
        smallRuns.push(await tickMs(small.db));
        largeRuns.push(await tickMs(large.db));
      }
      const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
      const smallMs = median(smallRuns);
      const largeMs = median(largeRuns);
      small.cleanup();
      large.cleanup();
      figures.push({
        name: `tick of ${SCALE_DUE} due among ${SCALE_LARGE}`,
        value: largeMs,
        unit: 'ms',
        baseline: smallMs,
        ratio: largeMs / smallMs,
        goal: '<= 1.5x',
        note: `baseline: the same tick among ${SCALE_SMALL} subscribers, a third of each in both sequences (medians of ${SCALE_RUNS}, alternating)`,
      });
      figures.push({ name: 'db bytes per subscriber', value: bytesPerSubscriber, unit: 'bytes', baseline: 1, ratio: bytesPerSubscriber, note: `file size / ${SCALE_LARGE} subscribers, with indexes` });
    }
  } finally {
    await fake.close();
  }
  for (const f of figures) if (f.note) console.error(`  ${f.name}: ${f.note}`);
  return figures;
}
