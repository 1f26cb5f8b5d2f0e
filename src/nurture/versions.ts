/**
 * Which version of the sequence runs: the newest one an admin published (the
 * database keeps them), with its plan from the code. Every part that decides
 * what a subscriber gets next asks here, so the worker, a confirmation, a
 * pause and the staff pages follow the same version.
 */
import type { Stores } from '../../db/stores.js';
import type { DueRow, PublishedVersion, QueueSchedule, SequenceId } from '../../db/types.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import { recordAudit } from '../audit.js';
import { queueSchedule, remainingPlan, type PlannedStep, type QueueSequence, type RunningSequences } from './decide.js';
import { localWall, scheduleOptions, type ScheduleOptions, type SendWindow } from './schedule.js';
import { SEQUENCE_IDS } from '../../db/enums.js';
import { catalogsWith, type SequenceCatalog, type SequenceCatalogs, type SequenceVersion } from './sequence.js';

export type Running<V extends QueueSequence = SequenceVersion> = {
  /** The newest published version (1 before anything else was published). */
  version: number;
  /** The version of the code it runs: its own number, or an earlier one published again under it. */
  plan: number;
  /**
   * Its plan, numbered as the published version (the number people in
   * flight are moved onto); when this code does not know the plan (a newer
   * release published it), the newest plan it knows: good enough to place a
   * confirmation or a pause, never to send the sequence (the worker waits for
   * the newer code).
   */
  sequence: V;
  known: boolean;
  published: PublishedVersion[];
};

export async function runningSequence<V extends QueueSequence>(stores: Pick<Stores, 'sequence'>, catalog: readonly V[], id: SequenceId = 'education'): Promise<Running<V>> {
  const published = await stores.sequence.published(id);
  const version = published.at(-1)?.version ?? 1;
  const plan = published.at(-1)?.plan ?? version;
  const exact = catalog.find((v) => v.version === plan);
  const fallback = [...catalog].reverse().find((v) => v.version < plan) ?? catalog[0];
  if (!fallback) throw new Error('the sequence catalog is empty');
  return { version, plan, sequence: { ...(exact ?? fallback), version }, known: exact !== undefined, published };
}

/** The running version of every sequence, each as an admin published it (runningSequence). */
export async function runningSequences<V extends QueueSequence>(stores: Pick<Stores, 'sequence'>, catalogs: SequenceCatalogs<V>): Promise<Record<SequenceId, Running<V>>> {
  return { education: await runningSequence(stores, catalogs.education, 'education'), 'consult-follow-up': await runningSequence(stores, catalogs['consult-follow-up'], 'consult-follow-up') };
}

/** The versions the code knows of one sequence (`sequences`: another education catalog, for tests of versions). */
export function catalogOf(deps: { sequences?: SequenceCatalog }, id: SequenceId): SequenceCatalog {
  return catalogsWith(deps.sequences)[id];
}

/** The version of each sequence that runs, as the queue's decisions take them. */
export function runningVersions(running: Record<SequenceId, Running<QueueSequence>>): RunningSequences {
  const out = {} as Record<SequenceId, QueueSequence>;
  for (const id of SEQUENCE_IDS) out[id] = { version: running[id].version, steps: running[id].sequence.steps };
  return out;
}

export type RunningPlan = { running: Running; sequence: QueueSequence; options: ScheduleOptions; schedule: QueueSchedule };

/** The running versions with the configured send window and their decisions, for services outside the worker; `running` and `sequence` are the education series'. */
export async function runningPlan(deps: { stores: Pick<Stores, 'sequence'>; config: { sendWindow: SendWindow }; sequences?: SequenceCatalog }): Promise<RunningPlan> {
  const all = await runningSequences(deps.stores, catalogsWith(deps.sequences));
  const running = all.education;
  const sequence = { version: running.version, steps: running.sequence.steps };
  const options = scheduleOptions(deps.config);
  return { running, sequence, options, schedule: queueSchedule(runningVersions(all), options) };
}

// ---------------------------------------------------------------------------
// What a new version would do, and publishing it

/** A step both plans have, at another time. `days`: local calendar days it moves in their zone (negative: sooner). */
export type MovedStep = { step: number; from: number; to: number; days: number };

/** What a new version changes for one person with an email scheduled, from their whole remaining plan. */
export type PersonEffect = {
  subscriberId: number;
  timezone: string;
  /** Emails the running version would still send them that the new one will not (with their planned time). */
  removed: PlannedStep[];
  /** Emails they will newly get (with their new planned time). */
  added: PlannedStep[];
  /** Emails they get under both, whose planned time moves. */
  moved: MovedStep[];
};

/** One step, summed over everyone: how many lose it, newly get it, and get it at another time (by local days moved). */
export type StepEffect = { step: number; removed: number; added: number; moved: number; earlier: number; later: number; byDays: { days: number; count: number }[] };

