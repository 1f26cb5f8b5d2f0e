import { describe, expect, it } from 'vitest';
import type { DueRow } from '../../db/types.js';
import { decideDue, plannedAt, type QueueSequence } from '../../src/nurture/decide.js';
import { MIN_GAP_MS, scheduleOptions } from '../../src/nurture/schedule.js';

const HOUR = 3_600_000;
// Window 09:00-17:00 local.
const options = scheduleOptions({ sendWindow: { startMinute: 9 * 60, endMinute: 17 * 60 } });
const CONSULT: QueueSequence = {
  version: 1,
  steps: [2, 7, 14].map((dayOffset, i) => ({ step: i + 1, dayOffset, templateId: `consult-${i + 1}`, subject: `Consult ${i + 1}` })),
};
const EDUCATION: QueueSequence = {
  version: 1,
  steps: [0, 2].map((dayOffset, i) => ({ step: i + 1, dayOffset, templateId: `step-${i + 1}`, subject: `Lesson ${i + 1}` })),
};

// Monday 2 March 2026, 15:00 in Berlin.
const CLICK = Date.parse('2026-03-02T14:00:00Z');

const row = (over: Partial<DueRow>): DueRow => ({
  id: 1,
  enrolmentId: 2,
  sequence: 'consult-follow-up',
  status: 'active',
  email: 'a@example.org',
  suppressed: false,
  timezone: 'Europe/Berlin',
  confirmedAt: CLICK,
  nextStep: 1,
  lastSentAt: null,
  pausedUntil: null,
  received: [],
  sequenceVersion: 1,
  lastAnySentAt: null,
  otherInFlight: false,
  ...over,
});

describe('one email per person across sequences (pure)', () => {
  it('a later sequence starts its days after entering, at the window of that local day', () => {
    // Day 2 after a Monday click: Wednesday 09:00 Berlin.
    expect(plannedAt(row({}), CONSULT.steps, 1, CLICK, options)).toBe(Date.parse('2026-03-04T08:00:00Z'));
  });

  it('waits the minimum gap after the last email of any sequence, then the window', () => {
    // An education email went Wednesday 08:30 Berlin: the consult email waits until Thursday 04:30, then 09:00.
    const education = Date.parse('2026-03-04T07:30:00Z');
    const at = plannedAt(row({ lastAnySentAt: education }), CONSULT.steps, 1, CLICK, options);
    expect(at).toBe(Date.parse('2026-03-05T08:00:00Z'));
    expect(at - education).toBeGreaterThanOrEqual(MIN_GAP_MS);
  });

  it('an email of another sequence in flight counts as going now', () => {
    const due = Date.parse('2026-03-04T08:00:00Z');
    expect(decideDue(row({}), CONSULT, due, options)).toMatchObject({ kind: 'send', step: 1 });
    const decided = decideDue(row({ otherInFlight: true }), CONSULT, due, options);
    expect(decided).toEqual({ kind: 'reschedule', step: 1, at: Date.parse('2026-03-05T08:00:00Z') });
  });

  it('the education series keeps its own days, only held back by the gap', () => {
    // Email 1 went Monday 15:00; email 2 is due Wednesday 09:00. A consult email went Wednesday 08:00 Berlin.
    const consultSent = Date.parse('2026-03-04T07:00:00Z');
    const education = row({ sequence: 'education', enrolmentId: 1, nextStep: 2, received: [1], lastSentAt: CLICK, lastAnySentAt: consultSent });
    expect(plannedAt({ ...education, lastAnySentAt: CLICK }, EDUCATION.steps, 2, CLICK, options)).toBe(Date.parse('2026-03-04T08:00:00Z'));
    expect(plannedAt(education, EDUCATION.steps, 2, CLICK, options)).toBe(Date.parse('2026-03-05T08:00:00Z'));
  });

  it('a first step on day 0 answers the person at once, unless another email went within the gap', () => {
    const first = row({ sequence: 'education', enrolmentId: 1 });
    expect(plannedAt(first, EDUCATION.steps, 1, CLICK, options)).toBe(CLICK);
    const justSent = CLICK - 2 * HOUR;
    // Monday 13:00 Berlin plus 20 hours: Tuesday 09:00 Berlin, inside the window.
    expect(plannedAt({ ...first, lastAnySentAt: justSent }, EDUCATION.steps, 1, CLICK, options)).toBe(Date.parse('2026-03-03T08:00:00Z'));
  });
});
