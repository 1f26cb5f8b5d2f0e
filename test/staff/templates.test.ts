import { describe, expect, it } from 'vitest';
import { consultTemplates } from '../../src/mail/render.js';
import { SendError } from '../../src/mail/transport.js';
import { listTemplates } from '../../src/nurture/previews.js';
import { FIRST_VERSION } from '../../src/nurture/sequence.js';
import { testApp } from '../helpers/app.js';
import { addSubscriber, asStaff, csrfFrom, staffForm } from '../helpers/staff.js';

const SEQUENCE = FIRST_VERSION.steps;

const IDS = listTemplates().map((t) => t.id);

/** The page with entities decoded, to compare with plain strings. */
const text = (html: string) => html.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');

describe('template previews', () => {
  it('lists the confirmation email, every education step, then the consult follow-up emails', async () => {
    expect(IDS).toEqual(['confirmation', ...SEQUENCE.map((x) => x.templateId), ...consultTemplates.map((t) => t.id)]);
    const { app } = testApp();
    const html = await (await app.request('/staff/templates', asStaff())).text();
    for (const t of listTemplates()) expect(html).toContain(`href="/staff/templates/${t.id}"`);
    const api = await (await app.request('/api/templates', asStaff())).json();
    expect(api.templates.map((t: { id: string }) => t.id)).toEqual(IDS);
    expect(api.templates[1]).toMatchObject({ kind: 'sequence', step: 1, dayOffset: 0 });
  });

  it.each(IDS)('%s: headers, sandboxed desktop and phone frames, plain text (sample data)', async (id) => {
    const { app, config } = testApp();
    const res = await app.request(`/staff/templates/${id}`, asStaff());
    expect(res.status).toBe(200);
    const html = await res.text();
    const t = listTemplates().find((x) => x.id === id)!;
    expect(text(html)).toContain(`<h1>${t.subject}</h1>`);
    expect(text(html)).toContain(t.preheader);
    expect(text(html)).toContain(config.mailFrom);
    expect(html).toContain('alex@example.org');
    expect(html).toContain(`src="/staff/templates/${id}/html"`);
    expect(html).toMatch(/<iframe class="email desktop" title="[^"]*" sandbox="" src=/);
    expect(html).toMatch(/<iframe class="email phone" title="[^"]*" sandbox="" src=/);
    expect(html).not.toMatch(/allow-scripts/);
    expect(html).toContain('<pre class="text">');
    if (t.kind === 'sequence') expect(html).toContain('List-Unsubscribe=One-Click');

    const frame = await app.request(`/staff/templates/${id}/html`, asStaff());
    expect(frame.status).toBe(200);
    expect(frame.headers.get('content-type')).toMatch(/^text\/html/);
    expect(frame.headers.get('content-security-policy')).toMatch(/sandbox$/);
    expect(frame.headers.get('content-security-policy')).toContain("frame-ancestors 'self'");
    expect(frame.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(frame.headers.get('cache-control')).toBe('no-store');
    expect(await frame.text()).toMatch(/<html[^>]*lang="en"/);
  });

  it("renders with a subscriber's real data: their address and name, and the test email's placeholder links", async () => {
    const { app, db } = testApp();
    const s = addSubscriber(db, { email: 'real.reader@example.org', firstName: 'Quinn', tokenGeneration: 3 });
    const id = SEQUENCE[2]!.templateId;
    const res = await app.request(`/api/templates/${id}?subscriber=${s.id}`, asStaff());
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.sample).toBe(false);
    expect(body.to).toBe('real.reader@example.org');
    expect(body.html).toContain('Quinn');
    expect(body.text).toContain('Quinn');
    expect(body.headers['List-Unsubscribe']).toBe('<http://nurture.test/u/test-email>');
    expect(body.html).toContain('http://nurture.test/p/test-email');
    const page = await (await app.request(`/staff/templates/${id}?subscriber=${s.id}`, asStaff())).text();
    expect(page).toContain('real.reader@example.org');
    expect(page).toContain(`src="/staff/templates/${id}/html?subscriber=${s.id}"`);
    expect(await (await app.request(`/staff/templates/${id}/html?subscriber=${s.id}`, asStaff())).text()).toContain('Quinn');
  });

  it('answers bad template or subscriber ids with 4xx, never 5xx', async () => {
    const { app, db } = testApp();
    const erased = addSubscriber(db, { email: null, status: 'erased' });
    const cases: [string, number][] = [
      ['/staff/templates/nope', 404],
      ['/staff/templates/nope/html', 404],
      ['/staff/templates/confirmation?subscriber=abc', 400],
      ['/staff/templates/confirmation?subscriber=999', 404],
      [`/staff/templates/confirmation?subscriber=${erased.id}`, 409],
      ['/staff/templates/..%2F..%2Fetc', 404],
      ['/api/templates/nope', 404],
      ['/api/templates/confirmation?subscriber=-1', 400],
      ['/api/templates/confirmation?subscriber=999', 404],
      [`/api/templates/confirmation?subscriber=${erased.id}`, 409],
    ];
    for (const [path, status] of cases) {
      const res = await app.request(path, asStaff());
      expect(res.status, path).toBe(status);
      if (path.startsWith('/api')) expect((await res.json()).error.code).toBeTypeOf('string');
    }
  });
});

