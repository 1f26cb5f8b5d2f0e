import type { SqliteDb as Db } from '../../db/sqlite/client.js';
import { activity, deliveries, enrolments, providerEvents, subscribers, type NewSubscriber } from '../../db/sqlite/schema.js';
import { eq } from 'drizzle-orm';
import { educationEnrolment, subscriberView } from '../../db/sqlite/subscribers.js';
import { emailHash } from '../../src/address.js';
import type { EnrolmentEndReason, StaffRole, Subscriber } from '../../db/types.js';
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

/** Their place in the education sequence, as the stores give it with a subscriber. */
type EducationCursor = Partial<Pick<Subscriber, 'nextStep' | 'nextSendAt' | 'lastSequenceSentAt' | 'sequenceVersion'>>;

/**
 * Inserts a subscriber with sensible defaults; the hash is the real keyed
 * hash of the address. One who confirmed, or is given a place in the
 * sequence, gets their education enrolment (ended unless active).
 */
export function addSubscriber(db: Db, fields: Partial<NewSubscriber> & EducationCursor & { email?: string | null } = {}): Subscriber {
  const { nextStep = null, nextSendAt = null, lastSequenceSentAt = null, sequenceVersion = null, ...row } = fields;
  const email = row.email === undefined ? `person${++seq}@example.org` : row.email;
  const now = row.createdAt ?? Date.parse('2026-03-01T12:00:00Z');
  const s = db
    .insert(subscribers)
    .values({
      emailHash: email ? emailHash(TEST_SECRET, email) : `hash-${++seq}`,
      timezone: 'America/New_York',
      status: 'active',
      createdAt: now,
      updatedAt: now,
      ...row,
      email,
    })
    .returning()
    .get();
  const cursor = { nextStep, nextSendAt, lastSequenceSentAt, sequenceVersion };
  if (s.confirmedAt === null && nextStep === null && nextSendAt === null) return { ...s, ...cursor };
  const ended: EnrolmentEndReason | null = s.status === 'active' ? null : s.status === 'pending' ? 'unsubscribed' : s.status;
  db.insert(enrolments)
    .values({
      subscriberId: s.id,
      sequence: 'education',
      version: sequenceVersion,
      startedAt: s.confirmedAt ?? now,
      nextStep,
      nextSendAt,
      lastSentAt: lastSequenceSentAt,
      endedAt: ended ? s.updatedAt : null,
      endedReason: ended,
    })
    .run();
  return { ...s, ...cursor };
}

/** A subscriber as the stores give one (with their education enrolment's cursor), read at once; the first one when no id is given. */
export function viewOf(db: Db, id?: number): Subscriber {
  const query = db.select(subscriberView).from(subscribers).leftJoin(enrolments, educationEnrolment);
  return (id === undefined ? query.orderBy(subscribers.id).limit(1).get() : query.where(eq(subscribers.id, id)).get())!;
}

export function addDelivery(db: Db, fields: Partial<typeof deliveries.$inferInsert> & { subscriberId: number | null }) {
  return db
    .insert(deliveries)
    .values({
      kind: 'sequence',
      sequence: fields.kind === undefined || fields.kind === 'sequence' || fields.kind === 'resend' ? 'education' : null,
      step: 1,
      templateId: 'step-1',
      subject: 'Subject',
      status: 'sent',
      createdAt: Date.parse('2026-03-01T12:00:00Z'),
      ...fields,
    })
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

/** The rows of a subscriber page's history table, each as "when | what | who", newest first (entities decoded). */
export function historyRows(html: string): string[] {
  const start = html.indexOf('<section aria-labelledby="activity-h">');
  if (start < 0) return [];
  const section = html.slice(start, html.indexOf('</section>', start));
  const decode = (v: string) => v.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  return [...section.matchAll(/<tr><td>(.*?)<\/td><td>(.*?)<\/td><td>(.*?)<\/td><\/tr>/g)].map((m) => decode(`${m[1]} | ${m[2]} | ${m[3]}`));
}
