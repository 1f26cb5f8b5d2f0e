// The fake Resend in its own process, so the worker under measurement has a
// core to itself. Driven over IPC by bench/support/fake-client.ts.
import { startFakeResend } from '../../test/fake-resend/server.js';

const fake = await startFakeResend({ keepBodies: false });

type Command = { id: number; cmd: 'stats' | 'reset' | 'rateLimit' | 'latency' | 'close'; limit?: number; ms?: number };

process.on('message', async (m: Command) => {
  switch (m.cmd) {
    case 'stats': {
      const seen = new Map<string, number>();
      for (const e of fake.emails) {
        const key = `${e.to[0]}|${e.subject}`;
        seen.set(key, (seen.get(key) ?? 0) + 1);
      }
      const duplicates = [...seen.values()].filter((n) => n > 1).length;
      const times = fake.emails.map((e) => e.at);
      process.send!({ id: m.id, accepted: fake.emails.length, unique: seen.size, duplicates, statuses: fake.statusCounts(), firstAt: Math.min(...times), lastAt: Math.max(...times) });
      break;
    }
    case 'reset':
      fake.reset();
      process.send!({ id: m.id });
      break;
    case 'rateLimit':
      fake.setRateLimit(m.limit, 1000);
      process.send!({ id: m.id });
      break;
    case 'latency':
      fake.setLatency(m.ms ?? 0);
      process.send!({ id: m.id });
      break;
    case 'close':
      await fake.close();
      process.send!({ id: m.id });
      process.exit(0);
  }
});
process.send!({ url: fake.url, apiKey: fake.apiKey });