/** Every link to our public pages in some text, with the token it carries. */
const tokenLinks = (...parts: string[]) => [...parts.join('\n').matchAll(/http:\/\/nurture\.test\/(u|p|confirm)\/([A-Za-z0-9._~-]+)/g)].map((m) => ({ kind: m[1]!, token: m[2]! }));

describe('previews carry no working link', () => {
  it('a viewer who opens a preview or the next-email page cannot confirm, export, erase or unsubscribe the person with its links', async () => {
    const t = testApp();
    const kept = addSubscriber(t.db, { email: 'kept.reader@example.org', firstName: 'Rowan', confirmedAt: Date.parse('2026-03-01T12:00:00Z'), nextStep: 2, nextSendAt: Date.parse('2026-03-03T14:00:00Z') });
    const waiting = addSubscriber(t.db, { email: 'waiting.reader@example.org', status: 'pending', confirmationSentAt: t.clock.now() });
    const viewer = asStaff({}, 'viewer');
    const texts: string[] = [];
    for (const [path, subscriber] of [
      ['/api/templates/confirmation', waiting.id],
      [`/api/templates/${SEQUENCE[2]!.templateId}`, kept.id],
    ] as const) {
      const res = await t.app.request(`${path}?subscriber=${subscriber}`, viewer);
      expect(res.status, path).toBe(200);
      const body = await res.json();
      texts.push(body.html, body.text, JSON.stringify(body.headers));
    }
    for (const path of [
      `/staff/templates/confirmation?subscriber=${waiting.id}`,
      `/staff/templates/confirmation/html?subscriber=${waiting.id}`,
      `/staff/templates/${SEQUENCE[0]!.templateId}?subscriber=${kept.id}`,
      `/staff/templates/${SEQUENCE[0]!.templateId}/html?subscriber=${kept.id}`,
      `/staff/subscribers/${kept.id}/next`,
      `/staff/subscribers/${kept.id}/next/html`,
    ]) {
      const res = await t.app.request(path, viewer);
      expect(res.status, path).toBe(200);
      texts.push(text(await res.text()));
    }
    const links = tokenLinks(...texts);
    expect(new Set(links.map((l) => l.kind))).toEqual(new Set(['u', 'p', 'confirm']));

    // What the viewer could do with each link: nothing, and nobody changed.
    const form = (body: string) => ({ method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
    for (const { kind, token } of links) {
      const tries =
        kind === 'confirm'
          ? [t.app.request(`/confirm/${token}`, { method: 'POST' })]
          : kind === 'u'
            ? [t.app.request(`/u/${token}`, form('List-Unsubscribe=One-Click'))]
            : [t.app.request(`/p/${token}`, form('action=export')), t.app.request(`/p/${token}`, form('action=delete&confirm=yes'))];
      // Each says it came from a test email and acts for nobody.
      for (const res of await Promise.all(tries)) expect(await res.text(), `${kind}/${token}`).toContain('This was a test email');
    }
    expect((await t.stores.subscribers.byId(waiting.id))!).toMatchObject({ status: 'pending', confirmedAt: null, consentText: null });
    expect((await t.stores.subscribers.byId(kept.id))!).toMatchObject({ status: 'active', email: 'kept.reader@example.org' });
    expect(new Set(links.map((l) => l.token))).toEqual(new Set(['test-email']));
  });

  it("a viewer sees the subscriber's address masked in a preview and on the next-email page; an editor sees it whole", async () => {
    const t = testApp();
    const s = addSubscriber(t.db, { email: 'morgan.hidden@example.org', firstName: 'Morgan', confirmedAt: Date.parse('2026-03-01T12:00:00Z'), nextStep: 2, nextSendAt: Date.parse('2026-03-03T14:00:00Z') });
    const id = SEQUENCE[1]!.templateId;
    const seen = async (role: 'viewer' | 'editor') => {
      const api = await (await t.app.request(`/api/templates/${id}?subscriber=${s.id}`, asStaff({}, role))).json();
      const pages = await Promise.all([`/staff/templates/${id}?subscriber=${s.id}`, `/staff/subscribers/${s.id}/next`].map(async (p) => (await t.app.request(p, asStaff({}, role))).text()));
      return { to: api.to, html: api.html as string, pages: pages.join('\n') };
    };
    const viewer = await seen('viewer');
    expect(viewer.to).toBe('m***@example.org');
    expect(viewer.html).toContain('Morgan');
    expect(viewer.pages).toContain('m***@example.org');
    expect(viewer.pages).not.toContain('morgan.hidden');
    const editor = await seen('editor');
    expect(editor.to).toBe('morgan.hidden@example.org');
    expect(editor.pages).toContain('morgan.hidden@example.org');
  });
});

describe('the links of a test email', () => {
  it('lead to a page saying it was a test email, on GET and POST; a JSON POST gets the error shape; nothing is done', async () => {
    const t = testApp();
    for (const path of ['/u/test-email', '/p/test-email', '/confirm/test-email']) {
      for (const init of [{}, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' }]) {
        const res = await t.app.request(path, init);
        expect(res.status, path).toBe(200);
        expect(await res.text()).toContain('This was a test email');
      }
      const json = await t.app.request(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ action: 'export' }) });
      expect(json.status).toBe(400);
      expect(await json.json()).toMatchObject({ error: { code: 'test_email_link' } });
    }
  });
});

