// Six weeks of two sequences on PostgreSQL: see test/helpers/sequences-simulation.ts.
import { afterAll, describe, expect, it } from 'vitest';
import { closePostgresStores, freshPostgresStores, POSTGRES_SKIP_MESSAGE, TEST_DATABASE_URL } from './helpers/postgres.js';
import { expectSimulationRules, simulateSequences } from './helpers/sequences-simulation.js';

describe('six simulated weeks of two sequences (PostgreSQL)', () => {
  if (!TEST_DATABASE_URL) {
    it.skip(POSTGRES_SKIP_MESSAGE, () => {});
    return;
  }
  afterAll(closePostgresStores);
  it('each person gets exactly the emails the rules give them: no repeat, one a day, in their window, entered and ended as they acted', { timeout: 300_000 }, async () => {
    const result = await simulateSequences(await freshPostgresStores());
    expectSimulationRules(result, expect);
  });
});
