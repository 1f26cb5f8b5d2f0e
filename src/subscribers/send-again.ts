import type { ResendRefusal, SubscriberStatus } from '../../db/types.js';
import { decideResend } from '../nurture/send-again.js';
import { findStep } from '../nurture/sequence.js';
import type { SubscriberDeps } from './deps.js';

export type ResendResult =
  | { ok: true; deliveryId: number; step: number }
  | { ok: false; reason: 'not_found' }
  | { ok: false; reason: 'unknown_step' }
  | { ok: false; reason: ResendRefusal; status: SubscriberStatus };

/**
 * Queues one sequence step again for a subscriber who asked for it; the
 * worker sends it (claimed with the confirmation emails, at once rather than
 * in their send window: they are waiting for it) with their current name and
 * links. See src/nurture/resend.ts for who may get one.
 */
export async function resendStep(deps: Pick<SubscriberDeps, 'stores' | 'clock' | 'logger' | 'worker' | 'sequences'>, id: number, stepNumber: number): Promise<ResendResult> {
  const step = findStep(stepNumber, deps.sequences);
  if (!step) return { ok: false, reason: 'unknown_step' };
  const outcome = await deps.stores.sendQueue.enqueueResend({ subscriberId: id, step: step.step, templateId: step.templateId, subject: step.subject, now: deps.clock.now() }, decideResend);
  if (!outcome.ok) return outcome;
  deps.logger.info({ subscriberId: id, step: step.step, deliveryId: outcome.deliveryId }, 'sequence step queued again');
  deps.worker?.kick();
  return { ok: true, deliveryId: outcome.deliveryId, step: step.step };
}
