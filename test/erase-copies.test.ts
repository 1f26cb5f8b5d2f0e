// Erase reaches every copy the service writes: a test email sent to the
// person's own address (in any spelling), a test rendered with their name
// (its .eml in the outbox), the free text staff typed about them in the audit
// log, and the WAL even while a reader holds a snapshot. The audit keeps who
// acted, when and what.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { openSqlite } from '../db/sqlite/client.js';
import { createOutboxTransport } from '../src/mail/outbox.js';
import { testApp, testConfig } from './helpers/app.js';
import { postJson } from './helpers/public.js';
import { asStaff } from './helpers/staff.js';
import { fixedClock } from '../src/clock.js';

const EMAIL = 'zebediah.quartermaine@example.org';
const NAME = 'Zebediah';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nurture-erase-copies-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function readable(file: string): string {
  return fs.existsSync(file) ? fs.readFileSync(file).toString('latin1') : '';
}

function json(body: unknown, role: 'admin' | 'editor' = 'admin'): RequestInit {
  return asStaff({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }, role);
}

it('leaves no address, name or typed note about the person in any table, the outbox, the file or its WAL', async () => {
  const file = path.join(dir, 'nurture.db');
  const outboxDir = path.join(dir, 'outbox');
  const clock = fixedClock('2026-03-02T14:00:00Z');
  const config = testConfig({ outboxDir });
  const t = testApp({ db: openSqlite(file), config, clock, transport: createOutboxTransport(outboxDir, clock) });
  const outbox = () => fs.readdirSync(outboxDir).map((f) => fs.readFileSync(path.join(outboxDir, f), 'latin1')).join('\n');

  expect((await postJson(t.app, '/subscribe', { email: EMAIL, firstName: NAME, consent: true })).status).toBe(202);
  await t.drain();
  const id = (t.db.$client.prepare('SELECT id FROM subscribers WHERE email = ?').get(EMAIL) as { id: number }).id;
  const confirmation = fs.readdirSync(outboxDir).map((f) => fs.readFileSync(path.join(outboxDir, f), 'utf8')).join('\n');
  const token = /\/confirm\/([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)/.exec(confirmation.replace(/=\r?\n/g, ''))![1]!;
  expect((await t.app.request(`/confirm/${token}`, { method: 'POST' })).status).toBe(200);
  await t.drain();

  // A test sent to the person's own address, typed in capitals; a test rendered with their data, sent to staff.
  expect((await t.app.request('/api/templates/01-welcome/test', json({ to: EMAIL.toUpperCase() }))).status).toBeLessThan(300);
  expect((await t.app.request('/api/templates/01-welcome/test', json({ to: 'coordinator@clinic.example', subscriberId: id }))).status).toBeLessThan(300);
  // A note typed by staff, naming them.
  expect((await t.app.request(`/api/subscribers/${id}/unsubscribe`, json({ reason: `${NAME} Q. Example (${EMAIL}) phoned to stop` }, 'editor'))).status).toBe(200);
  await t.drain();
  expect(outbox()).toContain(NAME);

  // A reader holds a snapshot while the erase runs: the checkpoint cannot finish at once.
  const reader = openSqlite(file).$client;
  reader.exec('BEGIN');
  reader.prepare('SELECT count(*) FROM subscribers').get();
  const erased = t.app.request(`/api/subscribers/${id}`, asStaff({ method: 'DELETE' }));
  setTimeout(() => reader.exec('COMMIT'), 300);
  expect((await erased).status).toBe(200);
  reader.close();

  const tables = t.db.$client.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[];
  const dump = tables.map(({ name }) => JSON.stringify(t.db.$client.prepare(`SELECT * FROM "${name}"`).all())).join('\n').toLowerCase();
  expect(dump).not.toContain(EMAIL);
  expect(dump).not.toContain(NAME.toLowerCase());
  expect(outbox().toLowerCase()).not.toContain(EMAIL);
  expect(outbox()).not.toContain(NAME);
  const disk = (readable(file) + readable(`${file}-wal`)).toLowerCase();
  expect(disk).not.toContain(EMAIL);
  expect(disk).not.toContain(NAME.toLowerCase());

  // The audit still says who did what to whom and when.
  const audit = t.db.$client.prepare('SELECT actor, action, subscriber_id AS s FROM audit_log WHERE subscriber_id = ? ORDER BY id').all(id) as { actor: string; action: string }[];
  expect(audit.map((a) => a.action)).toEqual(expect.arrayContaining(['template.test_sent', 'subscriber.unsubscribed', 'subscriber.erased']));
  t.db.$client.close();
});
