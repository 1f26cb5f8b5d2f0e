import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { firstWindowMoment, localWall, MIN_GAP_MS, nextSend, sendTime, plannedSendTimes, type PlannedSend, type ScheduleOptions, type ScheduleStep } from '../src/nurture/schedule.js';

// The content brief's days after confirmation.
const SEQUENCE: ScheduleStep[] = [0, 2, 4, 7, 10, 14, 18, 21].map((dayOffset, i) => ({ step: i + 1, dayOffset }));
const MORNING: ScheduleOptions = { window: { startMinute: 9 * 60, endMinute: 11 * 60 } };
const NIGHT: ScheduleOptions = { window: { startMinute: 2 * 60, endMinute: 4 * 60 } };
const HOUR = 3_600_000;
const t = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();

/** Step `step` after the previous one went at `sentAt`. */
function after(zone: string, step: number, sentAt: string, options: ScheduleOptions, now = sentAt) {
  const r = nextSend({ confirmedAt: t('2026-01-01T00:00:00Z'), timezone: zone, last: { step: step - 1, sentAt: t(sentAt) } }, SEQUENCE, t(now), options);
  return r && iso(r.at);
}

describe('nextSend', () => {
  it('sends email 1 right after confirmation, at any hour', () => {
    const confirmedAt = t('2026-03-03T07:12:00Z'); // 02:12 in New York
    expect(nextSend({ confirmedAt, timezone: 'America/New_York', last: null }, SEQUENCE, confirmedAt, MORNING)).toEqual({ step: 1, at: confirmedAt });
  });

  it('email 1 of someone entered for them (an import) waits for their window; inside it, it goes at once', () => {
    const entered = (at: string, timezone: string) => iso(sendTime({ confirmedAt: t(at), timezone, lastSentAt: null, enteredForThem: true }, SEQUENCE, 1, t(at), MORNING));
    expect(entered('2026-03-03T07:12:00Z', 'America/New_York')).toBe('2026-03-03T14:00:00.000Z'); // 02:12 there: 09:00 the same day
    expect(entered('2026-03-03T17:00:00Z', 'America/New_York')).toBe('2026-03-04T14:00:00.000Z'); // 12:00 there: 09:00 the next day
    expect(entered('2026-03-03T14:30:00Z', 'America/New_York')).toBe('2026-03-03T14:30:00.000Z'); // 09:30 there
    // The same instant confirmed by the person themselves goes at once.
    expect(iso(sendTime({ confirmedAt: t('2026-03-03T07:12:00Z'), timezone: 'America/New_York', lastSentAt: null }, SEQUENCE, 1, t('2026-03-03T07:12:00Z'), MORNING))).toBe('2026-03-03T07:12:00.000Z');
  });

  it('puts each later email on its day in the first moment of the local window', () => {
    // Email 1 went Monday 2026-03-02 at 15:30 EST; email 2 is two days later at 09:00 EST.
    expect(after('America/New_York', 2, '2026-03-02T20:30:00Z', MORNING)).toBe('2026-03-04T14:00:00.000Z');
  });

  it('returns null when the sequence is complete', () => {
    expect(nextSend({ confirmedAt: 0, timezone: 'UTC', last: { step: 8, sentAt: 0 } }, SEQUENCE, 0, MORNING)).toBeNull();
  });

  describe('America/New_York', () => {
    // 2026-03-08: 02:00 EST jumps to 03:00 EDT. 2026-11-01: 02:00 EDT falls back to 01:00 EST.
    it('spring forward: a 02:00-04:00 window opens when the clocks jump to 03:00 EDT', () => {
      expect(after('America/New_York', 2, '2026-03-06T07:30:00Z', NIGHT)).toBe('2026-03-08T07:00:00.000Z');
    });
    it('spring forward: a 09:00 window opens at 09:00 EDT (13:00 UTC), the day before at 09:00 EST', () => {
      expect(after('America/New_York', 2, '2026-03-06T14:00:00Z', MORNING)).toBe('2026-03-08T13:00:00.000Z');
      expect(after('America/New_York', 2, '2026-03-05T14:00:00Z', MORNING)).toBe('2026-03-07T14:00:00.000Z');
    });
    it('spring forward: a window wholly inside the skipped hour moves to the next day', () => {
      const skipped: ScheduleOptions = { window: { startMinute: 2 * 60, endMinute: 3 * 60 } };
      expect(after('America/New_York', 2, '2026-03-06T07:30:00Z', skipped)).toBe('2026-03-09T06:00:00.000Z');
    });
    it('fall back: a 01:00-03:00 window opens at the first 01:00 (EDT)', () => {
      const repeated: ScheduleOptions = { window: { startMinute: 60, endMinute: 3 * 60 } };
      expect(after('America/New_York', 2, '2026-10-30T05:00:00Z', repeated)).toBe('2026-11-01T05:00:00.000Z');
    });
    it('fall back: a 02:00-04:00 window opens at 02:00 EST and the morning at 09:00 EST', () => {
      expect(after('America/New_York', 2, '2026-10-30T06:00:00Z', NIGHT)).toBe('2026-11-01T07:00:00.000Z');
      expect(after('America/New_York', 2, '2026-10-30T13:00:00Z', MORNING)).toBe('2026-11-01T14:00:00.000Z');
    });
    it('fall back: the repeated 01:xx hour is inside a 01:00-02:00 window both times', () => {
      const repeated = { window: { startMinute: 60, endMinute: 2 * 60 } };
      expect(iso(firstWindowMoment('America/New_York', t('2026-11-01T05:30:00Z'), repeated))).toBe('2026-11-01T05:30:00.000Z'); // 01:30 EDT
      expect(iso(firstWindowMoment('America/New_York', t('2026-11-01T06:30:00Z'), repeated))).toBe('2026-11-01T06:30:00.000Z'); // 01:30 EST
      expect(iso(firstWindowMoment('America/New_York', t('2026-11-01T07:00:00Z'), repeated))).toBe('2026-11-02T06:00:00.000Z'); // 02:00 EST: closed
    });
  });

  describe('Europe/Berlin', () => {
    // 2026-03-29: 02:00 CET jumps to 03:00 CEST. 2026-10-25: 03:00 CEST falls back to 02:00 CET.
    it('spring forward: a 02:00-04:00 window opens at 03:00 CEST (01:00 UTC)', () => {
      expect(after('Europe/Berlin', 2, '2026-03-27T01:30:00Z', NIGHT)).toBe('2026-03-29T01:00:00.000Z');
    });
    it('spring forward: 09:00 CEST is 07:00 UTC', () => {
      expect(after('Europe/Berlin', 2, '2026-03-27T08:00:00Z', MORNING)).toBe('2026-03-29T07:00:00.000Z');
    });
    it('fall back: a 02:00-04:00 window opens at the first 02:00 (CEST, 00:00 UTC); 09:00 CET is 08:00 UTC', () => {
      expect(after('Europe/Berlin', 2, '2026-10-23T00:30:00Z', NIGHT)).toBe('2026-10-25T00:00:00.000Z');
      expect(after('Europe/Berlin', 2, '2026-10-23T07:00:00Z', MORNING)).toBe('2026-10-25T08:00:00.000Z');
    });
  });

  it('half- and quarter-hour offsets: 09:00 in Kolkata is 03:30 UTC, in Kathmandu 03:15 UTC', () => {
    expect(after('Asia/Kolkata', 2, '2026-03-02T04:00:00Z', MORNING)).toBe('2026-03-04T03:30:00.000Z');
    expect(after('Asia/Kathmandu', 2, '2026-03-02T04:00:00Z', MORNING)).toBe('2026-03-04T03:15:00.000Z');
  });

  it('keeps 20 hours between two emails even when the next day has a window sooner', () => {
    // A one-day delay after an email that went at 23:00 EST Monday: Tuesday 09:00 is
    // only 10 h later, so the email waits for Wednesday's window.
    const oneDay: ScheduleStep[] = [
      { step: 1, dayOffset: 0 },
      { step: 2, dayOffset: 1 },
    ];
    const r = nextSend({ confirmedAt: 0, timezone: 'America/New_York', last: { step: 1, sentAt: t('2026-03-03T04:00:00Z') } }, oneDay, t('2026-03-03T04:00:00Z'), MORNING);
    expect(iso(r!.at)).toBe('2026-03-04T14:00:00.000Z');
    // With a window that is open all day, exactly 20 h.
    const allDay = { window: { startMinute: 0, endMinute: 24 * 60 } };
    const r2 = nextSend({ confirmedAt: 0, timezone: 'America/New_York', last: { step: 1, sentAt: t('2026-03-03T04:00:00Z') } }, oneDay, t('2026-03-03T04:00:00Z'), allDay);
    expect(r2!.at - t('2026-03-03T04:00:00Z')).toBe(MIN_GAP_MS);
  });

  it('an overdue email goes now when now is inside the window, else at the next opening', () => {
    expect(after('America/New_York', 2, '2026-03-02T15:00:00Z', MORNING, '2026-03-10T14:20:00Z')).toBe('2026-03-10T14:20:00.000Z'); // 10:20 EDT
    expect(after('America/New_York', 2, '2026-03-02T15:00:00Z', MORNING, '2026-03-10T20:00:00Z')).toBe('2026-03-11T13:00:00.000Z');
  });

  it('catches up after a week of downtime without bunching', () => {
    // Email 1 went Monday 2026-03-02 10:00 EST; the worker was down until Wednesday 2026-03-11 16:00 EDT.
    const sub = { confirmedAt: t('2026-03-02T15:00:00Z'), timezone: 'America/New_York', last: { step: 1, sentAt: t('2026-03-02T15:00:00Z') } };
    const plan = plannedSendTimes(sub, SEQUENCE, t('2026-03-11T20:00:00Z'), MORNING).map((p) => ({ step: p.step, at: iso(p.at) }));
    expect(plan).toEqual([
      { step: 2, at: '2026-03-12T13:00:00.000Z' }, // next window opening, Thursday
      { step: 3, at: '2026-03-14T13:00:00.000Z' }, // two days after the actual send, not at once
      { step: 4, at: '2026-03-17T13:00:00.000Z' },
      { step: 5, at: '2026-03-20T13:00:00.000Z' },
      { step: 6, at: '2026-03-24T13:00:00.000Z' },
      { step: 7, at: '2026-03-28T13:00:00.000Z' },
      { step: 8, at: '2026-03-31T13:00:00.000Z' },
    ]);
  });

  it('skips weekends when asked', () => {
    // Email 1 Thursday 2026-03-05; email 2 would be Saturday 03-07: it moves to Monday 03-09 09:00 EDT.
    const weekdays = { ...MORNING, skipWeekends: true };
    expect(after('America/New_York', 2, '2026-03-05T15:00:00Z', MORNING)).toBe('2026-03-07T14:00:00.000Z');
    expect(after('America/New_York', 2, '2026-03-05T15:00:00Z', weekdays)).toBe('2026-03-09T13:00:00.000Z');
  });
});

