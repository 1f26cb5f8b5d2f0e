/**
 * Which version of the sequence runs: the newest one an admin published (the
 * database keeps them), with its plan from the code. Every part that decides
 * what a subscriber gets next asks here, so the worker, a confirmation, a
 * pause and the staff pages follow the same version.
 */
import type { Stores } from '../../db/stores.js';
import type { DueRow, PublishedVersion, QueuePolicy } from '../../db/types.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import { recordAudit } from '../audit.js';
import { plannedAt, queuePolicy, stepFor, type QueueSequence } from './decide.js';
import { scheduleOptions, type ScheduleOptions, type SendWindow } from './schedule.js';
import { SEQUENCE_VERSIONS, type SequenceCatalog, type SequenceVersion } from './sequence.js';

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

// ---------------------------------------------------------------------------
// What a new version would do, and publishing it

/** One kind of change a new version makes to the people in flight, with how many it touches. */
export type VersionChange = {
  /** new_step: their next email becomes a step the running version lacks; removed: their next step is gone (they get `to` instead); finishes: nothing more for them; moved: another existing step comes next; retimed: same step, another time. */
  kind: 'new_step' | 'removed' | 'finishes' | 'moved' | 'retimed';
  /** Their next step now (null: none). */
  from: number | null;
  /** Their next step under the new version (null: none). */
  to: number | null;
  count: number;
  /** For retimed (and the others when a time stays): how many go earlier and later than now planned. */
  earlier: number;
  later: number;
};

export type VersionEffect = {
  version: number;
  /** People with a next email scheduled (those with one in flight follow the new version from the email after it). */
  scheduled: number;
  unchanged: number;
  changes: VersionChange[];
};

/** An empty effect, to fold scheduled subscribers into page by page. */
export function emptyEffect(version: number): VersionEffect {
  return { version, scheduled: 0, unchanged: 0, changes: [] };
}

/**
 * Adds what `next` would change for these scheduled subscribers against
 * `current` (both decided at `now`, with the same rules the worker uses).
 * Pure: the caller pages through the subscribers.
 */
export function addEffect(effect: VersionEffect, rows: readonly DueRow[], current: QueueSequence, next: QueueSequence, now: number, options: ScheduleOptions): VersionEffect {
  const currentIds = new Set(current.steps.map((s) => s.step));
  const nextIds = new Set(next.steps.map((s) => s.step));
  for (const row of rows) {
    effect.scheduled++;
    const nowPlan = plan(row, current, now, options);
    // Publishing moves them on from where they are: their row is then behind the new version.
    const newPlan = plan({ ...row, sequenceVersion: Math.min(row.sequenceVersion ?? current.version, next.version - 1) }, next, now, options);
    if (nowPlan?.step === newPlan?.step && nowPlan?.at === newPlan?.at) {
      effect.unchanged++;
      continue;
    }
    const from = nowPlan?.step ?? null;
    const to = newPlan?.step ?? null;
    const kind: VersionChange['kind'] =
      to === null ? 'finishes' : !currentIds.has(to) ? 'new_step' : from !== null && !nextIds.has(from) ? 'removed' : from === to ? 'retimed' : 'moved';
    let change = effect.changes.find((c) => c.kind === kind && c.from === from && c.to === to);
    if (!change) effect.changes.push((change = { kind, from, to, count: 0, earlier: 0, later: 0 }));
    change.count++;
    if (nowPlan && newPlan && newPlan.at < nowPlan.at) change.earlier++;
    if (nowPlan && newPlan && newPlan.at > nowPlan.at) change.later++;
  }
  return effect;
}

function plan(row: DueRow, sequence: QueueSequence, now: number, options: ScheduleOptions): { step: number; at: number } | null {
  const step = stepFor(row, sequence);
  return step ? { step: step.step, at: plannedAt(row, sequence.steps, step.step, now, options) } : null;
}

type VersionDeps = { stores: Stores; config: { sendWindow: SendWindow }; clock: Clock; sequences?: SequenceCatalog };