export type VersionEffect = {
  /** The number it would be published as. */
  version: number;
  /** People with a next email scheduled: everyone previewed. */
  scheduled: number;
  /** Of them, those whose whole remaining plan stays the same (same steps, same times). */
  unchanged: number;
  changed: number;
  /** People whose email is being sent right now: they follow the new version from the email after it. */
  inFlight: number;
  /** Summed per step: the new version's order, then steps it drops. */
  steps: StepEffect[];
  /** The people it changes, in id order, as many as were asked for. */
  people: PersonEffect[];
  /** When more changed people follow those listed: the id to list on after; else null. */
  nextAfter: number | null;
};

/** An empty effect, to fold scheduled subscribers into page by page. */
export function emptyEffect(version: number): VersionEffect {
  return { version, scheduled: 0, unchanged: 0, changed: 0, inFlight: 0, steps: [], people: [], nextAfter: null };
}

const DAY_MS = 86_400_000;
const localDayNumber = (timeZone: string, t: number) => Math.floor(localWall(timeZone, t) / DAY_MS);

/**
 * What publishing `next` changes for one scheduled person now following
 * `current`, or null when nothing does: both remaining plans come from
 * remainingPlan, the worker's own decisions. Publishing moves them on from
 * where they are (their row is then behind the new version), as the worker's
 * move onto a new version does.
 */
export function personEffect(row: DueRow, current: QueueSequence, next: QueueSequence, now: number, options: ScheduleOptions): PersonEffect | null {
  const before = remainingPlan({ ...row, sequenceVersion: row.sequenceVersion ?? current.version }, current, now, options);
  const after = remainingPlan({ ...row, sequenceVersion: Math.min(row.sequenceVersion ?? current.version, next.version - 1) }, next, now, options);
  const old = new Map(before.map((p) => [p.step, p.at]));
  const fresh = new Map(after.map((p) => [p.step, p.at]));
  const removed = before.filter((p) => !fresh.has(p.step));
  const added = after.filter((p) => !old.has(p.step));
  const moved = after.flatMap((p): MovedStep[] => {
    const from = old.get(p.step);
    return from === undefined || from === p.at ? [] : [{ step: p.step, from, to: p.at, days: localDayNumber(row.timezone, p.at) - localDayNumber(row.timezone, from) }];
  });
  if (removed.length === 0 && added.length === 0 && moved.length === 0) return null;
  return { subscriberId: row.id, timezone: row.timezone, removed, added, moved };
}

/**
 * Folds what `next` would change for these scheduled subscribers (in id
 * order) into `effect`, keeping at most `list` changed people after
 * `listAfter`. Pure: the caller pages through the subscribers.
 */
export function addEffect(
  effect: VersionEffect,
  rows: readonly DueRow[],
  current: QueueSequence,
  next: QueueSequence,
  now: number,
  options: ScheduleOptions,
  list: { after: number; limit: number } = { after: 0, limit: Infinity },
): VersionEffect {
  const stepOf = (step: number) => {
    let s = effect.steps.find((x) => x.step === step);
    if (!s) effect.steps.push((s = { step, removed: 0, added: 0, moved: 0, earlier: 0, later: 0, byDays: [] }));
    return s;
  };
  for (const row of rows) {
    effect.scheduled++;
    const person = personEffect(row, current, next, now, options);
    if (!person) {
      effect.unchanged++;
      continue;
    }
    effect.changed++;
    for (const p of person.removed) stepOf(p.step).removed++;
    for (const p of person.added) stepOf(p.step).added++;
    for (const m of person.moved) {
      const s = stepOf(m.step);
      s.moved++;
      if (m.to < m.from) s.earlier++;
      else s.later++;
      const d = s.byDays.find((b) => b.days === m.days);
      if (d) d.count++;
      else s.byDays.push({ days: m.days, count: 1 });
    }
    if (row.id > list.after) {
      if (effect.people.length < list.limit) effect.people.push(person);
      else effect.nextAfter ??= effect.people.at(-1)?.subscriberId ?? list.after;
    }
  }
  const order = [...next.steps, ...current.steps].map((s) => s.step);
  effect.steps.sort((a, b) => order.indexOf(a.step) - order.indexOf(b.step));
  for (const s of effect.steps) s.byDays.sort((a, b) => a.days - b.days);
  return effect;
}

type VersionDeps = { stores: Stores; config: { sendWindow: SendWindow }; clock: Clock; sequences?: SequenceCatalog };

/**
 * What publishing `candidate` would do to everyone scheduled now, read in
 * pages, with up to `list.limit` of the people it changes listed after
 * subscriber `list.after`.
 */
