import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Transport } from '../../src/mail/transport.js';

export type Served = { url: string; close(): Promise<void> };

/** Serves `fetch` on a free port of 127.0.0.1, passing the node server's env as `npm start` does. */
export function serveOn(fetch: (req: Request, env?: unknown) => Response | Promise<Response>): Promise<Served> {
  return new Promise((resolve) => {
    const server = serve({ fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) =>
      resolve({ url: `http://127.0.0.1:${info.port}`, close: () => new Promise<void>((r) => server.close(() => r())) }),
    );
  });
}

/** Sends nothing and counts what it was given: the figures are about our code, not a provider. */
export function nullTransport(): Transport & { count: number } {
  let n = 0;
  return {
    name: 'memory',
    get count() {
      return n;
    },
    async sendBatch(emails) {
      return emails.map(() => ({ id: `null-${++n}` }));
    },
  };
}
