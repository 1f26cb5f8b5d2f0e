import { Writable } from 'node:stream';
import { openDb, type Db } from '../../db/client.js';
import { createApp, type AppDeps } from '../../src/app.js';
import { createBackground } from '../../src/background.js';
import { fixedClock } from '../../src/clock.js';
import type { Config } from '../../src/config.js';
import { loadEnv } from '../../src/env.js';
import { createLogger } from '../../src/logger.js';
import { memoryTransport } from './memory-transport.js';

export const TEST_SECRET = 'test-secret-key-0123456789abcdef0123456789abcdef';
export const TEST_STAFF_PASSWORD = 'staff-password-for-tests';

/** A fresh in-memory database with the real migrations applied. */
export function testDb(): Db {
  return openDb(':memory:');
}

export function testConfig(overrides: Partial<Config> = {}): Config {
  const env = loadEnv({ PUBLIC_URL: 'http://nurture.test', LOG_LEVEL: 'silent' });
  return {
    ...env,
    secretKey: TEST_SECRET,
    staffPassword: TEST_STAFF_PASSWORD,
    staffPasswordGenerated: false,
    postalAddress: 'Isha Health, 1 Test Street, Testville, TS 00000, USA',
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

/** The app wired to a :memory: db, a fixed clock, a memory transport and a captured logger. */
export function testApp(overrides: Partial<AppDeps> & { now?: string } = {}) {
  const { now, ...deps } = overrides;
  const clock = fixedClock(now ?? '2026-03-02T14:00:00Z');
  const transport = memoryTransport(() => clock.now());
  const { logger, lines } = captureLogger();
  const full = {
    db: testDb(),
    config: testConfig(),
    clock,
    transport,
    logger,
    background: createBackground(logger),
    ...deps,
  };
  return { app: createApp(full), ...full, clock, transport, logs: lines };
}
