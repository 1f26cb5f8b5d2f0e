import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/clock.js';
import { createOutboxTransport } from '../../src/mail/outbox.js';
import { isOutboxId, listOutbox } from '../../src/mail/outbox-reader.js';
import { testApp, testConfig } from '../helpers/app.js';
import { addSubscriber, asStaff } from '../helpers/staff.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

async function outboxApp() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'staff-outbox-'));
  dirs.push(dir);
  const clock = fixedClock('2026-03-02T14:00:00Z');
  const transport = createOutboxTransport(dir, clock);
  const [first] = await transport.sendBatch([{
    from: 'Harbor Clinic <education@localhost>',
    to: 'first@example.org',
    subject: 'First — “quoted” ünïcode',
    html: '<p>Hello <b>first</b></p><script>alert(1)</script>',
    text: 'Hello first',
    headers: { 'List-Unsubscribe': '<http://nurture.test/u/abc>', 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
  }]);
  clock.advance(60_000);
  const [second] = await transport.sendBatch([{ from: 'Harbor Clinic <education@localhost>', to: 'second@example.org', subject: 'Second', html: '<p>2</p>', text: '2' }], { idempotencyKey: 'key-1' });
  // Make the file times follow the clock, so "newest first" is deterministic.
  fs.utimesSync(path.join(dir, `${first!.id}.eml`), new Date('2026-03-02T14:00:00Z'), new Date('2026-03-02T14:00:00Z'));
  fs.utimesSync(path.join(dir, `${second!.id}.eml`), new Date('2026-03-02T14:01:00Z'), new Date('2026-03-02T14:01:00Z'));
  fs.writeFileSync(path.join(dir, 'notes.eml'), 'not an outbox message');
  fs.writeFileSync(path.join(dir, `.${first!.id}.tmp`), 'half written');
  const t = testApp({ transport, config: testConfig({ outboxDir: dir }) });
  return { ...t, dir, firstId: first!.id, secondId: second!.id };
}

