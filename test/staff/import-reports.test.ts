// Kept import reports: after an import the coordinator finds it on
// /staff/imports (and GET /api/imports), reads its rows to fix with the
// reason per row, and downloads them as CSV (audited), which uploads again
// once corrected. Admins only; a person's erasure deletes the rows that name
// them; reports expire after 30 days.
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import type { ImportReport } from '../../src/subscribers/import.js';
import { dropExpiredImportReports } from '../../src/subscribers/import-reports.js';
import { testApp, testConfig } from '../helpers/app.js';
import { asStaff, basicAuthOf } from '../helpers/staff.js';

const NOW = '2026-03-02T14:00:00Z';
const DAY = 86_400_000;
const FILE = [
  'email,first_name,timezone,reader,consent_source,consent_date,consent_text',
  'ann@example.org,Ann,Europe/Berlin,self,Clinic form,2025-11-20,I agree',
  'bob@gmial.com,Bob,,,,,',
  'not-an-address,Cy,,,,,',
  'dee@example.org,Dee,EST,patient,Clinic form,11/25/2025,I agree',
  '"=HYPERLINK(""http://x"")",,,,,,',
].join('\n');

type Role = 'admin' | 'editor' | 'viewer';
/** A staff page with the role's session, an API route with its basic auth. */
const get = (t: ReturnType<typeof testApp>, path: string, role: Role = 'admin') =>
  t.app.request(path, path.startsWith('/staff') ? asStaff({}, role) : { headers: { authorization: basicAuthOf(role) } });

async function importFile(t: ReturnType<typeof testApp>, csv = FILE): Promise<ImportReport> {
  const res = await t.app.request('/api/imports', { method: 'POST', headers: { authorization: basicAuthOf('admin'), 'content-type': 'text/csv' }, body: csv });
  expect(res.status).toBe(200);
  return (await res.json()) as ImportReport;
}

const audits = (t: ReturnType<typeof testApp>, action: string) =>
  (t.db.$client.prepare('SELECT actor, detail FROM audit_log WHERE action = ? ORDER BY id').all(action) as { actor: string; detail: string }[]).map((a) => ({ ...a, detail: JSON.parse(a.detail) }));

