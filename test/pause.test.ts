import { describe, expect, it } from 'vitest';
import type { DueRow } from '../db/types.js';
import { decideDue, plannedAt } from '../src/nurture/decide.js';
import { localWall, MIN_GAP_MS } from '../src/nurture/schedule.js';
import { scheduleOptions } from '../src/nurture/schedule.js';
import { pauseSubscriber, resumeSubscriber } from '../src/subscribers/preferences.js';
import { testApp } from './helpers/app.js';
import { linkToken, postForm, postJson, signupForm } from './helpers/public.js';
import { STUB_SEQUENCE, STUB_VERSIONS, stubSchedule } from './helpers/worker.js';

const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;
const options = scheduleOptions({ sendWindow: { startMinute: 9 * 60, endMinute: 11 * 60 } });

describe('the due decision for a paused subscriber (pure)', () => {
  // Email 1 went on Monday 2 March 14:00 UTC (15:00 in Berlin); email 2 is due Wednesday 09:00 Berlin.
  const row: DueRow = {
    id: 1,
    enrolmentId: 1,
    sequence: 'education',
    status: 'active',
    email: 'a@example.org',
    suppressed: false,
    timezone: 'Europe/Berlin',
    confirmedAt: Date.parse('2026-03-02T14:00:00Z'),
    nextStep: 2,
    lastSentAt: Date.parse('2026-03-02T14:00:00Z'),
    pausedUntil: null,
    received: [1],
    sequenceVersion: 1,
    lastAnySentAt: Date.parse('2026-03-02T14:00:00Z'),
    otherInFlight: false,
  };
  const STUB = STUB_VERSIONS[0]!;
  const due = Date.parse('2026-03-04T08:00:00Z');

  it('not paused (or a pause in the past): the usual schedule', () => {
    expect(plannedAt(row, STUB_SEQUENCE, 2, row.lastSentAt!, options)).toBe(due);
    expect(decideDue({ ...row, pausedUntil: due - DAY }, STUB, due, options)).toMatchObject({ kind: 'send', step: 2 });
  });

  it('paused: never sent before the end; rescheduled to the first window moment on or after it', () => {
    const until = Date.parse('2026-03-16T14:00:00Z'); // 15:00 Berlin: the window is over that day
    expect(decideDue({ ...row, pausedUntil: until }, STUB, due, options)).toEqual({ kind: 'reschedule', step: 2, at: Date.parse('2026-03-17T08:00:00Z') });
    const morning = Date.parse('2026-03-16T07:30:00Z'); // 08:30 Berlin: the window opens at 09:00
    expect(decideDue({ ...row, pausedUntil: morning }, STUB, due, options)).toEqual({ kind: 'reschedule', step: 2, at: Date.parse('2026-03-16T08:00:00Z') });
    const inside = Date.parse('2026-03-16T08:30:00Z');
    expect(decideDue({ ...row, pausedUntil: inside }, STUB, due, options)).toEqual({ kind: 'reschedule', step: 2, at: inside });
    expect(decideDue({ ...row, pausedUntil: inside }, STUB, inside, options)).toMatchObject({ kind: 'send', step: 2 });
  });

  it('a pause that ends soon after the last email still keeps the 20-hour gap', () => {
    // A step one day after an email that went in the afternoon (a catch-up): the next window opens 19 hours later.
    const daily = [
      { step: 1, dayOffset: 0 },
      { step: 2, dayOffset: 1 },
    ];
    const last = Date.parse('2026-03-02T13:00:00Z'); // 14:00 Berlin
    const r = { ...row, lastSentAt: last, lastAnySentAt: last, confirmedAt: last, pausedUntil: last + HOUR };
    const at = plannedAt(r, daily, 2, last + HOUR, options);
    expect(at).toBe(last + MIN_GAP_MS); // Tuesday 10:00 Berlin, inside the window
  });
});

/** An active reader in Berlin who got email 1 on Monday 2 March at 14:00 UTC, through the real app and worker. */
async function activeReader() {
  const t = testApp();
  await postForm(t.app, '/subscribe', signupForm('pause@example.org'));
  await t.drain();
  await t.app.request(`/confirm/${linkToken(t.transport.sent[0]!, 'confirm')}`, { method: 'POST' });
  await t.drain();
  const sequence = () => t.transport.sent.filter((m) => m.tags?.some((x) => x.name === 'category' && x.value === 'sequence'));
  expect(sequence()).toHaveLength(1);
  return { ...t, sequence, token: linkToken(sequence()[0]!, 'p') };
}

/** Runs the worker every `step` of simulated time up to `until`. */
async function runUntil(t: Awaited<ReturnType<typeof activeReader>>, until: number, step = HOUR) {
  while (t.clock.now() + step <= until) {
    t.clock.advance(step);
    await t.drain();
  }
}

