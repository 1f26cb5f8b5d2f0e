/**
 * CSV import of people who gave their address elsewhere (a clinic's intake
 * form, an earlier list). Two phases: the file is parsed as it arrives and
 * checked whole (a malformed or oversized file changes nothing), then the
 * new addresses are written in chunks, each one transaction of the store.
 * People with a recorded consent are enrolled through the same confirmation
 * as a link's; the others get the double opt-in email only, through the
 * send queue like any other. Suppressed and erased addresses are never
 * created or mailed.
 */
import crypto from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setImmediate } from 'node:timers/promises';
import { run as runSpellCheck } from '@zootools/email-spell-checker';
import { CsvError, parse } from 'csv-parse';
import type { DecideImport, ImportAction, ImportRecord, Subscriber, SubscriberStatus } from '../../db/types.js';
import type { Reader } from '../../emails/_components/types.js';
import { addressHashes, canonicalEmail } from '../address.js';
import { firstInstantAtOrAfter, scheduleOptions } from '../nurture/schedule.js';
import { recordAudit } from '../audit.js';
import { confirmingNow } from './confirm.js';
import { IMPORTED_CONSENT_PREFIX } from '../../db/types.js';
import type { SubscriberDeps } from './deps.js';
import { parseSignup, resolveTimeZone } from './signup-input.js';

/** The largest file accepted, in bytes (a multipart upload from the page is held in memory up to this). */
export const MAX_IMPORT_BYTES = 10 * 1024 * 1024;
/** The most rows (after the header) in one file. */
export const MAX_IMPORT_ROWS = 50_000;
/** Rows written per transaction. */
export const IMPORT_CHUNK = 500;
// One row this long is a quote that was never closed, not a person.
const MAX_ROW_CHARS = 64 * 1024;
const MAX_CONSENT_TEXT = 2000;
const MAX_CONSENT_SOURCE = 200;
// An address as given, in the report: enough to recognise it, never a whole runaway cell.
const MAX_REPORTED_EMAIL = 320;

/** The columns an import reads; `email` is required, the rest optional. */
export const IMPORT_COLUMNS = ['email', 'first_name', 'timezone', 'reader', 'consent_source', 'consent_date', 'consent_text'] as const;
type Column = (typeof IMPORT_COLUMNS)[number];
const CONSENT_COLUMNS = ['consent_source', 'consent_date', 'consent_text'] as const;

export const IMPORT_OUTCOMES = ['enrolled', 'invited', 'duplicate', 'exists', 'suppressed', 'erased', 'invalid'] as const;
export type ImportOutcome = (typeof IMPORT_OUTCOMES)[number];

/** One row of the report; `row` is the file's line the row starts on (the header is line 1). */
export type ImportRowReport =
  | { row: number; email: string; outcome: 'enrolled' | 'invited'; subscriberId: number; warnings?: string[] }
  | { row: number; email: string; outcome: 'exists'; subscriberId: number; status: SubscriberStatus }
  | { row: number; email: string; outcome: 'suppressed' | 'erased' }
  | { row: number; email: string; outcome: 'duplicate'; of: number; note?: string }
  | { row: number; email: string; outcome: 'invalid'; reason: string };

/** `warnings`: the rows written with a warning. */
export type ImportSummary = { rows: number; warnings: number } & Record<ImportOutcome, number>;
/** `id`: the kept report (its rows to fix), listed at /staff/imports until it expires. */
export type ImportReport = { summary: ImportSummary; notes: string[]; rows: ImportRowReport[]; id: number };

/** A file refused as a whole: nothing was written. */
export type ImportRefusal = { ok: false; status: 400 | 413; code: string; message: string };

/** A row ready to write: its values checked and the address normalised. */
export type CheckedRow = {
  email: string;
  firstName: string | null;
  timezone: string;
  reader: Reader | null;
  consent: { source: string; givenAt: number; text: string } | null;
  /** What was wrong but did not refuse the row: the field left empty, or a likely typo. */
  warnings: string[];
};

/** The file, parsed and checked: each row's outcome where the file alone decides it, else the row to write. */
export type CheckedImport = {
  notes: string[];
  /** `cells`: the row's import columns as given, kept for the rows to fix (refused, or with a warning). */
  rows: ({ row: number; email: string; cells?: ImportCells } & ({ kind: 'write'; value: CheckedRow } | { kind: 'done'; report: ImportRowReport }))[];
};

