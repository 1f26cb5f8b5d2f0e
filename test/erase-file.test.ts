// Erase leaves nothing readable in the database file or its WAL: deleted and
// overwritten rows are zeroed (secure_delete) and the WAL is checkpointed and
// truncated after an erase, so `strings` on either finds neither the address
// nor the name, nor any stored email body.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { openRequest } from '../src/mail/envelope.js';
import { openSqlite } from '../db/sqlite/client.js';
import { storesOf } from './helpers/app.js';
import { seedDue, tickHarness } from './helpers/worker.js';
import { SendError, type Transport } from '../src/mail/transport.js';
import { eraseSubscriber } from '../src/subscribers/erase.js';
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

// A stored request body is compressed, so `strings` cannot see into it: this
// reads every body the database holds, and looks for the one replaced.
it('an erased person is taken out of a stored request body, and the body that held them is gone from the file and its WAL', async () => {
  const NOW = '2026-03-02T14:00:00Z';
  const file = path.join(dir, 'nurture.db');
  const db = openSqlite(file);
  const [, b] = seedDue(db, 3, { at: Date.parse(NOW) });
  // The first attempt is answered "daily quota reached": nothing was sent, and the batch waits, its body stored.
  const transport: Transport = {
    name: 'memory',
    async sendBatch() {
      throw new SendError('quota', 'daily_quota_exceeded: try tomorrow', { statusCode: 429, retryAfterMs: 3_600_000 });
    },
  };
  await tickHarness(db, transport, { now: NOW }).tick();
  const stored = () => db.$client.prepare('SELECT payload FROM batches WHERE payload IS NOT NULL').all() as { payload: string }[];
  const [before] = stored();
  expect(Buffer.concat(openRequest(before!.payload).body).toString()).toContain('person1@example.org');
  // A stretch from the middle of the stored form: what a reader of the file would look for.
  const trace = before!.payload.slice(before!.payload.length / 2, before!.payload.length / 2 + 64);
  db.$client.pragma('wal_checkpoint(TRUNCATE)');
  expect(readable(file) + readable(`${file}-wal`)).toContain(trace);

  expect(await eraseSubscriber(storesOf(db), b!, Date.parse(NOW))).toMatchObject({ withdrawnFromBatches: 1 });

  const after = stored();
  expect(after).toHaveLength(1);
  for (const { payload } of after) {
    const body = Buffer.concat(openRequest(payload).body).toString();
    expect(body).not.toContain('person1@example.org');
    expect(body).toContain('person0@example.org');
  }
  expect(readable(file) + readable(`${file}-wal`)).not.toContain(trace);
  db.$client.close();
});
