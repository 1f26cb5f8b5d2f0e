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
 * Storage limitation: people who left (unsubscribed, or finished the series
 * and silent since) are erased `retentionDays` after they left, one page per
 * call, as the system's action (audited). Erasure keeps only the keyed hash
 * of the address, so they are still never mailed by mistake. Returns how
 * many were erased.
 */
export async function sweepRetention(
  deps: { stores: Stores; clock: Clock; logger: Logger; transport: Pick<Transport, 'name'>; config: Pick<Config, 'outboxDir'> },
  retentionDays: number,
  pageSize = RETENTION_PAGE,
): Promise<number> {
  const now = deps.clock.now();
  const ids = await deps.stores.subscribers.leftBefore(now - retentionDays * DAY_MS, pageSize);
  let erased = 0;
  for (const id of ids) {
    const outcome = await eraseSubscriberEverywhere(deps, id, now);
    if (!outcome || outcome.alreadyErased) continue;
    erased++;
    await recordAudit(deps, 'system', 'subscriber.erased', id, { retentionDays, withdrawnFromBatches: outcome.withdrawnFromBatches });
  }
  if (erased > 0) deps.logger.info({ erased, retentionDays }, 'retention: people who left were erased');
  return erased;
}
