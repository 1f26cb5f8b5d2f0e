import type { Stores } from '../stores.js';
import { openSqlite, type SqliteDb } from './client.js';
import { sqliteEventStore } from './events.js';
import { sqliteSendQueueStore } from './send-queue.js';
import { sqliteSequenceStore } from './sequence.js';
import { sqliteSettingsStore } from './settings.js';
import { sqliteStaffStore } from './staff.js';
import { sqliteSubscriberStore } from './subscribers.js';

export { openSqlite, type SqliteDb } from './client.js';

export type SqliteStores = Stores & { engine: 'sqlite'; /** The connection, for tests and tools that inspect rows. */ db: SqliteDb };

const built = new WeakMap<SqliteDb, SqliteStores>();

/** Every store on one SQLite connection; built once per connection (the statements are prepared once). */
export function sqliteStoresFor(db: SqliteDb): SqliteStores {
  let stores = built.get(db);
  if (stores) return stores;
  const ping = db.$client.prepare('select 1 as ok');
  stores = {
    engine: 'sqlite',
    db,
    subscribers: sqliteSubscriberStore(db),
    sendQueue: sqliteSendQueueStore(db),
    sequence: sqliteSequenceStore(db),
    events: sqliteEventStore(db),
    settings: sqliteSettingsStore(db),
    staff: sqliteStaffStore(db),
    async check() {
      try {
        return ping.get() !== undefined;
      } catch {
        return false;
      }
    },
    async close() {
      if (db.$client.open) db.$client.close();
    },
  };
  built.set(db, stores);
  return stores;
}

/** Opens (creating and migrating) a SQLite file, `:memory:` for tests, behind the stores. */
export function sqliteStores(file: string): SqliteStores {
  return sqliteStoresFor(openSqlite(file));
}
