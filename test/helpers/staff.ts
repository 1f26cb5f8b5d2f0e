import type { SqliteDb as Db } from '../../db/sqlite/client.js';
import { activity, deliveries, providerEvents, subscribers, type NewSubscriber } from '../../db/sqlite/schema.js';
import { emailHash } from '../../src/address.js';
import type { StaffRole } from '../../db/types.js';
import { SESSION_COOKIE } from '../../src/routes/staff/auth.js';
import { TEST_SECRET } from './app.js';
import { TEST_ACCOUNTS } from './staff-accounts.js';

export { TEST_ACCOUNTS } from './staff-accounts.js';

/** HTTP basic auth of a test account, as a script sends it to /api. */
export function basicAuthOf(role: StaffRole = 'admin', password = TEST_ACCOUNTS[role].password): string {
  return `Basic ${Buffer.from(`${TEST_ACCOUNTS[role].name}:${password}`).toString('base64')}`;
}

/** The session cookie of a test account (seeded by testApp). */
export function sessionCookie(role: StaffRole = 'admin'): string {
  return `${SESSION_COOKIE}=${TEST_ACCOUNTS[role].session}`;
}

/** Request init signed in as a test account (the admin `staff` unless told), with any extra headers. */
export function asStaff(init: RequestInit = {}, role: StaffRole = 'admin'): RequestInit {
  return { ...init, headers: { cookie: sessionCookie(role), ...(init.headers as Record<string, string> | undefined) } };
}

let seq = 0;

/** Inserts a subscriber with sensible defaults; the hash is the real keyed hash of the address. */
export function addSubscriber(db: Db, fields: Partial<NewSubscriber> & { email?: string | null } = {}) {
  const email = fields.email === undefined ? `person${++seq}@example.org` : fields.email;
  const now = fields.createdAt ?? Date.parse('2026-03-01T12:00:00Z');
  return db
    .insert(subscribers)
    .values({
      emailHash: email ? emailHash(TEST_SECRET, email) : `hash-${++seq}`,
      timezone: 'America/New_York',
      status: 'active',
      createdAt: now,
      updatedAt: now,
      ...fields,
      email,
    })
    .returning()
    .get();
}

export function addDelivery(db: Db, fields: Partial<typeof deliveries.$inferInsert> & { subscriberId: number | null }) {
  return db
    .insert(deliveries)
    .values({ kind: 'sequence', step: 1, templateId: 'step-1', subject: 'Subject', status: 'sent', createdAt: Date.parse('2026-03-01T12:00:00Z'), ...fields })
    .returning()
    .get();
}

export function addEvent(db: Db, fields: Partial<typeof providerEvents.$inferInsert> & { id: string; type: string }) {
  const at = Date.parse('2026-03-01T13:00:00Z');
  return db.insert(providerEvents).values({ occurredAt: at, receivedAt: at, ...fields }).returning().get();
}

export function addActivity(db: Db, subscriberId: number | null, type: typeof activity.$inferInsert.type, at: number | string, detail?: unknown) {
  db.insert(activity)
    .values({ subscriberId, type, at: typeof at === 'string' ? Date.parse(at) : at, detail: detail === undefined ? null : JSON.stringify(detail) })
    .run();
}

/** The CSRF token printed in a staff page's form. */
export function csrfFrom(html: string): string {
  const m = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!m) throw new Error('no CSRF token in page');
  return m[1]!;
}

/** A same-origin form POST as a browser on a staff page sends it. */
export function staffForm(fields: Record<string, string>, headers: Record<string, string> = {}, role: StaffRole = 'admin'): RequestInit {
  return asStaff(
    {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://localhost', 'sec-fetch-site': 'same-origin', ...headers },
      body: new URLSearchParams(fields).toString(),
    },
    role,
  );
}

/**
 * A small, deterministic history for pages worth looking at: `n` subscribers
 * signing up over the 30 days before `now`, most confirming, some leaving.
 */
export function seedFunnelHistory(db: Db, now: number, n = 120) {
  let x = 42;
  const rand = () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const day = 86_400_000;
  for (let i = 0; i < n; i++) {
    const at = now - Math.floor(rand() * 29 * day) - Math.floor(rand() * day * 0.5);
    const s = addSubscriber(db, { email: `reader${i}@example.org`, firstName: i % 4 ? `Reader ${i}` : null, createdAt: at, status: 'pending' });
    addActivity(db, s.id, 'signup', at);
    if (rand() < 0.8) {
      const confirmed = at + Math.floor(rand() * 3600_000);
      addActivity(db, s.id, 'confirmed', confirmed);
      db.$client.prepare("update subscribers set status = 'active', confirmed_at = ?, consent_text = 'I agree', consent_version = 'v1' where id = ?").run(confirmed, s.id);
      const r = rand();
      const later = Math.min(now - 1, confirmed + Math.floor(rand() * 10 * day));
      if (r < 0.1) addActivity(db, s.id, 'unsubscribed', later);
      else if (r < 0.14) addActivity(db, s.id, 'bounced', later);
      else if (r < 0.16) addActivity(db, s.id, 'complained', later);
      else if (r < 0.26) addActivity(db, s.id, 'converted', later);
      else if (r < 0.4 && now - confirmed > 21 * day) addActivity(db, s.id, 'completed', confirmed + 21 * day);
    }
  }
}
