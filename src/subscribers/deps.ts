import type { Db } from '../../db/client.js';
import type { Background } from '../background.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { Transport } from '../mail/transport.js';
import type { ConfirmationQueue } from './confirmation-queue.js';

/** What the subscriber services need; the app passes its own deps. */
export type SubscriberDeps = {
  db: Db;
  config: Config;
  clock: Clock;
  transport: Transport;
  logger: Logger;
  background: Background;
  confirmations: ConfirmationQueue;
  worker?: { kick(): void };
};

/** Who asked, as recorded with a signup or a consent. */
export type RequestMeta = { ip: string | null; userAgent: string | null };
