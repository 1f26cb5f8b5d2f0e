// The exact preview of a version change against what the worker then does, on PostgreSQL.
import { afterAll, describe, it } from 'vitest';
import { closePostgresStores, freshPostgresStores, POSTGRES_SKIP_MESSAGE, TEST_DATABASE_URL } from './helpers/postgres.js';
import { previewMatchesWhatHappens } from './helpers/version-change.js';

if (!TEST_DATABASE_URL) console.warn(POSTGRES_SKIP_MESSAGE);

describe.skipIf(!TEST_DATABASE_URL)('a version change on PostgreSQL', () => {
  afterAll(closePostgresStores);

  it('happens to each person exactly as its preview said: emails lost, gained and moved', async () => {
    await previewMatchesWhatHappens(await freshPostgresStores());
  }, 240_000);
});
