import type { SettingsStore } from '../stores.js';
import type { SqliteDb } from './client.js';

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
  return {
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
