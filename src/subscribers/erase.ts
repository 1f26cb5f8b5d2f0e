import { and, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { activity, batches, deliveries, providerEvents, subscribers, suppressions, type Subscriber } from '../../db/schema.js';
import type { Config } from '../config.js';
import { removeOutboxMessagesTo } from '../mail/outbox-reader.js';
import type { OutgoingEmail, Transport } from '../mail/transport.js';
import { batchRequest } from '../nurture/decide.js';
import { likeSubstring } from './directory.js';
import { recordActivity } from './activity.js';

export const ERASED_MARK = '[erased]';

/** withdrawnFromBatches: unsent batches whose request no longer holds their email. */
export type EraseOutcome = { id: number; alreadyErased: boolean; withdrawnFromBatches: number };

/** The personal strings of a subscriber worth scrubbing from free text (one-letter names would scrub everything). */
function personalStrings(s: Subscriber): string[] {
  return [s.email, s.firstName, s.signupIp, s.signupUserAgent, s.consentIp, s.consentUserAgent].filter((v): v is string => typeof v === 'string' && v.length >= 2);
}

function scrub(text: string | null, secrets: string[]): string | null {
  if (text === null) return null;
  let out = text;
  for (const s of secrets) out = out.split(s).join(ERASED_MARK);
  return out;
}

/**
 * GDPR erasure. Removes the subscriber's personal data everywhere we keep it
 * and keeps only what stops us from mailing them again: the keyed hash of the
 * address in `suppressions` (reason 'erased'). Deliveries stay (for the
 * numbers) without personal data; an unsent batch is rewritten without them.
 * One IMMEDIATE transaction, so it serialises with the worker's claims.
 */
export function eraseSubscriber(db: Db, id: number, now: number): EraseOutcome | null {
  return db.transaction((tx) => {
    const s = tx.select().from(subscribers).where(eq(subscribers.id, id)).get();
    if (!s) return null;
    if (s.status === 'erased') return { id, alreadyErased: true, withdrawnFromBatches: 0 };
    const secrets = personalStrings(s);

    tx.insert(suppressions)
      .values({ emailHash: s.emailHash, reason: 'erased', createdAt: now })
      .onConflictDoUpdate({ target: suppressions.emailHash, set: { reason: 'erased' } })
      .run();

    const dels = tx.select().from(deliveries).where(eq(deliveries.subscriberId, id)).all();
    // Take them out of every batch that was never attempted (no provider has seen
    // it, so a new body and key are safe). Their deliveries stay queued: the
    // worker drops them itself before the attempt (the subscriber has no address
    // any more), including from a request it already holds in memory. A batch
    // already attempted is repeated byte for byte by the worker (exactly once),
    // and its payload is cleared as soon as it settles.
    const batchIds = [...new Set(dels.filter((d) => d.status === 'queued').map((d) => d.batchId).filter((b): b is number => b !== null))];
    let withdrawn = 0;
    if (batchIds.length && s.email) {
      const unsent = tx
        .select()
        .from(batches)
        .where(and(inArray(batches.id, batchIds), eq(batches.status, 'ready'), eq(batches.attempts, 0)))
        .all();
      for (const b of unsent) {
        const rewritten = withoutRecipient(b.payload, s.email);
        if (rewritten === b.payload) continue;
        const request = rewritten === null ? null : batchRequest(JSON.parse(rewritten) as OutgoingEmail[]);
        tx.update(batches)
          .set(request ? { payload: request.payload, idempotencyKey: request.idempotencyKey } : { payload: null })
          .where(eq(batches.id, b.id))
          .run();
        withdrawn++;
      }
    }
    for (const d of dels) {
      const subject = scrub(d.subject, secrets)!;
      const error = scrub(d.error, secrets);
      if (subject !== d.subject || error !== d.error) tx.update(deliveries).set({ subject, error }).where(eq(deliveries.id, d.id)).run();
    }

    // Webhook payloads carry the address, and click events the reader's IP and user agent.
    if (dels.length) {
      tx.update(providerEvents)
        .set({ detail: null })
        .where(inArray(providerEvents.deliveryId, dels.map((d) => d.id)))
        .run();
    }
    if (s.email) {
      tx.update(providerEvents)
        .set({ detail: null })
        .where(sql`${providerEvents.detail} like ${likeSubstring(s.email)} escape '\\'`)
        .run();
      tx.update(activity)
        .set({ detail: null })
        .where(and(isNull(activity.subscriberId), sql`${activity.detail} like ${likeSubstring(s.email)} escape '\\'`))
        .run();
    }
    tx.update(activity).set({ detail: null }).where(eq(activity.subscriberId, id)).run();

    tx.update(subscribers)
      .set({
        email: null,
        // The hash moves to `suppressions` only, so this row no longer links to the address.
        emailHash: `erased:${id}`,
        firstName: null,
        signupIp: null,
        signupUserAgent: null,
        consentIp: null,
        consentUserAgent: null,
        status: 'erased',
        erasedAt: now,
        nextStep: null,
        nextSendAt: null,
        updatedAt: now,
      })
      .where(eq(subscribers.id, id))
      .run();
    recordActivity(tx as unknown as Db, id, 'erased', now);
    return { id, alreadyErased: false, withdrawnFromBatches: withdrawn };
  }, { behavior: 'immediate' });
}

/**
 * A persisted batch payload (JSON: an array of messages, or an object holding
 * one) without the messages addressed to `email`. Unreadable payloads are
 * cleared: the worker cannot send them either way.
 */
export function withoutRecipient(payload: string | null, email: string | null): string | null {
  if (payload === null || !email) return payload;
  const addressedTo = (m: unknown) => {
    const to = m && typeof m === 'object' ? (m as { to?: unknown }).to : undefined;
    return to === email || (Array.isArray(to) && to.includes(email));
  };
  const filter = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.filter((m) => !addressedTo(m)).map(filter);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, filter(x)]));
    return v;
  };
  try {
    return JSON.stringify(filter(JSON.parse(payload)));
  } catch {
    return null;
  }
}

/**
 * Erase, plus the copies outside the database that this service keeps: with
 * the outbox transport, every .eml written to the subscriber.
 */
export async function eraseSubscriberEverywhere(
  deps: { db: Db; transport: Pick<Transport, 'name'>; config: Pick<Config, 'outboxDir'> },
  id: number,
  now: number,
): Promise<(EraseOutcome & { outboxFilesRemoved: number }) | null> {
  const email = deps.db.select({ email: subscribers.email }).from(subscribers).where(eq(subscribers.id, id)).get()?.email ?? null;
  const outcome = eraseSubscriber(deps.db, id, now);
  if (!outcome) return null;
  const outboxFilesRemoved = email && deps.transport.name === 'outbox' ? await removeOutboxMessagesTo(deps.config.outboxDir, email) : 0;
  return { ...outcome, outboxFilesRemoved };
}
