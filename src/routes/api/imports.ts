import type { Context } from 'hono';
import { stream } from 'hono/streaming';
import { z } from 'zod';
import type { AppDeps } from '../../deps.js';
import { IMPORT_COLUMNS, IMPORT_OUTCOMES, readImportCsv, runImport } from '../../subscribers/import.js';
import { downloadRowsToFix, keptImportReports, ROWS_TO_FIX_COLUMNS } from '../../subscribers/import-reports.js';
import { idParams } from '../staff/params.js';
import { errorBody } from '../errors.js';
import { importUpload, multipartUploadLimit } from '../import-upload.js';
import { staffOf } from '../staff/auth.js';
import { apiRoute, apiRouter, error, json } from './openapi.js';

export const NDJSON = 'application/x-ndjson';

const wantsNdjson = (c: Context) => (c.req.header('accept') ?? '').toLowerCase().includes(NDJSON);

const count = z.int().nonnegative();

const Summary = z
  .object({ rows: count, warnings: count.meta({ description: 'Rows written with a warning.' }), ...Object.fromEntries(IMPORT_OUTCOMES.map((o) => [o, count])) })
  .meta({ description: 'How many rows, how many had each outcome, and how many were written with a warning.' });

const ImportReport = z
  .object({
    id: z.int().meta({ description: 'The kept report: GET /api/imports lists it, GET /api/imports/{id}/rows.csv has its rows to fix.' }),
    summary: Summary,
    notes: z.array(z.string()).meta({ description: 'About the file as a whole (unknown columns ignored, ...).' }),
    rows: z.array(
      z.object({
        row: z.int().meta({ description: "The file's line the row starts on (the header is line 1)." }),
        email: z.string(),
        outcome: z.enum(IMPORT_OUTCOMES),
        subscriberId: z.int().optional(),
        status: z.string().optional().meta({ description: 'exists: their status, unchanged.' }),
        of: z.int().optional().meta({ description: 'duplicate: the row it was merged into.' }),
        note: z.string().optional(),
        reason: z.string().optional().meta({ description: 'invalid: what is wrong with the row.' }),
        warnings: z
          .array(z.string())
          .optional()
          .meta({ description: 'enrolled or invited: what was wrong but did not refuse the row (a field left empty, a likely typo in the domain).' }),
      }),
    ),
  })
  .meta({ id: 'ImportReport' });

const postImport = apiRoute({
  method: 'post',
  path: '/',
  role: 'admin',
  summary: 'Import people from a CSV file',
  description: [
    `Columns (header row, any case): ${IMPORT_COLUMNS.join(', ')}; only email is required. A row with consent_source, consent_date and consent_text is enrolled with that consent; a row without them gets the double opt-in email only. Suppressed and erased addresses are never mailed; existing subscribers are not changed.`,
    'The body is the file as text/csv (streamed), or a multipart/form-data form with the file as `file`. With `Accept: application/x-ndjson` the answer is one JSON line per written chunk, {"type":"progress","done","total"}, then {"type":"report","report"} (or {"type":"error","error"}).',
  ].join('\n\n'),
  request: { body: { required: true, content: { 'text/csv': { schema: z.string().meta({ description: 'The CSV file, UTF-8.' }) } } } },
  responses: {
    200: { description: 'The per-row report.', content: { 'application/json': { schema: ImportReport }, 'application/x-ndjson': { schema: z.string() } } },
    400: error('The file cannot be read (malformed CSV, no email column, a repeated column, not UTF-8): nothing was written.'),
    413: error('The file is over 10 MB or 50,000 rows (too_large).'),
    415: error('Neither text/csv nor a multipart form (unsupported_media_type).'),
  },
});

const KeptReports = z
  .object({
    reports: z.array(
      z.object({
        id: z.int(),
        createdAt: z.string().meta({ description: 'ISO 8601, UTC.' }),
        actor: z.string().meta({ description: 'The staff account that imported the file.' }),
        expiresAt: z.string().meta({ description: 'ISO 8601, UTC: when the report and its rows are deleted.' }),
        summary: Summary,
        notes: z.array(z.string()),
        rowsToFix: count.meta({ description: 'Rows refused or written with a warning, still kept (an erasure deletes the rows that name the person).' }),
      }),
    ),
  })
  .meta({ id: 'KeptImportReports' });