describe('kept import reports', () => {
  it('lists the import, shows its rows to fix with the reason per row, and downloads them as CSV, audited', async () => {
    const t = testApp({ now: NOW });
    const report = await importFile(t);
    expect(report.summary).toMatchObject({ rows: 5, enrolled: 1, invited: 2, invalid: 2, warnings: 2 });
    const bob = report.rows[1] as { subscriberId: number };
    const dee = report.rows[3] as { subscriberId: number };

    const list = await get(t, '/api/imports');
    expect(list.status).toBe(200);
    expect(await list.json()).toEqual({
      reports: [{ id: report.id, createdAt: NOW.replace('Z', '.000Z'), actor: 'staff', expiresAt: '2026-04-01T14:00:00.000Z', summary: report.summary, notes: [], rowsToFix: 4 }],
    });

    const page = await (await get(t, '/staff/imports')).text();
    expect(page).toContain('<h2 id="kept-h">Kept reports</h2>');
    expect(page).toContain(`<a href="/staff/imports/${report.id}">#${report.id}</a>`);
    expect(page).toContain(`<a href="/staff/imports/${report.id}/rows.csv" download="">4 (CSV)</a>`);
    expect(page).toContain('1 enrolled, 2 invited, 2 invalid, 2 with a warning');

    const one = await get(t, `/staff/imports/${report.id}`);
    expect(one.status).toBe(200);
    const html = await one.text();
    expect(html).toContain('Download the 4 rows to fix (CSV)');
    expect(html).toContain('email: did you mean bob@gmail.com?');
    expect(html).toContain(`<a href="/staff/subscribers/${dee.subscriberId}">#${dee.subscriberId}</a>`);
    // The rows that went well are not kept.
    expect(html).not.toContain('ann@example.org');

    const csv = await get(t, `/staff/imports/${report.id}/rows.csv`);
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(csv.headers.get('content-disposition')).toBe(`attachment; filename="import-${report.id}-rows-to-fix.csv"`);
    expect(csv.headers.get('cache-control')).toBe('no-store');
    const rows = parse(await csv.text(), { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => [r.row, r.outcome, r.email, r.subscriber_id])).toEqual([
      ['3', 'invited', 'bob@gmial.com', String(bob.subscriberId)],
      ['4', 'invalid', 'not-an-address', ''],
      ['5', 'invited', 'dee@example.org', String(dee.subscriberId)],
      // A cell a spreadsheet would run as a formula is neutralised.
      ['6', 'invalid', `'=HYPERLINK("http://x")`, ''],
    ]);
    expect(rows[1]).toMatchObject({ first_name: 'Cy', problem: expect.stringMatching(/^email: That does not look like an email address/) });
    expect(rows[2]).toMatchObject({ timezone: 'EST', reader: 'patient', consent_date: '11/25/2025', consent_text: 'I agree' });
    expect(rows[2]!.problem).toMatch(/reader: .* timezone: "EST" is an abbreviation.* consent_date: "11\/25\/2025" is not an ISO date/);

    // The same through the API; each download is on the audit log.
    const api = await get(t, `/api/imports/${report.id}/rows.csv`);
    expect(api.status).toBe(200);
    expect(await api.text()).toBe(await (await get(t, `/staff/imports/${report.id}/rows.csv`)).text());
    expect(audits(t, 'imports.rows_downloaded')).toEqual(Array(3).fill({ actor: 'staff', detail: { reportId: report.id, rows: 4 } }));
  });

  it('a downloaded file, corrected, uploads again: the extra columns are ignored and the fixed row is imported', async () => {
    const t = testApp({ now: NOW });
    const first = await importFile(t);
    const csv = await (await get(t, `/staff/imports/${first.id}/rows.csv`)).text();
    const again = await importFile(t, csv.replace('not-an-address', 'cy@example.org'));
    expect(again.notes).toEqual(['Ignored columns the import does not read: row, outcome, problem, subscriber_id.']);
    expect(again.rows.map((r) => [r.email, r.outcome])).toEqual([
      ['bob@gmial.com', 'exists'],
      ['cy@example.org', 'invited'],
      ['dee@example.org', 'exists'],
      [`'=HYPERLINK("http://x")`, 'invalid'],
    ]);
  });

  it('is for admins: an editor or viewer is refused the list, the page and the download; an unknown id is a 404', async () => {
    const t = testApp({ now: NOW });
    const { id } = await importFile(t);
    for (const role of ['editor', 'viewer'] as const) {
      expect((await get(t, '/api/imports', role)).status).toBe(403);
      expect((await get(t, `/api/imports/${id}/rows.csv`, role)).status).toBe(403);
      expect((await get(t, `/staff/imports/${id}/rows.csv`, role)).status).toBe(403);
      expect((await get(t, `/staff/imports/${id}`, role)).status).toBe(403);
    }
    expect(audits(t, 'imports.rows_downloaded')).toEqual([]);
    const missing = await get(t, `/api/imports/${id + 1}/rows.csv`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: { code: 'not_found', message: expect.stringContaining('30 days') } });
    expect((await get(t, '/api/imports/abc/rows.csv')).status).toBe(400);
    expect((await get(t, `/staff/imports/${id + 1}`)).status).toBe(404);
    expect((await get(t, '/staff/imports/abc/rows.csv')).status).toBe(404);
  });

  it("a person's erasure deletes their rows from the kept report", async () => {
    const t = testApp({ now: NOW });
    const report = await importFile(t);
    const bob = report.rows[1] as { subscriberId: number };
    const erased = await t.app.request(`/api/subscribers/${bob.subscriberId}`, { method: 'DELETE', headers: { authorization: basicAuthOf('admin') } });
    expect(erased.status).toBe(200);
    const csv = await (await get(t, `/staff/imports/${report.id}/rows.csv`)).text();
    expect(csv).not.toContain('gmial');
    expect((parse(csv, { columns: true }) as { row: string }[]).map((r) => r.row)).toEqual(['4', '5', '6']);
  });

  it('expires after 30 days: no longer listed or downloadable, and the housekeeping deletes it', async () => {
    const t = testApp({ now: NOW });
    const { id } = await importFile(t);
    t.clock.advance(30 * DAY - 1);
    expect((await get(t, `/staff/imports/${id}/rows.csv`)).status).toBe(200);
    t.clock.advance(1);
    expect((await get(t, `/staff/imports/${id}/rows.csv`)).status).toBe(404);
    expect(await (await get(t, '/api/imports')).json()).toEqual({ reports: [] });
    expect(await dropExpiredImportReports(t)).toBe(1);
    expect(t.db.$client.prepare('SELECT count(*) AS n FROM import_report_rows').get()).toEqual({ n: 0 });
  });

  it('is kept no longer than RETENTION_DAYS when that is shorter', async () => {
    const t = testApp({ now: NOW, config: testConfig({ retentionDays: 7 }) });
    await importFile(t);
    expect(await (await get(t, '/api/imports')).json()).toMatchObject({ reports: [{ expiresAt: '2026-03-09T14:00:00.000Z' }] });
  });
});
