import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSqlite } from '../../db/sqlite/client.js';
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

  it('rejects every caller with the error when the transaction itself cannot start (another process holds the write lock), running no work', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'group-commit-')), 'db.sqlite');
    const other = openSqlite(file);
    const db = openSqlite(file);
    db.$client.pragma('busy_timeout = 20');
    db.$client.exec('CREATE TABLE IF NOT EXISTS note (id INTEGER PRIMARY KEY, text TEXT NOT NULL)');
    const group = groupCommit(db);
    let ran = 0;
    other.$client.exec('BEGIN IMMEDIATE');
    const outcomes = await Promise.allSettled(['a', 'b', 'c'].map((t) => group.run(() => ++ran && db.$client.prepare('INSERT INTO note (text) VALUES (?)').run(t))));
    expect(outcomes.map((o) => (o.status === 'rejected' ? (o.reason as { code?: string }).code : o.status))).toEqual(['SQLITE_BUSY', 'SQLITE_BUSY', 'SQLITE_BUSY']);
    expect(ran).toBe(0);
    other.$client.exec('ROLLBACK');
    await group.run(() => db.$client.prepare('INSERT INTO note (text) VALUES (?)').run('after'));
    expect(db.$client.prepare('SELECT text FROM note').all()).toEqual([{ text: 'after' }]);
    other.$client.close();
    db.$client.close();
  });
});