export async function versionEffect(
  deps: VersionDeps,
  candidate: QueueSequence,
  list: { after?: number; limit?: number } = {},
  pageSize = 1000,
  id: SequenceId = 'education',
): Promise<VersionEffect> {
  const running = await runningSequence(deps.stores, catalogOf(deps, id), id);
  const sequence = { version: running.version, steps: running.sequence.steps };
  const options = scheduleOptions(deps.config);
  const next = { version: candidate.version, steps: candidate.steps };
  const now = deps.clock.now();
  const effect = emptyEffect(candidate.version);
  effect.inFlight = (await deps.stores.sequence.headcount(id)).filter((h) => h.step === null).reduce((n, h) => n + h.count, 0);
  const people = { after: list.after ?? 0, limit: list.limit ?? 50 };
  for (let after = 0; ; ) {
    const rows = await deps.stores.sendQueue.scheduled(id, after, pageSize);
    if (rows.length === 0) return effect;
    addEffect(effect, rows, sequence, next, now, options, people);
    after = rows.at(-1)!.id;
  }
}

export type VersionEntry = {
  /** The published number (for a version not yet published: the code's). */
  version: number;
  /** The version of the code it runs: differs from `version` for one published again. */
  plan: number;
  summary: string;
  steps: SequenceVersion['steps'];
  status: 'running' | 'earlier' | 'unpublished';
  /** Active people who follow it, by next step (null: in flight). */
  people: number;
  byStep: { step: number | null; count: number }[];
  /** For an earlier version of the code that does not run now: the number it takes if published again (a roll back). */
  againAs: number | null;
};

export type VersionsOverview = {
  running: number;
  /** The version of the code the running version runs. */
  plan: number;
  published: PublishedVersion[];
  /** Every version the code knows, and every earlier one published again under a new number, in number order. */
  versions: VersionEntry[];
  /** People on a version this code does not know (a newer release published it). */
  unknown: { version: number | null; count: number }[];
};

/**
 * The number an earlier version published again takes: after every published
 * version and every version this code knows, so it never takes the number of
 * a version still waiting to be published.
 */
function againNumber(running: Running, catalog: SequenceCatalog): number {
  return Math.max(running.version, ...catalog.map((v) => v.version)) + 1;
}

const againSummary = (plan: SequenceVersion) => `Version ${plan.version} published again: ${plan.summary}`;

export async function versionsOverview(deps: { stores: Stores; sequences?: SequenceCatalog }, id: SequenceId = 'education'): Promise<VersionsOverview> {
  const catalog = catalogOf(deps, id);
  const running = await runningSequence(deps.stores, catalog, id);
  const heads = await deps.stores.sequence.headcount(id);
  // Rows from before versions count as the first version (the migration enrolled everyone confirmed).
  const versionOf = (v: number | null) => v ?? catalog[0]!.version;
  const republished = running.published.filter((p) => p.plan !== p.version);
  // A number taken by a version published again belongs to it, whatever a later release of the code calls that number.
  const taken = new Set(republished.map((p) => p.version));
  const entry = (version: number, plan: SequenceVersion, summary: string, status: VersionEntry['status'], counted: boolean): VersionEntry => {
    const mine = counted ? heads.filter((h) => versionOf(h.version) === version) : [];
    const againAs = status === 'earlier' && plan.version === version && plan.version !== running.plan ? againNumber(running, catalog) : null;
    return { version, plan: plan.version, summary, steps: plan.steps, status, people: mine.reduce((n, h) => n + h.count, 0), byStep: mine.map((h) => ({ step: h.step, count: h.count })), againAs };
  };
  const versions = [
    ...catalog.map((v) =>
      entry(v.version, v, v.summary, v.version === running.version && !taken.has(v.version) ? 'running' : v.version <= running.version ? 'earlier' : 'unpublished', !taken.has(v.version)),
    ),
    ...republished.flatMap((p) => {
      const plan = catalog.find((v) => v.version === p.plan);
      return plan ? [entry(p.version, plan, againSummary(plan), p.version === running.version ? 'running' : 'earlier', true)] : [];
    }),
  ].sort((a, b) => a.version - b.version || Number(a.plan !== a.version) - Number(b.plan !== b.version));
  const known = new Set(versions.map((v) => v.version));
  const unknown = heads.filter((h) => !known.has(versionOf(h.version))).map((h) => ({ version: h.version, count: h.count }));
  return { running: running.version, plan: running.plan, published: running.published, versions, unknown };
}

/** A version as it would be published: the number it takes and the plan of the code it runs. */
export type Candidate = { version: number; plan: number; summary: string; steps: SequenceVersion['steps']; again: boolean };

export type CandidateOutcome = { ok: true; candidate: Candidate; running: number } | { ok: false; reason: 'unknown_version' | 'running'; running: number };

/**
 * What publishing `version` of the code would publish: a newer version under
 * its own number; an earlier one (a roll back) again under a new number,
 * which then runs its plan; never the plan running now.
 */
