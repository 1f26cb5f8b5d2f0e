import type { Stores } from '../../db/stores.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { SequenceCatalog } from '../nurture/sequence.js';

/** What the subscriber services need; the app passes its own deps. */
export type SubscriberDeps = {
  stores: Stores;
  config: Config;
  clock: Clock;
  logger: Logger;
  /** Asks the worker to run a tick soon: a confirmation or email 1 is waiting. */
  worker?: { kick(): void };
  /** The versions of the sequence the code knows (default: src/nurture/sequence.ts). */
  sequences?: SequenceCatalog;
};

/** Who asked, as recorded with a signup or a consent. */
export type RequestMeta = { ip: string | null; userAgent: string | null };
