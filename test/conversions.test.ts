import { describe, expect, it } from 'vitest';
import { activity } from '../db/sqlite/schema.js';
import type { SubscriberStatus } from '../db/types.js';
import { emailHash } from '../src/address.js';
import { markConverted } from '../src/subscribers/directory.js';
import { storesOf } from './helpers/app.js';
import { addSubscriber, asStaff, viewOf } from './helpers/staff.js';
import { TEST_SECRET, TEST_STAFF_PASSWORD, testApp } from './helpers/app.js';

const NOW = '2026-03-02T14:00:00.000Z';
const staff = { Authorization: `Basic ${Buffer.from(`staff:${TEST_STAFF_PASSWORD}`).toString('base64')}` };

function setup() {
  const t = testApp({ now: NOW });
  const add = (status: SubscriberStatus, email = `${status}@example.org`) =>
    addSubscriber(t.db, {
      email: status === 'erased' ? null : email,
      emailHash: emailHash(TEST_SECRET, email),
      timezone: 'Europe/Berlin',
      status,
      createdAt: 1,
      updatedAt: 1,
      nextStep: status === 'active' ? 4 : null,
      nextSendAt: status === 'active' ? Date.parse('2026-03-04T08:00:00Z') : null,
    });
  const row = (id: number) => viewOf(t.db, id);
  const convert = (id: number | string, headers: Record<string, string> = staff) =>
    t.app.request(`/api/subscribers/${id}/converted`, { method: 'POST', headers });
  return { ...t, add, row, convert };
}

describe('POST /api/subscribers/:id/converted', () => {
  it('needs the staff login: 401 with WWW-Authenticate, nothing changed', async () => {
    const { add, convert, row } = setup();
    const sub = add('active');
    const attempts: Record<string, string>[] = [{}, { Authorization: `Basic ${Buffer.from('staff:wrong').toString('base64')}` }];
    for (const headers of attempts) {
      const res = await convert(sub.id, headers);
      expect(res.status).toBe(401);
      expect(res.headers.get('WWW-Authenticate')).toMatch(/^Basic realm=/);
      expect(await res.json()).toEqual({ error: { code: 'unauthorized', message: expect.any(String) } });
    }
    expect(row(sub.id).status).toBe('active');
  });

  it('converts an active subscriber and ends the sequence', async () => {
    const { add, convert, row, db } = setup();
    const sub = add('active');
    const res = await convert(sub.id);
    expect(res.status).toBe(200);
    expect(res.headers.get('Cache-Control')).toBe('no-store');
    expect(await res.json()).toEqual({ subscriber: { id: sub.id, status: 'converted', convertedAt: NOW }, changed: true });
    expect(row(sub.id)).toMatchObject({ status: 'converted', convertedAt: Date.parse(NOW), nextStep: null, nextSendAt: null });
    expect(db.select().from(activity).all()).toEqual([expect.objectContaining({ subscriberId: sub.id, type: 'converted', at: Date.parse(NOW) })]);
  });

  it('is idempotent: a second call changes nothing and adds no activity', async () => {
    const { add, convert, db, clock } = setup();
    const sub = add('active');
    await convert(sub.id);
    clock.advance(60_000);
    const again = await convert(sub.id);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ subscriber: { id: sub.id, status: 'converted', convertedAt: NOW }, changed: false });
    expect(db.select().from(activity).all()).toHaveLength(1);
  });

  it('answers 404 for an unknown id and 400 for a malformed one', async () => {
    const { convert } = setup();
    const missing = await convert(999);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: { code: 'not_found', message: expect.any(String) } });
    for (const bad of ['abc', '0', '-1', '1.5', '99999999999999999999']) {
      const res = await convert(bad);
      expect(res.status).toBe(400);
      expect((await res.json()).error.code).toBe('bad_id');
    }
  });

  it('answers 409 for an erased subscriber and leaves them erased', async () => {
    const { add, convert, row } = setup();
    const sub = add('erased');
    const res = await convert(sub.id);
    expect(res.status).toBe(409);
    expect((await res.json()).error.code).toBe('erased');
    expect(row(sub.id)).toMatchObject({ status: 'erased', convertedAt: null });
  });

  it('refuses a cross-site browser request even with cached credentials', async () => {
    const { add, convert, row } = setup();
    const sub = add('active');
    const res = await convert(sub.id, { ...staff, 'Sec-Fetch-Site': 'cross-site' });
    expect(res.status).toBe(403);
    expect(row(sub.id).status).toBe('active');
  });
});

describe('markConverted', () => {
  it('converts completed subscribers', async () => {
    const { add, db, clock, row } = setup();
    const sub = add('completed');
    expect(await markConverted(storesOf(db), sub.id, clock.now())).toMatchObject({ ok: true, changed: true, subscriber: { status: 'converted' } });
    expect(row(sub.id).status).toBe('converted');
  });

  it('refuses a pending subscriber: they never started the sequence (409 pending, no button on their page)', async () => {
    const { add, db, clock, row, convert, app } = setup();
    const sub = add('pending');
    expect(await markConverted(storesOf(db), sub.id, clock.now())).toEqual({ ok: false, reason: 'pending' });
    const res = await convert(sub.id);
    expect(res.status).toBe(409);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('pending');
    expect(row(sub.id)).toMatchObject({ status: 'pending', convertedAt: null });
    const pendingPage = await (await app.request(`/staff/subscribers/${sub.id}`, asStaff())).text();
    expect(pendingPage).toContain('pending@example.org');
    expect(pendingPage).not.toContain('Mark converted');
    const other = add('active', 'reader@example.org');
    expect(await (await app.request(`/staff/subscribers/${other.id}`, asStaff())).text()).toContain('Mark converted');
  });

  it('keeps an unsubscribed or suppressed status but records the conversion', async () => {
    const { add, db, clock, row } = setup();
    for (const status of ['unsubscribed', 'suppressed'] as const) {
      const sub = add(status);
      expect(await markConverted(storesOf(db), sub.id, clock.now())).toMatchObject({ ok: true, changed: true, subscriber: { status } });
      expect(row(sub.id)).toMatchObject({ status, convertedAt: Date.parse(NOW) });
    }
    expect(db.select().from(activity).all().map((a) => a.type)).toEqual(['converted', 'converted']);
  });
});
