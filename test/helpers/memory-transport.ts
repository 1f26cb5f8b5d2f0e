import type { OutgoingEmail, SendOptions, SentEmail, Transport } from '../../src/mail/transport.js';

/** Records every message in memory, with the time it was sent by `now`; optionally fails on demand. */
export function memoryTransport(now: () => number = Date.now) {
  const sent: (OutgoingEmail & { id: string; idempotencyKey?: string; at: number })[] = [];
  let seq = 0;
  let failNext: Error | null = null;
  const transport: Transport & { sent: typeof sent; failNext(err: Error): void } = {
    name: 'memory',
    sent,
    failNext(err) {
      failNext = err;
    },
    async sendBatch(emails: OutgoingEmail[], options?: SendOptions): Promise<SentEmail[]> {
      if (failNext) {
        const err = failNext;
        failNext = null;
        throw err;
      }
      return emails.map((e) => {
        const id = `mem-${++seq}`;
        sent.push({ ...e, id, idempotencyKey: options?.idempotencyKey, at: now() });
        return { id };
      });
    },
  };
  return transport;
}
