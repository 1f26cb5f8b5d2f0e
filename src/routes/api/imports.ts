import { Hono, type Context } from 'hono';
import { stream } from 'hono/streaming';
import type { AppDeps } from '../../deps.js';
import { readImportCsv, runImport } from '../../subscribers/import.js';
import { errorBody } from '../errors.js';
import { importUpload, multipartUploadLimit } from '../import-upload.js';
import { apiRole, staffOf } from '../staff/auth.js';

export const NDJSON = 'application/x-ndjson';

const wantsNdjson = (c: Context) => (c.req.header('accept') ?? '').toLowerCase().includes(NDJSON);

/**
 * POST /api/imports (admin): a CSV file as a text/csv body (streamed) or a
 * multipart form's `file`; answers the per-row report. A file that cannot be
 * read is refused whole (4xx) before anything is written. With `Accept:
 * application/x-ndjson` the answer streams one JSON line per written chunk,
 * `{"type":"progress","done","total"}`, then `{"type":"report","report"}`
 * (or `{"type":"error","error"}` if writing failed part way).
 */
export function importsApi(deps: AppDeps) {
  const app = new Hono();
  app.post(
    '/',
    apiRole('admin'),
    multipartUploadLimit((c, r) => c.json(errorBody(r.code, r.message), r.status)),
    async (c) => {
      const upload = await importUpload(c);
      if (!upload.ok) return c.json(errorBody(upload.code, upload.message), upload.status);
      const checked = await readImportCsv(upload.source, { defaultTimezone: deps.config.defaultTimezone, now: deps.clock.now() });
      if (!checked.ok) return c.json(errorBody(checked.code, checked.message), checked.status);
      const actor = staffOf(c).name;
      if (!wantsNdjson(c)) return c.json(await runImport(deps, checked.file, actor));

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