describe('plannedSendTimes', () => {
  it('plans a fresh subscriber on the brief days after confirmation, each at 09:00 local', () => {
    const confirmedAt = t('2026-04-01T12:00:00Z'); // 14:00 in Berlin
    const plan = plannedSendTimes({ confirmedAt, timezone: 'Europe/Berlin', last: null }, SEQUENCE, confirmedAt, MORNING);
    expect(plan.map((p) => iso(p.at))).toEqual([
      '2026-04-01T12:00:00.000Z',
      '2026-04-03T07:00:00.000Z',
      '2026-04-05T07:00:00.000Z',
      '2026-04-08T07:00:00.000Z',
      '2026-04-11T07:00:00.000Z',
      '2026-04-15T07:00:00.000Z',
      '2026-04-19T07:00:00.000Z',
      '2026-04-22T07:00:00.000Z',
    ]);
  });

  it('lists only the remaining steps', () => {
    const plan = plannedSendTimes({ confirmedAt: 0, timezone: 'UTC', last: { step: 6, sentAt: t('2026-05-01T09:30:00Z') } }, SEQUENCE, t('2026-05-01T10:00:00Z'), MORNING);
    expect(plan).toEqual([
      { step: 7, at: t('2026-05-05T09:00:00Z') },
      { step: 8, at: t('2026-05-08T09:00:00Z') },
    ]);
  });
});