/** A row's import columns as the file gave them. */
export type ImportCells = Partial<Record<Column, string>>;

class ImportFileError extends Error {
  constructor(
    readonly status: 400 | 413,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * What an import does with one address, by its state. Staff import people
 * who gave their address elsewhere, so an import never overrides what the
 * person did here: an existing subscriber (pending, active, unsubscribed...)
 * is left as it is and not mailed again, and a suppressed or erased address
 * is never created or mailed. A new address is enrolled when its row carries
 * a recorded consent, else invited (the double opt-in email only).
 */
export function decideImport(existing: Pick<Subscriber, 'status'> | undefined, suppression: string | null, hasConsent: boolean): ImportAction {
  if (suppression === 'erased' || existing?.status === 'erased') return { kind: 'none', reason: 'erased' };
  if (suppression !== null || existing?.status === 'suppressed') return { kind: 'none', reason: 'suppressed' };
  if (existing) return { kind: 'none', reason: 'exists' };
  return hasConsent ? { kind: 'enrol' } : { kind: 'invite' };
}

/** A header cell as a column name: case, spaces and hyphens do not matter ("First Name" is first_name). */
export function columnName(header: string): string {
  return header
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_');
}

/** A consent date: a calendar date (its midnight in `timeZone`) or an ISO date-time with its offset. */
export function parseConsentDate(value: string, timeZone: string): number | null {
  const date = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (date) {
    const wall = Date.UTC(Number(date[1]), Number(date[2]) - 1, Number(date[3]));
    // Date.UTC rolls 2024-02-30 over to March; a real date reads back the same.
    return new Date(wall).toISOString().slice(0, 10) === value ? firstInstantAtOrAfter(timeZone, wall) : null;
  }
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/i.test(value)) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}

const FIELD_COLUMNS: Record<string, Column> = { email: 'email', firstName: 'first_name', reader: 'reader' };

/**
 * Whether a valid zone names a place (Area/Location, so it follows that
 * place's daylight saving): abbreviations (EST, PST, CET, EST5EDT), UTC and
 * GMT, and the fixed offsets of Etc/ are not how a person's zone is written,
 * and EST for one is America/Panama's clock, an hour off every summer.
 */
export function isPlaceZone(zone: string): boolean {
  return /^[A-Za-z]+\/[A-Za-z0-9_+\-/]+$/.test(zone) && !/^(etc|systemv)\//i.test(zone);
}

/** A mistyped common domain (gmial.com), as the signup form suggests it: the suggested address, or null. */
export function typoSuggestion(email: string): string | null {
  const suggestion = runSpellCheck({ email });
  return suggestion?.full && suggestion.full.toLowerCase() !== email.toLowerCase() ? suggestion.full : null;
}

/**
 * Checks one row. Only the address can refuse it: one that is empty or not
 * an address makes the row invalid. An optional field that is wrong (a name
 * the signup form would refuse, a reader it does not know, a zone that is not
 * a place's IANA zone, a consent that is incomplete or undated) is a warning
 * and is left empty: the name and reader blank, the zone the default, and no
 * consent, so the person is invited to confirm by email rather than enrolled.
 * A mistyped common domain is a warning too; the address is kept as given.
 */
export function checkImportRow(cells: Partial<Record<Column, string>>, defaultTimezone: string, now: number): { ok: true; value: CheckedRow } | { ok: false; reason: string } {
  const warnings: string[] = [];
  const input = { email: cells.email ?? '', firstName: cells.first_name ?? '', reader: (cells.reader ?? '').trim().toLowerCase(), consent: true };
  let signup = parseSignup(input, defaultTimezone);
  if (!signup.ok) {
    for (const [field, message] of Object.entries(signup.errors)) if (field !== 'email') warnings.push(`${FIELD_COLUMNS[field] ?? field}: ${message} Left empty.`);
    if (!signup.errors.email) signup = parseSignup({ ...input, firstName: signup.errors.firstName ? '' : input.firstName, reader: signup.errors.reader ? '' : input.reader }, defaultTimezone);
  }

  const tzCell = (cells.timezone ?? '').trim();
  let timezone = tzCell === '' ? defaultTimezone : resolveTimeZone(tzCell, '');
  if (timezone === '') {
    warnings.push(`timezone: "${tzCell.slice(0, 64)}" is not an IANA time zone (like Europe/Berlin); left empty, so ${defaultTimezone} applies.`);
    timezone = defaultTimezone;
  } else if (tzCell !== '' && !isPlaceZone(tzCell)) {
    warnings.push(`timezone: "${tzCell.slice(0, 64)}" is an abbreviation or a fixed offset, not a place's zone (like America/New_York), so it misses daylight saving; left empty, so ${defaultTimezone} applies.`);
    timezone = defaultTimezone;
  }

  let consent: CheckedRow['consent'] = null;
  const notRecorded = 'The consent was not recorded: they are invited to confirm by email instead.';
  const given = CONSENT_COLUMNS.map((c) => [c, (cells[c] ?? '').trim()] as const);
  const missing = given.filter(([, v]) => v === '').map(([c]) => c);
  if (missing.length > 0 && missing.length < CONSENT_COLUMNS.length) {
    warnings.push(`consent: a recorded consent needs consent_source, consent_date and consent_text; ${missing.join(' and ')} ${missing.length === 1 ? 'is' : 'are'} empty. ${notRecorded}`);
  } else if (missing.length === 0) {
    const [source, date, text] = given.map(([, v]) => v) as [string, string, string];
    const givenAt = parseConsentDate(date, timezone);
    const problems: string[] = [];
    if (givenAt === null) problems.push(`consent_date: "${date.slice(0, 40)}" is not an ISO date (2025-11-20, or 2025-11-20T14:30:00Z); left empty.`);
    else if (givenAt > now) problems.push('consent_date: the date is in the future; left empty.');
    if (source.length > MAX_CONSENT_SOURCE) problems.push(`consent_source: at most ${MAX_CONSENT_SOURCE} characters; left empty.`);
    if (text.length > MAX_CONSENT_TEXT) problems.push(`consent_text: at most ${MAX_CONSENT_TEXT} characters; left empty.`);
    if (problems.length > 0) warnings.push(`${problems.join(' ')} ${notRecorded}`);
    else consent = { source, givenAt: givenAt!, text };
  }
  if (!signup.ok) {
    const email = signup.errors.email ?? '';
    return { ok: false, reason: [`email: ${!cells.email?.trim() ? 'empty.' : email}`, ...warnings].join(' ') };
  }
  const suggestion = typoSuggestion(signup.value.email);
  if (suggestion) warnings.unshift(`email: did you mean ${suggestion}? Imported as given; correct the address on the person's page if it is a typo.`);
  return { ok: true, value: { email: signup.value.email, firstName: signup.value.firstName, timezone, reader: signup.value.reader, consent, warnings } };
}

/** Where a later row of the same address says something else than the first. */
function differences(first: CheckedRow, later: CheckedRow): string[] {
  const out: string[] = [];
  if (first.firstName !== later.firstName) out.push('first_name');
  if (first.timezone !== later.timezone) out.push('timezone');
  if (first.reader !== later.reader) out.push('reader');
  if (JSON.stringify(first.consent) !== JSON.stringify(later.consent)) out.push('consent');
  return out;
}

/** csv-parse's errors, worded for the person who saved the file. */
function csvProblem(err: CsvError & { lines?: number }): ImportFileError {
  const line = err.lines ?? 0;
  switch (err.code) {
    case 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH':
      return new ImportFileError(
        400,
        'malformed_csv',
        `Line ${line} has a different number of values than the header (${err.message.replace(/^.*?: /, '')}). A value that holds a comma must be in double quotes.`,
      );
    case 'CSV_QUOTE_NOT_CLOSED':
      return new ImportFileError(400, 'malformed_csv', `The file ends inside a quoted value: a double quote is never closed (look above line ${line}).`);
    case 'CSV_INVALID_CLOSING_QUOTE':
      return new ImportFileError(400, 'malformed_csv', `Line ${line}: a quoted value must end at a comma or at the end of the line; a double quote inside a quoted value is written twice ("").`);
    case 'CSV_MAX_RECORD_SIZE':
      return new ImportFileError(400, 'malformed_csv', `Line ${line}: a row longer than ${MAX_ROW_CHARS / 1024} KB, usually a double quote that is never closed.`);
    default:
      return new ImportFileError(400, 'malformed_csv', `The file is not valid CSV near line ${line}: ${err.message}`);
  }
}

/** The body as text, refusing more than `maxBytes` and anything that is not UTF-8. */
async function* utf8Text(source: AsyncIterable<Uint8Array>, maxBytes: number): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const notUtf8 = () => new ImportFileError(400, 'not_utf8', 'The file is not UTF-8 text. Save it as "CSV UTF-8" and upload it again.');
  let bytes = 0;
  try {
    for await (const chunk of source) {
      bytes += chunk.byteLength;
      if (bytes > maxBytes) throw new ImportFileError(413, 'payload_too_large', `The file is larger than ${maxBytes / 1024 / 1024} MB. Split it into smaller files.`);
      let text: string;
      try {
        text = decoder.decode(chunk, { stream: true });
      } catch {
        throw notUtf8();
      }
      if (text) yield text;
    }
  } catch (err) {
    if (err instanceof ImportFileError) throw err;
    throw new ImportFileError(400, 'upload_incomplete', 'The upload did not arrive whole. Try again.');
  }
  let rest: string;
  try {
    rest = decoder.decode();
  } catch {
    throw notUtf8();
  }
  if (rest) yield rest;
}

