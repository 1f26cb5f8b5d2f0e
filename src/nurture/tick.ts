/**
 * One worker tick: finish unfinished batches, then claim due subscribers in
 * batches of up to 100, render, persist, send and settle each batch.
 *
 * Exactly once: a batch's request body is persisted (with an idempotency key
 * derived from it) before it is sent, and an attempt is recorded before the
 * request leaves. A crash leaves the batch 'ready' with a lease that expires;
 * the next tick takes it over and repeats the identical request with the
 * identical key, which the provider answers from its idempotency store if it
 * had accepted it. The claim itself is one transaction that inserts the
 * deliveries (unique per subscriber and step) and takes the subscribers off
 * the due set, so two workers never claim the same step.
 */
import crypto from 'node:crypto';
import type { Db } from '../../db/client.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { signToken } from '../mail/tokens.js';
import { SendError, MAX_BATCH_SIZE, type OutgoingEmail, type SentEmail, type Transport } from '../mail/transport.js';
import { deliveryIdOf, planFailure, sequenceEmail } from './decide.js';
import { realSleep, type Pacer, type Sleep } from './pacer.js';
import { createQueue, type BatchItem, type ItemOutcome, type Queue, type QueueStep } from './queue.js';
import type { ScheduleOptions } from './schedule.js';

/** What the worker needs from the templates: subject, html and text for one subscriber. */
export type SequenceEmailProps = { firstName?: string; publicUrl: string; unsubscribeUrl: string; postalAddress: string };
export type RenderedSequenceEmail = { subject: string; html: string; text: string; templateVersion?: string };
export type RenderSequence = (step: QueueStep, props: SequenceEmailProps) => Promise<RenderedSequenceEmail> | RenderedSequenceEmail;

export type TickDeps = {
  db: Db;
  clock: Clock;
  transport: Transport;
  logger: Logger;
  config: Pick<Config, 'publicUrl' | 'secretKey' | 'mailFrom' | 'postalAddress' | 'sendWindow'>;
  sequence: readonly QueueStep[];
  render: RenderSequence;
  pacer: Pacer;
  sleep?: Sleep;
  random?: () => number;
  /** Lease owner name: unique per process. */
  owner?: string;
  skipWeekends?: boolean;
  leaseMs?: number;
  batchSize?: number;
  /** Batches in flight at once (pacing still spaces the requests). */
  concurrency?: number;
  /** Asked between steps; true stops claiming and releases a batch that would wait. */
  shouldStop?: () => boolean;
  /** Reused across ticks so the prepared statements are built once. */
  queue?: Queue;
};

export type TickSummary = {
  due: number;
  sent: number;
  failed: number;
  retried: number;
  dropped: number;
  rescheduled: number;
  completed: number;
  batches: number;
  pausedUntil?: string;
  durationMs: number;
};

export const DEFAULT_LEASE_MS = 5 * 60_000;

type Prepared = { emails: OutgoingEmail[]; versions: Map<number, string> };

export function scheduleOptions(config: Pick<Config, 'sendWindow'>, skipWeekends = false): ScheduleOptions {
  return { window: { startMinute: config.sendWindow.startMinute, endMinute: config.sendWindow.endMinute }, skipWeekends };
}

export function createTickQueue(deps: Pick<TickDeps, 'db' | 'sequence' | 'config' | 'skipWeekends'>): Queue {
  return createQueue(deps.db, { sequence: deps.sequence, schedule: scheduleOptions(deps.config, deps.skipWeekends) });
}

