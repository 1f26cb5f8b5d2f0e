import type pg from 'pg';
import type { SettingsStore } from '../stores.js';

/**
 * The upsert that moves a counter on: the proposed row's value is
 * "now:hits", its updated_at the time; within the stored window (`window` ms
 * long) the hits are added to its count, else the window starts again there.
 */
const addHits = (window: string) => `ON CONFLICT (key) DO UPDATE SET
      value = CASE WHEN split_part(worker_state.value, ':', 1)::bigint + ${window}::bigint > excluded.updated_at
                   THEN split_part(worker_state.value, ':', 1) || ':' || (split_part(worker_state.value, ':', 2)::int + split_part(excluded.value, ':', 2)::int)
                   ELSE excluded.value END,
      updated_at = excluded.updated_at`;

/**
 * Counts one hit in a fixed-window counter, the row's value as
 * "windowStart:count": the statement with the key, the time (ms) and the
 * window at the placeholders given, so a caller can run it inside a larger
 * statement; with `onlyWith`, counted only when that CTE has a row.
 */
export function countHitSql(key: string, now: string, window: string, onlyWith?: string): string {
  return `INSERT INTO worker_state (key, value, updated_at) SELECT ${key}, ${now}::bigint || ':1', ${now}${onlyWith ? ` FROM ${onlyWith}` : ''}
    ${addHits(window)}`;
}

function parseHits(value: string) {
  const [start = '0', count = '0'] = value.split(':');
  return { windowStart: Number(start), count: Number(count) };
}

/** A counter's count in its current window (0 when it ended or never began), from its stored value. */
export function hitsIn(value: string | null | undefined, now: number, windowMs: number): number {
  if (value === null || value === undefined) return 0;
  const w = parseHits(value);
  return w.windowStart + windowMs > now ? w.count : 0;
}

type Hits = { count: number; windowStart: number };
type WaitingHit = { key: string; now: number; resolve(hits: Hits): void; reject(error: unknown): void };

// Every key of one statement moves on by its own number of hits; the window is one for the statement.
const COUNT_HITS = `INSERT INTO worker_state (key, value, updated_at)
  SELECT key, now || ':' || n, now FROM unnest($1::text[], $2::bigint[], $3::int[]) WITH ORDINALITY AS h(key, now, n, i) ORDER BY i
  ${addHits('$4')}
  RETURNING key, value`;

/**
 * Hits counted in the same moment (a burst of signups) share one statement
 * and one commit, as SQLite's group commit does for it: a round trip and a
 * commit each cost more than the counting. Each caller still gets its own
 * count, in the order it asked. Keys go in sorted, so two servers' statements
 * lock their rows in one order.
 */
function coalescedHits(pool: pg.Pool) {
  const waiting = new Map<number, WaitingHit[]>();

  async function flush(windowMs: number) {
    const hits = waiting.get(windowMs)!;
    waiting.delete(windowMs);
    const byKey = new Map<string, WaitingHit[]>();
    for (const h of hits) {
      const same = byKey.get(h.key);
      if (same) same.push(h);
      else byKey.set(h.key, [h]);
    }
    const keys = [...byKey.keys()].sort();
    try {
      const rows = (
        await pool.query<{ key: string; value: string }>({
          name: 'count-hits',
          text: COUNT_HITS,
          values: [keys, keys.map((k) => Math.floor(Math.max(...byKey.get(k)!.map((h) => h.now)))), keys.map((k) => byKey.get(k)!.length), windowMs],
        })
      ).rows;
      for (const { key, value } of rows) {
        const counted = parseHits(value);
        const callers = byKey.get(key)!;
        callers.forEach((h, i) => h.resolve({ count: counted.count - (callers.length - 1 - i), windowStart: counted.windowStart }));
      }
    } catch (error) {
      for (const h of hits) h.reject(error);
    }
  }

  return (key: string, now: number, windowMs: number) =>
    new Promise<Hits>((resolve, reject) => {
      const list = waiting.get(windowMs);
      if (list) list.push({ key, now, resolve, reject });
      else {
        waiting.set(windowMs, [{ key, now, resolve, reject }]);
        setImmediate(() => void flush(windowMs));
      }
    });
}

export function postgresSettingsStore(pool: pg.Pool): SettingsStore {
  const countHit = coalescedHits(pool);
  return {
    countHit,
    async peekHits(key, now, windowMs) {
      return hitsIn((await pool.query<{ value: string }>('SELECT value FROM worker_state WHERE key = $1', [key])).rows[0]?.value, now, windowMs);
    },
    async sweepHits(prefix, before) {
      // Rows a count holds are skipped (the next sweep takes them), so the sweep never waits on a count nor deadlocks with one.
      await pool.query(
        `DELETE FROM worker_state WHERE key IN (
           SELECT key FROM worker_state WHERE left(key, length($1)) = $1 AND updated_at < $2 ORDER BY key FOR UPDATE SKIP LOCKED)`,
        [prefix, before],
      );
    },
    // The next free slot is kept as the row's value (ms); the statement reserves one and moves it on.
    async reserveSlot(key, now, intervalMs, catchUpMs, maxAheadMs) {
      const r = await pool.query<{ slot: number }>(
        `INSERT INTO worker_state (key, value, updated_at) VALUES ($1, ($2::bigint + $3::bigint)::text, $2)
         ON CONFLICT (key) DO UPDATE SET
           value = ((CASE WHEN worker_state.value::bigint BETWEEN $2::bigint - $4::bigint AND $2::bigint + $5::bigint THEN worker_state.value::bigint ELSE $2::bigint END) + $3::bigint)::text, updated_at = $2
         RETURNING value::bigint - $3::bigint AS slot`,
        [key, Math.floor(now), Math.ceil(intervalMs), catchUpMs, Math.ceil(maxAheadMs)],
      );
      return r.rows[0]!.slot;
    },
    async holdSlots(key, until, now) {
      await pool.query(
        `INSERT INTO worker_state (key, value, updated_at) VALUES ($1, $2::text, $3)
         ON CONFLICT (key) DO UPDATE SET value = greatest(worker_state.value::bigint, $2::bigint)::text, updated_at = $3`,
        [key, Math.ceil(until), Math.floor(now)],
      );
    },
    async get(key) {
      return (await pool.query<{ value: string }>('SELECT value FROM worker_state WHERE key = $1', [key])).rows[0]?.value ?? null;
    },
    async set(key, value, now) {
      await pool.query('INSERT INTO worker_state (key, value, updated_at) VALUES ($1, $2, $3) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at', [key, value, now]);
    },
  };
}
