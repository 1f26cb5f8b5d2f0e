import { serve } from '@hono/node-server';
import { createApp } from './app.js';
import { createBackground } from './background.js';
import { boot } from './boot.js';

const runtime = boot();
const { config, logger, transport } = runtime;
const background = createBackground(logger);
const app = createApp({ ...runtime, background });

const server = serve({ fetch: app.fetch, port: config.port }, (info) => {
  const lines = [
    '',
    `  Nurture service running at ${config.publicUrl} (port ${info.port})`,
    `  Staff area: ${config.publicUrl}/staff  user: staff  password: ${config.staffPassword}${config.staffPasswordGenerated ? '  (generated; set STAFF_PASSWORD to choose one)' : ''}`,
    transport.name === 'outbox'
      ? `  Mail: no RESEND_API_KEY, so messages are written to ${config.outboxDir}/ as .eml files`
      : '  Mail: sending through Resend',
    `  Database: ${config.databasePath}`,
    '',
  ];
  console.log(lines.join('\n'));
});

function shutdown(signal: string) {
  logger.info({ signal }, 'shutting down');
  server.close(async () => {
    // Let confirmation emails already accepted finish sending.
    await background.idle();
    runtime.db.$client.close();
    process.exit(0);
  });
  setTimeout(() => process.exit(0), 10_000).unref();
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
