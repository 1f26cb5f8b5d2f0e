import { and, asc, count, desc, eq, gt, inArray, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { activity, deliveries, providerEvents, subscribers, SUBSCRIBER_STATUSES, type Subscriber, type SubscriberStatus } from '../../db/schema.js';

export const PAGE_SIZE = 50;
export const MAX_QUERY_LENGTH = 254;

export type SubscriberQuery = { q?: string; status?: SubscriberStatus; page?: number };
export type SubscriberListItem = Pick<Subscriber, 'id' | 'email' | 'firstName' | 'status' | 'timezone' | 'createdAt' | 'confirmedAt' | 'nextStep' | 'nextSendAt'>;
export type SubscriberPage = {
  items: SubscriberListItem[];
  page: number;
  pageSize: number;
  total: number;
  pageCount: number;
  statusCounts: Record<SubscriberStatus, number>;
  all: number;
};

export function isSubscriberStatus(v: unknown): v is SubscriberStatus {
  return typeof v === 'string' && (SUBSCRIBER_STATUSES as readonly string[]).includes(v);
}

/** A LIKE pattern matching `q` as a literal substring (%, _ and \ escaped). */
export function likeSubstring(q: string): string {
  return `%${q.replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
}

/**
 * Subscribers matching an address substring and/or a status, newest first
 * (id breaks ties, so pages are stable), 50 a page, with counts per status.
 */
export function listSubscribers(db: Db, query: SubscriberQuery): SubscriberPage {
  const conds: SQL[] = [];
  // Addresses are stored normalised (domain lower-cased); LIKE is case-insensitive for ASCII.
  const q = query.q?.trim();
  if (q) conds.push(sql`${subscribers.email} like ${likeSubstring(q)} escape '\\'`);
  if (query.status) conds.push(eq(subscribers.status, query.status));
  const where = conds.length ? and(...conds) : undefined;
  const total = db.select({ n: count() }).from(subscribers).where(where).get()!.n;
  const pageCount = Math.max(1, Math.ceil(total / PAGE_SIZE));
  const page = Math.min(Math.max(1, Math.floor(query.page ?? 1)), pageCount);
  const items = db
    .select({
      id: subscribers.id,
      email: subscribers.email,
      firstName: subscribers.firstName,
      status: subscribers.status,
      timezone: subscribers.timezone,
      createdAt: subscribers.createdAt,
      confirmedAt: subscribers.confirmedAt,
      nextStep: subscribers.nextStep,
      nextSendAt: subscribers.nextSendAt,
    })
    .from(subscribers)
    .where(where)
    .orderBy(desc(subscribers.createdAt), desc(subscribers.id))
    .limit(PAGE_SIZE)
    .offset((page - 1) * PAGE_SIZE)
    .all();
  const statusCounts = Object.fromEntries(SUBSCRIBER_STATUSES.map((s) => [s, 0])) as Record<SubscriberStatus, number>;
  for (const r of db.select({ status: subscribers.status, n: count() }).from(subscribers).groupBy(subscribers.status).all()) {
    statusCounts[r.status] = r.n;
  }
  const all = Object.values(statusCounts).reduce((a, b) => a + b, 0);
  return { items, page, pageSize: PAGE_SIZE, total, pageCount, statusCounts, all };
}

export type ProviderEventRow = typeof providerEvents.$inferSelect;
export type DeliveryWithEvents = typeof deliveries.$inferSelect & { events: ProviderEventRow[] };
export type ActivityRow = typeof activity.$inferSelect;
export type SubscriberRecord = { subscriber: Subscriber; deliveries: DeliveryWithEvents[]; activity: ActivityRow[] };

export function getSubscriber(db: Db, id: number): Subscriber | undefined {
  return db.select().from(subscribers).where(eq(subscribers.id, id)).get();
}

/** Everything stored about one subscriber: the row, each delivery with its provider events, and the activity history. */
export function subscriberRecord(db: Db, id: number): SubscriberRecord | null {
  const subscriber = getSubscriber(db, id);
  if (!subscriber) return null;
  const dels = db.select().from(deliveries).where(eq(deliveries.subscriberId, id)).orderBy(asc(deliveries.createdAt), asc(deliveries.id)).all();
  const events = dels.length
    ? db
        .select()
        .from(providerEvents)
        .where(
          inArray(
            providerEvents.deliveryId,
            dels.map((d) => d.id),
          ),
        )
        .orderBy(asc(providerEvents.occurredAt))
        .all()
    : [];
  const byDelivery = new Map<number, ProviderEventRow[]>();
  for (const e of events) {
    const list = byDelivery.get(e.deliveryId!) ?? [];
    list.push(e);
    byDelivery.set(e.deliveryId!, list);
  }
  return {
    subscriber,
    deliveries: dels.map((d) => ({ ...d, events: byDelivery.get(d.id) ?? [] })),
    activity: db.select().from(activity).where(eq(activity.subscriberId, id)).orderBy(asc(activity.at), asc(activity.id)).all(),
  };
}

/**
 * Every subscriber in id order, read in chunks by keyset (never the whole
 * table in memory), for the CSV export.
 */
export function* allSubscribers(db: Db, chunk = 500): Generator<Subscriber> {
  let after = 0;
  for (;;) {
    const rows = db.select().from(subscribers).where(gt(subscribers.id, after)).orderBy(asc(subscribers.id)).limit(chunk).all();
    yield* rows;
    if (rows.length < chunk) return;
    after = rows[rows.length - 1]!.id;
  }
}

