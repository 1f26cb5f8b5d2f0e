import type { Logger } from './logger.js';

/**
 * Work started by a request that the response must not wait for (sending the
 * confirmation email: a slow provider must neither slow the page down nor
 * reveal, by timing, whether an address was already subscribed). Tracked so
 * shutdown and tests can wait until it is done.
 */
export type Background = {
  run(label: string, work: () => Promise<void>): void;
  /** Resolves once everything started so far (and anything it started) has settled. */
  idle(): Promise<void>;
};

export function createBackground(logger: Logger): Background {
  const inFlight = new Set<Promise<void>>();
  return {
    run(label, work) {
      const p: Promise<void> = Promise.resolve()
        .then(work)
        .catch((err: unknown) => logger.error({ err, task: label }, 'background task failed'))
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    },
    async idle() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
  };
}