const listReports = apiRoute({
  method: 'get',
  path: '/',
  role: 'admin',
  summary: 'The kept import reports, newest first',
  description: 'Each import keeps its summary and its rows to fix for 30 days (or RETENTION_DAYS when shorter).',
  responses: { 200: json(KeptReports, 'The kept reports.') },
});

const rowsToFix = apiRoute({
  method: 'get',
  path: '/{id}/rows.csv',
  role: 'admin',
  summary: "A kept import's rows to fix, as CSV",
  description: `Columns: ${ROWS_TO_FIX_COLUMNS.join(', ')}. The import's own columns hold the cells as given, so a corrected file can be uploaded again. Each download is audited.`,
  request: { params: idParams('import report') },
  responses: {
    200: { description: 'The rows to fix.', content: { 'text/csv': { schema: z.string() } } },
    404: error('No kept report with that id, or it has expired (not_found).'),
  },
});

/**
 * POST /api/imports (admin): a CSV file as a text/csv body (streamed) or a
 * multipart form's `file`; answers the per-row report. A file that cannot be
 * read is refused whole (4xx) before anything is written. With `Accept:
 * application/x-ndjson` the answer streams one JSON line per written chunk,
 * `{"type":"progress","done","total"}`, then `{"type":"report","report"}`
 * (or `{"type":"error","error"}` if writing failed part way).
 */
export function importsApi(deps: AppDeps) {
  const app = apiRouter();
  // Before anything reads a multipart form (Hono buffers it whole): refuse one over the size limit.
  app.use('/', multipartUploadLimit((c, r) => c.json(errorBody(r.code, r.message), r.status)));
  app.openapi(listReports, async (c) => {
    const iso = (ms: number) => new Date(ms).toISOString();
    const reports = await keptImportReports(deps);
    return c.json({ reports: reports.map((r) => ({ ...r, createdAt: iso(r.createdAt), expiresAt: iso(r.expiresAt) })) }, 200);
  });
  app.openapi(rowsToFix, async (c) => {
    const download = await downloadRowsToFix(deps, c.req.valid('param').id, staffOf(c).name);
    if (!download) return c.json(errorBody('not_found', 'No kept import report with that id (reports are kept for 30 days).'), 404);
    return c.body(download.csv, 200, { 'Content-Type': 'text/csv; charset=utf-8', 'Content-Disposition': `attachment; filename="${download.filename}"`, 'Cache-Control': 'no-store' });
  });
  app.openapi(
    postImport,
    // Answers are the report or a refusal in the error shape; the stream answers itself.
    // @ts-expect-error the NDJSON stream is a Response the typed routes cannot name
    async (c) => {
      const upload = await importUpload(c);
      if (!upload.ok) return c.json(errorBody(upload.code, upload.message), upload.status);
      const checked = await readImportCsv(upload.source, { defaultTimezone: deps.config.defaultTimezone, now: deps.clock.now() });
      if (!checked.ok) return c.json(errorBody(checked.code, checked.message), checked.status);
      const actor = staffOf(c).name;
      if (!wantsNdjson(c)) return c.json(await runImport(deps, checked.file, actor), 200);

      c.header('Content-Type', `${NDJSON}; charset=utf-8`);
      // The import runs to its end even if the client goes away; writes to a closed stream are dropped.
      return stream(c, async (out) => {
        const line = async (value: unknown) => {
          await out.writeln(JSON.stringify(value));
        };
        try {
          const report = await runImport(deps, checked.file, actor, (done, total) => line({ type: 'progress', done, total }));
          await line({ type: 'report', report });
        } catch (err) {
          deps.logger.error({ err }, 'import failed part way');
          await line({
            type: 'error',
            error: errorBody(
              'internal',
              'The import stopped part way: the rows written so far stay (the audit log has the counts). Upload the file again to finish: rows already imported are reported as exists and not mailed again.',
            ).error,
          });
        }
      });
    },
  );
  return app;
}
