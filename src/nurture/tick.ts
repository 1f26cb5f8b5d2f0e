/**
 * One worker tick: finish unfinished batches, send queued confirmation, test
 * and resent emails, then claim due subscribers in batches of up to 100; render,
 * persist, pace, send and settle each batch. Every email the product sends
 * goes this one way.
 *
 * Exactly once: a batch's request body is persisted (with an idempotency key
 * derived from it) with its first attempt, before it leaves. A crash leaves
 * the batch 'ready' and in doubt, with a lease that expires; the next tick
 * takes it over and repeats the identical request with the identical key,
 * which the provider answers from its idempotency store if it had accepted
 * it; an error answer to such a replay leaves it in doubt (isKnownFailure).
 * After a failure with an answer to a request nobody holds in doubt, the
 * batch is rebuilt without anyone who left since. The claim is one
 * transaction that inserts the deliveries (unique per subscriber and step)
 * and takes the subscribers off the due set, so two workers never claim the
 * same step.
 */
import crypto from 'node:crypto';
import type { ProviderEventStore, SendQueueStore, SequenceStore, SettingsStore } from '../../db/stores.js';
import type { BatchItem, EncodedBodies, FreshRequest, ItemOutcome } from '../../db/types.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { renderConfirmationEmail, type ConfirmationEmailProps, type RenderedEmail, type SequenceEmailProps } from '../mail/render.js';
import { SendError, MAX_BATCH_SIZE, type OutgoingEmail, type SentEmail, type Transport } from '../mail/transport.js';
import { confirmUrl, preferencesUrl, unsubscribeUrl } from '../mail/links.js';
import { deliveryIdOf, resendEnvelope as envelope, tagDelivery } from '../mail/envelope.js';
import { confirmationProps, sequenceProps, type EmailSettings } from './email-props.js';
import { isKnownFailure, planFailure, queueSchedule, sequenceEmail, type QueueSequence, type QueueStep } from './decide.js';
import { complaintPauseAt } from './complaint-guard.js';
import { realSleep, type Pacer, type Sleep } from './pacer.js';
import { asResend } from './send-again.js';
import { scheduleOptions } from './schedule.js';
import type { PlaceInSeries } from '../../emails/_components/props.js';
import { runningSequences, runningVersions } from './versions.js';
import type { SequenceCatalogs } from './sequence.js';
import { SEQUENCE_IDS } from '../../db/enums.js';

/** What the worker needs from the templates: subject, html and text for one subscriber (and both as JSON, when the renderer has them). */
export type RenderedSequenceEmail = { subject: string; html: string; text: string; templateVersion?: string; json?: EncodedBodies };
export type RenderSequence = (step: QueueStep, props: SequenceEmailProps) => Promise<RenderedSequenceEmail> | RenderedSequenceEmail;
export type RenderConfirmation = (props: ConfirmationEmailProps) => Promise<RenderedEmail>;

export type TickDeps = {
  stores: { sendQueue: SendQueueStore; settings: SettingsStore; sequence: SequenceStore; events: Pick<ProviderEventStore, 'complaintFigures'> };
  clock: Clock;
  transport: Transport;
  logger: Logger;
  config: Pick<Config, 'secretKey' | 'mailFrom' | 'sendWindow' | 'complaintPause'> & EmailSettings;
  /** Every version of each sequence this code knows; the one published runs. */
  sequences: SequenceCatalogs<QueueSequence>;
  render: RenderSequence;
  renderConfirmation?: RenderConfirmation;
  pacer: Pacer;
  sleep?: Sleep;
  random?: () => number;
  /** The machine's own time, which leases are on (see LEASES below), whatever `clock` says. */
  realNow?: () => number;
  /** Lease owner name: unique per process (each lane holds its batches as `<owner>/<lane>`). */
  owner?: string;
  skipWeekends?: boolean;
  leaseMs?: number;
  batchSize?: number;
  /** Batches in flight at once (pacing still spaces the requests). */
  concurrency?: number;
  /** Asked between steps; true stops claiming and releases a batch that would wait. */
  shouldStop?: () => boolean;
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
  held: number;
  pausedUntil?: string;
  /** Sequence emails were not claimed: the complaint guard paused them (confirmations and tests still went). */
  sequencePaused?: 'complaints';
  /** What the worker's housekeeping did after the tick (e.g. people erased by the retention sweep). */
  housekeeping?: Record<string, number>;
  durationMs: number;
};

