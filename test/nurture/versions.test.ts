import { describe, expect, it } from 'vitest';
import type { DueRow } from '../../db/types.js';
import { decideAfterSend, decideDue, stepFor, type QueueSequence } from '../../src/nurture/decide.js';
import { firstNotReceived, nextStepAfter, scheduleOptions } from '../../src/nurture/schedule.js';
import { addEffect, describeChange, emptyEffect } from '../../src/nurture/versions.js';

const step = (id: number, dayOffset: number) => ({ step: id, dayOffset, templateId: `t${id}`, subject: `S${id}` });
const V1: QueueSequence = { version: 1, steps: [step(1, 0), step(2, 2), step(3, 4), step(4, 7)] };
// Version 2: step 5 added between 2 and 3, step 3 removed, step 4 re-timed to day 9.
const V2: QueueSequence = { version: 2, steps: [step(1, 0), step(2, 2), step(5, 3), step(4, 9)] };
const options = scheduleOptions({ sendWindow: { startMinute: 9 * 60, endMinute: 17 * 60 } });
const DAY = 24 * 3_600_000;
const T = Date.parse('2026-03-02T10:00:00Z');

const row = (over: Partial<DueRow>): DueRow => ({
  id: 1,
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

describe('what publishing a version would change (pure)', () => {
  it('groups people by what happens to their next email', () => {
    const rows = [
      row({ id: 1, nextStep: 2, received: [1] }), // step 2 stands, same time
      row({ id: 2, nextStep: 3, received: [1, 2], lastSentAt: T + 2 * DAY }), // gets the new step 5 instead of 3
      row({ id: 3, nextStep: 3, received: [1, 2], lastSentAt: T + 2 * DAY }),
      row({ id: 4, nextStep: 4, received: [1, 2, 3], lastSentAt: T + 4 * DAY }), // 3 was had: 5 comes next (added after their furthest v2 step, 2)
      row({ id: 5, nextStep: 4, received: [1, 2, 3, 5], lastSentAt: T + 4 * DAY }), // step 4 re-timed
    ];
    const effect = addEffect(emptyEffect(2), rows, V1, V2, T + 4 * DAY + 3_600_000, options);
    expect(effect.scheduled).toBe(5);
    expect(effect.unchanged).toBe(1);
    expect(effect.changes).toEqual([
      { kind: 'new_step', from: 3, to: 5, count: 2, earlier: 0, later: 0 }, // both due already: they go now either way
      { kind: 'new_step', from: 4, to: 5, count: 1, earlier: 1, later: 0 },
      { kind: 'retimed', from: 4, to: 4, count: 1, earlier: 0, later: 1 },
    ]);
    const title = (id: number) => `step ${id}`;
    expect(effect.changes.map((c) => describeChange(c, title))).toEqual([
      '2 people will get the new step 5 on their next send, before step 3.',
      '1 person will get the new step 5 on their next send, before step 4 (1 earlier, 0 later than now planned).',
      '1 person will get step 4 at another time (0 earlier, 1 later than now planned).',
    ]);
  });
});