export type ReadImportOptions = { defaultTimezone: string; now: number; maxBytes?: number; maxRows?: number };

/**
 * Parses the CSV as it arrives (csv-parse, RFC 4180 quoting) and checks each
 * row; the whole body is never held, only the checked rows. A malformed file,
 * one over the limits or without an email column is refused as a whole.
 */
export async function readImportCsv(source: AsyncIterable<Uint8Array>, options: ReadImportOptions): Promise<{ ok: true; file: CheckedImport } | ImportRefusal> {
  const maxRows = options.maxRows ?? MAX_IMPORT_ROWS;
  const file: CheckedImport = { notes: [], rows: [] };
  const firstOf = new Map<string, { row: number; value: CheckedRow }>();
  let columns: Partial<Record<Column, number>> | null = null;
  let lastLine = 0;
  let emptyLines = 0;

  /** Checks each row as csv-parse reads it. */
  async function readRecords(records: AsyncIterable<{ record: string[]; info: { empty_lines: number } }>) {
    for await (const { record, info } of records) {
      // The line it starts on: after the last row and the blank lines since. Counted
      // here, since csv-parse counts a CRLF inside quotes as two lines.
      const row = lastLine + 1 + (info.empty_lines - emptyLines);
      lastLine = row + record.reduce((n, cell) => n + (cell.match(/\r\n|\r|\n/g)?.length ?? 0), 0);
      emptyLines = info.empty_lines;
      if (columns === null) {
        columns = headerColumns(record, file.notes);
        continue;
      }
      // A row of empty cells (",,,") is what spreadsheets save for a blank line.
      if (record.every((cell) => cell.trim() === '')) continue;
      if (file.rows.length >= maxRows) throw new ImportFileError(413, 'too_many_rows', `The file has more than ${maxRows.toLocaleString('en-US')} rows. Split it into smaller files.`);
      const cells: Partial<Record<Column, string>> = {};
      for (const [name, index] of Object.entries(columns) as [Column, number][]) cells[name] = record[index] ?? '';
      const email = (cells.email ?? '').trim().slice(0, MAX_REPORTED_EMAIL);
      const checked = checkImportRow(cells, options.defaultTimezone, options.now);
      if (!checked.ok) {
        file.rows.push({ row, email, cells, kind: 'done', report: { row, email, outcome: 'invalid', reason: checked.reason } });
        continue;
      }
      // One person per address whatever its spelling: repeats are found by the canonical form.
      const key = canonicalEmail(checked.value.email);
      const first = firstOf.get(key);
      if (first) {
        const differ = differences(first.value, checked.value);
        const report: ImportRowReport = { row, email, outcome: 'duplicate', of: first.row };
        if (differ.length) report.note = `Differs from row ${first.row} in ${differ.join(', ')}; row ${first.row} was used.`;
        file.rows.push({ row, email, kind: 'done', report });
        continue;
      }
      firstOf.set(key, { row, value: checked.value });
      file.rows.push({ row, email, kind: 'write', value: checked.value, ...(checked.value.warnings.length ? { cells } : {}) });
    }
  }

  const parser = parse({ info: true, skip_empty_lines: true, record_delimiter: ['\r\n', '\n', '\r'], max_record_size: MAX_ROW_CHARS });
  // The error that stopped the file: the pipeline may reject with the AbortError of a stream it tore down instead.
  let cause: unknown = null;
  const text = async function* () {
    try {
      yield* utf8Text(source, options.maxBytes ?? MAX_IMPORT_BYTES);
    } catch (err) {
      cause ??= err;
      throw err;
    }
  };
  try {
    await pipeline(Readable.from(text()), parser, async (records: AsyncIterable<{ record: string[]; info: { empty_lines: number } }>) => {
      try {
        await readRecords(records);
      } catch (err) {
        cause ??= err;
        throw err;
      }
    });
  } catch (thrown) {
    const err = cause ?? thrown;
    if (err instanceof ImportFileError) return { ok: false, status: err.status, code: err.code, message: err.message };
    if (err instanceof CsvError) {
      const problem = csvProblem(err);
      return { ok: false, status: problem.status, code: problem.code, message: problem.message };
    }
    throw err;
  }
  if (columns === null)
    return {
      ok: false,
      status: 400,
      code: 'empty_file',
      message: 'The file is empty. Its first line names the columns: email, and optionally first_name, timezone, reader, consent_source, consent_date, consent_text.',
    };
  return { ok: true, file };
}

