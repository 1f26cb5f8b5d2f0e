import { eq, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { activity, deliveries, subscribers, suppressions } from '../../db/schema.js';

const p = sql.placeholder;

function prepare(db: Db) {
  return {
    subscriberByHash: db.select().from(subscribers).where(eq(subscribers.emailHash, p('hash'))).prepare(),
    suppression: db.select({ reason: suppressions.reason }).from(suppressions).where(eq(suppressions.emailHash, p('hash'))).prepare(),
    insertPending: db
      .insert(subscribers)
      .values({
        email: p('email'),
        emailHash: p('hash'),
        firstName: p('firstName'),
        timezone: p('timezone'),
        status: 'pending',
        source: p('source'),
        signupIp: p('ip'),
        signupUserAgent: p('userAgent'),
        createdAt: p('now'),
        updatedAt: p('now'),
        confirmationSentAt: p('now'),
      })
      .returning()
      .prepare(),
    insertActivity: db
      .insert(activity)
      .values({ subscriberId: p('subscriberId'), type: p('type'), at: p('at'), detail: p('detail') })
      .prepare(),
    insertConfirmationDelivery: db
      .insert(deliveries)
      .values({ subscriberId: p('subscriberId'), kind: 'confirmation', step: 0, templateId: 'confirmation', subject: p('subject'), status: 'queued', createdAt: p('now') })
      .returning({ id: deliveries.id })
      .prepare(),
    markDeliverySent: db
      .update(deliveries)
      .set({ status: 'sent', subject: sql`${p('subject')}`, providerId: sql`${p('providerId')}`, sentAt: sql`${p('sentAt')}` })
      .where(eq(deliveries.id, p('id')))
      .prepare(),
  };
}

export type SignupQueries = ReturnType<typeof prepare>;

const cache = new WeakMap<Db, SignupQueries>();

/**
 * The statements every signup runs, prepared once per database: building and
 * preparing SQL per request costs more than running it.
 */
export function signupQueries(db: Db): SignupQueries {
  let q = cache.get(db);
  if (!q) {
    q = prepare(db);
    cache.set(db, q);
  }
  return q;
}
