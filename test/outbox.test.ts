import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fixedClock } from '../src/clock.js';
import { createOutboxTransport } from '../src/mail/outbox.js';

const dirs: string[] = [];
function tmpDir() {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'outbox-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const email = {
  from: 'Harbor Clinic <education@localhost>',
  to: 'reader@example.org',
  subject: 'Hello — “quotes” & ünïcode',
  html: '<p>Hello <b>there</b></p>',
  text: 'Hello there',
  headers: { 'List-Unsubscribe': '<http://x.test/u/abc>', 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
};

describe('outbox transport', () => {
  it('writes a multipart/alternative .eml with all headers', async () => {
    const dir = tmpDir();
    const t = createOutboxTransport(dir, fixedClock('2026-01-01T00:00:00Z'));
    const [{ id }] = (await t.sendBatch([email])) as [{ id: string }];
    const files = fs.readdirSync(dir);
    expect(files).toEqual([`${id}.eml`]);
    const eml = fs.readFileSync(path.join(dir, files[0]!), 'utf8');
    expect(eml).toMatch(/^Content-Type: multipart\/alternative;/m);
    expect(eml).toMatch(/^Content-Type: text\/plain/m);
    expect(eml).toMatch(/^Content-Type: text\/html/m);
    expect(eml).toMatch(/^To: reader@example.org$/m);
    expect(eml).toMatch(/^List-Unsubscribe: <http:\/\/x.test\/u\/abc>$/m);
    expect(eml).toMatch(/^List-Unsubscribe-Post: List-Unsubscribe=One-Click$/m);
    expect(eml).toMatch(/^Date: Thu, 01 Jan 2026 00:00:00 \+0000$/m);
    expect(eml).toMatch(/^Subject: =\?UTF-8\?/m);
    expect(eml).not.toMatch(/^Reply-To:/m);
  });

  it('writes the Reply-To header when the email has one', async () => {
    const dir = tmpDir();
    const t = createOutboxTransport(dir, fixedClock('2026-01-01T00:00:00Z'));
    const [{ id }] = (await t.sendBatch([{ ...email, replyTo: 'care@clinic.example' }])) as [{ id: string }];
    expect(fs.readFileSync(path.join(dir, `${id}.eml`), 'utf8')).toMatch(/^Reply-To: care@clinic\.example\r?$/m);
  });

  it('writes a repeated idempotent batch only once', async () => {
    const dir = tmpDir();
    const t = createOutboxTransport(dir, fixedClock('2026-01-01T00:00:00Z'));
    const a = await t.sendBatch([email, { ...email, to: 'b@example.org' }], { idempotencyKey: 'batch-1' });
    const b = await t.sendBatch([email, { ...email, to: 'b@example.org' }], { idempotencyKey: 'batch-1' });
    expect(b).toEqual(a);
    expect(fs.readdirSync(dir)).toHaveLength(2);
  });
});
