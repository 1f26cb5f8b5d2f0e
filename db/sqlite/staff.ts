import { and, asc, count, desc, eq, gt, gte, inArray, isNull, lt, lte, ne, notInArray, sql } from 'drizzle-orm';
import type { StaffStore } from '../stores.js';
import type { AuditEntry, DecideLoginWait, LoginFailure, LoginReservation, SetRoleOutcome, StaffRole } from '../types.js';
import type { SqliteDb } from './client.js';
import { auditLog, loginFailures, staffAccounts, staffSessions } from './schema.js';

export function sqliteStaffStore(db: SqliteDb): StaffStore {
  const openCounts = (keys: string[], now: number, windowMs: number): LoginFailure[] =>
    keys.length === 0
      ? []
      : db
          .select()
          .from(loginFailures)
          .where(and(inArray(loginFailures.key, keys), gt(loginFailures.windowStart, now - windowMs), gt(loginFailures.failures, 0)))
          .orderBy(asc(loginFailures.key))
          .all();

  // One immediate transaction: concurrent attempts are decided one after another, each seeing the ones before.
  const reserve = db.$client.transaction((keys: string[], now: number, windowMs: number, decide: DecideLoginWait): LoginReservation => {
    // Closed windows are never read again: dropped here, so guessed names do not pile up.
    db.delete(loginFailures).where(lte(loginFailures.windowStart, now - windowMs)).run();
    const wait = decide(openCounts(keys, now, windowMs), now);
    if (wait > 0) return { ok: false, retryAfterMs: wait };
    for (const key of new Set(keys)) {
      db.insert(loginFailures)
        .values({ key, failures: 1, windowStart: now, lastAt: now })
        .onConflictDoUpdate({ target: loginFailures.key, set: { failures: sql`${loginFailures.failures} + 1`, lastAt: now } })
        .run();
    }
    return { ok: true, counts: openCounts(keys, now, windowMs) };
  });

  // Read and written in one transaction, so two demotions cannot each count the other as the admin left.
  const changeRole = db.$client.transaction((name: string, role: StaffRole, now: number): SetRoleOutcome => {
    const account = db.select().from(staffAccounts).where(eq(staffAccounts.name, name)).get();
    if (!account) return { ok: false, reason: 'not_found' };
    if (account.role === 'admin' && role !== 'admin' && account.disabledAt === null) {
      const others = db
        .select({ n: count() })
        .from(staffAccounts)
        .where(and(eq(staffAccounts.role, 'admin'), isNull(staffAccounts.disabledAt), ne(staffAccounts.id, account.id)))
        .get()!.n;
      if (others === 0) return { ok: false, reason: 'last_admin' };
    }
    db.update(staffAccounts).set({ role, updatedAt: now }).where(eq(staffAccounts.id, account.id)).run();
    return { ok: true, from: account.role };
  });

  const changePassword = db.$client.transaction((name: string, passwordHash: string, now: number): boolean => {
    const account = db.update(staffAccounts).set({ passwordHash, updatedAt: now }).where(eq(staffAccounts.name, name)).returning({ id: staffAccounts.id }).get();
    if (!account) return false;
    db.delete(staffSessions).where(eq(staffSessions.accountId, account.id)).run();
    return true;
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
    async setPassword(name, passwordHash, now) {
      return changePassword.immediate(name, passwordHash, now);
    },
    async setRole(name, role, now) {
      return changeRole.immediate(name, role, now);
    },
    async setDisabled(name, disabled, now) {
      return disable(name, disabled, now);
    },
    async setTimezone(name, timezone, now) {
      return db.update(staffAccounts).set({ timezone, updatedAt: now }).where(eq(staffAccounts.name, name)).run().changes > 0;
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
    async reserveLoginAttempt(keys, now, windowMs, decide) {
      return reserve.immediate(keys, now, windowMs, decide);
    },
    async releaseLoginAttempt({ clear, refund }) {
      if (clear.length) db.delete(loginFailures).where(inArray(loginFailures.key, clear)).run();
      if (refund.length) {
        db.update(loginFailures)
          .set({ failures: sql`max(${loginFailures.failures} - 1, 0)` })
          .where(inArray(loginFailures.key, refund))
          .run();
      }
    },
    async audit({ at, actor, action, subscriberId, detail }) {
      db.insert(auditLog)
        .values({ at, actor, action, subscriberId, detail: detail === null ? null : JSON.stringify(detail) })
        .run();
    },
    async auditLog({ subscriberId, actions, exceptActions, actor, from, to, page, pageSize }) {
      const where = and(
        subscriberId === undefined ? undefined : eq(auditLog.subscriberId, subscriberId),
        actions === undefined ? undefined : actions.length === 0 ? sql`0` : inArray(auditLog.action, [...actions]),
        exceptActions === undefined || exceptActions.length === 0 ? undefined : notInArray(auditLog.action, [...exceptActions]),
        actor === undefined ? undefined : eq(auditLog.actor, actor),
        from === undefined ? undefined : gte(auditLog.at, from),
        to === undefined ? undefined : lt(auditLog.at, to),
      );
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
    async auditActors() {
      // Sorted here, by code point, so every engine answers in the same order whatever its collation.
      return db
        .selectDistinct({ actor: auditLog.actor })
        .from(auditLog)
        .all()
        .map((r) => r.actor)
        .sort();
    },
  };
}
