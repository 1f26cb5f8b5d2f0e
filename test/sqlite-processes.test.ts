// SQLite shared by several processes (`npm start` beside `npm run worker`):
// start-up on a fresh file never fails, and a request that meets another
// process's write lock waits for it rather than answering 5xx.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { openSqlite } from '../db/sqlite/client.js';
import { testApp } from './helpers/app.js';
import { linkToken, postJson } from './helpers/public.js';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'sqlite-child.ts');

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nurture-processes-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function run(args: string[], onLine?: (line: string) => void) {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  child.stdout.on('data', (d) => String(d).split('\n').filter(Boolean).forEach((l) => onLine?.(l)));
  return new Promise<{ code: number | null; stderr: string }>((resolve) => child.on('exit', (code) => resolve({ code, stderr })));
}

it('several processes opening one fresh file at the same moment all start, and the migrations run once', async () => {
  const file = path.join(dir, 'nurture.db');
  const results = await Promise.all(Array.from({ length: 5 }, () => run([file, 'open', '20'])));
  for (const r of results) expect(r, r.stderr).toMatchObject({ code: 0 });
  const db = openSqlite(file);
  expect(db.$client.prepare('SELECT count(*) AS n FROM "__drizzle_migrations"').get()).toEqual({ n: fs.readdirSync(path.resolve('db/migrations/sqlite')).filter((f) => f.endsWith('.sql')).length });
  expect(db.$client.prepare('SELECT count(*) AS n FROM subscribers').get()).toEqual({ n: 100 });
  db.$client.close();
});

it('a confirmation while another process holds the write lock waits for it and answers 200', async () => {
  const file = path.join(dir, 'nurture.db');
  const t = testApp({ db: openSqlite(file) });
  await postJson(t.app, '/subscribe', { email: 'busy@example.org', consent: true });
  await t.drain();
  const token = linkToken(t.transport.sent[0]!, 'confirm');

  let locked!: () => void;
  const isLocked = new Promise<void>((r) => (locked = r));
  const holder = run([file, 'hold', '1500'], (line) => line === 'locked' && locked());
  await isLocked;
  const res = await t.app.request(`/confirm/${token}`, { method: 'POST' });
  expect(res.status).toBe(200);
  expect((await holder).code).toBe(0);
  expect(t.db.$client.prepare('SELECT status FROM subscribers').get()).toEqual({ status: 'active' });
  t.db.$client.close();
});
