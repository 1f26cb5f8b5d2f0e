// The exact preview of a version change against what the worker then does, on SQLite
// (test/version-change-postgres.test.ts runs the same on PostgreSQL).
import { describe, it } from 'vitest';
import { storesOf, testDb } from '../helpers/app.js';
import { previewMatchesWhatHappens } from '../helpers/version-change.js';

describe('a version change on SQLite', () => {
  it('happens to each person exactly as its preview said: emails lost, gained and moved', async () => {
    await previewMatchesWhatHappens(storesOf(testDb()));
  }, 120_000);
});
