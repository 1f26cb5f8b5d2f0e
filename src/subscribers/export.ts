import { Readable } from 'node:stream';
import { stringify } from 'csv-stringify';
import type { Stores } from '../../db/stores.js';
import type { Subscriber } from '../../db/types.js';
import { SEQUENCE_NAMES } from '../nurture/sequence.js';

const iso = (ms: number | null) => (ms === null ? '' : new Date(ms).toISOString());

/** The CSV columns, in order: identity, status, consent record, lifecycle times. */
export const CSV_COLUMNS: { header: string; value: (s: Subscriber) => string | number | null }[] = [
  { header: 'id', value: (s) => s.id },
  { header: 'email', value: (s) => s.email },
  { header: 'first_name', value: (s) => s.firstName },
  { header: 'status', value: (s) => s.status },
  { header: 'timezone', value: (s) => s.timezone },
  { header: 'reader', value: (s) => s.reader },
  { header: 'source', value: (s) => s.source },
  { header: 'created_at', value: (s) => iso(s.createdAt) },
  { header: 'signup_ip', value: (s) => s.signupIp },
  { header: 'signup_user_agent', value: (s) => s.signupUserAgent },
  { header: 'confirmed_at', value: (s) => iso(s.confirmedAt) },
  { header: 'consent_text', value: (s) => s.consentText },
  { header: 'consent_version', value: (s) => s.consentVersion },
  { header: 'consent_ip', value: (s) => s.consentIp },
  { header: 'consent_user_agent', value: (s) => s.consentUserAgent },
  { header: 'consent_source', value: (s) => s.consentSource },
  { header: 'consent_given_at', value: (s) => iso(s.consentGivenAt) },
  { header: 'next_step', value: (s) => s.nextStep },
  { header: 'next_send_at', value: (s) => iso(s.nextSendAt) },
  { header: 'unsubscribed_at', value: (s) => iso(s.unsubscribedAt) },
  { header: 'suppressed_at', value: (s) => iso(s.suppressedAt) },
  { header: 'suppressed_reason', value: (s) => s.suppressedReason },
  { header: 'converted_at', value: (s) => iso(s.convertedAt) },
  { header: 'completed_at', value: (s) => iso(s.completedAt) },
  { header: 'erased_at', value: (s) => iso(s.erasedAt) },
];

/**
 * A cell a spreadsheet would read as a formula (= + - @, or a leading tab or
 * CR that some apps strip first) gets a leading single quote, so opening the
 * export never runs anything a subscriber typed into the form.
 */
