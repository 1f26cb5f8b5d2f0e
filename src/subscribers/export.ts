import { Readable } from 'node:stream';
import { stringify } from 'csv-stringify';
import type { Stores } from '../../db/stores.js';
import type { Subscriber } from '../../db/types.js';

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
