import type pg from 'pg';
import type { StaffStore } from '../stores.js';
import type { AuditEntry, LoginFailure, StaffAccount, StaffRole } from '../types.js';
import { selectList, transaction, type Queryable } from './client.js';
import { staffAccounts } from './schema.js';

const ACCOUNT = selectList(staffAccounts);
const ACCOUNT_A = selectList(staffAccounts, 'a');
const FAILURE = 'key, failures, window_start AS "windowStart", last_at AS "lastAt"';

function openCounts(q: Queryable, keys: string[], now: number, windowMs: number): Promise<LoginFailure[]> {
  return q
    .query<LoginFailure>(`SELECT ${FAILURE} FROM login_failures WHERE key = ANY($1) AND window_start > $2 AND failures > 0 ORDER BY key`, [keys, now - windowMs])
    .then((r) => r.rows);
}

export function postgresStaffStore(pool: pg.Pool): StaffStore {
  return {
    async account(name) {
      return (await pool.query<StaffAccount>(`SELECT ${ACCOUNT} FROM staff_accounts WHERE name = $1`, [name])).rows[0];
    },
    async accounts() {
      return (await pool.query<StaffAccount>(`SELECT ${ACCOUNT} FROM staff_accounts ORDER BY name`)).rows;
    },
    async addAccount({ name, role, passwordHash, now }) {
      const r = await pool.query<StaffAccount>(
        `INSERT INTO staff_accounts (name, role, password_hash, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)
         ON CONFLICT (name) DO NOTHING RETURNING ${ACCOUNT}`,
        [name, role, passwordHash, now],
      );
      return r.rows[0] ?? null;
    },
    setPassword(name, passwordHash, now) {
      return transaction(pool, async (c) => {
        const r = await c.query<{ id: number }>('UPDATE staff_accounts SET password_hash = $2, updated_at = $3 WHERE name = $1 RETURNING id', [name, passwordHash, now]);
        const account = r.rows[0];
        if (!account) return false;
        await c.query('DELETE FROM staff_sessions WHERE account_id = $1', [account.id]);
        return true;
      });
    },
    setRole(name, role, now) {
      return transaction(pool, async (c) => {
        // Every enabled admin is locked (in id order) before counting: a concurrent demotion waits, then counts again.
        const admins = await c.query<{ name: string }>("SELECT name FROM staff_accounts WHERE role = 'admin' AND disabled_at IS NULL ORDER BY id FOR UPDATE");
        const r = await c.query<{ role: StaffRole; disabledAt: number | null }>('SELECT role, disabled_at AS "disabledAt" FROM staff_accounts WHERE name = $1 FOR UPDATE', [name]);
        const account = r.rows[0];
        if (!account) return { ok: false, reason: 'not_found' } as const;
        if (account.role === 'admin' && role !== 'admin' && account.disabledAt === null && admins.rows.every((a) => a.name === name)) return { ok: false, reason: 'last_admin' } as const;
        await c.query('UPDATE staff_accounts SET role = $2, updated_at = $3 WHERE name = $1', [name, role, now]);
        return { ok: true, from: account.role } as const;
      });
    },
    setDisabled(name, disabled, now) {
      return transaction(pool, async (c) => {
        const r = await c.query<{ id: number }>('UPDATE staff_accounts SET disabled_at = $2, updated_at = $3 WHERE name = $1 RETURNING id', [name, disabled ? now : null, now]);
        const account = r.rows[0];
        if (!account) return false;
        if (disabled) await c.query('DELETE FROM staff_sessions WHERE account_id = $1', [account.id]);
        return true;
      });
    },
    async setTimezone(name, timezone, now) {
      return ((await pool.query('UPDATE staff_accounts SET timezone = $2, updated_at = $3 WHERE name = $1', [name, timezone, now])).rowCount ?? 0) > 0;
    },
    async createSession({ tokenHash, accountId, createdAt, expiresAt }) {
      await pool.query('DELETE FROM staff_sessions WHERE expires_at <= $1', [createdAt]);
      await pool.query('INSERT INTO staff_sessions (token_hash, account_id, created_at, expires_at, last_seen_at) VALUES ($1, $2, $3, $4, $3)', [tokenHash, accountId, createdAt, expiresAt]);
    },
    async session(tokenHash, now) {
      const r = await pool.query<StaffAccount & { sCreatedAt: number; sExpiresAt: number; sLastSeenAt: number }>(
        `SELECT ${ACCOUNT_A}, s.created_at AS "sCreatedAt", s.expires_at AS "sExpiresAt", s.last_seen_at AS "sLastSeenAt"
         FROM staff_sessions s JOIN staff_accounts a ON a.id = s.account_id
         WHERE s.token_hash = $1 AND s.expires_at > $2 AND a.disabled_at IS NULL`,
        [tokenHash, now],
      );
      const row = r.rows[0];
      if (!row) return undefined;
      const { sCreatedAt, sExpiresAt, sLastSeenAt, ...account } = row;
      return { tokenHash, createdAt: sCreatedAt, expiresAt: sExpiresAt, lastSeenAt: sLastSeenAt, account };
    },
    async touchSession(tokenHash, now, expiresAt) {
      await pool.query('UPDATE staff_sessions SET last_seen_at = $2, expires_at = greatest(expires_at, $3) WHERE token_hash = $1', [tokenHash, now, expiresAt]);
    },
    async deleteSession(tokenHash) {
      await pool.query('DELETE FROM staff_sessions WHERE token_hash = $1', [tokenHash]);
    },
    reserveLoginAttempt(keys, now, windowMs, decide) {
      const distinct = [...new Set(keys)].sort();
      return transaction(pool, async (c) => {
        // Closed windows are never read again: dropped here, so guessed names do not pile up.
        await c.query('DELETE FROM login_failures WHERE window_start <= $1', [now - windowMs]);
        // Each key's row is made if missing and locked, in key order (so two servers never deadlock):
        // a concurrent attempt on the same key waits here until this one is counted or refused.
        for (const key of distinct) {
          await c.query(
            `INSERT INTO login_failures (key, failures, window_start, last_at) VALUES ($1, 0, $2, $2)
             ON CONFLICT (key) DO UPDATE SET key = excluded.key`,
            [key, now],
          );
        }
        const wait = decide(await openCounts(c, distinct, now, windowMs), now);
        if (wait > 0) return { ok: false, retryAfterMs: wait } as const;
        await c.query('UPDATE login_failures SET failures = failures + 1, last_at = $2 WHERE key = ANY($1)', [distinct, now]);
        return { ok: true, counts: await openCounts(c, distinct, now, windowMs) } as const;
      });
    },
    async releaseLoginAttempt({ clear, refund }) {
      if (clear.length) await pool.query('DELETE FROM login_failures WHERE key = ANY($1)', [clear]);
      if (refund.length) await pool.query('UPDATE login_failures SET failures = greatest(failures - 1, 0) WHERE key = ANY($1)', [refund]);
    },
    async audit({ at, actor, action, subscriberId, detail }) {
      await pool.query('INSERT INTO audit_log (at, actor, action, subscriber_id, detail) VALUES ($1, $2, $3, $4, $5)', [
        at,
        actor,
        action,
        subscriberId,
        detail === null ? null : JSON.stringify(detail),
      ]);
    },
    async auditLog({ subscriberId, actions, exceptActions, actor, from, to, page, pageSize }) {
      const params: unknown[] = [];
      const conditions: string[] = [];
      const param = (v: unknown) => `$${params.push(v)}`;
      if (subscriberId !== undefined) conditions.push(`subscriber_id = ${param(subscriberId)}`);
      if (actions !== undefined) conditions.push(`action = ANY(${param([...actions])}::text[])`);
      if (exceptActions !== undefined && exceptActions.length > 0) conditions.push(`action <> ALL(${param([...exceptActions])}::text[])`);
      if (actor !== undefined) conditions.push(`actor = ${param(actor)}`);
      if (from !== undefined) conditions.push(`at >= ${param(from)}`);
      if (to !== undefined) conditions.push(`at < ${param(to)}`);
      const where = conditions.length ? `WHERE ${conditions.join(' AND ')}` : '';
      const total = Number((await pool.query<{ n: string }>(`SELECT count(*) AS n FROM audit_log ${where}`, params)).rows[0]!.n);
      const pageCount = Math.max(1, Math.ceil(total / pageSize));
      const rows = await pool.query<Omit<AuditEntry, 'detail'> & { detail: string | null }>(
        `SELECT id, at, actor, action, subscriber_id AS "subscriberId", detail FROM audit_log ${where}
         ORDER BY at DESC, id DESC LIMIT ${Number(pageSize)} OFFSET ${Number((page - 1) * pageSize)}`,
        params,
      );
      const items: AuditEntry[] = rows.rows.map((r) => ({ ...r, detail: r.detail === null ? null : (JSON.parse(r.detail) as Record<string, unknown>) }));
      return { items, page, pageSize, total, pageCount };
    },
    async auditActors() {
      // Sorted here, by code point, so every engine answers in the same order whatever its collation.
      return (await pool.query<{ actor: string }>('SELECT DISTINCT actor FROM audit_log')).rows.map((r) => r.actor).sort();
    },
  };
}
