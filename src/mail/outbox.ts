import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import { tightenToOwner } from '../../db/owner-only.js';
import type { Clock } from '../clock.js';
import { SendError, type OutgoingEmail, type SendOptions, type SentEmail, type Transport } from './transport.js';

/** Builds the RFC 5322 message (multipart/alternative: text then html). */
export async function composeEml(email: OutgoingEmail, id: string, date: Date): Promise<Buffer> {
  const composer = new MailComposer({
    from: email.from,
    to: email.to,
    ...(email.replyTo ? { replyTo: email.replyTo } : {}),
    subject: email.subject,
    text: email.text,
    html: email.html,
    headers: { ...email.headers, 'X-Outbox-Id': id },
    messageId: `<${id}@outbox.local>`,
    date,
  });
  return composer.compile().build();
}

/**
 * Writes each message as an .eml file in a directory instead of sending it, so
 * the service runs with no mail account. Writes are atomic (temp file + rename)
 * so a reader never sees half a message. With an idempotency key the file name
 * is derived from the key, so repeating a request (after a crash) writes nothing new.
 */
export function createOutboxTransport(dir: string, clock: Clock): Transport {
  // Created owner-only below; one an earlier release made is tightened to match.
  tightenToOwner(dir);
  async function write(email: OutgoingEmail, id: string): Promise<SentEmail> {
    const file = path.join(dir, `${id}.eml`);
    try {
      await fs.access(file);
      return { id };
    } catch {
      // not written yet
    }
    try {
      const eml = await composeEml(email, id, new Date(clock.now()));
      await fs.mkdir(dir, { recursive: true, mode: 0o700 });
      const tmp = path.join(dir, `.${id}.tmp`);
      await fs.writeFile(tmp, eml, { mode: 0o600 });
      await fs.rename(tmp, file);
    } catch (err) {
      // Nothing left this machine: a known failure, retried like a provider's 5xx.
      throw new SendError('transient', `outbox write failed: ${(err as Error).message}`, { local: true });
    }
    return { id };
  }

  function idFor(key: string | undefined, index: number): string {
    const stamp = new Date(clock.now()).toISOString().replace(/[-:.]/g, '');
    if (!key) return `${stamp}-${crypto.randomUUID()}`;
    return `k-${crypto.createHash('sha256').update(`${key}\n${index}`).digest('hex').slice(0, 32)}`;
  }

  return {
    name: 'outbox',
    async sendBatch(emails: OutgoingEmail[], options?: SendOptions) {
      const out: SentEmail[] = [];
      for (const [i, e] of emails.entries()) out.push(await write(e, idFor(options?.idempotencyKey, i)));
      return out;
    },
  };
}
