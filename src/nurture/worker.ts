import crypto from 'node:crypto';
import cron, { type ScheduledTask } from 'node-cron';
import { renderSequenceEmail } from '../mail/render.js';
import { recordLastTick } from './last-tick.js';
import type { RateLimitInfo } from '../mail/transport.js';
import { createPacer, sharedSlots } from './pacer.js';
import { SEQUENCES } from './sequence.js';
import { runTick, type TickDeps, type TickSummary } from './tick.js';

/** Work the worker does after each tick, given from above (e.g. the retention sweep); answers counts for the tick's summary. */
export type Housekeeping = () => Promise<Record<string, number>>;

export type WorkerDeps = Omit<TickDeps, 'pacer' | 'shouldStop' | 'owner'> & { sendRate: number; pacer?: TickDeps['pacer']; housekeeping?: Housekeeping };

/**
 * The worker: a tick every minute (node-cron), a tick on demand (`kick`, e.g.
 * right after a confirmation so email 1 goes at once), a tick when the lease
 * of a batch another process holds runs out (so a killed process's batch is
 * taken over then, not at the next minute), never two ticks at once in this
 * process, and a graceful stop that lets the batch in flight finish or
 * releases it for the next tick.
 */
export function createWorker(deps: WorkerDeps) {
  const owner = `worker-${process.pid}-${crypto.randomUUID().slice(0, 8)}`;
  const realNow = deps.realNow ?? Date.now;
  // SEND_RATE is the whole account's budget: the grid lives in the database,
  // shared by every process. It runs on real time, as leases do (the clock
  // rule in tick.ts): the provider counts requests on its clock, and a tick
  // run as if later shares the grid with workers at the real time.
  const pacer =
    deps.pacer ?? createPacer({ rate: deps.sendRate, clock: { now: realNow }, sleep: deps.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))), slots: sharedSlots(deps.stores.settings) });
  // Enough batches in flight that the provider's latency does not leave request slots unused.
  const concurrency = deps.concurrency ?? Math.min(8, Math.max(2, Math.ceil(deps.sendRate)));
  let running: Promise<TickSummary | null> | null = null;
  let again = false;
  let stopping = false;
  let task: ScheduledTask | null = null;
  let leaseTimer: NodeJS.Timeout | null = null;

  /** A tick just after the first lease still live ends, if its holder died meanwhile. */
  async function wakeAtLeaseEnd(): Promise<void> {
    const end = await deps.stores.sendQueue.nextLeaseEnd(realNow());
    if (leaseTimer) clearTimeout(leaseTimer);
    leaseTimer = null;
    if (end === null || stopping) return;
    leaseTimer = setTimeout(() => tick(), Math.max(0, end - realNow()) + 50);
    leaseTimer.unref();
  }

  function tick(): Promise<TickSummary | null> {
    if (stopping) return Promise.resolve(null);
    if (running) {
      // A kick during a tick: run once more afterwards so nothing waits a minute.
      again = true;
      return running;
    }
    const current = runTick({ ...deps, concurrency, pacer, owner, shouldStop: () => stopping }).then(
      async (summary) => {
        if (deps.housekeeping && !stopping) {
          try {
            summary.housekeeping = await deps.housekeeping();
          } catch (err) {
            deps.logger.error({ err }, 'housekeeping after the tick failed');
          }
        }
        await recordLastTick(deps, deps.clock.now(), { summary });
        await wakeAtLeaseEnd().catch((err: unknown) => deps.logger.warn({ err }, 'could not read the leases of other processes'));
        return summary;
      },
      async (err: unknown) => {
        deps.logger.error({ err }, 'tick failed');
        await recordLastTick(deps, deps.clock.now(), { error: err });
        return null;
      },
    );
    running = current;
    void current.finally(() => {
      running = null;
      if (again && !stopping) {
        again = false;
        void tick();
      }
    });
    return current;
  }

  return {
    tick,
    kick(): void {
      void tick();
    },
    /** Feeds the provider's rate-limit headers to the pacer. */
    observeRateLimit(info: RateLimitInfo): void {
      pacer.observe(info);
    },
    start(): void {
      task = cron.schedule('* * * * *', () => tick(), { name: 'nurture-tick', noOverlap: true });
    },
    /** Stops the schedule; the batch in flight finishes or is released. */
    async stop(): Promise<void> {
      stopping = true;
      if (leaseTimer) clearTimeout(leaseTimer);
      await task?.stop();
      if (running) await running;
    },
  };
}

export type Worker = ReturnType<typeof createWorker>;

/** The worker for the real sequence and templates, on a booted runtime. */
export function createSequenceWorker(
  runtime: Pick<WorkerDeps, 'stores' | 'clock' | 'transport' | 'logger'> & { config: WorkerDeps['config'] & { sendRate: number } },
  options: Partial<Pick<WorkerDeps, 'concurrency' | 'skipWeekends' | 'housekeeping'>> = {},
): Worker {
  return createWorker({ ...runtime, ...options, sendRate: runtime.config.sendRate, sequences: SEQUENCES, render: renderSequenceEmail });
}
