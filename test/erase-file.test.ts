// Erase leaves nothing readable in the database file or its WAL: deleted and
// overwritten rows are zeroed (secure_delete) and the WAL is checkpointed and
// truncated after an erase, so `strings` on either finds neither the address
// nor the name, nor any stored email body.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { openSqlite } from '../db/sqlite/client.js';
import { testApp } from './helpers/app.js';
import { linkToken, postJson } from './helpers/public.js';
import { asStaff } from './helpers/staff.js';

const EMAIL = 'zebediah.quartermaine@example.org';
const NAME = 'Zebediah';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nurture-erase-file-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** What `strings` would find: the file's bytes read as text. */
function readable(file: string): string {
  return fs.existsSync(file) ? fs.readFileSync(file).toString('latin1') : '';
}

it('an erased subscriber leaves neither address, name nor email body in the database file or its WAL', async () => {
  const file = path.join(dir, 'nurture.db');
  const t = testApp({ db: openSqlite(file) });
  expect((await postJson(t.app, '/subscribe', { email: EMAIL, firstName: NAME, consent: true })).status).toBe(202);
  await t.drain();
  const confirmation = t.transport.sent.find((m) => m.to === EMAIL)!;
  expect((await t.app.request(`/confirm/${linkToken(confirmation, 'confirm')}`, { method: 'POST' })).status).toBe(200);
  await t.drain();
  expect(t.transport.sent.filter((m) => m.to === EMAIL)).toHaveLength(2);
  // Someone else stays, so the file keeps live rows on the same pages.
  await postJson(t.app, '/subscribe', { email: 'stays@example.org', firstName: 'Stays', consent: true });
  await t.drain();
  const before = readable(file) + readable(`${file}-wal`);
  expect(before).toContain(EMAIL);

  const id = (t.db.$client.prepare('SELECT id FROM subscribers WHERE email = ?').get(EMAIL) as { id: number }).id;
  expect((await t.app.request(`/api/subscribers/${id}`, asStaff({ method: 'DELETE' }))).status).toBe(200);

  const after = readable(file) + readable(`${file}-wal`);
  expect(after).not.toContain(EMAIL);
  expect(after).not.toContain(NAME);
  // Sent request bodies are cleared once settled, and their pages zeroed.
  expect(after).not.toContain('Confirm your address to start receiving');
  expect(after).toContain('stays@example.org');
  t.db.$client.close();
});
