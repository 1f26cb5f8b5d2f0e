import type { Stores } from '../../db/stores.js';
import { recordAudit } from '../audit.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { Transport } from '../mail/transport.js';
import { eraseSubscriberEverywhere } from './erase.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/** How many people one sweep erases at most: a tick's share, so a tick stays short; the next tick takes the next page. */
export const RETENTION_PAGE = 100;

/**
 * How long someone who never confirms is kept: the days after their last
 * opt-in email (or the retention period, when that is shorter). Their
 * address may have been typed by somebody else. Someone who confirmed once
 * and is asked again (they signed up again after leaving, staff corrected
 * their address) is kept the retention period from that email.
 */
export const UNCONFIRMED_DAYS = 30;

/** The days after which a person who never confirmed is erased, under a retention period. */
export function unconfirmedDays(retentionDays: number): number {
  return Math.min(UNCONFIRMED_DAYS, retentionDays);
}

/**
 * Storage limitation: people who left (unsubscribed, or finished the series
 * and silent since) are erased `retentionDays` after they left, and people
 * still pending after their last opt-in email as `unconfirmedDays` says, one
 * page per call, as the system's action (audited). Erasure keeps only the
 * keyed hash of the address, so they are still never mailed by mistake.
 * Returns how many were erased.
 */
export async function sweepRetention(
  deps: { stores: Stores; clock: Clock; logger: Logger; transport: Pick<Transport, 'name'>; config: Pick<Config, 'outboxDir'> },
  retentionDays: number,
  pageSize = RETENTION_PAGE,
): Promise<number> {
  const now = deps.clock.now();
  const left = await deps.stores.subscribers.leftBefore(now - retentionDays * DAY_MS, pageSize);
  const cutoffs = { neverConfirmed: now - unconfirmedDays(retentionDays) * DAY_MS, confirmedBefore: now - retentionDays * DAY_MS };
  const unconfirmed = left.length < pageSize ? await deps.stores.subscribers.unconfirmedBefore(cutoffs, pageSize - left.length) : [];
  const page = [
    ...left.map((id) => ({ id, why: { retentionDays } })),
    ...unconfirmed.map((u) => ({ id: u.id, why: { unconfirmedDays: u.confirmedBefore ? retentionDays : unconfirmedDays(retentionDays) } })),
  ];
  let erased = 0;
  for (const { id, why } of page) {
    const outcome = await eraseSubscriberEverywhere(deps, id, now);
    if (!outcome || outcome.alreadyErased) continue;
    erased++;
    await recordAudit(deps, 'system', 'subscriber.erased', id, { ...why, withdrawnFromBatches: outcome.withdrawnFromBatches });
  }
  if (erased > 0) deps.logger.info({ erased, retentionDays }, 'retention: people who left or never confirmed were erased');
  return erased;
}
