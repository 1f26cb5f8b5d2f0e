// `npm run worker`: the worker alone (a tick every minute), apart from the server.
import type { RateLimitInfo } from '../mail/transport.js';
import { boot, createRuntimeWorker } from '../boot.js';

let observe: (info: RateLimitInfo) => void = () => {};
const runtime = await boot({ onRateLimit: (info) => observe(info) });
const worker = createRuntimeWorker(runtime);
observe = worker.observeRateLimit;
worker.start();
worker.kick();
runtime.logger.info({ sendWindow: runtime.config.sendWindow.text, sendRate: runtime.config.sendRate }, 'worker started: a tick every minute');

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  runtime.logger.info({ signal }, 'worker stopping: finishing or releasing the batch in flight');
  await worker.stop();
  await runtime.stores.close();
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
