import type pg from 'pg';
import type { SettingsStore } from '../stores.js';

export function postgresSettingsStore(pool: pg.Pool): SettingsStore {
  return {
    // The next free slot is kept as the row's value (ms); the statement reserves one and moves it on.
    async reserveSlot(key, now, intervalMs, catchUpMs, maxAheadMs) {
      const r = await pool.query<{ slot: number }>(
        `INSERT INTO worker_state (key, value, updated_at) VALUES ($1, ($2::bigint + $3::bigint)::text, $2)
         ON CONFLICT (key) DO UPDATE SET
           value = ((CASE WHEN worker_state.value::bigint BETWEEN $2::bigint - $4::bigint AND $2::bigint + $5::bigint THEN worker_state.value::bigint ELSE $2::bigint END) + $3::bigint)::text, updated_at = $2
         RETURNING value::bigint - $3::bigint AS slot`,
        [key, Math.floor(now), Math.ceil(intervalMs), catchUpMs, Math.ceil(maxAheadMs)],
      );
      return r.rows[0]!.slot;
    },
    async holdSlots(key, until, now) {
      await pool.query(
        `INSERT INTO worker_state (key, value, updated_at) VALUES ($1, $2::text, $3)
         ON CONFLICT (key) DO UPDATE SET value = greatest(worker_state.value::bigint, $2::bigint)::text, updated_at = $3`,
        [key, Math.ceil(until), Math.floor(now)],
      );
    },
    async get(key) {
      return (await pool.query<{ value: string }>('SELECT value FROM worker_state WHERE key = $1', [key])).rows[0]?.value ?? null;
    },
    async set(key, value, now) {
      await pool.query('INSERT INTO worker_state (key, value, updated_at) VALUES ($1, $2, $3) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at', [key, value, now]);
    },
  };
}