export function neutraliseFormula(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

/**
 * All subscribers as CSV (RFC 4180 quoting by csv-stringify), streamed: rows
 * are read in chunks and written as the client reads, so memory stays flat.
 */
export function subscribersCsv(stores: Stores): Readable {
  const rows = Readable.from(
    (async function* () {
      for await (const s of stores.subscribers.all()) yield CSV_COLUMNS.map((c) => c.value(s));
    })(),
  );
  const csv = stringify({
    header: true,
    columns: CSV_COLUMNS.map((c) => c.header),
    cast: { string: neutraliseFormula },
  });
  rows.on('error', (err) => csv.destroy(err));
  return rows.pipe(csv);
}

/** GDPR access export: everything we hold about one subscriber, as plain data. */
export async function subscriberExport(stores: Stores, id: number, now: number) {
  const record = await stores.subscribers.record(id);
  if (!record) return null;
  const { suppression } = record;
  return {
    exportedAt: new Date(now).toISOString(),
    subscriber: record.subscriber,
    pendingDetails: await stores.subscribers.pendingDetails(id),
    suppression,
    enrolments: record.enrolments,
    deliveries: record.deliveries.map((d) => ({ ...d, events: d.events.map((e) => ({ ...e, detail: parseJson(e.detail) })) })),
    activity: record.activity.map((a) => ({ ...a, detail: parseJson(a.detail) })),
  };
}

function parseJson(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

const isoOrNull = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

// Keys in recorded details that are the service's bookkeeping, not something about the person.
const PERSONAL_EXPORT_INTERNAL_KEYS = new Set(['id', 'subscriberId', 'deliveryId', 'batchId', 'providerId', 'emailHash', 'tokenGeneration', 'version']);

/** A recorded detail as the person reads it: times (…At, until) as ISO 8601, internal keys left out. */
function readableDetail(text: string | null): unknown {
  const parsed = parseJson(text);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return parsed;
  return Object.fromEntries(
    Object.entries(parsed as Record<string, unknown>)
      .filter(([key]) => !PERSONAL_EXPORT_INTERNAL_KEYS.has(key))
      .map(([key, value]) => [key, typeof value === 'number' && /(At|until|Until)$/.test(key) ? new Date(value).toISOString() : value]),
  );
}

/**
 * What the preference page's "Download my data" gives the person: everything
 * held about them, in their terms, with every time in ISO 8601 and none of
 * the service's bookkeeping (row ids, address hash, link generation, batch
 * and provider ids, template versions).
 */
export async function personalDataDownload(stores: Stores, id: number, now: number) {
  const record = await stores.subscribers.record(id);
  if (!record) return null;
  const s = record.subscriber;
  const pending = await stores.subscribers.pendingDetails(id);
  return {
    exportedAt: new Date(now).toISOString(),
    you: {
      email: s.email,
      firstName: s.firstName,
      timezone: s.timezone,
      readingFor: s.reader,
      status: s.status,
      signedUpAt: isoOrNull(s.createdAt),
      signedUpThrough: s.source,
      signupIp: s.signupIp,
      signupUserAgent: s.signupUserAgent,
      confirmedAt: isoOrNull(s.confirmedAt),
      consent:
        s.consentText === null
          ? null
          : { text: s.consentText, givenAt: isoOrNull(s.consentGivenAt ?? s.confirmedAt), givenThrough: s.consentSource, ip: s.consentIp, userAgent: s.consentUserAgent },
      pausedUntil: isoOrNull(s.pausedUntil),
      unsubscribedAt: isoOrNull(s.unsubscribedAt),
      convertedAt: isoOrNull(s.convertedAt),
      completedAt: isoOrNull(s.completedAt),
      suppressedAt: isoOrNull(s.suppressedAt),
      suppressedBecause: s.suppressedReason,
    },
    signedUpAgainWith:
      pending === null
        ? null
        : {
            email: pending.email,
            firstName: pending.firstName,
            timezone: pending.timezone,
            readingFor: pending.reader,
            signedUpAt: isoOrNull(pending.signedUpAt),
            signedUpThrough: pending.source,
            signupIp: pending.signupIp,
            signupUserAgent: pending.signupUserAgent,
          },
    series: record.enrolments.map((e) => ({
      sequence: e.sequence,
      name: SEQUENCE_NAMES[e.sequence],
      startedAt: isoOrNull(e.startedAt),
      nextEmailAt: isoOrNull(e.nextSendAt),
      lastEmailAt: isoOrNull(e.lastSentAt),
      endedAt: isoOrNull(e.endedAt),
      endedBecause: e.endedReason,
    })),
    emails: record.deliveries.map((d) => ({
      kind: d.kind,
      sequence: d.sequence,
      step: d.kind === 'confirmation' ? null : d.step,
      subject: d.subject,
      status: d.status,
      queuedAt: isoOrNull(d.createdAt),
      sentAt: isoOrNull(d.sentAt),
      deliveredAt: isoOrNull(d.deliveredAt),
      openedAt: isoOrNull(d.openedAt),
      clickedAt: isoOrNull(d.clickedAt),
      bouncedAt: isoOrNull(d.bouncedAt),
      complainedAt: isoOrNull(d.complainedAt),
      events: d.events.map((e) => ({ type: e.type, at: isoOrNull(e.occurredAt) })),
    })),
    history: record.activity.map((a) => ({ what: a.type, at: isoOrNull(a.at), detail: readableDetail(a.detail) })),
  };
}
