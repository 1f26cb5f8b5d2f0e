import { postgresStores } from './postgres/index.js';
import { sqliteStores } from './sqlite/index.js';
import type { Stores } from './stores.js';

export type { Stores } from './stores.js';

/** Opens the configured database, migrated, behind the stores: PostgreSQL when a URL is given, else SQLite. */
export async function openStores(options: { databaseUrl?: string | undefined; databasePath: string }): Promise<Stores> {
  if (options.databaseUrl) return postgresStores(options.databaseUrl);
  return sqliteStores(options.databasePath);
}
