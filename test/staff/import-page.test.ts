// /staff/imports: the upload page (admin). Without script its form posts the
// file and the answer is the report page; with script it calls the API and
// shows progress (test/browser-import.test.ts).
import { describe, expect, it } from 'vitest';
import { testApp } from '../helpers/app.js';
import { asStaff, csrfFrom } from '../helpers/staff.js';

const NOW = '2026-03-02T14:00:00Z';
const CSV =
  'Email,First Name,consent_source,consent_date,consent_text,Notes\nann@example.org,Ann,Clinic form,2025-11-20,I agree,met at the clinic\nbob@example.org,Bob,,,,\nann@example.org,,,,,\nwrong,,,,,\n';

async function form(t: ReturnType<typeof testApp>, csv: string | null, role: 'admin' | 'editor' = 'admin', token?: string) {
  const body = new FormData();
  body.set('_csrf', token ?? csrfFrom(await (await t.app.request('/staff/imports', asStaff({}, 'admin'))).text()));
  if (csv !== null) body.set('file', new File([csv], 'people.csv', { type: 'text/csv' }));
  return t.app.request('/staff/imports', asStaff({ method: 'POST', headers: { origin: 'http://localhost', 'sec-fetch-site': 'same-origin' }, body }, role));
}

const count = (t: ReturnType<typeof testApp>) => (t.db.$client.prepare('SELECT count(*) AS n FROM subscribers').get() as { n: number }).n;

describe('/staff/imports', () => {
  it('shows admins the form, the columns and the limits; its one script is allowed by the response nonce and may call our API only', async () => {
    const t = testApp({ now: NOW });
    const res = await t.app.request('/staff/imports', asStaff());
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('<form id="import-form" class="card" method="post" action="/staff/imports" enctype="multipart/form-data">');
    expect(html).toMatch(/<label for="import-file">CSV file<\/label><input id="import-file" type="file" name="file" accept=".csv,text\/csv" required=""\/>/);
    expect(html).toContain('<progress id="import-progress"></progress>');
    expect(html).toContain('role="status" aria-live="polite"');
    expect(html).toContain('10 MB and 50,000 rows');
    expect(html).toContain('<a href="/staff/imports" aria-current="page">Import</a>');
    const [, nonce, script] = /<script nonce="([^"]+)">([\s\S]*?)<\/script>/.exec(html)!;
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain(`script-src 'nonce-${nonce}'`);
    expect(html.match(/<script/g)).toHaveLength(1);
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("default-src 'none'");
    // Cells of the file never become markup in the script's report.
    expect(script).not.toMatch(/innerHTML|insertAdjacentHTML|outerHTML/);
  });

  it('is for admins: an editor and a viewer get a 403 page and no Import link', async () => {
    const t = testApp({ now: NOW });
    for (const role of ['editor', 'viewer'] as const) {
      const res = await t.app.request('/staff/imports', asStaff({}, role));
      expect(res.status).toBe(403);
      expect(await res.text()).toContain('the admin role');
      expect(await (await t.app.request('/staff', asStaff({}, role))).text()).not.toContain('href="/staff/imports"');
    }
    const token = csrfFrom(await (await t.app.request('/staff/subscribers', asStaff({}, 'editor'))).text());
    expect((await form(t, CSV, 'editor', token)).status).toBe(403);
    expect(count(t)).toBe(0);
  });

  it('without script, the form post imports and answers the report page', async () => {
    const t = testApp({ now: NOW });
    const res = await form(t, CSV);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('Import report: 4 rows');
    expect(html).toMatch(
      /<span class="n">1<\/span><span class="l">enrolled<\/span>.*<span class="n">1<\/span><span class="l">invited<\/span>.*<span class="n">1<\/span><span class="l">duplicates<\/span>/s,
    );
    expect(html).toContain('Ignored a column the import does not read: Notes.');
    expect(html).toMatch(/<td class="num">4<\/td><td>ann@example.org<\/td><td>duplicate<\/td><td>Same address as row 2\. Differs from row 2 in first_name, consent; row 2 was used\.<\/td>/);
    expect(html).toMatch(/<td class="num">5<\/td><td>wrong<\/td><td>invalid<\/td><td>email: /);
    expect(count(t)).toBe(2);
    const audit = t.db.$client.prepare("SELECT actor, detail FROM audit_log WHERE action = 'subscribers.imported'").all() as { actor: string; detail: string }[];
    expect(audit.map((a) => [a.actor, JSON.parse(a.detail).enrolled])).toEqual([['staff', 1]]);
  });

  it('a file it cannot read is a page saying so, and nothing is written', async () => {
    const t = testApp({ now: NOW });
    const bad = await form(t, 'email,first_name\nann@example.org,"Ann\n');
    expect(bad.status).toBe(400);
    expect(await bad.text()).toMatch(/role="alert">Nothing was imported\. The file ends inside a quoted value/);
    const none = await form(t, null);
    expect(none.status).toBe(400);
    expect(await none.text()).toContain('Choose a CSV file');
    expect(count(t)).toBe(0);
  });

  it('a file over the limit is refused before it is read', async () => {
    const t = testApp({ now: NOW });
    const res = await t.app.request(
      '/staff/imports',
      asStaff({ method: 'POST', headers: { origin: 'http://localhost', 'content-type': 'multipart/form-data; boundary=x', 'content-length': String(20 * 1024 * 1024) }, body: '--x--' }),
    );
    expect(res.status).toBe(413);
    expect(await res.text()).toContain('larger than 10 MB');
  });

  it("refuses a form post without the page's token", async () => {
    const t = testApp({ now: NOW });
    expect((await form(t, CSV, 'admin', 'forged')).status).toBe(403);
    expect(count(t)).toBe(0);
  });
});
