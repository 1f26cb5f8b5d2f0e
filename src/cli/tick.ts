// `npm run tick -- --now <ISO>`: one worker tick as if the time were <ISO>
// (time runs on from there); prints its summary as one JSON line on stdout.
// Logs go to stderr so stdout stays valid JSON.
import type { RateLimitInfo } from '../mail/transport.js';
import pino from 'pino';
import { boot, createRuntimeWorker } from '../boot.js';
import { offsetClock, systemClock } from '../clock.js';
import { parseTickArgs } from './tick-args.js';

const args = parseTickArgs(process.argv.slice(2));
if ('error' in args) {
  console.error(args.error);
  process.exit(2);
}
const clock = args.now === undefined ? systemClock : offsetClock(args.now);
let observe: (info: RateLimitInfo) => void = () => {};
const runtime = await boot({ clock, logDestination: pino.destination(2), onRateLimit: (info) => observe(info) });
const worker = createRuntimeWorker(runtime);
observe = worker.observeRateLimit;
const summary = await worker.tick();
await runtime.stores.close();
if (!summary) {
  console.error('The tick failed; see the log above.');
  process.exit(1);
}
// Exit once printed: nothing else is scheduled in this process.
process.stdout.write(`${JSON.stringify(summary)}\n`, () => process.exit(0));
