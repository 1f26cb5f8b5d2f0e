import type { SettingsStore } from '../stores.js';
import type { SqliteDb } from './client.js';
import { groupCommit } from './group-commit.js';

export function sqliteSettingsStore(db: SqliteDb): SettingsStore {
  const get = db.$client.prepare<[string], { value: string }>('SELECT value FROM worker_state WHERE key = ?');
  const set = db.$client.prepare<[string, string, number]>(`
    INSERT INTO worker_state (key, value, updated_at) VALUES (?, ?, ?)
    ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`);
  // The next free slot is kept as the row's value (ms); the statement reserves one and moves it on.
  const reserve = db.$client.prepare<[{ key: string; now: number; step: number; catchUp: number; ahead: number }], { slot: number }>(`
    INSERT INTO worker_state (key, value, updated_at) VALUES (@key, @now + @step, @now)
    ON CONFLICT (key) DO UPDATE SET
      value = (CASE WHEN CAST(worker_state.value AS INTEGER) BETWEEN @now - @catchUp AND @now + @ahead THEN CAST(worker_state.value AS INTEGER) ELSE @now END) + @step,
      updated_at = @now
    RETURNING CAST(value AS INTEGER) - @step AS slot`);
  const hold = db.$client.prepare<[{ key: string; until: number; now: number }]>(`
    INSERT INTO worker_state (key, value, updated_at) VALUES (@key, @until, @now)
    ON CONFLICT (key) DO UPDATE SET value = max(CAST(worker_state.value AS INTEGER), @until), updated_at = @now`);
  const sweep = db.$client.prepare<[{ prefix: string; before: number }]>('DELETE FROM worker_state WHERE substr(key, 1, length(@prefix)) = @prefix AND updated_at < @before');
  const counters = hitCounters(db.$client);
  return {
    // In the next group commit: a signup's counter shares the commit of the signups around it.
    async countHit(key, now, windowMs) {
      return groupCommit(db).run(() => counters.count(key, now, windowMs));
    },
    async peekHits(key, now, windowMs) {
      return counters.peek(key, now, windowMs);
    },
    async sweepHits(prefix, before) {
      sweep.run({ prefix, before });
    },
    async reserveSlot(key, now, intervalMs, catchUpMs, maxAheadMs) {
      return reserve.get({ key, now: Math.floor(now), step: Math.ceil(intervalMs), catchUp: catchUpMs, ahead: Math.ceil(maxAheadMs) })!.slot;
    },
    async holdSlots(key, until, now) {
      hold.run({ key, until: Math.ceil(until), now: Math.floor(now) });
    },
    async get(key) {
      return get.get(key)?.value ?? null;
    },
    async set(key, value, now) {
      set.run(key, value, now);
    },
  };
}

/**
 * Fixed-window hit counters in worker_state, the row's value as
 * "windowStart:count"; synchronous, to run inside a caller's transaction.
 */
export function hitCounters(sqlite: SqliteDb['$client']) {
  const get = sqlite.prepare<[string], { value: string }>('SELECT value FROM worker_state WHERE key = ?');
  const hit = sqlite.prepare<[{ key: string; now: number; window: number }], { value: string }>(`
    INSERT INTO worker_state (key, value, updated_at) VALUES (@key, @now || ':1', @now)
    ON CONFLICT (key) DO UPDATE SET
      value = CASE WHEN CAST(substr(worker_state.value, 1, instr(worker_state.value, ':') - 1) AS INTEGER) + @window > @now
                   THEN substr(worker_state.value, 1, instr(worker_state.value, ':')) || (CAST(substr(worker_state.value, instr(worker_state.value, ':') + 1) AS INTEGER) + 1)
                   ELSE @now || ':1' END,
      updated_at = @now
    RETURNING value`);
  const parse = (value: string) => {
    const [start = '0', count = '0'] = value.split(':');
    return { windowStart: Number(start), count: Number(count) };
  };
  return {
    count(key: string, now: number, windowMs: number): { count: number; windowStart: number } {
      return parse(hit.get({ key, now: Math.floor(now), window: windowMs })!.value);
    },
    peek(key: string, now: number, windowMs: number): number {
      const row = get.get(key);
      if (!row) return 0;
      const w = parse(row.value);
      return w.windowStart + windowMs > now ? w.count : 0;
    },
  };
}
