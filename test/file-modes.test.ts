// What the service writes to disk holds personal data (the database, its WAL,
// the outbox's messages): created readable by their owner only, whatever the
// umask.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sqliteStores } from '../db/sqlite/index.js';
import { fixedClock } from '../src/clock.js';
import { createOutboxTransport } from '../src/mail/outbox.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nurture-modes-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const modeOf = (file: string) => fs.statSync(file).mode & 0o777;

describe.skipIf(process.platform === 'win32')('files are readable by their owner only', () => {
  it('the SQLite database, its WAL and shared-memory files, and its directory', async () => {
    const old = process.umask(0o022);
    try {
      const file = path.join(dir, 'data', 'nurture.db');
      const stores = sqliteStores(file);
      await stores.subscribers.signup(
        { email: 'a@example.org', emailHash: 'h', firstName: 'Ann', timezone: 'UTC', reader: null, source: 'signup-form', ip: null, userAgent: null, now: 0 },
        () => ({ kind: 'create', send: false }),
      );
      for (const f of [file, `${file}-wal`, `${file}-shm`]) expect(modeOf(f), f).toBe(0o600);
      expect(modeOf(path.dirname(file))).toBe(0o700);
      await stores.close();
    } finally {
      process.umask(old);
    }
  });

  it('the outbox directory and every message in it', async () => {
    const old = process.umask(0o022);
    try {
      const outbox = path.join(dir, 'outbox');
      const transport = createOutboxTransport(outbox, fixedClock('2026-03-02T10:00:00Z'));
      await transport.sendBatch([{ from: 'a@example.org', to: 'b@example.org', subject: 'Hi', html: '<p>Hi</p>', text: 'Hi' }], { idempotencyKey: 'k1' });
      const files = fs.readdirSync(outbox);
      expect(files).toHaveLength(1);
      expect(modeOf(outbox)).toBe(0o700);
      expect(modeOf(path.join(outbox, files[0]!))).toBe(0o600);
    } finally {
      process.umask(old);
    }
  });
});