/**
 * LEASES: the clock rule, written down once. A tick has two times: `clock`,
 * the time it acts as (what is due, retry times, every time it records but
 * a first attempt's), and `realNow`, the machine's. They differ under `npm run
 * tick -- --now`. A lease says whether a process is still working on a
 * batch, which only real time can tell, so a lease lives on real time alone:
 * it is written as realNow + its length, renewed on realNow while the batch is
 * worked on, and a batch is taken over only when its lease ended by realNow
 * (claimStale is given both times and compares each column with its own).
 * So under --now a tick's own batches never look abandoned to its other
 * lanes, a killed process's batch is taken over once its lease really ran
 * out, and a tick run as if later never takes a live worker's batch.
 * Pacing is on real time too (the worker's pacer), and so are a daily
 * quota's pause and the replay window (a batch's first attempt): the provider
 * counts requests and keeps idempotency keys on its clock, and every process
 * shares one grid of slots, one pause and each batch's attempts.
 *
 * Leases are short and renewed (a heartbeat every third of one, and before
 * every attempt) while a batch is worked on, however long its attempts and
 * their back-off take: a killed process's batch is free within one lease.
 */
export const DEFAULT_LEASE_MS = 30_000;
export const QUOTA_KEY = 'quota_paused_until';

export async function runTick(deps: TickDeps): Promise<TickSummary> {
  const { clock, transport, logger, config, pacer } = deps;
  const queue = deps.stores.sendQueue;
  const settings = deps.stores.settings;
  const sleep = deps.sleep ?? realSleep;
  const random = deps.random ?? Math.random;
  const realNow = deps.realNow ?? Date.now;
  const processOwner = deps.owner ?? `tick-${crypto.randomUUID()}`;
  const leaseMs = deps.leaseMs ?? DEFAULT_LEASE_MS;
  const batchSize = Math.min(MAX_BATCH_SIZE, deps.batchSize ?? MAX_BATCH_SIZE);
  const running = await runningSequences(deps.stores, deps.sequences);
  const schedule = queueSchedule(runningVersions(running), scheduleOptions(config, deps.skipWeekends));
  // A sequence version published by a newer release than this one: its emails wait for a process that knows it.
  const unknown = SEQUENCE_IDS.filter((id) => !running[id].known);
  const renderConfirmation = deps.renderConfirmation ?? ((props: ConfirmationEmailProps) => renderConfirmationEmail(props));
  // A step in flight renders as the version it was claimed on had it: the running one wins, then the newest that has it.
  const steps = new Map<string, { step: QueueStep; place: PlaceInSeries }>();
  for (const id of SEQUENCE_IDS) {
    for (const v of [...deps.sequences[id], running[id].sequence]) {
      v.steps.forEach((step, i) => steps.set(`${id}:${step.step}`, { step, place: { position: i + 1, total: v.steps.length } }));
    }
  }
  const started = clock.now();
  const summary: TickSummary = { due: 0, sent: 0, failed: 0, retried: 0, dropped: 0, rescheduled: 0, completed: 0, batches: 0, held: 0, durationMs: 0 };
  let quotaStop = false;
  const stopping = () => quotaStop || (deps.shouldStop?.() ?? false);
  // On real time only: see LEASES.
  const leaseUntil = () => realNow() + leaseMs;
  /** The batches this tick holds, each with the lane holding it: the heartbeat keeps their leases. */
  const holding = new Map<number, string>();

  const pausedRaw = await settings.get(QUOTA_KEY);
  const pausedUntil = pausedRaw === null ? null : Number(pausedRaw);
  // Kept on real time: the provider's quota resets on its clock, and every process (one run as if later too) reads it.
  if (pausedUntil !== null && pausedUntil > realNow()) {
    logger.info({ until: new Date(pausedUntil).toISOString() }, `daily quota reached, sending paused until ${new Date(pausedUntil).toISOString()}`);
    return { ...summary, pausedUntil: new Date(pausedUntil).toISOString(), durationMs: clock.now() - started };
  }
  // Holds back sequence emails only; queued confirmations and tests, and batches already claimed, still go.
  const complaintPause = await complaintPauseAt({ stores: deps.stores, threshold: config.complaintPause, logger }, started);
  if (complaintPause) summary.sequencePaused = 'complaints';

  /** One email of a batch as it will leave, or null for someone gone since the claim (dropped before sending). */
  async function render(item: BatchItem, now: number): Promise<{ email: OutgoingEmail; version?: string; json?: EncodedBodies } | null> {
    if (item.kind === 'test' || !item.email || item.subscriberId === null) return null;
    const links = { id: item.subscriberId, tokenGeneration: item.tokenGeneration };
    const replyTo = config.replyTo ? { replyTo: config.replyTo } : {};
    if (item.kind === 'confirmation') {
      const r = await renderConfirmation(
        confirmationProps(config, item, { confirmUrl: confirmUrl(config, links, now), unsubscribeUrl: unsubscribeUrl(config, links), preferencesUrl: preferencesUrl(config, links) }),
      );
      const email: OutgoingEmail = { from: config.mailFrom, to: item.email, ...replyTo, subject: r.subject, html: r.html, text: r.text, tags: [{ name: 'category', value: 'confirmation' }] };
      return { email: tagDelivery(email, item.deliveryId), version: r.templateVersion, json: r.json };
    }
    const found = steps.get(`${item.sequence ?? 'education'}:${item.step}`);
    if (!found) return null;
    const unsubscribe = unsubscribeUrl(config, links);
    const r = await deps.render(found.step, sequenceProps(config, item, { unsubscribeUrl: unsubscribe, preferencesUrl: preferencesUrl(config, links) }, found.place));
    const email = sequenceEmail({ deliveryId: item.deliveryId, subscriberId: item.subscriberId, step: item.step, to: item.email, from: config.mailFrom, ...replyTo, subject: r.subject, html: r.html, text: r.text, unsubscribeUrl: unsubscribe });
    // A resend (staff, at the person's request) is the step's own email with their current links.
    return { email: item.kind === 'resend' ? asResend(email) : email, ...(r.templateVersion ? { version: r.templateVersion } : {}), json: r.json };
  }

  /** Renders the request of a freshly claimed (or never persisted) batch; it is persisted with its first attempt. */
  async function prepare(batchId: number): Promise<FreshRequest> {
    const versions = new Map<number, string>();
    const emails: OutgoingEmail[] = [];
    const encoded: (EncodedBodies | undefined)[] = [];
    const now = clock.now();
    for (const item of await queue.items(batchId)) {
      const r = await render(item, now);
      if (!r) continue;
      if (r.version) versions.set(item.deliveryId, r.version);
      emails.push(r.email);
      encoded.push(r.json);
    }
    // Serialised and hashed once, here, outside the store's transaction.
    return { emails, request: envelope.seal(emails, encoded), versions };
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

  async function settle(batchId: number, result: ItemOutcome[]) {
    const s = await queue.settle(batchId, result, clock.now(), schedule);
    summary.sent += s.sent;
    summary.failed += s.failed;
    summary.completed += s.completed;
    for (const o of result) if (o.error !== undefined) logger.warn({ batchId, deliveryId: o.deliveryId, error: o.error }, 'delivery failed permanently');
  }

  /** Sends one batch `owner` (a lane) holds to the end: sent, failed, split, deferred, held or released. */
  async function processBatch(batchId: number, owner: string, prepared: FreshRequest | null): Promise<void> {
    let fresh = prepared;
    let emails: OutgoingEmail[] = prepared?.emails ?? [];
    const tries = { transient: 0, rateLimited: 0 };
    for (;;) {
      if (stopping()) {
        await queue.release(batchId, owner, null, null, false);
        return;
      }
      // A pacer turn is a request slot of the whole account: spent only on a batch this lane still holds.
      if (!(await queue.renewLease(batchId, owner, leaseUntil()))) return;
      const turn = await pacer.acquire();
      if (stopping()) {
        await queue.release(batchId, owner, null, null, false);
        return;
      }
      const begun = await queue.beginAttempt(batchId, owner, clock.now(), realNow(), leaseUntil(), fresh, schedule, envelope);
      if (begun.kind === 'lost') return;
      if (begun.kind === 'held') {
        summary.held++;
        logger.error({ batchId }, 'batch held for staff: its last attempt is older than the provider keeps idempotency keys and its outcome is unknown');
        return;
      }
      summary.dropped += begun.dropped;
      if (begun.kind === 'empty') return;
      // Persisted now: a retry repeats exactly this, or rebuilds it after a known failure.
      fresh = null;
      emails = begun.emails;
      let results: SentEmail[];
      try {
        turn.started();
        results = await transport.sendBatch(emails, { idempotencyKey: begun.idempotencyKey, body: begun.body });
      } catch (thrown) {
        // Anything else a transport throws leaves the outcome unknown: retried like a timeout.
        const err = thrown instanceof SendError ? thrown : new SendError('transient', `send failed: ${thrown instanceof Error ? thrown.message : String(thrown)}`);
        if (err.kind === 'transient') tries.transient++;
        if (err.kind === 'rate_limited') tries.rateLimited++;
        const now = clock.now();
        const known = isKnownFailure(err, begun.replay);
        if (known) await queue.markKnownFailure(batchId, owner, err.message);
        const plan = planFailure(err, tries, now, random, begun.replay);
        logger.warn({ batchId, kind: err.kind, status: err.details.statusCode, replay: begun.replay, known, plan: plan.kind }, `batch send failed: ${err.message}`);
        switch (plan.kind) {
          case 'retry':
            summary.retried++;
            if (plan.holdPacer) pacer.holdFor(plan.waitMs);
            else await sleep(plan.waitMs);
            continue;
          case 'defer':
            await queue.release(batchId, owner, plan.retryAt, err.message, known);
            logger.warn({ batchId, retryAt: new Date(plan.retryAt).toISOString() }, 'batch left for a later tick');
            return;
          case 'quota': {
            const until = new Date(plan.until).toISOString();
            await settings.set(QUOTA_KEY, String(realNow() + (plan.until - now)), now);
            await queue.release(batchId, owner, plan.until, err.message, known);
            logger.warn({ until }, `daily quota reached, sending paused until ${until}`);
            quotaStop = true;
            return;
          }
          case 'abandon':
            await settle(batchId, emails.map((e) => ({ deliveryId: deliveryIdOf(e), error: err.message })));
            return;
          case 'permanent':
            if (emails.length === 1) {
              await settle(batchId, [{ deliveryId: deliveryIdOf(emails[0]!), error: err.message }]);
              return;
            }
            // One bad email refuses the whole request: bisect so the others still go.
            {
              const mid = Math.ceil(emails.length / 2);
              const ids = await queue.split(batchId, [emails.slice(0, mid), emails.slice(mid)], err.message, owner, now, leaseUntil(), envelope);
              for (const id of ids) holding.set(id, owner);
              for (const id of ids) await work(id, owner, async () => null);
            }
            return;
        }
      }
      await settle(batchId, outcomes(emails, results));
      summary.batches++;
      return;
    }
  }

  /** Works on a batch the lane `owner` just claimed, holding its lease until it is done with it. */
  async function work(batchId: number, owner: string, fresh: () => Promise<FreshRequest | null>): Promise<void> {
    holding.set(batchId, owner);
    try {
      await processBatch(batchId, owner, await fresh());
    } finally {
      holding.delete(batchId);
    }
  }

  async function lane(index: number): Promise<void> {
    // Each lane holds its batches under its own name, so no lane can work on (or spend a pacer turn for) another's.
    const laneOwner = `${processOwner}/${index}`;
    while (!stopping()) {
      const now = clock.now();
      const stale = await queue.claimStale(now, realNow(), laneOwner, leaseUntil());
      if (stale !== null) {
        const batch = await queue.batch(stale);
        logger.info({ batchId: stale, attempts: batch?.attempts }, 'taking over an unfinished batch');
        await work(stale, laneOwner, async () => (batch?.payload ? null : prepare(stale)));
        continue;
      }
      // Confirmations first: someone is waiting for theirs right now.
      const queued = await queue.claimQueued(now, batchSize, laneOwner, leaseUntil());
      if (queued !== null) {
        await work(queued, laneOwner, () => prepare(queued));
        continue;
      }
      if (unknown.length > 0 || complaintPause) return;
      const claim = await queue.claimDue(now, batchSize, laneOwner, leaseUntil(), schedule);
      summary.due += claim.due;
      summary.rescheduled += claim.rescheduled;
      summary.completed += claim.completed;
      if (claim.due === 0) return;
      if (claim.batchId === null) continue;
      const batchId = claim.batchId;
      await work(batchId, laneOwner, () => prepare(batchId));
    }
  }

  if (unknown.length > 0) {
    for (const id of unknown) {
      const { version } = running[id];
      logger.warn({ sequence: id, version }, `${id} version ${version} is published but this process does not know it: sequence emails wait for a process that does`);
    }
  } else {
    // People still on an older version move onto the one running, from where they are.
    for (let moved = 1; moved > 0 && !stopping(); ) moved = await queue.moveToVersion(started, batchSize, schedule);
  }
  const heartbeat = setInterval(() => {
    for (const [batchId, laneOwner] of holding) {
      queue.renewLease(batchId, laneOwner, leaseUntil()).catch((err: unknown) => logger.warn({ err, batchId }, 'lease not renewed'));
    }
  }, leaseMs / 3);
  heartbeat.unref();
  try {
    await Promise.all(Array.from({ length: Math.max(1, deps.concurrency ?? 1) }, (_, i) => lane(i)));
  } finally {
    clearInterval(heartbeat);
  }
  summary.durationMs = clock.now() - started;
  if (summary.due > 0 || summary.batches > 0 || summary.held > 0) logger.info({ ...summary }, 'tick done');
  return summary;
}
