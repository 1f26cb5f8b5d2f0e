import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type autocannon from 'autocannon';
import { Hono } from 'hono';
import { openSqlite as openDb } from '../../db/sqlite/client.js';
import { subscribers } from '../../db/sqlite/schema.js';
import { createApp } from '../../src/app.js';
import { sqliteStoresFor } from '../../db/sqlite/index.js';
import { createSequenceWorker } from '../../src/nurture/worker.js';
import { systemClock } from '../../src/clock.js';
import { resolveConfig } from '../../src/config.js';
import { loadEnv } from '../../src/env.js';
import { createLogger } from '../../src/logger.js';
import type { Figure } from '../report.js';
import { loadFromOwnProcess } from '../support/load.js';
import { nullTransport, serveOn } from '../support/serve.js';

// Requests per second of POST /subscribe (a new address each time: insert,
// activity, delivery row, confirmation rendered and handed to the transport)
// against a bare Hono hello route, both served by this process on 127.0.0.1
// and loaded by autocannon from a process of its own, in the same run.
const SECONDS = 5;
const CONNECTIONS = 10;

type Load = { rps: number; cpuUsPerRequest: number };

/** Requests per second, and the server's CPU time per request (this process: the app and its worker). */
async function load(opts: autocannon.Options, settle: () => Promise<void> = async () => {}): Promise<Load> {
  const cpu = process.cpuUsage();
  const result = await loadFromOwnProcess({ connections: CONNECTIONS, duration: SECONDS, ...opts });
  await settle();
  const used = process.cpuUsage(cpu);
  // A form signup answers 303 to the sent page (post, redirect, get); anything 4xx or 5xx is a failure.
  if (result.errors > 0 || result.failed > 0) throw new Error(`${opts.url}: ${result.errors} errors, ${result.failed} 4xx/5xx answers`);
  return { rps: result.rps, cpuUsPerRequest: (used.user + used.system) / result.total };
}

export async function run(): Promise<Figure[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-signup-'));
  const db = openDb(path.join(dir, 'bench.db'));
  const logger = createLogger('silent');
  const transport = nullTransport();
  const config = resolveConfig(loadEnv({ DATABASE_PATH: path.join(dir, 'bench.db'), OUTBOX_DIR: path.join(dir, 'outbox'), LOG_LEVEL: 'silent' }));
  const stores = sqliteStoresFor(db);
  // As in `npm start`: each signup queues its confirmation and kicks the in-process worker.
  const worker = createSequenceWorker({ stores, clock: systemClock, transport, logger, config: { ...config, sendRate: 50 } });
  const app = createApp({ stores, config, clock: systemClock, transport, logger, worker, subscribeRateLimit: { max: Number.MAX_SAFE_INTEGER, windowMs: 60_000 } });
  /** Ticks until every queued confirmation went. */
  const sendAll = async () => {
    while ((await worker.tick()) && transport.count < db.select({ id: subscribers.id }).from(subscribers).all().length);
  };
  const hello = new Hono().get('/', (c) => c.text('Hello'));

  const served = await serveOn((req, env) => app.fetch(req, env));
  const bare = await serveOn((req, env) => hello.fetch(req, env));
  try {
    // Warm-up: JIT, the render cache's skeleton, SQLite's page cache.
    await load({ url: bare.url, duration: 1 });
    await load({ url: `${served.url}/subscribe`, duration: 1, method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"email":"warm-[<id>]@example.org","consent":true}', idReplacement: true });
    await sendAll();

    const helloBefore = await load({ url: bare.url });
    // Each side's confirmation emails are sent by the worker before the next side starts.
    const settle = sendAll;
    const json = await load(
      {
        url: `${served.url}/subscribe`,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"email":"json-[<id>]@example.org","firstName":"Bench","consent":true,"timezone":"Europe/Berlin"}',
        idReplacement: true,
      },
      settle,
    );
    const form = await load(
      {
        url: `${served.url}/subscribe`,
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'email=form-[<id>]%40example.org&firstName=Bench&consent=yes&timezone=Europe%2FBerlin',
        idReplacement: true,
      },
      settle,
    );
    const helloAfter = await load({ url: bare.url });

    const created = db.select({ id: subscribers.id }).from(subscribers).all().length;
    if (transport.count !== created) throw new Error(`${created} signups but ${transport.count} confirmation emails`);

    // The machine is shared: the baseline is the mean of a run before and after.
    const baseline = (helloBefore.rps + helloAfter.rps) / 2;
    const helloCpu = (helloBefore.cpuUsPerRequest + helloAfter.cpuUsPerRequest) / 2;
    const note = (l: Load) =>
      `${CONNECTIONS} connections, ${SECONDS} s a side, ${created} signups in all; CPU per request ${l.cpuUsPerRequest.toFixed(0)} µs vs ${helloCpu.toFixed(0)} µs for hello`;
    console.log(`signup (JSON): ${note(json)}\nsignup (form): ${note(form)}`);
    return [
      { name: 'signup POST /subscribe (JSON)', value: json.rps, unit: 'req/s', baseline, ratio: json.rps / baseline, goal: '>= 2,000 req/s', note: note(json) },
      { name: 'signup POST /subscribe (form)', value: form.rps, unit: 'req/s', baseline, ratio: form.rps / baseline, goal: '>= 2,000 req/s', note: note(form) },
    ];
  } finally {
    await served.close();
    await bare.close();
    await worker.stop();
    db.$client.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