/** Sends are paced, so a message leaves a few milliseconds after its planned minute. */
function near(at: number, iso: string): boolean {
  return Math.abs(at - Date.parse(iso)) < 1000;
}

function berlinHour(at: number): number {
  return new Date(localWall('Europe/Berlin', at)).getUTCHours();
}

describe('a paused reader across a simulated pause', () => {
  it('is sent nothing while paused, then gets the next email inside their window after it, 20 h or more after the previous, and the rest follow from there', async () => {
    const t = await activeReader();
    const first = t.sequence()[0]!.at;
    t.clock.advance(HOUR);
    const res = await postJson(t.app, `/p/${t.token}`, { action: 'pause', weeks: 2 });
    expect(res.status).toBe(200);
    const { pausedUntil } = (await res.json()) as { pausedUntil: string };
    const end = Date.parse(pausedUntil);

    // Hourly ticks through the whole pause: nothing goes.
    await runUntil(t, end);
    expect(t.sequence()).toHaveLength(1);

    // Then on: email 2 at the first window moment after the pause, email 3 two days later.
    await runUntil(t, end + 4 * DAY);
    const sent = t.sequence();
    expect(sent.length).toBeGreaterThanOrEqual(3);
    const second = sent[1]!;
    expect(second.at).toBeGreaterThanOrEqual(end);
    // The pause ended on Monday 16 March at 15:00 UTC, 16:00 in Berlin: after that day's window.
    expect(near(second.at, '2026-03-17T08:00:00Z')).toBe(true);
    expect(second.at - first).toBeGreaterThanOrEqual(MIN_GAP_MS);
    for (const m of sent.slice(1)) {
      expect(berlinHour(m.at)).toBeGreaterThanOrEqual(9);
      expect(berlinHour(m.at)).toBeLessThan(11);
    }
    expect(near(sent[2]!.at, '2026-03-19T08:00:00Z')).toBe(true);
  });

  it('resuming early schedules the next email from the last one as if never paused, never in the past', async () => {
    const t = await activeReader();
    const pause = await pauseSubscriber(t, 1, t.clock.now() + 28 * DAY, { via: 'staff' });
    expect(pause.ok).toBe(true);
    // Three days on (Thursday 5 March, 07:30 UTC = 08:30 Berlin): email 2 was due yesterday.
    await runUntil(t, Date.parse('2026-03-05T07:30:00Z'), 30 * 60_000);
    expect(t.sequence()).toHaveLength(1);
    const resumed = await resumeSubscriber(t, 1);
    expect(resumed).toMatchObject({ ok: true, subscriber: { pausedUntil: null, nextSendAt: Date.parse('2026-03-05T08:00:00Z') } });
    await runUntil(t, Date.parse('2026-03-05T09:00:00Z'), 15 * 60_000);
    const sent = t.sequence();
    expect(sent).toHaveLength(2);
    expect(near(sent[1]!.at, '2026-03-05T08:00:00Z')).toBe(true);
    expect((await t.stores.subscribers.record(1))!.activity.map((a) => a.type)).toEqual(expect.arrayContaining(['paused', 'resumed']));
  });

  it('resuming right after pausing puts the next email back where it was', async () => {
    const t = await activeReader();
    const before = (await t.stores.subscribers.byId(1))!.nextSendAt;
    expect(new Date(before!).toISOString()).toBe('2026-03-04T08:00:00.000Z');
    await postForm(t.app, `/p/${t.token}`, { action: 'pause', weeks: '4' });
    expect((await t.stores.subscribers.byId(1))!.nextSendAt).not.toBe(before);
    t.clock.advance(HOUR);
    const res = await postForm(t.app, `/p/${t.token}`, { action: 'resume' });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('The emails have resumed');
    expect((await t.stores.subscribers.byId(1))!.nextSendAt).toBe(before);
  });

  it('a pause that comes while the next email is in flight still holds back the one after it', async () => {
    const t = await activeReader();
    // Email 2 is claimed at its time but not yet settled: the pause cannot move it.
    const due = Date.parse('2026-03-04T08:00:00Z');
    t.clock.set(due);
    const claim = await t.stores.sendQueue.claimDue(due, 10, 'w1', due + 60_000, stubSchedule(t.config));
    expect(claim.batchId).not.toBeNull();
    const outcome = await pauseSubscriber(t, 1, due + 14 * DAY);
    expect(outcome).toMatchObject({ ok: true, subscriber: { nextSendAt: null } });
    // The worker finishes the claimed batch after its lease; then nothing more until the pause ends.
    await runUntil(t, due + 14 * DAY - HOUR);
    expect(t.sequence()).toHaveLength(2);
    await runUntil(t, due + 16 * DAY);
    expect(t.sequence()).toHaveLength(3);
    expect(t.sequence()[2]!.at).toBeGreaterThanOrEqual(due + 14 * DAY);
  });
});
