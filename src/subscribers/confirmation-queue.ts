import crypto from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { deliveries, subscribers, type Subscriber } from '../../db/schema.js';
import { maskEmail } from '../logger.js';
import { renderConfirmationEmail } from '../mail/render.js';
import { MAX_BATCH_SIZE, SendError, type OutgoingEmail, type SentEmail } from '../mail/transport.js';
import type { SubscriberDeps } from './deps.js';
import { confirmUrl, unsubscribeUrl } from './links.js';
import { signupQueries } from './signup-queries.js';

/** A confirmation email to send: the subscriber as signed up, and its queued delivery row. */
export type ConfirmationJob = { subscriber: Subscriber; deliveryId: number };

export type ConfirmationQueue = { enqueue(job: ConfirmationJob): void };

type QueueDeps = Omit<SubscriberDeps, 'confirmations'>;

const MAX_ATTEMPTS = 4;
const RETRY_BASE_MS = 500;

/**
 * Sends confirmation emails off the request path, in batches: the signups of
 * one moment go out in one provider request (up to 100, as the worker does)
 * and are recorded in one transaction, so a burst of signups costs a few
 * requests and commits rather than one per person. Rate limits and transient
 * errors are retried with the same idempotency key.
 */
export function createConfirmationQueue(deps: QueueDeps): ConfirmationQueue {
  const pending: ConfirmationJob[] = [];
  let draining = false;

  async function drain(): Promise<void> {
    try {
      // Let every signup of this moment join the batch.
      await new Promise((resolve) => setImmediate(resolve));
      while (pending.length > 0) await sendBatch(deps, pending.splice(0, MAX_BATCH_SIZE));
    } finally {
      draining = false;
      if (pending.length > 0) start();
    }
  }

  function start() {
    draining = true;
    deps.background.run('confirmation emails', drain);
  }

  return {
    enqueue(job) {
      pending.push(job);
      if (!draining) start();
    },
  };
}

function isRetryable(err: unknown): err is SendError {
  return err instanceof SendError && (err.kind === 'rate_limited' || err.kind === 'transient');
}

async function sendWithRetry(deps: QueueDeps, emails: OutgoingEmail[], idempotencyKey: string): Promise<SentEmail[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await deps.transport.sendBatch(emails, { idempotencyKey });
    } catch (err) {
      if (!isRetryable(err) || attempt >= MAX_ATTEMPTS) throw err;
      const waitMs = Math.min(30_000, err.details.retryAfterMs ?? RETRY_BASE_MS * 2 ** (attempt - 1));
      deps.logger.warn({ attempt, waitMs, kind: err.kind }, 'confirmation batch: retrying');
      await new Promise((resolve) => setTimeout(resolve, waitMs));
    }
  }
}

async function sendBatch(deps: QueueDeps, jobs: ConfirmationJob[]): Promise<void> {
  const { db, config, clock, logger } = deps;
  let subject: string | undefined;
  let results: SentEmail[];
  try {
    const now = clock.now();
    const emails = await Promise.all(
      jobs.map(async ({ subscriber: s }): Promise<OutgoingEmail> => {
        const r = await renderConfirmationEmail({
          ...(s.firstName ? { firstName: s.firstName } : {}),
          confirmUrl: confirmUrl(config, s, now),
          unsubscribeUrl: unsubscribeUrl(config, s),
          postalAddress: config.postalAddress,
        });
        subject = r.subject;
        return { from: config.mailFrom, to: s.email!, subject: r.subject, html: r.html, text: r.text };
      }),
    );
    // Derived from what the batch holds, so a retry is the identical request.
    const key = `confirmation-${crypto.createHash('sha256').update(jobs.map((j) => j.deliveryId).join(',')).digest('hex').slice(0, 32)}`;
    results = await sendWithRetry(deps, emails, key);
  } catch (err) {
    const error = err instanceof SendError ? err : new SendError('permanent', err instanceof Error ? err.message : String(err));
    results = jobs.map(() => ({ id: '', error }));
  }

  const at = clock.now();
  const q = signupQueries(db);
  const failed: { job: ConfirmationJob; message: string }[] = [];
  db.transaction((tx) => {
    jobs.forEach((job, i) => {
      const r = results[i];
      if (r && !r.error && r.id) {
        q.markDeliverySent.run({ id: job.deliveryId, subject: subject!, providerId: r.id, sentAt: at });
        q.insertActivity.run({ subscriberId: job.subscriber.id, type: 'confirmation_sent', at, detail: null });
        return;
      }
      const message = (r?.error?.message ?? 'no result from the provider').slice(0, 500);
      failed.push({ job, message });
      tx.update(deliveries)
        .set({ status: 'failed', error: message, ...(subject ? { subject } : {}) })
        .where(eq(deliveries.id, job.deliveryId))
        .run();
      // The person may ask again at once rather than wait out the interval for an email that never left.
      tx.update(subscribers)
        .set({ confirmationSentAt: null })
        .where(and(eq(subscribers.id, job.subscriber.id), eq(subscribers.confirmationSentAt, job.subscriber.confirmationSentAt!)))
        .run();
    });
  });

  for (const { job, message } of failed) {
    logger.error({ subscriberId: job.subscriber.id, to: maskEmail(job.subscriber.email), deliveryId: job.deliveryId, err: message }, 'confirmation email failed');
  }
  logger.info({ sent: jobs.length - failed.length, failed: failed.length }, 'confirmation emails');
}
