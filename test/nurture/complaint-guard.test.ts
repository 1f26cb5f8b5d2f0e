import { describe, expect, it } from 'vitest';
import {
  COMPLAINT_GUARD_KEY,
  COMPLAINT_WINDOW_MS,
  complaintWindow,
  decideComplaintPause,
  formatRate,
  readComplaintGuard,
  resumeSequenceSending,
} from '../../src/nurture/complaint-guard.js';
import { storesOf, testDb } from '../helpers/app.js';

describe('the complaint pause decision (pure)', () => {
  it('does not judge below 1,000 delivered, however high the rate', () => {
    expect(decideComplaintPause({ delivered: 999, complained: 500 }, 0.003)).toEqual({ kind: 'too_few', rate: 500 / 999 });
    expect(decideComplaintPause({ delivered: 0, complained: 3 }, 0.003)).toEqual({ kind: 'too_few', rate: null });
    expect(decideComplaintPause({ delivered: 0, complained: 0 }, 0)).toEqual({ kind: 'too_few', rate: null });
  });

  it('pauses only above the threshold, from 1,000 delivered', () => {
    expect(decideComplaintPause({ delivered: 1000, complained: 3 }, 0.003)).toEqual({ kind: 'send', rate: 0.003 });
    expect(decideComplaintPause({ delivered: 1000, complained: 4 }, 0.003)).toEqual({ kind: 'pause', rate: 0.004 });
    expect(decideComplaintPause({ delivered: 20_000, complained: 59 }, 0.003)).toMatchObject({ kind: 'send' });
    expect(decideComplaintPause({ delivered: 20_000, complained: 61 }, 0.003)).toMatchObject({ kind: 'pause' });
  });

  it('threshold 0 pauses on the first complaint; threshold 1 never pauses', () => {
    expect(decideComplaintPause({ delivered: 1000, complained: 0 }, 0)).toMatchObject({ kind: 'send' });
    expect(decideComplaintPause({ delivered: 1000, complained: 1 }, 0)).toMatchObject({ kind: 'pause' });
    expect(decideComplaintPause({ delivered: 1000, complained: 1000 }, 1)).toMatchObject({ kind: 'send' });
  });

  it('takes the minimum as an argument', () => {
    expect(decideComplaintPause({ delivered: 10, complained: 1 }, 0.05, 10)).toMatchObject({ kind: 'pause', rate: 0.1 });
  });
});

describe('the complaint window', () => {
  const now = Date.parse('2026-03-10T12:00:00Z');
  it('counts the last 7 days; complaints only from a resume inside them', () => {
    expect(complaintWindow(now, { resumedAt: null })).toEqual({ deliveredSince: now - COMPLAINT_WINDOW_MS, complainedSince: now - COMPLAINT_WINDOW_MS });
    expect(complaintWindow(now, { resumedAt: now - 3600_000 })).toEqual({ deliveredSince: now - COMPLAINT_WINDOW_MS, complainedSince: now - 3600_000 });
    expect(complaintWindow(now, { resumedAt: now - 30 * 86_400_000 })).toEqual({ deliveredSince: now - COMPLAINT_WINDOW_MS, complainedSince: now - COMPLAINT_WINDOW_MS });
  });
});

describe('the guard state', () => {
  it('reads as never paused when missing or unreadable', async () => {
    const { settings } = storesOf(testDb());
    expect(await readComplaintGuard(settings)).toEqual({ paused: null, resumedAt: null, resumedBy: null });
    await settings.set(COMPLAINT_GUARD_KEY, 'not json', 1);
    expect(await readComplaintGuard(settings)).toEqual({ paused: null, resumedAt: null, resumedBy: null });
    await settings.set(COMPLAINT_GUARD_KEY, JSON.stringify({ paused: { since: 'yesterday' }, resumedAt: 5, resumedBy: 'staff' }), 2);
    expect(await readComplaintGuard(settings)).toEqual({ paused: null, resumedAt: 5, resumedBy: 'staff' });
  });

  it('a resume when nothing is paused changes nothing', async () => {
    const { settings } = storesOf(testDb());
    expect(await resumeSequenceSending(settings, 10, 'staff')).toBeNull();
    expect(await settings.get(COMPLAINT_GUARD_KEY)).toBeNull();
  });

  it('formats rates as people read them', () => {
    expect(formatRate(0.003)).toBe('0.30 %');
    expect(formatRate(0.0125)).toBe('1.3 %');
    expect(formatRate(0.5)).toBe('50 %');
    expect(formatRate(0)).toBe('0.00 %');
  });
});
