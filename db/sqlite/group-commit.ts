import type { SqliteDb as Db } from './client.js';

type Item = { work: () => unknown; resolve(v: unknown): void; reject(e: unknown): void };

export type GroupCommit = {
  /** Runs `work` (synchronous db work) in the next group; resolves once that group is committed. */
  run<T>(work: () => T): Promise<T>;
};

function createGroupCommit(db: Db): GroupCommit {
  let queue: Item[] = [];
  const sqlite = db.$client;
  // The whole group in one transaction, without a savepoint per item: a
  // savepoint makes SQLite copy every page an item touches into a statement
  // journal first, which cost signups more than their own statements.
  const all = sqlite.transaction((items: Item[]) => items.map((item) => item.work()));
  // When an item fails, the group is rolled back and each item runs again
  // alone, so one item's error fails only that item.
  const one = sqlite.transaction((work: () => unknown) => work());

  function flush() {
    const items = queue;
    queue = [];
    let values: unknown[];
    try {
      values = all.immediate(items);
    } catch {
      for (const item of items) {
        try {
          item.resolve(one.immediate(item.work));
        } catch (error) {
          item.reject(error);
        }
      }
      return;
    }
    values.forEach((v, i) => items[i]!.resolve(v));
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
