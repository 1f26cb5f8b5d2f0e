import { describe, expect, it } from 'vitest';
import type { DueRow } from '../../db/types.js';
import { decideAfterSend, decideDue, remainingPlan, stepFor, type QueueSequence } from '../../src/nurture/decide.js';
import { firstNotReceived, nextStepAfter, scheduleOptions } from '../../src/nurture/schedule.js';
import { addEffect, describeEffect, describeStep, emptyEffect, personEffect } from '../../src/nurture/versions.js';

const step = (id: number, dayOffset: number) => ({ step: id, dayOffset, templateId: `t${id}`, subject: `S${id}` });
const V1: QueueSequence = { version: 1, steps: [step(1, 0), step(2, 2), step(3, 4), step(4, 7)] };
// Version 2: step 5 added between 2 and 3, step 3 removed, step 4 re-timed to day 9.
const V2: QueueSequence = { version: 2, steps: [step(1, 0), step(2, 2), step(5, 3), step(4, 9)] };
const options = scheduleOptions({ sendWindow: { startMinute: 9 * 60, endMinute: 17 * 60 } });
const DAY = 24 * 3_600_000;
const T = Date.parse('2026-03-02T10:00:00Z');

const row = (over: Partial<DueRow>): DueRow => ({
  id: 1,
  enrolmentId: 1,
  sequence: 'education',
  status: 'active',
  email: 'a@example.org',
  suppressed: false,
  timezone: 'UTC',
  confirmedAt: T,
  nextStep: 2,
  lastSentAt: T,
  pausedUntil: null,
  received: [1],
  sequenceVersion: 1,
  lastAnySentAt: T,
  otherInFlight: false,
  ...over,
});

describe('which step comes next (pure)', () => {
  const ids = (s: { step: number } | undefined) => s?.step ?? null;
  it.each([
    [[], 1],
    [[1], 2],
    [[1, 2], 5],
    [[1, 2, 3], 5], // 3 is gone: they go on after the furthest step of v2 they have
    [[1, 2, 5], 4],
    [[1, 5], 4], // 2 comes before their furthest step: never sent now
    [[1, 2, 5, 4], null],
  ] as [number[], number | null][])('in flight with %j: %j', (received, next) => {
    expect(ids(nextStepAfter(V2.steps, new Set(received)))).toBe(next);
  });

  it('coming back starts from the first step not received, even before the furthest one', () => {
    expect(ids(firstNotReceived(V2.steps, new Set([1, 5])))).toBe(2);
    expect(ids(firstNotReceived(V2.steps, new Set([1, 2, 5, 4])))).toBe(null);
  });

  it('on their own version the chosen step stands; on an older one they move on; a received step is never chosen', () => {
    expect(stepFor(row({ nextStep: 2, received: [1, 5], sequenceVersion: 2 }), V2)?.step).toBe(2);
    expect(stepFor(row({ nextStep: 2, received: [1, 5], sequenceVersion: 1 }), V2)?.step).toBe(4);
    expect(stepFor(row({ nextStep: 2, received: [1, 2], sequenceVersion: 2 }), V2)?.step).toBe(5);
    expect(stepFor(row({ nextStep: 3, received: [1, 2], sequenceVersion: 2 }), V2)?.step).toBe(5);
  });

  it('a re-timed delay counts from the last email', () => {
    // Step 4 follows 5 (day 3) on day 9: six days after the last email, in the window.
    const last = T + 3 * DAY;
    const due = decideDue(row({ nextStep: 4, received: [1, 2, 5], lastSentAt: last, sequenceVersion: 2 }), V2, last, options);
    expect(due).toEqual({ kind: 'reschedule', step: 4, at: Date.parse('2026-03-11T09:00:00Z') });
    expect(decideAfterSend({ confirmedAt: T, timezone: 'UTC', received: [1, 2] }, V2, 5, last, options)).toEqual({ kind: 'next', step: 4, at: Date.parse('2026-03-11T09:00:00Z') });
    expect(decideAfterSend({ confirmedAt: T, timezone: 'UTC', received: [1, 2, 5] }, V2, 4, last, options)).toEqual({ kind: 'complete' });
  });
});

