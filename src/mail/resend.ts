import { Resend } from 'resend';
import { SendError, type OutgoingEmail, type SendOptions, type SentEmail, type Transport } from './transport.js';

type ResendError = { name: string; message: string; statusCode: number | null };

/** Seconds from `retry-after` or `ratelimit-reset`, as milliseconds. */
export function retryAfterMs(headers: Record<string, string> | null): number | undefined {
  const raw = headers?.['retry-after'] ?? headers?.['ratelimit-reset'];
  if (raw === undefined) return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds * 1000);
  const date = Date.parse(raw);
  return Number.isFinite(date) ? Math.max(0, date - Date.now()) : undefined;
}

/** Maps the SDK's error to what the worker should do about it. */
export function classifyResendError(error: ResendError, headers: Record<string, string> | null): SendError {
  const status = error.statusCode ?? undefined;
  const details = { statusCode: status, retryAfterMs: retryAfterMs(headers), providerCode: error.name };
  const msg = `${error.name}: ${error.message}`;
  if (error.name === 'daily_quota_exceeded' || error.name === 'monthly_quota_exceeded') return new SendError('quota', msg, details);
  if (status === 429) return new SendError('rate_limited', msg, details);
  if (status === 409 && error.name === 'concurrent_idempotent_requests') return new SendError('transient', msg, details);
  if (status === 409) return new SendError('conflict', msg, details);
  if (status === undefined || status >= 500 || status === 408) return new SendError('transient', msg, details);
  return new SendError('permanent', msg, details);
}

function toApi(email: OutgoingEmail) {
  return {
    from: email.from,
    to: [email.to],
    subject: email.subject,
    html: email.html,
    text: email.text,
    ...(email.headers ? { headers: email.headers } : {}),
    ...(email.tags ? { tags: email.tags } : {}),
  };
}

/** Sends through the resend SDK (which honours RESEND_BASE_URL). */
export function createResendTransport(apiKey: string): Transport {
  const resend = new Resend(apiKey);
  return {
    name: 'resend',
    async send(email: OutgoingEmail, options?: SendOptions): Promise<SentEmail> {
      const { data, error, headers } = await resend.emails.send(toApi(email), options?.idempotencyKey ? { idempotencyKey: options.idempotencyKey } : undefined);
      if (error) throw classifyResendError(error, headers);
      return { id: data!.id };
    },
    async sendBatch(emails: OutgoingEmail[], options?: SendOptions): Promise<SentEmail[]> {
      const { data, error, headers } = await resend.batch.send(emails.map(toApi), options?.idempotencyKey ? { idempotencyKey: options.idempotencyKey } : undefined);
      if (error) throw classifyResendError(error, headers);
      return data!.data.map((d) => ({ id: d.id }));
    },
  };
}
