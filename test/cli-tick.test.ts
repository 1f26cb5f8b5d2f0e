// `npm run tick -- --now <ISO>` as a process: one JSON line on stdout; a bad --now is one line and exit 2.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { openSqlite as openDb } from '../db/sqlite/client.js';
import type { Walkthrough } from '../src/nurture/walkthrough.js';
import { seedDue } from './helpers/worker.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nurture-cli-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function tick(args: string[], extra: NodeJS.ProcessEnv = {}, timeout = 30_000) {
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_PATH: path.join(dir, 'n.db'), OUTBOX_DIR: path.join(dir, 'outbox'), SECRET_KEY: 'cli-test-secret-0123456789abcdef0123456789abcdef', CLINIC_NAME: 'Harbor Clinic', POSTAL_ADDRESS: '1 Test Street, Testville', LOG_LEVEL: 'warn' };
  delete env.RESEND_API_KEY;
  Object.assign(env, extra);
  for (const [k, v] of Object.entries(extra)) if (v === undefined) delete env[k];
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/tick.ts', ...args], { env, encoding: 'utf8', timeout });
}

it('runs one tick at the given time and prints its summary as JSON', () => {
  const db = openDb(path.join(dir, 'n.db'));
  seedDue(db, 3, { at: Date.parse('2026-03-02T14:00:00Z') });
  seedDue(db, 2, { at: Date.parse('2026-03-04T09:00:00Z'), startId: 10 });
  db.$client.close();

  const r = tick(['--now', '2026-03-02T14:00:30Z']);
  expect(r.status).toBe(0);
  const summary = JSON.parse(r.stdout);
  expect(summary).toMatchObject({ due: 3, sent: 3, failed: 0, retried: 0, dropped: 0 });
  expect(typeof summary.durationMs).toBe('number');
  expect(fs.readdirSync(path.join(dir, 'outbox')).filter((f) => f.endsWith('.eml'))).toHaveLength(3);
});

it('--advance runs a tick an hour through the span and prints per person what went, in their zone, and what is next', () => {
  const db = openDb(path.join(dir, 'n.db'));
  seedDue(db, 2, { at: Date.parse('2026-03-02T14:00:00Z'), timezone: 'Europe/Paris' });
  db.$client.close();

  const r = tick(['--now', '2026-03-02T14:00:30Z', '--advance', '5d'], {}, 120_000);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const report = JSON.parse(r.stdout) as Walkthrough;
  expect(report.ticks).toBe(5 * 24 + 1);
  expect(report.people).toHaveLength(2);
  for (const person of report.people) {
    expect(person.email).toMatch(/^p\*\*\*@example\.org$/);
    const names = person.went.map((w) => w.email);
    expect(names.slice(0, 2)).toEqual(['Education series, email 1 of 8', 'Education series, email 2 of 8']);
    // Times are on the person's wall clock with its offset (Paris is UTC+1 in March), and in order.
    for (const w of person.went) expect(w.at).toMatch(/^2026-03-0\dT\d{2}:\d{2}\+01:00$/);
    expect([...person.went.map((w) => w.at)].sort()).toEqual(person.went.map((w) => w.at));
    const last = Number(/email (\d) of 8/.exec(names.at(-1)!)![1]);
    expect(person.next).toEqual([{ at: expect.stringMatching(/\+01:00$/), email: `Education series, email ${last + 1} of 8` }]);
  }
  expect(report.totals.sent).toBe(report.people.reduce((n, p) => n + p.went.length, 0));
  expect(fs.readdirSync(path.join(dir, 'outbox')).filter((f) => f.endsWith('.eml'))).toHaveLength(report.totals.sent);
});

it('refuses --advance with Resend configured: weeks of real email in minutes', () => {
  const r = tick(['--advance', '21d'], { RESEND_API_KEY: 're_test', RESEND_BASE_URL: 'http://127.0.0.1:9' });
  expect(r.status).toBe(2);
  expect(r.stdout).toBe('');
  expect(r.stderr).toContain('--advance');
  expect(r.stderr).toContain('RESEND_API_KEY');
});

it('refuses a bad --now with one line and exit code 2', () => {
  const r = tick(['--now', 'next tuesday']);
  expect(r.status).toBe(2);
  expect(r.stdout).toBe('');
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).toContain('--now');
});

