import type { SqliteDb } from '../../db/sqlite/client.js';
import { staffAccounts, staffSessions } from '../../db/sqlite/schema.js';
import type { StaffRole } from '../../db/types.js';
import { hashPassword } from '../../src/staff/password.js';
import { hashToken } from '../../src/staff/sessions.js';

export const TEST_STAFF_PASSWORD = 'staff-password-for-tests';

/** One account per role, each with a session that never expires; `staff` is the first admin, as at boot. */
export const TEST_ACCOUNTS: Record<StaffRole, { name: string; password: string; session: string }> = {
  admin: { name: 'staff', password: TEST_STAFF_PASSWORD, session: 'test-session-admin-0123456789abcdef0123456789' },
  editor: { name: 'eddie', password: 'editor-password-for-tests', session: 'test-session-editor-0123456789abcdef012345678' },
  viewer: { name: 'vera', password: 'viewer-password-for-tests', session: 'test-session-viewer-0123456789abcdef012345678' },
};

// Hashed once per test file, with a cheap scrypt cost (each hash carries its own).
export const CHEAP_SCRYPT = { N: 1024, r: 8, p: 1 };
const hashes = Object.fromEntries(await Promise.all(Object.entries(TEST_ACCOUNTS).map(async ([role, a]) => [role, await hashPassword(a.password, CHEAP_SCRYPT)]))) as Record<StaffRole, string>;

const FOREVER = Date.parse('2100-01-01T00:00:00Z');

/** Adds the test accounts and their sessions (again on a shared db: nothing changes). */
export function seedStaffAccounts(db: SqliteDb): void {
  for (const [role, a] of Object.entries(TEST_ACCOUNTS) as [StaffRole, (typeof TEST_ACCOUNTS)[StaffRole]][]) {
    const account = db
      .insert(staffAccounts)
      .values({ name: a.name, role, passwordHash: hashes[role], createdAt: 0, updatedAt: 0 })
      .onConflictDoUpdate({ target: staffAccounts.name, set: { name: a.name } })
      .returning()
      .get();
    db.insert(staffSessions)
      .values({ tokenHash: hashToken(a.session), accountId: account.id, createdAt: 0, expiresAt: FOREVER, lastSeenAt: 0 })
      .onConflictDoNothing()
      .run();
  }
}
