import { openStores, type Stores } from '../db/index.js';
import { systemClock, type Clock } from './clock.js';
import { publicUrlMismatch, resolveConfig, SERVER_PUBLIC_URL, startupRefusal, startupWarnings, type Config } from './config.js';
import { ConfigError, loadEnv, readDotEnv } from './env.js';
import { createLogger, type Logger } from './logger.js';
import { createTransport } from './mail/index.js';
import { createSequenceWorker, type Worker } from './nurture/worker.js';
import { canonicaliseAddresses } from './subscribers/canonical-addresses.js';
import { startFromBookingClicks } from './subscribers/sequences.js';
import { sweepRetention } from './subscribers/retention.js';
import { dropExpiredImportReports } from './subscribers/import-reports.js';
import type { RateLimitInfo, Transport } from './mail/transport.js';
import type { DestinationStream } from 'pino';

export type Runtime = { config: Config; stores: Stores; clock: Clock; logger: Logger; transport: Transport };

/**
 * Shared start-up for every entry point: .env, validated config, migrated db,
 * logger and transport. A bad variable exits with one line naming it.
 */
/**
 * `role`: the server records the PUBLIC_URL it starts with; a worker or a
 * tick warns at start when its own differs (its emails would link elsewhere).
 */
export async function boot(options: { onRateLimit?: (info: RateLimitInfo) => void; logDestination?: DestinationStream; clock?: Clock; role?: 'server' | 'worker' } = {}): Promise<Runtime> {
  let config: Config;
  try {
    readDotEnv();
    const env = loadEnv();
    const refusal = startupRefusal(env);
    if (refusal) throw new ConfigError(refusal);
    config = resolveConfig(env);
  } catch (err) {
    if (err instanceof ConfigError || (err as Error).message?.includes('.env')) {
      console.error(`Configuration error: ${(err as Error).message}`);
      process.exit(1);
    }
    throw err;
  }
  const logger = createLogger(config.logLevel, options.logDestination);
  for (const warning of startupWarnings(config)) logger.warn(warning);
  const stores = await openStores({ databaseUrl: config.databaseUrl, databasePath: config.databasePath });
  const clock = options.clock ?? systemClock;
  await canonicaliseAddresses({ stores, secretKey: config.secretKey, now: () => clock.now(), logger });
  if (options.role === 'server') await stores.settings.set(SERVER_PUBLIC_URL, config.publicUrl, systemClock.now());
  else {
    const mismatch = publicUrlMismatch(config.publicUrl, await stores.settings.get(SERVER_PUBLIC_URL));
    if (mismatch) logger.warn(mismatch);
  }
  const transport = await createTransport(config, clock, options.onRateLimit ? { onRateLimit: options.onRateLimit } : {});
  return { config, stores, clock, logger, transport };
}

/**
 * The worker every entry point runs (server, `npm run worker`, `npm run
 * tick`): the sequences, and after each tick the housekeeping the worker
 * owns: the consult follow-up started for people who clicked the booking
 * link, the retention sweep (people who left erased RETENTION_DAYS later),
 * and kept import reports dropped when they expire.
 */
export function createRuntimeWorker(runtime: Runtime): Worker {
  return createSequenceWorker(runtime, {
    housekeeping: async () => ({
      consultStarted: await startFromBookingClicks(runtime),
      retentionErased: await sweepRetention(runtime, runtime.config.retentionDays),
      importReportsDropped: await dropExpiredImportReports(runtime),
    }),
  });
}
