// The compiled output that `npm start`, `npm run worker` and `npm run tick` run
// (dist/, built by `npm install` through the prepare script) works on its own:
// it finds the migrations and the template sources from dist/ and sends.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { openSqlite as openDb } from '../db/sqlite/client.js';
import { sequenceTemplate } from '../src/mail/templates.js';
import { TEST_SECRET } from './helpers/app.js';
import { seedDue } from './helpers/worker.js';

const TICK = path.resolve('dist/src/cli/tick.js');

beforeAll(() => {
  // `npm ci` has built it already; build it here when it was installed with --ignore-scripts or removed.
  if (fs.existsSync(TICK)) return;
  const r = spawnSync('npm', ['run', 'build'], { encoding: 'utf8' });
  expect(r.status, r.stdout + r.stderr).toBe(0);
}, 180_000);

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nurture-dist-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function tick(now: string) {
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_PATH: path.join(dir, 'n.db'), OUTBOX_DIR: path.join(dir, 'outbox'), SECRET_KEY: TEST_SECRET, CLINIC_NAME: 'Harbor Clinic', POSTAL_ADDRESS: '1 Test Street, Testville', LOG_LEVEL: 'warn' };
  delete env.RESEND_API_KEY;
  delete env.DATABASE_URL;
  // Plain node, no TypeScript loader: what `npm run tick` runs. From another directory, so nothing is found relative to the working directory.
  return spawnSync(process.execPath, [TICK, '--now', now], { cwd: dir, env, encoding: 'utf8', timeout: 60_000 });
}

it('creates and migrates a new database and prints an empty tick', () => {
  const r = tick('2026-03-02T14:00:00Z');
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(JSON.parse(r.stdout)).toMatchObject({ due: 0, sent: 0, failed: 0 });
  const db = openDb(path.join(dir, 'n.db'));
  try {
    expect(db.$client.prepare(`SELECT count(*) AS n FROM subscribers`).get()).toEqual({ n: 0 });
  } finally {
    db.$client.close();
  }
});

it('renders and sends the due emails, recording the same template version as the sources', () => {
  const db = openDb(path.join(dir, 'n.db'));
  seedDue(db, 2, { at: Date.parse('2026-03-02T14:00:00Z') });
  db.$client.close();

  const r = tick('2026-03-02T14:00:30Z');
  expect(r.status, r.stderr).toBe(0);
  expect(JSON.parse(r.stdout)).toMatchObject({ due: 2, sent: 2, failed: 0 });
  const emls = fs.readdirSync(path.join(dir, 'outbox')).filter((f) => f.endsWith('.eml'));
  expect(emls).toHaveLength(2);
  expect(fs.readFileSync(path.join(dir, 'outbox', emls[0]!), 'utf8')).toContain(`Subject: ${sequenceTemplate('01-welcome').subject}`);

  const after = openDb(path.join(dir, 'n.db'));
  try {
    const versions = after.$client.prepare(`SELECT DISTINCT template_version AS v FROM deliveries`).all();
    expect(versions).toEqual([{ v: sequenceTemplate('01-welcome').version }]);
  } finally {
    after.$client.close();
  }
});
