/**
 * Kept import reports: what a coordinator needs to finish an import after
 * the upload's answer is gone. Each keeps the summary and only the rows to
 * fix (refused, or written with a warning) with their cells as given, for
 * min(30 days, RETENTION_DAYS); a person's erasure deletes the rows that
 * name them. Admins only (the routes check it); each download is audited.
 */
import { stringify } from 'csv-stringify/sync';
import type { Stores } from '../../db/stores.js';
import type { ImportReportRow, KeptImportReport } from '../../db/types.js';
import { recordAudit } from '../audit.js';
import type { Clock } from '../clock.js';
import { neutraliseFormula } from './export.js';
import { IMPORT_COLUMNS, type ImportCells, type ImportSummary } from './import.js';

/** How many kept reports the import page lists. */
export const LISTED_REPORTS = 50;

export type KeptReport = { id: number; createdAt: number; actor: string; expiresAt: number; summary: ImportSummary; notes: string[]; rowsToFix: number };
export type RowToFix = { row: number; email: string; outcome: string; subscriberId: number | null; problems: string[]; cells: ImportCells };

const parseReport = (r: KeptImportReport): KeptReport => ({
  id: r.id,
  createdAt: r.createdAt,
  actor: r.actor,
  expiresAt: r.expiresAt,
  summary: JSON.parse(r.summary) as ImportSummary,
  notes: JSON.parse(r.notes) as string[],
  rowsToFix: Number(r.rowsToFix),
});

const parseRow = (r: ImportReportRow): RowToFix => ({
  row: r.row,
  email: r.email,
  outcome: r.outcome,
  subscriberId: r.subscriberId,
  problems: JSON.parse(r.problems) as string[],
  cells: JSON.parse(r.cells) as ImportCells,
});

type Deps = { stores: Stores; clock: Clock };

/** The kept reports not yet expired, newest first. */
export async function keptImportReports(deps: Deps): Promise<KeptReport[]> {
  return (await deps.stores.subscribers.importReports(deps.clock.now(), LISTED_REPORTS)).map(parseReport);
}

/** One kept report and its rows to fix, or null when unknown or expired. */
export async function keptImportReport(deps: Deps, id: number): Promise<{ report: KeptReport; rows: RowToFix[] } | null> {
  const kept = await deps.stores.subscribers.importReport(id, deps.clock.now());
  return kept && { report: parseReport(kept.report), rows: kept.rows.map(parseRow) };
}

/**
 * The header of the rows-to-fix CSV: where each row was and why, then the
 * import's own columns as given, so the fixed file can be uploaded again
 * (the import ignores row, outcome, problem and subscriber_id).
 */
export const ROWS_TO_FIX_COLUMNS = ['row', 'outcome', 'problem', ...IMPORT_COLUMNS, 'subscriber_id'] as const;

/** The rows to fix as CSV (cells a spreadsheet would run as a formula are neutralised). */
export function rowsToFixCsv(rows: RowToFix[]): string {
  return stringify(
    rows.map((r) => [r.row, r.outcome, r.problems.join(' '), ...IMPORT_COLUMNS.map((c) => (c === 'email' ? (r.cells.email ?? r.email) : (r.cells[c] ?? ''))), r.subscriberId ?? '']),
    { header: true, columns: [...ROWS_TO_FIX_COLUMNS], cast: { string: neutraliseFormula }, record_delimiter: 'windows' },
  );
}

/** The download of one report's rows to fix, audited (who, which report, how many rows); null when unknown or expired. */
export async function downloadRowsToFix(deps: Deps, id: number, actor: string): Promise<{ filename: string; csv: string } | null> {
  const kept = await keptImportReport(deps, id);
  if (!kept) return null;
  await recordAudit(deps, actor, 'imports.rows_downloaded', null, { reportId: id, rows: kept.rows.length });
  return { filename: `import-${id}-rows-to-fix.csv`, csv: rowsToFixCsv(kept.rows) };
}

/** Deletes the kept reports past their expiry (the worker's housekeeping); answers how many. */
export async function dropExpiredImportReports(deps: Deps): Promise<number> {
  return deps.stores.subscribers.dropExpiredImportReports(deps.clock.now());
}
