// What the service writes to disk holds personal data (the database, its WAL,
// the outbox's messages): created readable by their owner only, whatever the
// umask.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { sqliteStores } from '../db/sqlite/index.js';
import { fixedClock } from '../src/clock.js';
import { resolveConfig } from '../src/config.js';
import { loadEnv } from '../src/env.js';
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
  it('an install upgraded from a release that made them with wider modes: tightened to owner-only at start', async () => {
    const data = path.join(dir, 'upgraded');
    const file = path.join(data, 'nurture.db');
    const outbox = path.join(data, 'outbox');
    const key = path.join(data, 'secret.key');
    // As an earlier release left them: world-readable, the database in WAL mode and open in
    // another process (a worker still running), so its -wal and -shm files are there too.
    fs.mkdirSync(outbox, { recursive: true });
    fs.writeFileSync(key, `${crypto.randomBytes(32).toString('hex')}\n`);
    const earlier = new Database(file);
    try {
      earlier.pragma('journal_mode = WAL');
      earlier.exec('CREATE TABLE earlier (x); INSERT INTO earlier VALUES (1)');
      const files = [file, `${file}-wal`, `${file}-shm`, key];
      for (const f of files) fs.chmodSync(f, 0o644);
      for (const d of [data, outbox]) fs.chmodSync(d, 0o755);

      const config = resolveConfig(loadEnv({ DATABASE_PATH: file, OUTBOX_DIR: outbox }));
      const stores = sqliteStores(config.databasePath);
      createOutboxTransport(config.outboxDir, fixedClock('2026-03-02T10:00:00Z'));
      for (const f of files) expect(modeOf(f), f).toBe(0o600);
      for (const d of [data, outbox]) expect(modeOf(d), d).toBe(0o700);
      await stores.close();
    } finally {
      earlier.close();
    }
  });
});
