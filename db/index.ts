import type { Stores } from './stores.js';
import { sqliteStores } from './sqlite/index.js';

export type { Stores } from './stores.js';

/** Opens the configured database, migrated, behind the stores. */
export async function openStores(options: { databasePath: string }): Promise<Stores> {
  return sqliteStores(options.databasePath);
}
