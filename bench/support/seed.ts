import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openSqlite as openDb, type SqliteDb as Db } from '../../db/sqlite/client.js';
import { emailHash } from '../../src/address.js';

export const BENCH_SECRET = 'bench-secret-0123456789abcdef0123456789abcdef';
const ZONES = ['America/New_York', 'America/Los_Angeles', 'Europe/Berlin', 'Asia/Kolkata', 'Australia/Sydney', 'UTC'];

export function tempDb(name: string): { db: Db; file: string; dir: string; cleanup(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `nurture-bench-${name}-`));
  const file = path.join(dir, `${name}.db`);
  const db = openDb(file);
  return {
    db,
    file,
    dir,
    cleanup() {
      db.$client.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Inserts `count` subscribers with raw prepared statements in one transaction:
 * `due` of them active and due for step 1 at `now`, the rest split between
 * active and scheduled for a later step in the coming weeks, and completed;
 * a third of each also in the consult follow-up (two sequences per person).
 */
export function seedSubscribers(db: Db, count: number, due: number, now: number): void {
  const insert = db.$client.prepare(`
    INSERT INTO subscribers (email, email_hash, first_name, timezone, status, source, created_at, updated_at, confirmed_at,
      consent_text, consent_version, completed_at)
    VALUES (?, ?, ?, ?, ?, 'form', ?, ?, ?, 'I agree to receive eight emails about MDMA-assisted therapy.', '2026-01', ?) RETURNING id`);
  const enrol = db.$client.prepare(`
    INSERT INTO enrolments (subscriber_id, sequence, version, started_at, next_step, next_send_at, last_sent_at, ended_at, ended_reason)
    VALUES (?, 'education', 1, ?, ?, ?, ?, ?, ?)`);
  const consult = db.$client.prepare(`
    INSERT INTO enrolments (subscriber_id, sequence, version, started_at, next_step, next_send_at, ended_at, ended_reason)
    VALUES (?, 'consult-follow-up', 1, ?, ?, ?, ?, ?)`);
  const salt = crypto.randomBytes(4).toString('hex');
  db.$client.transaction(() => {
    for (let i = 0; i < count; i++) {
      const email = `reader${i}.${salt}@example.org`;
      const zone = ZONES[i % ZONES.length]!;
      const created = now - 30 * 86_400_000 + (i % 1000) * 1000;
      const person = (status: string, completedAt: number | null) =>
        (insert.get(email, emailHash(BENCH_SECRET, email), `Reader${i % 97}`, zone, status, created, created, created, completedAt) as { id: number }).id;
      // A third of them are in the consult follow-up too: its next email a week off, or ended.
      const both = (id: number, active: boolean) => {
        if (i % 3 === 0) consult.run(id, created, active ? 2 : null, active ? now + 7 * 86_400_000 + (i % 86_400) * 1000 : null, active ? null : created, active ? null : 'completed');
      };
      if (i < due) {
        const id = person('active', null);
        enrol.run(id, created, 1, now - (i % 60) * 1000, null, null, null);
        both(id, true);
      } else if (i % 2 === 0) {
        // Active, a later step scheduled in the next three weeks.
        const id = person('active', null);
        enrol.run(id, created, 2 + (i % 7), now + 3_600_000 + (i % 1_800_000) * 1000, created, null, null);
        both(id, true);
      } else {
        const id = person('completed', created);
        enrol.run(id, created, null, null, created, created, 'completed');
        both(id, false);
      }
    }
  })();
}

/** Puts the `due` first subscribers back to "step 1 due now" and forgets what was sent, for a repeat run. */
export function rearm(db: Db, due: number, now: number): void {
  db.$client.transaction(() => {
    db.$client.prepare('DELETE FROM deliveries').run();
    db.$client.prepare('DELETE FROM batches').run();
    db.$client.prepare("UPDATE subscribers SET status = 'active', completed_at = NULL WHERE id <= ?").run(due);
    db.$client.prepare("UPDATE enrolments SET next_step = 1, next_send_at = ?, ended_at = NULL, ended_reason = NULL WHERE subscriber_id <= ? AND sequence = 'education'").run(now, due);
    // Their email of the run before would hold the next one back 20 hours (one email a day across sequences).
    db.$client.prepare('UPDATE enrolments SET last_sent_at = NULL WHERE subscriber_id <= ?').run(due);
  })();
}
