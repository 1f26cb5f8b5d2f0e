/**
 * Runs the fake Resend API on its own, to try the service in Resend mode
 * without an account:
 *
 *   npx tsx test/fake-resend/main.ts --port 3100 --rate 2
 *   RESEND_BASE_URL=http://127.0.0.1:3100 RESEND_API_KEY=re_test_fake_key_0123456789 npm start
 *
 * Prints one line per request.
 */
import { parseArgs } from 'node:util';
import { FAKE_API_KEY, startFakeResend } from './server.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '3100' },
    rate: { type: 'string' },
    'daily-quota': { type: 'string' },
    'reject': { type: 'string' },
  },
});

const fake = await startFakeResend({
  port: Number(values.port),
  ...(values.rate ? { rateLimit: Number(values.rate) } : {}),
  ...(values['daily-quota'] ? { dailyQuota: Number(values['daily-quota']) } : {}),
  ...(values.reject ? { rejectAddresses: new RegExp(values.reject) } : {}),
});
console.log(`fake Resend on ${fake.url} (key ${FAKE_API_KEY})`);
let shown = 0;
setInterval(() => {
  for (; shown < fake.requests.length; shown++) {
    const r = fake.requests[shown]!;
    if (r.status === 0) break;
    console.log(`${new Date(r.at).toISOString()} ${r.method} ${r.path} ${r.status} emails=${r.emailCount}${r.replayed ? ' replayed' : ''}${r.idempotencyKey ? ` key=${r.idempotencyKey}` : ''}`);
  }
}, 250);
process.on('SIGINT', () => void fake.close().then(() => process.exit(0)));
process.on('SIGTERM', () => void fake.close().then(() => process.exit(0)));