/** What publishing `candidate` would do to everyone scheduled now, read in pages. */
export async function versionEffect(deps: VersionDeps, candidate: SequenceVersion, pageSize = 1000): Promise<VersionEffect> {
  const { sequence, options } = await runningPlan(deps);
  const next = { version: candidate.version, steps: candidate.steps };
  const now = deps.clock.now();
  const effect = emptyEffect(candidate.version);
  for (let after = 0; ; ) {
    const rows = await deps.stores.sendQueue.scheduled(after, pageSize);
    if (rows.length === 0) return effect;
    addEffect(effect, rows, sequence, next, now, options);
    after = rows.at(-1)!.id;
  }
}

export type VersionsOverview = {
  running: number;
  published: PublishedVersion[];
  /** Every version the code knows, with how many active people follow it, by next step (null: in flight). */
  versions: { version: number; summary: string; steps: SequenceVersion['steps']; status: 'running' | 'earlier' | 'unpublished'; people: number; byStep: { step: number | null; count: number }[] }[];
  /** People on a version this code does not know (a newer release published it). */
  unknown: { version: number | null; count: number }[];
};

export async function versionsOverview(deps: { stores: Stores; sequences?: SequenceCatalog }): Promise<VersionsOverview> {
  const catalog = deps.sequences ?? SEQUENCE_VERSIONS;
  const running = await runningSequence(deps.stores, catalog);
  const heads = await deps.stores.sequence.headcount();
  // Rows from before versions count as the first version (the migration enrolled everyone confirmed).
  const versionOf = (v: number | null) => v ?? catalog[0]!.version;
  const versions = catalog.map((v) => {
    const mine = heads.filter((h) => versionOf(h.version) === v.version);
    return {
      version: v.version,
      summary: v.summary,
      steps: v.steps,
      status: v.version === running.version ? ('running' as const) : v.version < running.version ? ('earlier' as const) : ('unpublished' as const),
      people: mine.reduce((n, h) => n + h.count, 0),
      byStep: mine.map((h) => ({ step: h.step, count: h.count })),
    };
  });
  const known = new Set(catalog.map((v) => v.version));
  const unknown = heads.filter((h) => !known.has(versionOf(h.version))).map((h) => ({ version: h.version, count: h.count }));
  return { running: running.version, published: running.published, versions, unknown };
}

export type PublishOutcome = { ok: true; version: number } | { ok: false; reason: 'unknown_version' | 'not_newer'; running: number };

/**
 * Publishes a version of the code: from now on it runs, and the people in
 * flight move onto it from where they are (the worker's next tick moves
 * them; it is kicked). Only a version newer than the running one.
 */
export async function publishVersion(deps: VersionDeps & { logger: Logger; worker?: { kick(): void } }, version: number, actor: string): Promise<PublishOutcome> {
  const catalog = deps.sequences ?? SEQUENCE_VERSIONS;
  const running = await runningSequence(deps.stores, catalog);
  if (!catalog.some((v) => v.version === version)) return { ok: false, reason: 'unknown_version', running: running.version };
  if (version <= running.version) return { ok: false, reason: 'not_newer', running: running.version };
  if (!(await deps.stores.sequence.publish(version, actor, deps.clock.now()))) return { ok: false, reason: 'not_newer', running: (await runningSequence(deps.stores, catalog)).version };
  await recordAudit(deps, actor, 'sequence.published', null, { version, previous: running.version });
  deps.logger.warn({ version, previous: running.version, by: actor }, `sequence version ${version} published`);
  deps.worker?.kick();
  return { ok: true, version };
}

/** One sentence per change, as staff read it before publishing. `title` names a step by id. */
export function describeChange(change: VersionChange, title: (step: number) => string): string {
  const people = change.count === 1 ? '1 person' : `${change.count} people`;
  const timing = change.earlier || change.later ? ` (${change.earlier} earlier, ${change.later} later than now planned)` : '';
  switch (change.kind) {
    case 'new_step':
      return `${people} will get the new ${title(change.to!)} on their next send${change.from === null ? '' : `, before ${title(change.from)}`}${timing}.`;
    case 'removed':
      return `${people} will not get ${title(change.from!)} (removed); ${title(change.to!)} comes next instead${timing}.`;
    case 'finishes':
      return `${people} will finish the sequence: no step is left for them${change.from === null ? '' : ` (${title(change.from)} is no longer theirs)`}.`;
    case 'moved':
      return `${people} will get ${title(change.to!)} next instead of ${title(change.from!)}${timing}.`;
    case 'retimed':
      return `${people} will get ${title(change.from!)} at another time${timing}.`;
  }
}