export async function runTick(deps: TickDeps): Promise<TickSummary> {
  const { clock, transport, logger, config, pacer } = deps;
  const sleep = deps.sleep ?? realSleep;
  const random = deps.random ?? Math.random;
  const owner = deps.owner ?? `tick-${crypto.randomUUID()}`;
  const leaseMs = deps.leaseMs ?? DEFAULT_LEASE_MS;
  const batchSize = Math.min(MAX_BATCH_SIZE, deps.batchSize ?? MAX_BATCH_SIZE);
  const queue = deps.queue ?? createTickQueue(deps);
  const stepByNumber = new Map(deps.sequence.map((s) => [s.step, s]));
  const started = clock.now();
  const summary: TickSummary = { due: 0, sent: 0, failed: 0, retried: 0, dropped: 0, rescheduled: 0, completed: 0, batches: 0, durationMs: 0 };
  let quotaStop = false;
  const stopping = () => quotaStop || (deps.shouldStop?.() ?? false);

  const pausedUntil = queue.pausedUntil();
  if (pausedUntil !== null && pausedUntil > started) {
    logger.info({ until: new Date(pausedUntil).toISOString() }, `daily quota reached, sending paused until ${new Date(pausedUntil).toISOString()}`);
    return { ...summary, pausedUntil: new Date(pausedUntil).toISOString(), durationMs: clock.now() - started };
  }

  /** Renders the request of a freshly claimed (or never persisted) batch; it is persisted with its first attempt. */
  async function prepare(batchId: number): Promise<Prepared> {
    const list = queue.items(batchId);
    const versions = new Map<number, string>();
    const emails: OutgoingEmail[] = [];
    for (const item of list) {
      // Not rendered for someone gone since the claim; dropped before sending.
      if (!item.email) continue;
      const step = stepByNumber.get(item.step)!;
      const unsubscribeUrl = unsubscribeLink(item);
      const r = await deps.render(step, { ...(item.firstName ? { firstName: item.firstName } : {}), publicUrl: config.publicUrl, unsubscribeUrl, postalAddress: config.postalAddress });
      if (r.templateVersion) versions.set(item.deliveryId, r.templateVersion);
      emails.push(sequenceEmail({ deliveryId: item.deliveryId, subscriberId: item.subscriberId, step: item.step, to: item.email, from: config.mailFrom, subject: r.subject, html: r.html, text: r.text, unsubscribeUrl }));
    }
    return { emails, versions };
  }

  function unsubscribeLink(item: BatchItem): string {
    const token = signToken(config.secretKey, { purpose: 'unsubscribe', subscriberId: item.subscriberId, generation: item.tokenGeneration });
    return `${config.publicUrl}/u/${token}`;
  }

  function outcomes(emails: OutgoingEmail[], results: SentEmail[]): ItemOutcome[] {
    return emails.map((e, i) => {
      const r = results[i] as (SentEmail & { error?: SendError }) | undefined;
      const deliveryId = deliveryIdOf(e);
      if (!r) return { deliveryId, error: 'no answer for this email' };
      if (r.error) return { deliveryId, error: r.error.message };
      return { deliveryId, providerId: r.id };
    });
  }

  function settle(batchId: number, result: ItemOutcome[]) {
    const s = queue.settle(batchId, result, clock.now());
    summary.sent += s.sent;
    summary.failed += s.failed;
    summary.completed += s.completed;
    for (const o of result) if (o.error !== undefined) logger.warn({ batchId, deliveryId: o.deliveryId, error: o.error }, 'delivery failed permanently');
  }

  /** Sends one batch to the end: sent, failed, split, deferred, or released. */
  async function processBatch(batchId: number, prepared: Prepared | null): Promise<void> {
    let fresh = prepared;
    let emails: OutgoingEmail[] = prepared?.emails ?? [];
    const tries = { transient: 0, rateLimited: 0 };
    for (;;) {
      if (stopping()) {
        queue.release(batchId, owner, null, null);
        return;
      }
      const turn = await pacer.acquire();
      if (stopping()) {
        queue.release(batchId, owner, null, null);
        return;
      }
      const begun = queue.beginAttempt(batchId, owner, clock.now(), leaseMs, fresh);
      if (begun.kind === 'lost') return;
      summary.dropped += begun.dropped;
      if (begun.kind === 'empty') return;
      // Persisted now: a retry repeats exactly this.
      fresh = null;
      emails = begun.emails;
      let results: SentEmail[];
      try {
        turn.started();
        results = await transport.sendBatch(emails, { idempotencyKey: begun.idempotencyKey });
      } catch (err) {
        if (!(err instanceof SendError)) throw err;
        if (err.kind === 'transient') tries.transient++;
        if (err.kind === 'rate_limited') tries.rateLimited++;
        const now = clock.now();
        const plan = planFailure(err, tries, now, random);
        logger.warn({ batchId, kind: err.kind, status: err.details.statusCode, plan: plan.kind }, `batch send failed: ${err.message}`);
        switch (plan.kind) {
          case 'retry':
            summary.retried++;
            if (plan.holdPacer) pacer.holdFor(plan.waitMs);
            else await sleep(plan.waitMs);
            continue;
          case 'defer':
            queue.release(batchId, owner, plan.retryAt, err.message);
            logger.warn({ batchId, retryAt: new Date(plan.retryAt).toISOString() }, 'batch left for a later tick');
            return;
          case 'quota': {
            const until = new Date(plan.until).toISOString();
            queue.pauseUntil(plan.until, now);
            queue.release(batchId, owner, plan.until, err.message);
            logger.warn({ until }, `daily quota reached, sending paused until ${until}`);
            quotaStop = true;
            return;
          }
          case 'abandon':
            settle(batchId, emails.map((e) => ({ deliveryId: deliveryIdOf(e), error: err.message })));
            return;
          case 'permanent':
            if (emails.length === 1) {
              settle(batchId, [{ deliveryId: deliveryIdOf(emails[0]!), error: err.message }]);
              return;
            }
            // One bad email refuses the whole request: bisect so the others still go.
            {
              const mid = Math.ceil(emails.length / 2);
              const halves = [emails.slice(0, mid), emails.slice(mid)];
              const ids = queue.split(batchId, halves, err.message, owner, now, leaseMs);
              for (const id of ids) await processBatch(id, null);
            }
            return;
        }
      }
      settle(batchId, outcomes(emails, results));
      summary.batches++;
      return;
    }
  }

  async function lane(): Promise<void> {
    while (!stopping()) {
      const now = clock.now();
      const stale = queue.claimStale(now, owner, leaseMs);
      if (stale !== null) {
        const batch = queue.batch(stale);
        logger.info({ batchId: stale, attempts: batch?.attempts }, 'taking over an unfinished batch');
        await processBatch(stale, batch?.payload ? null : await prepare(stale));
        continue;
      }
      const claim = queue.claimDue(now, batchSize, owner, leaseMs);
      summary.due += claim.due;
      summary.rescheduled += claim.rescheduled;
      summary.completed += claim.completed;
      if (claim.due === 0) return;
      if (claim.batchId === null) continue;
      const emails = await prepare(claim.batchId);
      await processBatch(claim.batchId, emails);
    }
  }

  await Promise.all(Array.from({ length: Math.max(1, deps.concurrency ?? 1) }, lane));
  summary.durationMs = clock.now() - started;
  if (summary.due > 0 || summary.batches > 0) logger.info({ ...summary }, 'tick done');
  return summary;
}
