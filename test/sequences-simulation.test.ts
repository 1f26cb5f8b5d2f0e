// Six weeks of two sequences on SQLite (the PostgreSQL run is in
// sequences-simulation-postgres.test.ts): see test/helpers/sequences-simulation.ts.
import { describe, expect, it } from 'vitest';
import { expectSimulationRules, simulateSequences } from './helpers/sequences-simulation.js';
import { storesOf, testDb } from './helpers/app.js';

describe('six simulated weeks of two sequences (SQLite)', () => {
  it('each person gets exactly the emails the rules give them: no repeat, one a day, in their window, entered and ended as they acted', { timeout: 120_000 }, async () => {
    const result = await simulateSequences(storesOf(testDb()));
    expectSimulationRules(result, expect);
  });
});
