// `npm run tick -- --now <ISO>`: one worker tick as if the time were <ISO>
// (time runs on from there); prints its summary as one JSON line on stdout.
// `--advance 21d`: a tick an hour from then through the span, then prints
// per person what went and what is planned next (src/nurture/walkthrough.ts).
// Logs go to stderr so stdout stays valid JSON.
import type { RateLimitInfo } from '../mail/transport.js';
import pino from 'pino';
import { boot, createRuntimeWorker } from '../boot.js';
import { offsetClock } from '../clock.js';
import { addTick, EMPTY_TOTALS, walkthrough } from '../nurture/walkthrough.js';
import { parseTickArgs } from './tick-args.js';

const HOUR_MS = 60 * 60 * 1000;
/** How many people the walk-through lists (the totals count everyone). */
const PEOPLE_SHOWN = 200;

const args = parseTickArgs(process.argv.slice(2));
if ('error' in args) {
  console.error(args.error);
  process.exit(2);
}
const start = args.now ?? Date.now();
const clock = offsetClock(start);
let observe: (info: RateLimitInfo) => void = () => {};
const runtime = await boot({ clock, logDestination: pino.destination(2), onRateLimit: (info) => observe(info) });
if (args.advanceMs !== undefined && runtime.transport.name === 'resend') {
  console.error('--advance sends weeks of emails within minutes, so it runs with the outbox only: unset RESEND_API_KEY (and use a copy of the database).');
  await runtime.stores.close();
  process.exit(2);
}
const worker = createRuntimeWorker(runtime);
observe = worker.observeRateLimit;

function failed(): never {
  console.error('The tick failed; see the log above.');
  process.exit(1);
}

let output: unknown;
if (args.advanceMs === undefined) {
  output = (await worker.tick()) ?? failed();
} else {
  let totals = EMPTY_TOTALS;
  let ticks = 0;
  for (let at = start; at <= start + args.advanceMs; at += HOUR_MS) {
    clock.moveTo(at);
    totals = addTick(totals, (await worker.tick()) ?? failed());
    ticks++;
  }
  const end = clock.now();
  output = walkthrough({ from: start, to: end, ticks, totals }, await runtime.stores.sendQueue.sentBetween(start, end, PEOPLE_SHOWN));
}
await runtime.stores.close();
// Exit once printed: nothing else is scheduled in this process.
process.stdout.write(`${JSON.stringify(output, null, args.advanceMs === undefined ? undefined : 2)}\n`, () => process.exit(0));
