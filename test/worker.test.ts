import { describe, expect, it } from 'vitest';
import { SendError, type Transport } from '../src/mail/transport.js';
import { createWorker } from '../src/nurture/worker.js';
import { offsetClock } from '../src/clock.js';
import { MAX_ADVANCE_MS, parseTickArgs } from '../src/cli/tick-args.js';
import { testDb } from './helpers/app.js';
import { memoryTransport } from './helpers/memory-transport.js';
import { until } from './helpers/process.js';
import { seedDue, stubSchedule, tickHarness } from './helpers/worker.js';

const NOW = '2026-03-02T14:00:00Z';

describe('worker', () => {
  it('never runs two ticks at once; a kick during a tick runs one more afterwards', async () => {
    const db = testDb();
    seedDue(db, 3, { at: Date.parse(NOW) });
    const transport = memoryTransport();
    let inFlight = 0;
    let maxInFlight = 0;
    let calls = 0;
    const slow: Transport = {
      ...transport,
      async sendBatch(emails, o) {
        calls++;
        maxInFlight = Math.max(maxInFlight, ++inFlight);
        await new Promise((r) => setTimeout(r, 20));
        inFlight--;
        return transport.sendBatch(emails, o);
      },
    };
    const h = tickHarness(db, slow, { now: NOW });
    const worker = createWorker({ ...h.deps, sendRate: 1000 });
    const first = worker.tick();
    const second = worker.tick();
    expect(second).toBe(first);
    // New work arrives and a confirmation kicks the worker while the tick runs.
    seedDue(db, 2, { at: Date.parse(NOW), startId: 100 });
    worker.kick();
    await first;
    await new Promise((r) => setTimeout(r, 100));
    await worker.stop();
    expect(maxInFlight).toBe(1);
    expect(transport.sent).toHaveLength(5);
    expect(calls).toBeGreaterThanOrEqual(1);
  });

  it('paces on the machine clock under npm run tick -- --now: the grid it shares with live workers stays at real time', async () => {
    const db = testDb();
    const daysAhead = Date.now() + 3 * 24 * 3_600_000;
    seedDue(db, 3, { at: daysAhead });
    const h = tickHarness(db, memoryTransport(), { now: new Date(daysAhead).toISOString() });
    // As the tick command builds it: the clock runs from --now; no pacer, real time, real sleeps (at this rate, a millisecond or two).
    const { pacer: _pacer, realNow: _realNow, sleep: _sleep, ...deps } = h.deps;
    const transport = memoryTransport();
    const worker = createWorker({ ...deps, clock: offsetClock(daysAhead), transport, sendRate: 1000 });
    expect(await worker.tick()).toMatchObject({ sent: 3 });
    await worker.stop();
    const slot = Number(await h.deps.stores.settings.get('pacer_next_slot'));
    expect(Math.abs(slot - Date.now())).toBeLessThan(60_000);
  });

  it('ticks again when the lease of a batch another process held runs out, and takes the batch over', async () => {
    const db = testDb();
    seedDue(db, 2, { at: Date.parse(NOW) });
    const h = tickHarness(db, memoryTransport(), { now: NOW });
    // A process that claimed the batch and died: its lease runs out a moment from now, in real time.
    const claim = await h.deps.stores.sendQueue.claimDue(h.clock.now(), 100, 'dead-process/0', Date.now() + 200, stubSchedule(h.deps.config));
    expect(claim.batchId).not.toBeNull();
    const transport = memoryTransport();
    const worker = createWorker({ ...h.deps, transport, realNow: Date.now, sendRate: 1000 });
    expect(await worker.tick()).toMatchObject({ sent: 0 });
    // No kick and no minute: the worker's own wake-up at the lease's end sends it.
    await until(() => transport.sent.length === 2, 'the batch taken over at the end of its lease');
    await worker.stop();
    expect(new Set(transport.sent.map((m) => m.to))).toEqual(new Set(['person0@example.org', 'person1@example.org']));
  });

  it('a stop while a batch waits to retry releases it; the next tick repeats the identical request', async () => {
    const db = testDb();
    seedDue(db, 4, { at: Date.parse(NOW) });
    const transport = memoryTransport();
    const keys: string[] = [];
    let fail = true;
    const flaky: Transport = {
      ...transport,
      async sendBatch(emails, o) {
        keys.push(o!.idempotencyKey!);
        if (fail) throw new SendError('transient', 'connection reset');
        return transport.sendBatch(emails, o);
      },
    };
    const h = tickHarness(db, flaky, { now: NOW });
    let stopped: Promise<void> | null = null;
    const worker = createWorker({
      ...h.deps,
      sendRate: 1000,
      // SIGTERM arrives while the worker waits to retry.
      sleep: async () => {
        stopped ??= worker.stop();
      },
    });
    await worker.tick();
    await stopped;
    const batch = db.$client.prepare('SELECT status, lease_owner AS owner, attempts, payload IS NOT NULL AS kept FROM batches').get();
    expect(batch).toEqual({ status: 'ready', owner: null, attempts: 1, kept: 1 });
    expect(transport.sent).toHaveLength(0);

    fail = false;
    const next = createWorker({ ...h.deps, sendRate: 1000 });
    expect(await next.tick()).toMatchObject({ sent: 4 });
    expect(keys.at(-1)).toBe(keys[0]);
  });
});

describe('npm run tick arguments', () => {
  it('accepts --now with an ISO date-time and zone', () => {
    expect(parseTickArgs(['--now', '2026-03-02T14:00:00Z'])).toEqual({ now: Date.parse('2026-03-02T14:00:00Z') });
    expect(parseTickArgs(['--now=2026-03-02T09:00:00-05:00'])).toEqual({ now: Date.parse('2026-03-02T14:00:00Z') });
    expect(parseTickArgs([])).toEqual({});
  });
  it('accepts --advance as whole days or hours, with or without --now', () => {
    expect(parseTickArgs(['--advance', '21d'])).toEqual({ advanceMs: 21 * 24 * 3_600_000 });
    expect(parseTickArgs(['--now=2026-03-02T14:00:00Z', '--advance=36h'])).toEqual({ now: Date.parse('2026-03-02T14:00:00Z'), advanceMs: 36 * 3_600_000 });
    expect(parseTickArgs(['--advance', '366d'])).toEqual({ advanceMs: MAX_ADVANCE_MS });
  });
  it('refuses anything else with one line', () => {
    for (const bad of [['--now'], ['--now', 'tomorrow'], ['--now', '2026-03-02'], ['--now', '2026-02-30T10:00:00Z'], ['--later'], ['--advance'], ['--advance', '3w'], ['--advance', '0d'], ['--advance', '1.5d'], ['--advance', '367d'], ['--advance', '-2d']]) {
      const r = parseTickArgs(bad);
      expect(r).toHaveProperty('error');
      expect((r as { error: string }).error).not.toContain('\n');
    }
  });
});
