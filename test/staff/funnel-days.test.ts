import { describe, expect, it } from 'vitest';
import { lastLocalDays, startOfLocalDay } from '../../src/subscribers/funnel.js';

describe('local days of the funnel', () => {
  it.each([
    ['2026-03-08', 'America/New_York', '2026-03-08T05:00:00.000Z'], // spring-forward day starts before the change
    ['2026-11-01', 'America/New_York', '2026-11-01T04:00:00.000Z'], // fall-back day
    ['2026-03-29', 'Europe/Berlin', '2026-03-28T23:00:00.000Z'],
    ['2026-03-02', 'Asia/Kolkata', '2026-03-01T18:30:00.000Z'],
    // Midnight did not exist that day in São Paulo (clocks went 00:00 -> 01:00).
    ['2018-11-04', 'America/Sao_Paulo', '2018-11-04T03:00:00.000Z'],
  ])('%s in %s starts at %s', (date, zone, expected) => {
    expect(new Date(startOfLocalDay(date, zone)).toISOString()).toBe(expected);
  });

  it('lists consecutive days ending today, a 23-hour day included', () => {
    const { days, end } = lastLocalDays(Date.parse('2026-03-09T12:00:00Z'), 'America/New_York', 3);
    expect(days.map((d) => d.date)).toEqual(['2026-03-07', '2026-03-08', '2026-03-09']);
    expect(days[2]!.start - days[1]!.start).toBe(23 * 3_600_000);
    expect(end - days[2]!.start).toBe(24 * 3_600_000);
  });
});
