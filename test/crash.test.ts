// Exactly once across a crash: a worker process is killed with SIGKILL while a
// batch request is in flight (the provider accepts it, the answer is lost);
// a restarted worker repeats the identical request with the same key, and the
// provider answers it from its idempotency store. Every (subscriber, step)
// arrives exactly once.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { openSqlite as openDb } from '../db/sqlite/client.js';
import { startFakeResend, type FakeResend } from './fake-resend/server.js';
import { countBy, seedDue } from './helpers/worker.js';
import { until } from './helpers/process.js';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'tick-child.ts');
const SUBSCRIBERS = 1000;
const LEASE_MS = 1500;

let dir: string;
let fake: FakeResend;
const children: ChildProcess[] = [];
beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nurture-crash-'));
  fake = await startFakeResend({ latencyMs: { min: 5, max: 20 } });
});
afterEach(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await fake.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function startWorker(file: string): { child: ChildProcess; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, file, fake.url, String(LEASE_MS)], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  child.stdout!.resume();
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited };
}


it('a worker killed with SIGKILL mid-batch and restarted delivers every (subscriber, step) exactly once', async () => {
  const file = path.join(dir, 'crash.db');
  const seed = openDb(file);
  seedDue(seed, SUBSCRIBERS, { at: Date.now() - 1000 });
  seed.$client.close();

  const first = startWorker(file);
  // Let a few batches through, then hold the next requests in flight and kill the worker there.
  await until(() => fake.emails.length >= 300, 'the first batches');
  const open = fake.hold();
  const heldAt = fake.requests.length;
  await until(() => fake.requests.length > heldAt, 'a request in flight');
  first.child.kill('SIGKILL');
  await first.exited;
  // The provider now accepts what was in flight; the dead worker never hears of it.
  open();
  const acceptedBeforeRestart = fake.emails.length;
  expect(acceptedBeforeRestart).toBeLessThan(SUBSCRIBERS);

  const second = startWorker(file);
  expect(await second.exited).toBe(0);

  // Exactly once at the provider: every address once, nothing more.
  const perAddress = countBy(fake.emails, (e) => e.to[0]!);
  expect(perAddress.size).toBe(SUBSCRIBERS);
  expect([...perAddress.values()].filter((n) => n !== 1)).toEqual([]);
  // The interrupted request was repeated identically: same key, answered from the store.
  const heldKeys = new Set(fake.requests.slice(heldAt).filter((r) => r.status !== 'dropped').map((r) => r.idempotencyKey));
  const replayed = fake.requests.filter((r) => r.replayed);
  expect(replayed.length).toBeGreaterThanOrEqual(1);
  expect(replayed.every((r) => heldKeys.has(r.idempotencyKey))).toBe(true);

  // And in the database: one sent delivery per subscriber with the provider's id.
  const db = openDb(file);
  const ids = new Set(fake.emails.map((e) => e.id));
  const rows = db.$client.prepare("SELECT provider_id AS id, status FROM deliveries WHERE kind = 'sequence'").all() as { id: string; status: string }[];
  expect(rows).toHaveLength(SUBSCRIBERS);
  expect(rows.every((r) => r.status === 'sent' && ids.has(r.id))).toBe(true);
  expect(db.$client.prepare("SELECT count(*) AS n FROM batches WHERE status = 'ready' OR payload IS NOT NULL").get()).toEqual({ n: 0 });
  db.$client.close();
}, 60_000);
