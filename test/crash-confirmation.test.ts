// The confirmation email goes through the same durable pipeline as the
// sequence: the server is killed with SIGKILL right after POST /subscribe
// answered, while the provider is failing. Its lease on the confirmation's
// batch is short (it was renewed while the attempts ran), so another server
// started at once takes the batch over within a minute, and exactly one
// confirmation arrives.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { openSqlite } from '../db/sqlite/client.js';
import { FAKE_API_KEY, startFakeResend, type FakeResend } from './fake-resend/server.js';
import { freePort, until } from './helpers/process.js';

let dir: string;
let fake: FakeResend;
const children: ChildProcess[] = [];
beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nurture-crash-confirm-'));
  fake = await startFakeResend();
});
afterEach(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await fake.close();
  fs.rmSync(dir, { recursive: true, force: true });
});



function env(port: number) {
  return {
    ...process.env,
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    DATABASE_PATH: path.join(dir, 'nurture.db'),
    RESEND_API_KEY: FAKE_API_KEY,
    RESEND_BASE_URL: fake.url,
    CLINIC_NAME: 'Harbor Clinic',
    MAIL_FROM: 'Harbor Clinic <education@example.org>',
    POSTAL_ADDRESS: 'Harbor Clinic, 1 Main Street, Springfield, IL 62701, USA',
    STAFF_PASSWORD: 'a-password-for-the-crash-test',
    SEND_RATE: '5',
    LOG_LEVEL: 'warn',
  };
}

function startServer(port: number) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/index.ts'], { env: env(port), stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  child.stdout.resume();
  child.stderr.resume();
  return { child, exited: new Promise((r) => child.on('exit', r)) };
}

async function up(port: number) {
  await until(async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => null))?.status === 200, 'the server', 30_000, 20);
}

it('SIGKILL right after the signup answered, provider failing: another server sends exactly one confirmation within a minute', async () => {
  const port = await freePort();
  const first = startServer(port);
  await up(port);
  // The provider answers 500 for now.
  fake.failNext(3);
  const res = await fetch(`http://127.0.0.1:${port}/subscribe`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'crash@example.org', consent: true }),
  });
  expect(res.status).toBe(202);
  // Killed once the worker has tried (and failed) at least once.
  await until(() => fake.requests.some((r) => r.path.includes('emails')), 'a first attempt', 30_000, 20);
  first.child.kill('SIGKILL');
  await first.exited;
  const killedAt = Date.now();
  expect(fake.emails).toHaveLength(0);
  // The dead server held the batch for at most a short lease past its last renewal, not for minutes.
  const db = openSqlite(path.join(dir, 'nurture.db'));
  const leases = db.$client.prepare("SELECT lease_expires_at AS lease FROM batches WHERE status = 'ready'").all() as { lease: number }[];
  db.$client.close();
  expect(leases).toHaveLength(1);
  expect(leases[0]!.lease).toBeLessThanOrEqual(killedAt + 30_000);

  // Another server, started at once, takes the batch over when that lease ends (it may meet the provider's last 500).
  const second = startServer(port);
  await up(port);
  await until(() => fake.emails.length > 0, 'the confirmation, sent by the second server within a minute', 60_000, 50);
  // Give a duplicate every chance to arrive.
  await new Promise((r) => setTimeout(r, 1500));
  expect(fake.emails.map((e) => e.to[0])).toEqual(['crash@example.org']);
  expect(fake.emails[0]!.subject).toBe('Please confirm your subscription');
  second.child.kill('SIGTERM');
  await second.exited;
}, 120_000);
