// A worker process for the peak-memory figure (bench/figures/tick.ts): plain
// JavaScript from dist/, booted from the environment as `npm run worker` boots
// (config, stores opened and migrated, transport). Its resident size then is
// its idle size; it runs one tick and reports the peak it reached.
import { boot } from '../../dist/src/boot.js';
import { createSequenceWorker } from '../../dist/src/nurture/worker.js';

const runtime = await boot();
const worker = createSequenceWorker(runtime);
const idleKiB = process.memoryUsage().rss / 1024;
const summary = await worker.tick();
process.send({ idleKiB, peakKiB: process.resourceUsage().maxRSS, sent: summary?.sent ?? 0 });
await runtime.stores.close();
process.disconnect();