describe('the remaining plan (pure)', () => {
  it('is the worker\'s own decisions in a row: the due decision first, then each settle', () => {
    const r = row({ nextStep: 2, received: [1], lastSentAt: T });
    const plan = remainingPlan(r, V1, T + 3_600_000, options);
    expect(plan.map((p) => p.step)).toEqual([2, 3, 4]);
    // The first is what a due tick decides; each next is what settling the one before decides.
    expect(decideDue(r, V1, plan[0]!.at, options)).toMatchObject({ kind: 'send', step: 2 });
    expect(decideAfterSend({ confirmedAt: T, timezone: 'UTC', received: [1, 2] }, V1, 2, plan[0]!.at, options)).toEqual({ kind: 'next', ...plan[1] });
    expect(decideAfterSend({ confirmedAt: T, timezone: 'UTC', received: [1, 2, 3] }, V1, 3, plan[1]!.at, options)).toEqual({ kind: 'next', ...plan[2] });
    expect(plan.map((p) => new Date(p.at).toISOString())).toEqual(['2026-03-04T09:00:00.000Z', '2026-03-06T09:00:00.000Z', '2026-03-09T09:00:00.000Z']);
  });

  it('waits for a pause, and is empty when nothing is left', () => {
    const paused = remainingPlan(row({ nextStep: 2, received: [1], pausedUntil: T + 10 * DAY }), V1, T, options);
    expect(paused.map((p) => new Date(p.at).toISOString())).toEqual(['2026-03-12T10:00:00.000Z', '2026-03-14T09:00:00.000Z', '2026-03-17T09:00:00.000Z']);
    expect(remainingPlan(row({ nextStep: 4, received: [1, 2, 3, 4] }), V1, T, options)).toEqual([]);
  });
});

describe('what publishing a version would change (pure)', () => {
  it('compares each person\'s whole remaining plan: steps lost, steps gained, every time that moves', () => {
    const now = T + 4 * DAY + 3_600_000;
    // Waiting for step 2: under v2 they lose 3, gain 5, and get 4 two days later.
    const early = personEffect(row({ id: 7, nextStep: 2, received: [1] }), V1, V2, T + 3_600_000, options)!;
    expect(early.removed.map((p) => p.step)).toEqual([3]);
    expect(early.added).toEqual([{ step: 5, at: Date.parse('2026-03-05T09:00:00Z') }]);
    expect(early.moved).toEqual([{ step: 4, from: Date.parse('2026-03-09T09:00:00Z'), to: Date.parse('2026-03-11T09:00:00Z'), days: 2 }]);
    // Their next email (step 2) stays as it was: comparing next emails only would have said nothing changes.
    expect(remainingPlan(row({ nextStep: 2, received: [1] }), V1, T + 3_600_000, options)[0]).toEqual(remainingPlan(row({ nextStep: 2, received: [1], sequenceVersion: 1 }), V2, T + 3_600_000, options)[0]);
    // Someone who has had everything v2 keeps: nothing changes for them.
    expect(personEffect(row({ nextStep: 4, received: [1, 2, 5, 4] }), V1, V2, now, options)).toBeNull();
  });

  it('sums per step, lists the people, and says it in sentences', () => {
    const rows = [
      row({ id: 1, nextStep: 2, received: [1] }), // loses 3, gains 5, 4 on the 13th instead of the 11th
      row({ id: 2, nextStep: 3, received: [1, 2], lastSentAt: T + 2 * DAY }), // loses 3, gains 5 now, 4 three days later
      row({ id: 3, nextStep: 4, received: [1, 2, 3], lastSentAt: T + 4 * DAY }), // gains 5 (after 2, their furthest v2 step), 4 four days later
      row({ id: 4, nextStep: 4, received: [1, 2, 3, 5], lastSentAt: T + 4 * DAY }), // 4 re-timed: six days after 5 instead of three after 3
    ];
    const effect = addEffect(emptyEffect(2), rows, V1, V2, T + 4 * DAY + 3_600_000, options, { after: 0, limit: 3 });
    expect(effect).toMatchObject({ scheduled: 4, unchanged: 0, changed: 4, nextAfter: 3 });
    expect(effect.people.map((p) => p.subscriberId)).toEqual([1, 2, 3]);
    expect(effect.steps).toEqual([
      { step: 5, removed: 0, added: 3, moved: 0, earlier: 0, later: 0, byDays: [] },
      { step: 4, removed: 0, added: 0, moved: 4, earlier: 0, later: 4, byDays: [{ days: 2, count: 1 }, { days: 3, count: 2 }, { days: 4, count: 1 }] },
      { step: 3, removed: 2, added: 0, moved: 0, earlier: 0, later: 0, byDays: [] },
    ]);
    const title = (id: number) => `step ${id}`;
    expect(effect.steps.flatMap((s) => describeStep(s, title))).toEqual([
      '3 people will newly get step 5.',
      '4 people will get step 4 at another time: 2 days later for 1, 3 days later for 2, 4 days later for 1.',
      '2 people will no longer get step 3.',
    ]);
    expect(describeEffect(effect)).toBe('It changes the remaining emails of 4 of the 4 people with an email scheduled; 0 keep every remaining email as planned.');
    expect(describeEffect({ ...emptyEffect(2), scheduled: 6, unchanged: 6 })).toBe('Nothing changes for the 6 people with an email scheduled: each keeps every remaining email, at the same time.');
  });
});
