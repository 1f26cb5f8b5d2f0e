import { describe, expect, it } from 'vitest';
import { groupCommit } from '../../db/sqlite/group-commit.js';
import { testDb } from '../helpers/app.js';

describe('SQLite group commit', () => {
  function setup() {
    const db = testDb();
    db.$client.exec('CREATE TABLE note (id INTEGER PRIMARY KEY, text TEXT NOT NULL UNIQUE)');
    const insert = db.$client.prepare<[string], { id: number }>('INSERT INTO note (text) VALUES (?) RETURNING id');
    const texts = () => (db.$client.prepare('SELECT text FROM note ORDER BY id').all() as { text: string }[]).map((r) => r.text);
    return { db, insert, texts, group: groupCommit(db) };
  }

  it('runs the work of one moment in one transaction, each caller getting its own value', async () => {
    const { db, insert, texts, group } = setup();
    const inOne: boolean[] = [];
    const ids = await Promise.all(
      ['a', 'b', 'c'].map((t) =>
        group.run(() => {
          inOne.push(db.$client.inTransaction);
          return insert.get(t)!.id;
        }),
      ),
    );
    expect(ids).toEqual([1, 2, 3]);
    expect(inOne).toEqual([true, true, true]);
    expect(texts()).toEqual(['a', 'b', 'c']);
  });

  it("fails only the item that failed: its writes are undone, the others' kept once each", async () => {
    const { insert, texts, group } = setup();
    const outcomes = await Promise.allSettled([
      group.run(() => insert.get('first')!.id),
      group.run(() => {
        insert.get('half-done');
        return insert.get('first')!.id; // the same text again: a constraint error
      }),
      group.run(() => {
        throw new Error('refused');
      }),
      group.run(() => insert.get('last')!.id),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'SQLITE_CONSTRAINT_UNIQUE' });
    expect((outcomes[2] as PromiseRejectedResult).reason).toMatchObject({ message: 'refused' });
    expect(texts()).toEqual(['first', 'last']);
    // The next moment's work goes on as usual.
    await group.run(() => insert.get('after'));
    expect(texts()).toEqual(['first', 'last', 'after']);
  });
});