/** The header's known columns by position; unknown ones noted, a missing email column or a repeated one refused. */
function headerColumns(header: string[], notes: string[]): Partial<Record<Column, number>> {
  const columns: Partial<Record<Column, number>> = {};
  const ignored: string[] = [];
  header.forEach((cell, index) => {
    const name = columnName(cell);
    if (!(IMPORT_COLUMNS as readonly string[]).includes(name)) {
      if (name !== '') ignored.push(cell.trim().slice(0, 60));
      return;
    }
    if (columns[name as Column] !== undefined) throw new ImportFileError(400, 'bad_header', `The header names the column ${name} twice.`);
    columns[name as Column] = index;
  });
  if (columns.email === undefined) {
    throw new ImportFileError(400, 'no_email_column', `The first line must name the columns, one of them email (found: ${header.map((h) => h.trim().slice(0, 40)).join(', ') || 'nothing'}).`);
  }
  if (ignored.length) notes.push(`Ignored ${ignored.length === 1 ? 'a column' : 'columns'} the import does not read: ${ignored.join(', ')}.`);
  const consent = CONSENT_COLUMNS.filter((c) => columns[c] !== undefined);
  if (consent.length > 0 && consent.length < CONSENT_COLUMNS.length) {
    notes.push(
      `A recorded consent needs consent_source, consent_date and consent_text; without ${CONSENT_COLUMNS.filter((c) => columns[c] === undefined).join(' and ')}, no consent is recorded and each row is invited to confirm by email.`,
    );
  }
  return columns;
}

