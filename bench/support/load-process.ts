// autocannon in its own process, so the server under measurement has its
// event loop and a core to itself, as it would behind real clients. Driven
// over IPC by bench/support/load.ts: one message of options, one of results.
import autocannon from 'autocannon';

process.once('message', async (opts: autocannon.Options) => {
  const r = await autocannon(opts);
  process.send!({ rps: r.requests.average, total: r.requests.total, errors: r.errors, failed: r['4xx'] + r['5xx'], non2xx: r.non2xx }, () => process.exit(0));
});