describe('send a test', () => {
  it('queues the test for the worker, which sends it through the transport and records a test delivery', async () => {
    const { app, db, transport, drain } = testApp();
    const id = SEQUENCE[0]!.templateId;
    const token = csrfFrom(await (await app.request(`/staff/templates/${id}`, asStaff())).text());
    const res = await app.request(`/staff/templates/${id}/test`, staffForm({ _csrf: token, to: 'staff.tester@example.org' }));
    expect(res.status).toBe(303);
    expect(transport.sent).toHaveLength(0);
    await drain();
    expect(transport.sent).toHaveLength(1);
    const m = transport.sent[0]!;
    expect(m.to).toBe('staff.tester@example.org');
    expect(m.subject).toBe(`[Test] ${SEQUENCE[0]!.subject}`);
    expect(m.headers?.['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
    expect(db.$client.prepare('select kind, step, subscriber_id as sid, template_id as tid, status, provider_id as pid from deliveries').all()).toEqual([
      { kind: 'test', step: 0, sid: null, tid: id, status: 'sent', pid: m.id },
    ]);
    const page = await (await app.request(res.headers.get('location')!, asStaff())).text();
    expect(page).toContain('Test email queued');
  });

  it('refuses a bad address, a missing CSRF token, and records a transport failure on the delivery', async () => {
    const { app, db, transport, drain } = testApp();
    const token = csrfFrom(await (await app.request('/staff/templates/confirmation', asStaff())).text());
    for (const to of ['', 'not-an-address', 'a@b.org\r\nBcc: x@y.org', 'a@b.org, c@d.org']) {
      const res = await app.request('/staff/templates/confirmation/test', staffForm({ _csrf: token, to }));
      expect(res.status, to).toBe(400);
    }
    expect((await app.request('/staff/templates/confirmation/test', staffForm({ to: 'x@example.org' }))).status).toBe(403);
    expect(transport.sent).toHaveLength(0);

    transport.failNext(new SendError('permanent', 'validation_error: bad'));
    const failed = await app.request('/staff/templates/confirmation/test', staffForm({ _csrf: token, to: 'x@example.org' }));
    expect(failed.status).toBe(303);
    await drain();
    expect(db.$client.prepare('select status, error from deliveries').get()).toEqual({ status: 'failed', error: 'validation_error: bad' });
  });

  it("never carries a real subscriber's links: the test's unsubscribe, preference and confirm links act for nobody", async () => {
    const t = testApp();
    const s = addSubscriber(t.db, { email: 'linked.reader@example.org', firstName: 'Sasha', tokenGeneration: 2 });
    const pending = addSubscriber(t.db, { email: 'pending.reader@example.org', status: 'pending' });
    const _csrf = csrfFrom(await (await t.app.request('/staff/templates/confirmation', asStaff())).text());
    const send = (id: string, subscriber?: number) =>
      t.app.request(`/staff/templates/${id}/test`, staffForm({ _csrf, to: 'qa@clinic.example', ...(subscriber ? { subscriber: String(subscriber) } : {}) }, {}, 'editor'));
    expect((await send(SEQUENCE[2]!.templateId, s.id)).status).toBe(303);
    expect((await send('confirmation', pending.id)).status).toBe(303);
    expect((await send(SEQUENCE[0]!.templateId)).status).toBe(303);
    await t.drain();
    expect(t.transport.sent).toHaveLength(3);

    const [sequenceTest, confirmationTest, sampleTest] = t.transport.sent;
    // Their data is there (that is what the test is for)...
    expect(sequenceTest!.html).toContain('Sasha');
    // ...but no link of ours in any part carries a token: each is the test placeholder.
    for (const m of t.transport.sent) {
      const parts = `${m.html}\n${m.text}\n${JSON.stringify(m.headers ?? {})}`;
      const links = [...parts.matchAll(/http:\/\/nurture\.test\/(u|p|confirm)\/([A-Za-z0-9._-]+)/g)];
      expect(links.length, m.subject).toBeGreaterThan(0);
      expect(new Set(links.map((l) => l[2])), m.subject).toEqual(new Set(['test-email']));
    }
    expect(sequenceTest!.headers?.['List-Unsubscribe']).toBe('<http://nurture.test/u/test-email>');
    expect(confirmationTest!.html).toContain('http://nurture.test/confirm/test-email');
    expect(sampleTest!.html).toContain('http://nurture.test/p/test-email');

    // What a recipient's mail client or click would do with them: a page saying it was a test, nobody changed.
    const answers = await Promise.all([
      t.app.request('/u/test-email', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' }),
      t.app.request('/p/test-email'),
      t.app.request('/p/test-email', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'action=delete&confirm=yes' }),
      t.app.request('/confirm/test-email', { method: 'POST' }),
    ]);
    for (const res of answers) expect(await res.text()).toContain('This was a test email');
    expect((await t.stores.subscribers.byId(s.id))!.status).toBe('active');
    expect((await t.stores.subscribers.byId(pending.id))!.status).toBe('pending');
  });

  it('POST /api/templates/:id/test takes JSON', async () => {
    const { app, transport, db, drain } = testApp();
    const s = addSubscriber(db, { email: 'who@example.org', firstName: 'Wren' });
    const json = (body: unknown) => asStaff({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const res = await app.request('/api/templates/confirmation/test', json({ to: 'tester@example.org', subscriberId: s.id }));
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ status: 'queued', deliveryId: expect.any(Number) });
    await drain();
    expect(transport.sent[0]).toMatchObject({ to: 'tester@example.org' });
    expect(transport.sent[0]!.html).toContain('Wren');
    for (const [body, status] of [
      [{ to: 'nope' }, 422],
      [{ to: 'ok@example.org', subscriberId: 'x' }, 422],
      [{ to: 'ok@example.org', subscriberId: 999 }, 404],
      [{ to: 'ok@example.org', subscriberId: {} }, 422],
      [{ to: ['ok@example.org'] }, 422],
      [[], 422],
    ] as const) {
      expect((await app.request('/api/templates/confirmation/test', json(body))).status).toBe(status);
    }
    expect((await app.request('/api/templates/nope/test', json({ to: 'ok@example.org' }))).status).toBe(404);
    const notJson = await app.request('/api/templates/confirmation/test', asStaff({ method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' }));
    expect(notJson.status).toBe(400);
    expect((await notJson.json()).error.code).toBe('bad_json');
    // A body sent as anything but JSON (here text/plain) is refused for its type.
    const plain = await app.request('/api/templates/confirmation/test', asStaff({ method: 'POST', body: '{"to":"ok@example.org"}' }));
    expect(plain.status).toBe(415);
    expect((await plain.json()).error.code).toBe('unsupported_media_type');
    expect(transport.sent).toHaveLength(1);
  });
});