/** The version recorded with an imported wording: the same text always has the same version. */
export function importedConsentVersion(text: string): string {
  return `${IMPORTED_CONSENT_PREFIX}${crypto.createHash('sha256').update(text).digest('hex').slice(0, 12)}`;
}

const OUTCOME_OF = { enrol: 'enrolled', invite: 'invited' } as const;

/** Progress as rows are written: how many of the file's rows have their outcome. */
export type ImportProgress = (done: number, total: number) => void | Promise<void>;

/**
 * Writes a checked file, IMPORT_CHUNK rows per transaction, and answers the
 * report (summary first). The import is audited as a whole (who, counts) and
 * per subscriber it created. Daily confirmation caps and the signup rate
 * limit do not apply (staff act), but each invited address gets exactly one
 * confirmation from the import, and a second import of the same file finds
 * everyone as `exists` and mails nobody again.
 */
export async function runImport(deps: SubscriberDeps, file: CheckedImport, actor: string, onProgress?: ImportProgress): Promise<ImportReport> {
  const { stores, config, clock, logger } = deps;
  const reports: (ImportRowReport | null)[] = file.rows.map((r) => (r.kind === 'done' ? r.report : null));
  const pending = file.rows.flatMap((r, i) => (r.kind === 'write' ? [{ index: i, row: r.row, email: r.email, value: r.value }] : []));
  const total = file.rows.length;
  let done = total - pending.length;
  const decide: DecideImport = (existing, suppression, record) => decideImport(existing, suppression, record.confirm !== null);
  const started = clock.now();
  let failed = false;
  try {
    await onProgress?.(done, total);
    for (let at = 0; at < pending.length; at += IMPORT_CHUNK) {
      const chunk = pending.slice(at, at + IMPORT_CHUNK);
      const now = clock.now();
      // The version running now, read once a chunk (a version published during an import applies from the next chunk).
      const confirming = await confirmingNow(deps, now, scheduleOptions(config));
      const records: ImportRecord[] = chunk.map(({ value: v }) => ({
        email: v.email,
        ...addressHashes(config.secretKey, v.email),
        firstName: v.firstName,
        timezone: v.timezone,
        reader: v.reader,
        source: 'import',
        ip: null,
        userAgent: null,
        now,
        confirm: v.consent && confirming({ text: v.consent.text, version: importedConsentVersion(v.consent.text), ip: null, userAgent: null, source: v.consent.source, givenAt: v.consent.givenAt }),
      }));
      const results = await stores.subscribers.importRows(records, decide, (subscriberId, action) => ({
        at: now,
        actor,
        action: 'subscriber.imported',
        subscriberId,
        // Only called for the people it created (enrolled or invited).
        detail: { outcome: action.kind === 'none' ? action.reason : OUTCOME_OF[action.kind] },
      }));
      results.forEach((r, i) => {
        const { index, row, email, value } = chunk[i]!;
        const a = r.action;
        reports[index] =
          a.kind !== 'none'
            ? { row, email, outcome: OUTCOME_OF[a.kind], subscriberId: r.subscriberId!, ...(value.warnings.length ? { warnings: value.warnings } : {}) }
            : a.reason === 'exists'
              ? { row, email, outcome: 'exists', subscriberId: r.subscriberId!, status: r.status! }
              : { row, email, outcome: a.reason };
      });
      // Confirmations and first emails go while the rest is written.
      if (results.some((r) => r.action.kind !== 'none')) deps.worker?.kick();
      done += chunk.length;
      await onProgress?.(done, total);
      // A turn of the event loop between chunks: SQLite's writes are synchronous, so without it
      // other requests would wait for the whole file, and progress would not leave until the end.
      await setImmediate();
    }
  } catch (err) {
    failed = true;
    throw err;
  } finally {
    const summary = summarise(file.rows.length, reports);
    // Written however it ended: what a failed import already did is on the log too.
    await recordAudit(deps, actor, 'subscribers.imported', null, { ...summary, ...(failed ? { failed: true, written: done } : {}), durationMs: clock.now() - started });
    logger.info({ staff: actor, ...summary, failed }, 'import finished');
  }
  const rows = reports as ImportRowReport[];
  const summary = summarise(total, rows);
  const id = await keepImportReport(deps, file, rows, summary, actor);
  return { summary, notes: file.notes, rows, id };
}