it('stops with exit code 1 and one line naming secret.key when secret.key is empty', () => {
  fs.writeFileSync(path.join(dir, 'secret.key'), '');
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_PATH: path.join(dir, 'n.db'), OUTBOX_DIR: path.join(dir, 'outbox'), LOG_LEVEL: 'warn' };
  delete env.SECRET_KEY;
  delete env.RESEND_API_KEY;
  // Run from the temp dir so a developer's .env (which may set SECRET_KEY) is not read.
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  const script = path.resolve('src/cli/tick.ts');
  const r = spawnSync(process.execPath, ['--import', tsx, script, '--now', '2026-03-02T14:00:30Z'], { cwd: dir, env, encoding: 'utf8', timeout: 30_000 });
  expect(r.status).toBe(1);
  expect(r.stdout).toBe('');
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^Configuration error: .*secret\.key is empty; delete it/);
  expect(fs.existsSync(path.join(dir, 'n.db'))).toBe(false);
});

it('refuses to start in Resend mode without CLINIC_NAME: one line naming it, exit 1', () => {
  const r = tick(['--now', '2026-03-02T14:00:30Z'], { RESEND_API_KEY: 're_test', CLINIC_NAME: undefined, RESEND_BASE_URL: 'http://127.0.0.1:9' });
  expect(r.status).toBe(1);
  expect(r.stdout).toBe('');
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(/^Configuration error: CLINIC_NAME is not set/);
  expect(fs.existsSync(path.join(dir, 'n.db'))).toBe(false);
});

it('refuses to start in Resend mode with the placeholder postal address: one line, exit 1', () => {
  const r = tick(['--now', '2026-03-02T14:00:30Z'], { RESEND_API_KEY: 're_test', CLINIC_NAME: 'Harbor Clinic', POSTAL_ADDRESS: undefined, RESEND_BASE_URL: 'http://127.0.0.1:9' });
  expect(r.status).toBe(1);
  expect(r.stdout).toBe('');
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).toContain('POSTAL_ADDRESS');
  expect(fs.existsSync(path.join(dir, 'n.db'))).toBe(false);
});

it('warns at start when its PUBLIC_URL is not the one the server started with, and not when it is', () => {
  const db = openDb(path.join(dir, 'n.db'));
  db.$client.prepare("INSERT INTO worker_state (key, value, updated_at) VALUES ('server:public-url', 'https://news.clinic.example', 0)").run();
  db.$client.close();
  const wrong = tick(['--now', '2026-03-02T14:00:30Z'], { PUBLIC_URL: undefined });
  expect(wrong.status).toBe(0);
  expect(wrong.stderr).toContain('server last started with https://news.clinic.example');
  expect(wrong.stderr).toContain('PUBLIC_URL=https://news.clinic.example');
  const right = tick(['--now', '2026-03-02T14:00:30Z'], { PUBLIC_URL: 'https://news.clinic.example' });
  expect(right.status).toBe(0);
  expect(right.stderr).not.toContain('server last started with');
});

it('runs the retention sweep after the tick: someone who left more than RETENTION_DAYS ago is erased, and the summary says so', () => {
  const db = openDb(path.join(dir, 'n.db'));
  const at = Date.parse('2026-03-02T14:00:00Z');
  const [left, stays] = seedDue(db, 2, { at });
  db.$client.prepare("UPDATE subscribers SET status = 'unsubscribed', unsubscribed_at = ? WHERE id IN (?, ?)").run(at - 40 * 86_400_000, left, stays);
  db.$client.prepare('UPDATE subscribers SET unsubscribed_at = ? WHERE id = ?').run(at - 10 * 86_400_000, stays);
  db.$client.close();
  const r = tick(['--now', '2026-03-02T14:00:30Z'], { RETENTION_DAYS: '30' });
  expect(r.status, r.stderr).toBe(0);
  expect(JSON.parse(r.stdout).housekeeping).toEqual({ consultStarted: 0, retentionErased: 1, importReportsDropped: 0 });
  const after = openDb(path.join(dir, 'n.db'));
  expect(after.$client.prepare('SELECT id, status, email IS NULL AS gone FROM subscribers ORDER BY id').all()).toEqual([
    { id: left, status: 'erased', gone: 1 },
    { id: stays, status: 'unsubscribed', gone: 0 },
  ]);
  after.$client.close();
});
