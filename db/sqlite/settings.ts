import type { SettingsStore } from '../stores.js';
import type { SqliteDb } from './client.js';

export function sqliteSettingsStore(db: SqliteDb): SettingsStore {
  const get = db.$client.prepare<[string], { value: string }>('SELECT value FROM worker_state WHERE key = ?');
  const set = db.$client.prepare<[string, string, number]>(`
    INSERT INTO worker_state (key, value, updated_at) VALUES (?, ?, ?)
    ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`);
  return {
    async get(key) {
      return get.get(key)?.value ?? null;
    },
    async set(key, value, now) {
      set.run(key, value, now);
    },
  };
}
