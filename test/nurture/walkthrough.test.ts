import { describe, expect, it } from 'vitest';
import { addTick, EMPTY_TOTALS, localIso, walkthrough } from '../../src/nurture/walkthrough.js';

describe('the --advance walk-through', () => {
  it('writes a time on the person\'s wall clock with its offset, across a DST change and half-hour zones', () => {
    expect(localIso(Date.parse('2026-03-07T14:30:45Z'), 'America/New_York')).toBe('2026-03-07T09:30-05:00');
    expect(localIso(Date.parse('2026-03-09T14:30:45Z'), 'America/New_York')).toBe('2026-03-09T10:30-04:00');
    expect(localIso(Date.parse('2026-03-02T03:59:59Z'), 'Asia/Kolkata')).toBe('2026-03-02T09:29+05:30');
    expect(localIso(Date.parse('2026-03-02T03:59:59Z'), 'UTC')).toBe('2026-03-02T03:59+00:00');
  });

  it('groups by person, masks the address, keeps only the planned emails of people listed, and adds the ticks up', () => {
    const at = Date.parse('2026-03-02T09:00:00Z');
    const report = walkthrough(
      { from: at, to: at + 3_600_000, ticks: 2, totals: addTick(addTick(EMPTY_TOTALS, { ...EMPTY_TOTALS, sent: 2, due: 2, durationMs: 5 }), { ...EMPTY_TOTALS, sent: 1, due: 1, durationMs: 5 }) },
      {
        sent: [
          { subscriberId: 7, email: 'jane@example.org', timezone: 'UTC', kind: 'confirmation', sequence: null, step: 0, subject: 'Confirm', sentAt: at },
          { subscriberId: 7, email: 'jane@example.org', timezone: 'UTC', kind: 'sequence', sequence: 'education', step: 1, subject: 'Welcome', sentAt: at + 60_000 },
          { subscriberId: 9, email: 'sam@example.org', timezone: 'UTC', kind: 'resend', sequence: 'education', step: 2, subject: 'How it works', sentAt: at },
        ],
        planned: [
          { subscriberId: 7, sequence: 'education', step: 2, at: at + 2 * 86_400_000 },
          { subscriberId: 7, sequence: 'consult-follow-up', step: 1, at: null },
          { subscriberId: 11, sequence: 'education', step: 3, at },
        ],
      },
    );
    expect(report.totals).toMatchObject({ sent: 3, due: 3 });
    expect(report.people).toEqual([
      {
        id: 7,
        email: 'j***@example.org',
        timezone: 'UTC',
        went: [
          { at: '2026-03-02T09:00+00:00', email: 'The confirmation email', subject: 'Confirm' },
          { at: '2026-03-02T09:01+00:00', email: 'Education series, email 1 of 8', subject: 'Welcome' },
        ],
        next: [
          { at: '2026-03-04T09:00+00:00', email: 'Education series, email 2 of 8' },
          { at: null, email: 'Consult follow-up, email 1 of 3' },
        ],
      },
      { id: 9, email: 's***@example.org', timezone: 'UTC', went: [{ at: '2026-03-02T09:00+00:00', email: 'Education series, email 2 of 8, sent again', subject: 'How it works' }], next: [] },
    ]);
  });
});
