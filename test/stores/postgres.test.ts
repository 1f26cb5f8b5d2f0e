import { afterAll, describe, it } from 'vitest';
import { closePostgresStores, freshPostgresStores, POSTGRES_SKIP_MESSAGE, TEST_DATABASE_URL } from '../helpers/postgres.js';
import { describeStoreContract } from './contract.js';

if (TEST_DATABASE_URL) {
  afterAll(closePostgresStores);
  // One database for this file, emptied before each test; the pool stays open between tests.
  describeStoreContract('postgres', freshPostgresStores, async () => {});
} else {
  describe('store contract (postgres)', () => {
    it.skip(POSTGRES_SKIP_MESSAGE, () => {});
  });
  console.warn(POSTGRES_SKIP_MESSAGE);
}
