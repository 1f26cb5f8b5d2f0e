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
  let itemFailed = false;
  const all = sqlite.transaction((items: Item[]) =>
    items.map((item) => {
      try {
        return item.work();
      } catch (error) {
        itemFailed = true;
        throw error;
      }
    }),
  );
  const one = sqlite.transaction((work: () => unknown) => work());

  function flush() {
    const items = queue;
    queue = [];
    itemFailed = false;
    let values: unknown[];
    try {
      values = all.immediate(items);
    } catch (error) {
      // The transaction itself failed (the write lock stayed busy past the
      // timeout, the disk): trying each item again would wait as long again.
      if (!itemFailed) {
        for (const item of items) item.reject(error);
        return;
      }
      // An item failed: the group was rolled back, and each item runs again
      // alone, so one item's error fails only that item.
      for (const item of items) {
        try {
          item.resolve(one.immediate(item.work));
        } catch (itemError) {
          item.reject(itemError);
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
