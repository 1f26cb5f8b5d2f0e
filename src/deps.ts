import type { Stores } from '../db/stores.js';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import type { Logger } from './logger.js';
import type { DnsResolver } from './mail/sender-dns.js';
import type { Transport } from './mail/transport.js';
import type { SequenceCatalog } from './nurture/sequence.js';
import type { RateLimit } from './rate-limit.js';
import type { StaffActor } from './staff/roles.js';
import type { PasswordCheck } from './staff/throttle.js';

/**
 * Everything the app needs from outside; injected so tests control each
 * part. Its own module, so routes never import the file that mounts them.
 */
export type AppDeps = {
  stores: Stores;
  config: Config;
  clock: Clock;
  /** Read by pages that show what the transport keeps (the outbox) and by erase. */
  transport: Pick<Transport, 'name'>;
  logger: Logger;
  /** Asks the worker to run a tick soon (a confirmation or email 1 is waiting). */
  worker?: { kick(): void };
  /** The versions of the sequence the code knows (default: src/nurture/sequence.ts); tests bring their own. */
  sequences?: SequenceCatalog;
  /** DNS for the sender domain's health checks; default the system's (node:dns). */
  dns?: DnsResolver;
  /** POST /subscribe per client address; default 10 a minute. */
  subscribeRateLimit?: RateLimit;
  /** Staff password checks, gated per process; default 2 at once and 8 waiting (tests count or hold them). */
  passwordCheck?: PasswordCheck;
};

export type AppEnv = { Variables: { requestId: string } };

/** What every public page says about who runs it, from the clinic profile (set by createApp on each request). */
export type SiteProfile = { clinicName: string; clinicUrl?: string; defaultTimezone: string };

/** Where the reader of a page is, as far as the page knows it: their stored time zone, or the crisis country the signup carried. */
export type PagePlace = { timezone?: string; country?: string };

// The signed-in staff account, set by the staff auth middleware (src/routes/staff/auth.ts).
declare module 'hono' {
  interface ContextVariableMap {
    staff: StaffActor;
    site: SiteProfile;
    place: PagePlace;
  }
}
