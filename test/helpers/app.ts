import { Writable } from 'node:stream';
import { openSqlite, sqliteStoresFor, type SqliteDb, type SqliteStores } from '../../db/sqlite/index.js';
import { createApp, type AppDeps } from '../../src/app.js';
import { fixedClock, type FixedClock } from '../../src/clock.js';
import type { Config } from '../../src/config.js';
import { loadEnv } from '../../src/env.js';
import { createLogger } from '../../src/logger.js';
import type { Logger as AppLogger } from '../../src/logger.js';
import { renderSequenceEmail } from '../../src/mail/render.js';
import type { DnsResolver } from '../../src/mail/sender-dns.js';
import type { Transport } from '../../src/mail/transport.js';
import { createPacer } from '../../src/nurture/pacer.js';
import { catalogsWith, type SequenceCatalog } from '../../src/nurture/sequence.js';
import { runTick } from '../../src/nurture/tick.js';
import { memoryTransport } from './memory-transport.js';
import { seedStaffAccounts, TEST_STAFF_PASSWORD } from './staff-accounts.js';

type Logger = AppLogger;

export const TEST_SECRET = 'test-secret-key-0123456789abcdef0123456789abcdef';
export { TEST_STAFF_PASSWORD } from './staff-accounts.js';

export type Db = SqliteDb;

/** A fresh in-memory database with the real migrations applied. */
export function testDb(): Db {
  return openSqlite(':memory:');
}

/** The stores on a test database (one set per connection). */
export function storesOf(db: Db): SqliteStores {
  return sqliteStoresFor(db);
}

export function testConfig(overrides: Partial<Config> = {}): Config {
  const env = loadEnv({ PUBLIC_URL: 'http://nurture.test', LOG_LEVEL: 'silent', CLINIC_NAME: 'Harbor Clinic' });
  return {
    ...env,
    secretKey: TEST_SECRET,
    staffPassword: TEST_STAFF_PASSWORD,
    postalAddress: 'Harbor Clinic, 1 Test Street, Testville, TS 00000, USA',
    postalAddressIsPlaceholder: false,
    ...overrides,
  };
}

/** A logger whose JSON lines are kept in `lines` for assertions. */
export function captureLogger(level = 'info') {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split('\n')) if (l.trim()) lines.push(JSON.parse(l));
      cb();
    },
  });
  return { logger: createLogger(level, stream), lines };
}

/**
 * What the worker does for the app: `kick` is counted, `drain()` runs one
 * real tick (the product's sequence and templates) on the app's stores,
 * clock and transport, so what a request queued is sent as in production.
 */
export function testWorker(parts: { stores: SqliteStores; clock: FixedClock; transport: Transport; config: Config; logger: Logger; sequences?: SequenceCatalog }) {
  let kicks = 0;
  const sleep = async (ms: number) => parts.clock.advance(Math.max(0, Math.ceil(ms)));
  const pacer = createPacer({ rate: 1000, clock: parts.clock, sleep });
  return {
    kick() {
      kicks++;
    },
    get kicks() {
      return kicks;
    },
    drain: () => runTick({ ...parts, sequences: catalogsWith(parts.sequences), render: renderSequenceEmail, pacer, sleep, random: () => 0.5, realNow: () => parts.clock.now() }),
  };
}

/** No DNS in tests: every name is unknown (the DNS checks' own tests inject the answers they need). */
export const NO_DNS: DnsResolver = {
  async resolveTxt(name) {
    throw Object.assign(new Error(`queryTxt ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
  },
};

/** The app wired to a :memory: db, a fixed clock, a memory transport and a captured logger. */
export function testApp(overrides: Partial<Omit<AppDeps, 'stores'>> & { now?: string; db?: Db } = {}) {
  const { now, db: givenDb, ...deps } = overrides;
  const clock = fixedClock(now ?? '2026-03-02T14:00:00Z');
  const transport = memoryTransport(() => clock.now());
  const { logger, lines } = captureLogger();
  const db = givenDb ?? testDb();
  // What boot does for `staff`, plus an editor and a viewer, each signed in (see asStaff).
  seedStaffAccounts(db);
  const stores = storesOf(db);
  const config = deps.config ?? testConfig();
  const worker = testWorker({ stores, clock, transport: (deps.transport as Transport | undefined) ?? transport, config, logger: deps.logger ?? logger, ...(deps.sequences ? { sequences: deps.sequences } : {}) });
  const full = { stores, config, clock, transport, logger, worker, dns: NO_DNS, ...deps };
  return { app: createApp(full), ...full, db, stores, clock, transport, logs: lines, worker, drain: worker.drain };
}
