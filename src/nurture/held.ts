import type { Stores } from '../../db/stores.js';
import type { HeldBatch } from '../../db/types.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { runningPlan } from './versions.js';

export type { HeldBatch } from '../../db/types.js';

/** Batches whose outcome is unknown past the provider's idempotency window: staff decide. */
export function heldBatches(stores: Stores): Promise<HeldBatch[]> {
  return stores.sendQueue.held();
}

export type HeldDecision = 'resend' | 'sent';

/**
 * Staff's decision on a held batch, after looking in the provider's log:
 * 'resend' sends it again as a new request (it never arrived), 'sent' counts
 * it as delivered (it did) and moves its subscribers on.
 */
export async function resolveHeldBatch(deps: { stores: Stores; config: Config; clock: Clock; logger: Logger; worker?: { kick(): void } }, id: number, decision: HeldDecision): Promise<boolean> {
  const done = await deps.stores.sendQueue.resolveHeld(id, decision, deps.clock.now(), (await runningPlan(deps)).schedule);
  if (!done) return false;
  deps.logger.warn({ batchId: id, decision }, 'held batch resolved by staff');
  if (decision === 'resend') deps.worker?.kick();
  return true;
}