export async function publishCandidate(deps: { stores: Pick<Stores, 'sequence'>; sequences?: SequenceCatalog }, version: number, id: SequenceId = 'education'): Promise<CandidateOutcome> {
  const catalog = catalogOf(deps, id);
  const running = await runningSequence(deps.stores, catalog, id);
  const plan = catalog.find((v) => v.version === version);
  if (!plan) return { ok: false, reason: 'unknown_version', running: running.version };
  if (version > running.version) return { ok: true, candidate: { version, plan: version, summary: plan.summary, steps: plan.steps, again: false }, running: running.version };
  if (version === running.plan) return { ok: false, reason: 'running', running: running.version };
  return { ok: true, candidate: { version: againNumber(running, catalog), plan: version, summary: againSummary(plan), steps: plan.steps, again: true }, running: running.version };
}

/** The exact preview of publishing `version` (again, for an earlier one), with up to `list.limit` of the people it changes. */
export async function previewPublish(
  deps: VersionDeps,
  version: number,
  list: { after?: number; limit?: number } = {},
  id: SequenceId = 'education',
): Promise<(CandidateOutcome & { ok: false }) | { ok: true; candidate: Candidate; running: number; effect: VersionEffect }> {
  const found = await publishCandidate(deps, version, id);
  if (!found.ok) return found;
  return { ...found, effect: await versionEffect(deps, found.candidate, list, undefined, id) };
}

export type PublishOutcome = { ok: true; version: number; plan: number; effect: VersionEffect } | { ok: false; reason: 'unknown_version' | 'running' | 'not_newer'; running: number; againAs?: number };

/**
 * Publishes a version of the code: from now on it runs, and the people in
 * flight move onto it from where they are (the worker's next tick moves
 * them; it is kicked). A version older than the running one is published
 * again under a new number only when `again` says so (a roll back is never a
 * slip of the version number). Answers with the preview as it stood when it
 * was published, for the confirmation.
 */
export async function publishVersion(
  deps: VersionDeps & { logger: Logger; worker?: { kick(): void } },
  version: number,
  actor: string,
  options: { again?: boolean; sequence?: SequenceId } = {},
): Promise<PublishOutcome> {
  const id = options.sequence ?? 'education';
  const found = await publishCandidate(deps, version, id);
  if (!found.ok) return found;
  const { candidate, running } = found;
  if (candidate.again && !options.again) return { ok: false, reason: 'not_newer', running, againAs: candidate.version };
  const effect = await versionEffect(deps, candidate, { limit: 0 }, undefined, id);
  if (!(await deps.stores.sequence.publish(id, candidate.version, actor, deps.clock.now(), candidate.plan))) {
    return { ok: false, reason: 'not_newer', running: (await runningSequence(deps.stores, catalogOf(deps, id), id)).version };
  }
  // The education series' entries keep their shape; another sequence's name it.
  await recordAudit(deps, actor, 'sequence.published', null, { ...(id === 'education' ? {} : { sequence: id }), version: candidate.version, previous: running, ...(candidate.again ? { plan: candidate.plan } : {}) });
  deps.logger.warn({ sequence: id, version: candidate.version, plan: candidate.plan, previous: running, by: actor, changed: effect.changed }, `${id} version ${candidate.version} published`);
  deps.worker?.kick();
  return { ok: true, version: candidate.version, plan: candidate.plan, effect };
}

const people = (n: number) => (n === 1 ? '1 person' : `${n} people`);
const dayShift = (days: number) => (days === 0 ? 'the same day at another hour' : `${Math.abs(days)} day${Math.abs(days) === 1 ? '' : 's'} ${days < 0 ? 'sooner' : 'later'}`);

/** The sentences staff read before publishing, one per thing that happens to a step. `title` names a step by id. */
export function describeStep(s: StepEffect, title: (step: number) => string): string[] {
  const out: string[] = [];
  if (s.removed) out.push(`${people(s.removed)} will no longer get ${title(s.step)}.`);
  if (s.added) out.push(`${people(s.added)} will newly get ${title(s.step)}.`);
  if (s.moved) out.push(`${people(s.moved)} will get ${title(s.step)} at another time: ${s.byDays.map((b) => `${dayShift(b.days)} for ${b.count}`).join(', ')}.`);
  return out;
}

/** The effect in one sentence, before the per-step ones. */
export function describeEffect(e: VersionEffect): string {
  const head =
    e.changed === 0
      ? `Nothing changes for the ${people(e.scheduled)} with an email scheduled: each keeps every remaining email, at the same time.`
      : `It changes the remaining emails of ${e.changed} of the ${people(e.scheduled)} with an email scheduled; ${e.unchanged} keep every remaining email as planned.`;
  return e.inFlight ? `${head} ${people(e.inFlight)} with an email being sent right now follow it from the email after that one.` : head;
}
