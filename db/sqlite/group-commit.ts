import type { SqliteDb as Db } from './client.js';

type Item = { work: () => unknown; resolve(v: unknown): void; reject(e: unknown): void };

export type GroupCommit = {
  /** Runs `work` (synchronous db work) in the next group; resolves once that group is committed. */
  run<T>(work: () => T): Promise<T>;
};

function createGroupCommit(db: Db): GroupCommit {
  let queue: Item[] = [];
  const sqlite = db.$client;
  // Each item in its own savepoint (better-sqlite3 nests transactions that way),
  // so one item's error rolls back only that item.
  const one = sqlite.transaction((work: () => unknown) => work());
  const all = sqlite.transaction((items: Item[]) =>
    items.map((item): { ok: true; value: unknown } | { ok: false; error: unknown } => {
      try {
        return { ok: true, value: one(item.work) };
      } catch (error) {
        return { ok: false, error };
      }
    }),
  );

  function flush() {
    const items = queue;
    queue = [];
    let outcomes;
    try {
      outcomes = all.immediate(items);
    } catch (error) {
      for (const item of items) item.reject(error);
      return;
    }
    outcomes.forEach((o, i) => (o.ok ? items[i]!.resolve(o.value) : items[i]!.reject(o.error)));
  }

  return {
    run<T>(work: () => T): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        if (queue.push({ work, resolve: resolve as (v: unknown) => void, reject }) === 1) setImmediate(flush);
      });
    },
  };
}

const groups = new WeakMap<Db, GroupCommit>();

/**
 * Group commit for one database: the writes of every request that arrives in
 * the same moment share one transaction, so a burst of signups costs one
 * commit (one WAL write) instead of one each. Answers wait for the commit, so
 * nothing is acknowledged before it is durable.
 */
export function groupCommit(db: Db): GroupCommit {
  let g = groups.get(db);
  if (!g) {
    g = createGroupCommit(db);
    groups.set(db, g);
  }
  return g;
}
