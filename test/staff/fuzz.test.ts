import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { testApp } from '../helpers/app.js';
import { addSubscriber, asStaff, csrfFrom, staffForm } from '../helpers/staff.js';

// Whatever staff (or a script with the login) sends, the answer is never a 5xx.
const segment = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.constantFrom('0', '1', '-1', '1e3', '99999999999999999999', '..', '%2e%2e', 'confirmation', '01-welcome', 'k-0123456789abcdef0123456789abcdef', '%00', '%ff'),
  fc.integer().map(String),
);

const PAGES = [
  (s: string) => `/staff/subscribers/${s}`,
  (s: string) => `/staff/subscribers/${s}/next`,
  (s: string) => `/staff/subscribers/${s}/export.json`,
  (s: string) => `/staff/templates/${s}`,
  (s: string) => `/staff/templates/${s}/html`,
  (s: string) => `/staff/templates/confirmation?subscriber=${s}`,
  (s: string) => `/staff/subscribers?q=${s}&status=${s}&page=${s}`,
  (s: string) => `/staff/outbox/${s}`,
  (s: string) => `/api/subscribers/${s}`,
  (s: string) => `/api/subscribers/${s}/export`,
  (s: string) => `/api/subscribers?q=${s}`,
  (s: string) => `/api/subscribers?page=${s}`,
  (s: string) => `/api/subscribers?status=${s}`,
  (s: string) => `/api/templates/${s}`,
  (s: string) => `/api/templates/01-welcome?subscriber=${s}`,
];

function safePath(p: string): string {
  // Keep the request valid as a URL; the server sees the raw characters percent-encoded.
  return p.replace(/[^\x21-\x7e]/g, (c) => encodeURIComponent(c)).replace(/#/g, '%23');
}

describe('staff routes with random input', () => {
  it('never answer 5xx to GETs', async () => {
    const { app, db } = testApp();
    addSubscriber(db, { confirmedAt: 1, nextStep: 2, nextSendAt: 2 });
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...PAGES), segment, async (route, s) => {
        const res = await app.request(safePath(route(s)), asStaff());
        expect(res.status).toBeLessThan(500);
      }),
      { numRuns: 300 },
    );
  });

  it('never answer 5xx to posts with random bodies', async () => {
    const { app, db } = testApp();
    addSubscriber(db);
    const body = fc.oneof(fc.string({ maxLength: 200 }), fc.json().map((j) => j), fc.constant('_csrf=1.x&to=a@b.org'));
    const type = fc.constantFrom('application/json', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'text/plain', '');
    const path = fc.constantFrom('/staff/subscribers/1/erase', '/staff/subscribers/1/converted', '/staff/templates/confirmation/test', '/api/templates/confirmation/test', '/api/subscribers/1/erase');
    await fc.assert(
      fc.asyncProperty(path, type, body, async (p, t, b) => {
        const headers: Record<string, string> = t ? { 'content-type': t } : {};
        const res = await app.request(p, asStaff({ method: 'POST', headers, body: b }));
        expect(res.status, `${p} ${t} ${b}`).toBeLessThan(500);
      }),
      { numRuns: 300 },
    );
  });

  it('acting for a person: random JSON to the API and random fields in a genuine form never answer 5xx', async () => {
    const { app, db } = testApp();
    const s = addSubscriber(db, { confirmedAt: 1, nextStep: 2, nextSendAt: 2, timezone: 'UTC' });
    const _csrf = csrfFrom(await (await app.request(`/staff/subscribers/${s.id}`, asStaff())).text());
    const value = fc.oneof(fc.string({ maxLength: 80 }), fc.constantFrom('', '1', '0', '-1', '1.5', '2026-04-01', '2026-02-30', '99999-01-01', 'UTC', 'Europe/Berlin', 'Mars/Olympus', 'self', '\u0000'));
    const api = fc.constantFrom(['POST', '/resend'], ['POST', '/pause'], ['POST', '/resume'], ['POST', '/unsubscribe'], ['PATCH', ''] as const);
    const json = fc.oneof(fc.json(), fc.record({ step: fc.oneof(fc.integer(), value), until: value, reason: value, firstName: value, timezone: value, reader: value }, { requiredKeys: [] }).map((o) => JSON.stringify(o)));
    await fc.assert(
      fc.asyncProperty(api, json, async ([method, path], body) => {
        const res = await app.request(`/api/subscribers/${s.id}${path}`, asStaff({ method, headers: { 'content-type': 'application/json' }, body }, 'editor'));
        expect(res.status, `${method} ${path} ${body}`).toBeLessThan(500);
      }),
      { numRuns: 200 },
    );
    const form = fc.constantFrom('details', 'pause', 'resume', 'resend', 'unsubscribe');
    const fields = fc.record({ step: value, until: value, reason: value, firstName: value, timezone: value, reader: value }, { requiredKeys: [] });
    await fc.assert(
      fc.asyncProperty(form, fields, async (action, f) => {
        const res = await app.request(`/staff/subscribers/${s.id}/${action}`, staffForm({ _csrf, ...f }, {}, 'editor'));
        expect(res.status, `${action} ${JSON.stringify(f)}`).toBeLessThan(500);
      }),
      { numRuns: 200 },
    );
  });
});
