import { serve } from '@hono/node-server';
import { createApp } from './app.js';
import { boot, createRuntimeWorker } from './boot.js';
import type { RateLimitInfo } from './mail/transport.js';
import { ensureFirstAdmin, FIRST_ADMIN } from './staff/accounts.js';

let observeRateLimit: (info: RateLimitInfo) => void = () => {};
const runtime = await boot({ onRateLimit: (info) => observeRateLimit(info), role: 'server' });
const { config, logger, transport } = runtime;
// Only the server sets it: a worker or tick process has no say over the staff login.
const firstAdmin = await ensureFirstAdmin(runtime, config.staffPassword);
// The in-process worker: a tick every minute, and one right after a confirmation.
const worker = createRuntimeWorker(runtime);
observeRateLimit = worker.observeRateLimit;
const app = createApp({ ...runtime, worker: { kick: worker.kick } });
worker.start();
worker.kick();

const server = serve({ fetch: app.fetch, port: config.port }, (info) => {
  const lines = [
    '',
    `  Nurture service running at ${config.publicUrl} (port ${info.port})`,
    // A password from STAFF_PASSWORD is never printed: the operator has it, and logs are kept.
    // A generated one is printed once, when it is made; later starts keep it.
    `  Staff area: ${config.publicUrl}/staff/login  user: ${FIRST_ADMIN}  password: ${
      config.staffPassword !== undefined
        ? 'the one in STAFF_PASSWORD'
        : firstAdmin.generatedPassword !== null
          ? `${firstAdmin.generatedPassword}  (generated now and shown only this once; set STAFF_PASSWORD to choose one)`
          : 'the one printed at its first start (npm run staff -- passwd staff makes a new one)'
    }`,
    transport.name === 'outbox'
      ? `  Mail: no RESEND_API_KEY, so messages are written to ${config.outboxDir}/ as .eml files`
      : '  Mail: sending through Resend',
    `  Database: ${config.databaseUrl ? `PostgreSQL at ${new URL(config.databaseUrl).host}` : config.databasePath}`,
    '',
  ];
  console.log(lines.join('\n'));
});

let stopping = false;
function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'shutting down');
  // The worker finishes or releases the batch in flight; the next start repeats it.
  const workerStopped = worker.stop();
  server.close(async () => {
    await workerStopped;
    await runtime.stores.close();
    process.exit(0);
  });
  setTimeout(() => process.exit(0), 30_000).unref();
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