describe('outbox viewer', () => {
  it('is for admins only: each message holds a person’s address and working links', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nurture-outbox-roles-'));
    const clock = fixedClock('2026-03-02T14:00:00Z');
    const { app } = testApp({ config: testConfig({ outboxDir: dir }), clock, transport: createOutboxTransport(dir, clock) });
    for (const role of ['viewer', 'editor'] as const) {
      for (const path of ['/staff/outbox', '/staff/outbox/x/raw']) expect((await app.request(path, asStaff({}, role))).status, `${role} ${path}`).toBe(403);
      expect(await (await app.request('/staff', asStaff({}, role))).text()).not.toContain('href="/staff/outbox"');
    }
    expect((await app.request('/staff/outbox', asStaff({}, 'admin'))).status).toBe(200);
    expect(await (await app.request('/staff', asStaff({}, 'admin'))).text()).toContain('href="/staff/outbox"');
    fs.rmSync(dir, { recursive: true, force: true });
  });


  it('lists the messages newest first with their parsed headers, ignoring other files', async () => {
    const { app, dir, firstId, secondId } = await outboxApp();
    const { messages, total } = await listOutbox(dir);
    expect(total).toBe(2);
    expect(messages.map((m) => m.id)).toEqual([secondId, firstId]);
    expect(messages[1]).toMatchObject({ to: 'first@example.org', from: 'Harbor Clinic <education@localhost>', subject: 'First — “quoted” ünïcode' });
    const html = await (await app.request('/staff/outbox', asStaff())).text();
    expect(html).toContain('First — “quoted” ünïcode');
    expect(html.indexOf('Second')).toBeLessThan(html.indexOf('First'));
    expect(html).toContain(`href="/staff/outbox/${firstId}"`);
    expect(html).toContain('<td>2026-03-02 09:00</td><td>Harbor Clinic &lt;education@localhost&gt;</td><td>first@example.org</td>');
    expect(html).toContain('href="/staff/outbox"');
  });

  it('shows one message with its headers, a sandboxed html frame and the plain text', async () => {
    const { app, firstId } = await outboxApp();
    const res = await app.request(`/staff/outbox/${firstId}`, asStaff());
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('List-Unsubscribe-Post');
    expect(html).toContain('&lt;http://nurture.test/u/abc&gt;');
    expect(html).toMatch(new RegExp(`<iframe class="email desktop" title="[^"]+" sandbox="" src="/staff/outbox/${firstId}/html"`));
    expect(html).toContain('Hello first');

    const frame = await app.request(`/staff/outbox/${firstId}/html`, asStaff());
    expect(frame.status).toBe(200);
    expect(frame.headers.get('content-security-policy')).toMatch(/default-src 'none'.*frame-ancestors 'self'.*sandbox$/);
    expect(frame.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(await frame.text()).toContain('<b>first</b>');

    const raw = await app.request(`/staff/outbox/${firstId}/raw`, asStaff());
    expect(raw.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(raw.headers.get('content-disposition')).toBe(`attachment; filename="${firstId}.eml"`);
    expect(await raw.text()).toMatch(/^To: first@example.org$/m);
  });

  it('never reads a name that is not an outbox message (no traversal)', async () => {
    const { app, firstId } = await outboxApp();
    for (const id of ['notes', `.${firstId}`, '..%2F..%2Fetc%2Fpasswd', '..', `${firstId}.eml`, 'k-XYZ']) {
      for (const suffix of ['', '/html', '/raw']) {
        const res = await app.request(`/staff/outbox/${id}${suffix}`, asStaff());
        expect(res.status, `${id}${suffix}`).toBe(404);
      }
    }
    expect(isOutboxId('../k-0123456789abcdef0123456789abcdef')).toBe(false);
    expect(isOutboxId('k-0123456789abcdef0123456789abcdef')).toBe(true);
  });

  it('erasing a subscriber deletes the outbox messages addressed to them, and only those', async () => {
    const { app, db, dir, firstId, secondId } = await outboxApp();
    const s = addSubscriber(db, { email: 'first@example.org' });
    const res = await app.request(`/api/subscribers/${s.id}`, asStaff({ method: 'DELETE' }));
    expect(await res.json()).toMatchObject({ status: 'erased', outboxFilesRemoved: 1 });
    expect(fs.existsSync(path.join(dir, `${firstId}.eml`))).toBe(false);
    expect(fs.existsSync(path.join(dir, `${secondId}.eml`))).toBe(true);
    expect(fs.existsSync(path.join(dir, 'notes.eml'))).toBe(true);
  });

  it('correcting an address deletes the outbox messages addressed to the old one, in any spelling, and only those', async () => {
    const { app, db, dir, firstId, secondId } = await outboxApp();
    const s = addSubscriber(db, { email: 'First@Example.org' });
    const res = await app.request(`/api/subscribers/${s.id}/email`, asStaff({ method: 'POST', body: JSON.stringify({ email: 'first.meant@example.org' }), headers: { 'content-type': 'application/json' } }, 'editor'));
    expect(await res.json()).toMatchObject({ outcome: 'corrected' });
    expect(fs.existsSync(path.join(dir, `${firstId}.eml`))).toBe(false);
    expect(fs.existsSync(path.join(dir, `${secondId}.eml`))).toBe(true);
    expect(fs.existsSync(path.join(dir, 'notes.eml'))).toBe(true);
  });

  it('is absent when mail goes through a provider', async () => {
    const { app } = testApp();
    const res = await app.request('/staff/outbox', asStaff());
    expect(res.status).toBe(404);
    expect(await res.text()).toContain('No outbox');
    expect(await (await app.request('/staff', asStaff())).text()).not.toContain('href="/staff/outbox"');
  });

  it('shows an empty outbox when the directory does not exist yet', async () => {
    const dir = path.join(os.tmpdir(), `staff-outbox-missing-${process.pid}`);
    const { app } = testApp({ transport: createOutboxTransport(dir, fixedClock(0)), config: testConfig({ outboxDir: dir }) });
    const html = await (await app.request('/staff/outbox', asStaff())).text();
    expect(html).toContain('The outbox is empty.');
  });
});
