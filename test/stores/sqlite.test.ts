import { sqliteStores } from '../../db/sqlite/index.js';
import { describeStoreContract } from './contract.js';

// A fresh in-memory database per test: the contract starts from empty each time.
describeStoreContract('sqlite', async () => sqliteStores(':memory:'));
