import type pg from 'pg';
import type { Stores } from '../stores.js';
import { openPostgres } from './client.js';
import { postgresEventStore } from './events.js';
import { postgresSendQueueStore } from './send-queue.js';
import { postgresSequenceStore } from './sequence.js';
import { postgresSettingsStore } from './settings.js';
import { postgresStaffStore } from './staff.js';
import { postgresSubscriberStore } from './subscribers.js';

export type PostgresStores = Stores & { engine: 'postgres'; /** The pool, for tests and tools that inspect rows. */ pool: pg.Pool };

/** Every store on one connection pool to DATABASE_URL, migrated. */
export async function postgresStores(url: string, options: { max?: number } = {}): Promise<PostgresStores> {
  const pool = await openPostgres(url, options);
  return {
    engine: 'postgres',
    pool,
    subscribers: postgresSubscriberStore(pool),
    sendQueue: postgresSendQueueStore(pool),
    sequence: postgresSequenceStore(pool),
    events: postgresEventStore(pool),
    settings: postgresSettingsStore(pool),
    staff: postgresStaffStore(pool),
    async check() {
      try {
        await pool.query('SELECT 1');
        return true;
      } catch {
        return false;
      }
    },
    async close() {
      await pool.end();
    },
  };
}
