// A worker process for the peak-memory figure (bench/figures/tick.ts): plain
// JavaScript from dist/, booted from the environment as `npm run worker` boots
// it (config, stores opened and migrated, transport) and started with the
// same node flags. It first runs a tick with one batch due, as a worker that
// has sent before (its renderer loaded): its size after that is its idle
// size. Then, told to, it runs the tick that sends everything else due.
import { performance } from 'node:perf_hooks';
import { boot } from '../../dist/src/boot.js';
import { createSequenceWorker } from '../../dist/src/nurture/worker.js';

const runtime = await boot();
const worker = createSequenceWorker(runtime);
const bootKiB = process.memoryUsage().rss / 1024;
const warm = await worker.tick();
const idleKiB = process.memoryUsage().rss / 1024;
process.send({ phase: 'idle', bootKiB, idleKiB, sent: warm?.sent ?? 0 });
await new Promise((resolve) => process.once('message', resolve));
const start = performance.now();
const summary = await worker.tick();
const seconds = (performance.now() - start) / 1000;
process.send({ phase: 'done', peakKiB: process.resourceUsage().maxRSS, sent: summary?.sent ?? 0, seconds });
await runtime.stores.close();
process.disconnect();