/** How long a kept report lasts: 30 days, or RETENTION_DAYS when that is shorter. */
export const IMPORT_REPORT_DAYS = 30;
const DAY_MS = 24 * 60 * 60 * 1000;

/** A row to fix: refused, or written with a warning; its problems in words. */
export function problemsOf(r: ImportRowReport): string[] {
  if (r.outcome === 'invalid') return [r.reason];
  return 'warnings' in r && r.warnings ? r.warnings : [];
}

/**
 * Keeps the report for the coordinator: the summary and notes, and only the
 * rows to fix with their cells as given (the rows that went well name people
 * who are on their own pages now). Each row keeps its address's lookup hash
 * when it is one, so the person's erasure deletes it.
 */
async function keepImportReport(deps: SubscriberDeps, file: CheckedImport, rows: ImportRowReport[], summary: ImportSummary, actor: string): Promise<number> {
  const now = deps.clock.now();
  const keep = file.rows.flatMap((r, i) => {
    const report = rows[i]!;
    const problems = problemsOf(report);
    if (problems.length === 0) return [];
    const hash = r.kind === 'write' ? addressHashes(deps.config.secretKey, r.value.email).emailHash : null;
    return [
      {
        row: report.row,
        email: report.email,
        emailHash: hash,
        outcome: report.outcome,
        subscriberId: 'subscriberId' in report ? report.subscriberId : null,
        problems: JSON.stringify(problems),
        cells: JSON.stringify(r.cells ?? {}),
      },
    ];
  });
  const days = Math.min(IMPORT_REPORT_DAYS, deps.config.retentionDays);
  return deps.stores.subscribers.keepImportReport({ createdAt: now, actor, expiresAt: now + days * DAY_MS, summary: JSON.stringify(summary), notes: JSON.stringify(file.notes), rows: keep });
}

function summarise(rows: number, reports: (ImportRowReport | null)[]): ImportSummary {
  const summary = { rows, warnings: 0, ...Object.fromEntries(IMPORT_OUTCOMES.map((o) => [o, 0])) } as ImportSummary;
  for (const r of reports) {
    if (!r) continue;
    summary[r.outcome]++;
    if ('warnings' in r && r.warnings?.length) summary.warnings++;
  }
  return summary;
}