describe('schedule properties', () => {
  it('the memoised local wall time equals a direct Intl reading', () => {
    const direct = (zone: string, at: number) => {
      const p = Object.fromEntries(
        new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric' })
          .formatToParts(at)
          .map((x) => [x.type, Number(x.value)]),
      );
      return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!);
    };
    fc.assert(
      fc.property(fc.constantFrom('America/New_York', 'Europe/Berlin', 'Australia/Lord_Howe', 'Asia/Kathmandu', 'America/Santiago', 'Pacific/Chatham'), fc.integer({ min: t('2024-01-01T00:00:00Z'), max: t('2030-12-31T00:00:00Z') }), (zone, at) => {
        expect(localWall(zone, at)).toBe(direct(zone, at));
      }),
      { numRuns: 2000 },
    );
    // Every minute around clock changes (New York, Berlin, Lord Howe's 30-minute shift).
    for (const [zone, change] of [
      ['America/New_York', '2026-03-08T07:00:00Z'],
      ['America/New_York', '2026-11-01T06:00:00Z'],
      ['Europe/Berlin', '2026-10-25T01:00:00Z'],
      ['Australia/Lord_Howe', '2026-04-04T15:00:00Z'],
    ] as const) {
      for (let m = -40; m <= 40; m++) {
        const at = t(change) + m * 60_000 + 17_000;
        expect(localWall(zone, at)).toBe(direct(zone, at));
      }
    }
  });

  const ZONES = [
    'America/New_York',
    'Europe/Berlin',
    'Asia/Kolkata',
    'Asia/Kathmandu',
    'Australia/Lord_Howe', // 30-minute DST
    'Pacific/Chatham', // +12:45 / +13:45
    'America/Santiago', // DST change at midnight
    'Australia/Adelaide',
    'America/St_Johns',
    'UTC',
  ];

  it('consecutive sends are at least 20 h apart, inside the local window, on weekdays when asked', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ZONES),
        fc.integer({ min: t('2024-01-01T00:00:00Z'), max: t('2030-12-31T00:00:00Z') }),
        fc.integer({ min: 0, max: 23 * 60 }),
        fc.integer({ min: 30, max: 12 * 60 }),
        fc.boolean(),
        fc.array(fc.integer({ min: 0, max: 10 * 24 * HOUR }), { minLength: 8, maxLength: 8 }),
        (zone, confirmedAt, start, length, skipWeekends, downtimes) => {
          const options: ScheduleOptions = { window: { startMinute: start, endMinute: Math.min(24 * 60, start + length) }, skipWeekends };
          // Simulate a worker that runs late by a random downtime before each send.
          let last: { step: number; sentAt: number } | null = null;
          for (const down of downtimes) {
            const planned = nextSend({ confirmedAt, timezone: zone, last }, SEQUENCE, confirmedAt, options);
            if (!planned) break;
            const tickAt = planned.at + (planned.step === 1 ? 0 : down);
            const actual: PlannedSend = nextSend({ confirmedAt, timezone: zone, last }, SEQUENCE, tickAt, options)!;
            expect(actual.at).toBeGreaterThanOrEqual(tickAt);
            if (last) {
              expect(actual.at - last.sentAt).toBeGreaterThanOrEqual(MIN_GAP_MS);
              const wall = localWall(zone, actual.at);
              const minute = Math.floor((wall % 86_400_000) / 60_000);
              expect(minute).toBeGreaterThanOrEqual(options.window.startMinute);
              expect(minute).toBeLessThan(options.window.endMinute);
              if (skipWeekends) expect([0, 6]).not.toContain(new Date(wall).getUTCDay());
            }
            last = { step: actual.step, sentAt: actual.at };
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
