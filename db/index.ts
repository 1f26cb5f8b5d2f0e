import type { Stores } from './stores.js';

export type { Stores } from './stores.js';

/** Opens the configured database, migrated, behind the stores: PostgreSQL when a URL is given, else SQLite. */
export async function openStores(options: { databaseUrl?: string | undefined; databasePath: string }): Promise<Stores> {
  // Only the engine in use is loaded: the other's driver and drizzle dialect would cost every start-up.
  if (options.databaseUrl) return (await import('./postgres/index.js')).postgresStores(options.databaseUrl);
  return (await import('./sqlite/index.js')).sqliteStores(options.databasePath);
}
