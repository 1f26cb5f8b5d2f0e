import type { ConfirmInput, ConsentRecord, Subscriber } from '../../db/types.js';
import { firstNotReceived, sendTime, type ScheduleOptions } from '../nurture/schedule.js';
import { SEQUENCE_VERSIONS } from '../nurture/sequence.js';
import { runningSequence } from '../nurture/versions.js';
import { consentFor } from './consent.js';
import type { RequestMeta, SubscriberDeps } from './deps.js';
import { findByToken } from './lookup.js';

/** Where a confirmation link stands, for the page that shows it. */
export type ConfirmState =
  | { kind: 'invalid' }
  | { kind: 'unknown' }
  | { kind: 'pending'; subscriber: Subscriber }
  | { kind: 'confirmed'; subscriber: Subscriber } // active, completed or converted
  | { kind: 'unsubscribed'; subscriber: Subscriber }
  | { kind: 'suppressed'; subscriber: Subscriber };

export async function confirmState(deps: Pick<SubscriberDeps, 'stores' | 'config' | 'clock'>, token: string): Promise<ConfirmState> {
  const found = await findByToken(deps.stores.subscribers, deps.config.secretKey, token, 'confirm', deps.clock.now());
  if (found.kind !== 'found') return found;
  const s = found.subscriber;
  switch (s.status) {
    case 'pending':
      return { kind: 'pending', subscriber: s };
    case 'active':
    case 'completed':
    case 'converted':
      return { kind: 'confirmed', subscriber: s };
    case 'unsubscribed':
      return { kind: 'unsubscribed', subscriber: s };
    default:
      return { kind: 'suppressed', subscriber: s };
  }
}

/**
 * What confirming now records and schedules, given a consent: the version
 * running now (they are enrolled in it), and the first of its steps not yet
 * received (someone coming back continues from there). Every way into the
 * sequence (a confirmation link, an import with a recorded consent) confirms
 * through this, so they enrol alike. `enteredForThem` (an import, with the
 * schedule's options) places email 1 in the person's next send window rather
 * than at once.
 */
export async function confirmingNow(
  deps: Pick<SubscriberDeps, 'stores' | 'sequences'>,
  now: number,
  enteredForThem?: ScheduleOptions,
): Promise<(consent: ConsentRecord) => ConfirmInput> {
  const running = await runningSequence(deps.stores, deps.sequences ?? SEQUENCE_VERSIONS);
  const steps = running.sequence.steps;
  return (consent) => ({
    now,
    consent,
    sequenceVersion: running.version,
    firstStep: (received) => firstNotReceived(steps, new Set(received))?.step ?? null,
    // Entered by staff (an import with a recorded consent): email 1 waits for their window, as the worker's schedule places it.
    ...(enteredForThem
      ? { firstSendAt: (step: number, timezone: string) => sendTime({ confirmedAt: now, timezone, lastSentAt: null, enteredForThem: true }, steps, step, now, enteredForThem) }
      : {}),
  });
}

/**
 * Confirms a pending subscriber: records the consent (time, IP, user agent,
 * exact wording and its version, source) and schedules the first step not yet
 * received for right now. Confirming twice changes nothing.
 */
export async function confirmSubscription(deps: SubscriberDeps, token: string, meta: RequestMeta): Promise<ConfirmState> {
  const state = await confirmState(deps, token);
  if (state.kind !== 'pending') return state;
  const { stores, clock, logger } = deps;
  const s = state.subscriber;
  const confirming = await confirmingNow(deps, clock.now());
  // The words the signup and confirm pages showed, with this clinic's name in them.
  const consent = consentFor(deps.config.clinicName);
  const confirmed = await stores.subscribers.confirm(s.id, confirming({ ...consent, ip: meta.ip, userAgent: meta.userAgent }));
  if (!confirmed) return confirmState(deps, token);
  logger.info({ subscriberId: s.id, nextStep: confirmed.nextStep }, 'subscriber confirmed');
  // Email 1 goes right away rather than at the next cron minute.
  if (confirmed.nextStep !== null) deps.worker?.kick();
  return { kind: 'confirmed', subscriber: confirmed };
}
