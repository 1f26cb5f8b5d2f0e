/**
 * Which version of the sequence runs: the newest one an admin published (the
 * database keeps them), with its plan from the code. Every part that decides
 * what a subscriber gets next asks here, so the worker, a confirmation, a
 * pause and the staff pages follow the same version.
 */
import type { Stores } from '../../db/stores.js';
import type { PublishedVersion, QueuePolicy } from '../../db/types.js';
import { queuePolicy, type QueueSequence } from './decide.js';
import { scheduleOptions, type ScheduleOptions, type SendWindow } from './schedule.js';
import { SEQUENCE_VERSIONS, type SequenceVersion } from './sequence.js';

export type Running<V extends QueueSequence = SequenceVersion> = {
  /** The newest published version (1 before anything else was published). */
  version: number;
  /**
   * Its plan; when this code does not know it (a newer release published
   * it), the newest plan it knows: good enough to place a confirmation or a
   * pause, never to send the sequence (the worker waits for the newer code).
   */
  sequence: V;
  known: boolean;
  published: PublishedVersion[];
};

export async function runningSequence<V extends QueueSequence>(stores: Pick<Stores, 'sequence'>, catalog: readonly V[]): Promise<Running<V>> {
  const published = await stores.sequence.published();
  const version = published.at(-1)?.version ?? 1;
  const exact = catalog.find((v) => v.version === version);
  const fallback = [...catalog].reverse().find((v) => v.version < version) ?? catalog[0];
  if (!fallback) throw new Error('the sequence catalog is empty');
  return { version, sequence: exact ?? fallback, known: exact !== undefined, published };
}

export type RunningPlan = { running: Running; sequence: QueueSequence; options: ScheduleOptions; policy: QueuePolicy };

/** The running version with the configured send window and its decisions, for services outside the worker. */
export async function runningPlan(deps: { stores: Pick<Stores, 'sequence'>; config: { sendWindow: SendWindow }; sequences?: readonly SequenceVersion[] }): Promise<RunningPlan> {
  const running = await runningSequence(deps.stores, deps.sequences ?? SEQUENCE_VERSIONS);
  const sequence = { version: running.version, steps: running.sequence.steps };
  const options = scheduleOptions(deps.config);
  return { running, sequence, options, policy: queuePolicy(sequence, options) };
}
