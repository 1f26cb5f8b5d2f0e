import { and, count, desc, eq, gt, inArray, isNull, lte, sql } from 'drizzle-orm';
import type { StaffStore } from '../stores.js';
import type { AuditEntry, LoginFailure } from '../types.js';
import type { SqliteDb } from './client.js';
import { auditLog, loginFailures, staffAccounts, staffSessions } from './schema.js';

export function sqliteStaffStore(db: SqliteDb): StaffStore {
  const openFailures = (keys: string[], now: number, windowMs: number): LoginFailure[] =>
    keys.length === 0
      ? []
      : db
          .select()
          .from(loginFailures)
          .where(and(inArray(loginFailures.key, keys), gt(loginFailures.windowStart, now - windowMs)))
          .all();

  // One transaction, so concurrent failures on one key all count.
  const recordFailure = db.$client.transaction((keys: string[], now: number, windowMs: number) => {
    // Closed windows are never read again: dropped here, so guessed names do not pile up.
    db.delete(loginFailures).where(lte(loginFailures.windowStart, now - windowMs)).run();
    for (const key of keys) {
      db.insert(loginFailures)
        .values({ key, failures: 1, windowStart: now, lastAt: now })
        .onConflictDoUpdate({
          target: loginFailures.key,
          set: {
            failures: sql`CASE WHEN ${loginFailures.windowStart} > ${now - windowMs} THEN ${loginFailures.failures} + 1 ELSE 1 END`,
            windowStart: sql`CASE WHEN ${loginFailures.windowStart} > ${now - windowMs} THEN ${loginFailures.windowStart} ELSE ${now} END`,
            lastAt: now,
          },
        })
        .run();
    }
    return openFailures(keys, now, windowMs);
  });

  const disable = db.$client.transaction((name: string, disabled: boolean, now: number) => {
    const account = db.select({ id: staffAccounts.id }).from(staffAccounts).where(eq(staffAccounts.name, name)).get();
    if (!account) return false;
    db.update(staffAccounts)
      .set({ disabledAt: disabled ? now : null, updatedAt: now })
      .where(eq(staffAccounts.id, account.id))
      .run();
    if (disabled) db.delete(staffSessions).where(eq(staffSessions.accountId, account.id)).run();
    return true;
  });

  return {
    async account(name) {
      return db.select().from(staffAccounts).where(eq(staffAccounts.name, name)).get();
    },
    async accounts() {
      return db.select().from(staffAccounts).orderBy(staffAccounts.name).all();
    },
    async addAccount({ name, role, passwordHash, now }) {
      return db.insert(staffAccounts).values({ name, role, passwordHash, createdAt: now, updatedAt: now }).onConflictDoNothing().returning().get() ?? null;
    },
    async putAccount({ name, role, passwordHash, now }) {
      return db
        .insert(staffAccounts)
        .values({ name, role, passwordHash, createdAt: now, updatedAt: now })
        .onConflictDoUpdate({ target: staffAccounts.name, set: { role, passwordHash, updatedAt: now } })
        .returning()
        .get()!;
    },
    async setDisabled(name, disabled, now) {
      return disable(name, disabled, now);
    },
    async createSession({ tokenHash, accountId, createdAt, expiresAt }) {
      db.delete(staffSessions).where(lte(staffSessions.expiresAt, createdAt)).run();
      db.insert(staffSessions).values({ tokenHash, accountId, createdAt, expiresAt, lastSeenAt: createdAt }).run();
    },
    async session(tokenHash, now) {
      const row = db
        .select({ session: staffSessions, account: staffAccounts })
        .from(staffSessions)
        .innerJoin(staffAccounts, eq(staffAccounts.id, staffSessions.accountId))
        .where(and(eq(staffSessions.tokenHash, tokenHash), gt(staffSessions.expiresAt, now), isNull(staffAccounts.disabledAt)))
        .get();
      if (!row) return undefined;
      const { createdAt, expiresAt, lastSeenAt } = row.session;
      return { tokenHash, createdAt, expiresAt, lastSeenAt, account: row.account };
    },
    async touchSession(tokenHash, now, expiresAt) {
      db.update(staffSessions)
        .set({ lastSeenAt: now, expiresAt: sql`max(${staffSessions.expiresAt}, ${expiresAt})` })
        .where(eq(staffSessions.tokenHash, tokenHash))
        .run();
    },
    async deleteSession(tokenHash) {
      db.delete(staffSessions).where(eq(staffSessions.tokenHash, tokenHash)).run();
    },
    async loginFailures(keys, now, windowMs) {
      return openFailures(keys, now, windowMs);
    },
    async recordLoginFailure(keys, now, windowMs) {
      return recordFailure.immediate(keys, now, windowMs);
    },
    async clearLoginFailures(keys) {
      if (keys.length) db.delete(loginFailures).where(inArray(loginFailures.key, keys)).run();
    },
    async audit({ at, actor, action, subscriberId, detail }) {
      db.insert(auditLog)
        .values({ at, actor, action, subscriberId, detail: detail === null ? null : JSON.stringify(detail) })
        .run();
    },
    async auditLog({ subscriberId, page, pageSize }) {
      const where = subscriberId === undefined ? undefined : eq(auditLog.subscriberId, subscriberId);
      const total = db.select({ n: count() }).from(auditLog).where(where).get()!.n;
      const pageCount = Math.max(1, Math.ceil(total / pageSize));
      const rows = db
        .select()
        .from(auditLog)
        .where(where)
        .orderBy(desc(auditLog.at), desc(auditLog.id))
        .limit(pageSize)
        .offset((page - 1) * pageSize)
        .all();
      const items: AuditEntry[] = rows.map((r) => ({ ...r, detail: r.detail === null ? null : (JSON.parse(r.detail) as Record<string, unknown>) }));
      return { items, page, pageSize, total, pageCount };
    },
  };
}
