// A person's history in words: every activity type and every audit action
// has its wording, each line says who did it, and an erased person's history
// still reads (the audit log keeps who acted and on what).
import { describe, expect, it } from 'vitest';
import { ACTIVITY_TYPES, type ActivityRow, type ActivityType, type AuditEntry } from '../../db/types.js';
import { AUDIT_ACTIONS, type AuditAction } from '../../src/audit.js';
import { SEQUENCES } from '../../src/nurture/sequence.js';
import { ACTIVITY_WORDING, actorWords, AUDIT_DETAIL_WORDING, auditWords, subscriberHistory, type WordingContext } from '../../src/staff/history.js';
import { testApp } from '../helpers/app.js';
import { postForm, postJson, linkToken, signupForm } from '../helpers/public.js';
import { asStaff, basicAuthOf, historyRows } from '../helpers/staff.js';

const ctx: WordingContext = { catalogs: SEQUENCES, time: (ms) => new Date(ms).toISOString().slice(0, 16).replace('T', ' '), showAddresses: true };
const AT = Date.parse('2026-03-02T14:00:00Z');

/** A detail each activity type is recorded with; the Record makes a new type fail to compile here until it has one. */
const TYPICAL_DETAIL: Record<ActivityType, Record<string, unknown> | null> = {
  signup: { source: 'signup-form' },
  confirmation_sent: null,
  confirmed: { consentVersion: 'v1', nextStep: 2 },
  unsubscribed: { method: 'one-click', from: 'active' },
  bounced: { eventId: 'ev_1' },
  complained: { eventId: 'ev_2' },
  suppressed: { eventId: 'ev_3', suppressedType: 'bounce' },
  converted: { previousStatus: 'active' },
  completed: null,
  erased: null,
  paused: { via: 'preferences', weeks: 2, until: AT + 14 * 86_400_000 },
  resumed: { via: 'preferences' },
  reader_changed: { from: 'self', to: 'supporter' },
  enrolled: { sequence: 'consult-follow-up', by: 'click' },
  left_sequence: { sequence: 'consult-follow-up', by: 'subscriber' },
  address_corrected: { staff: 'eddie', previousStatus: 'suppressed' },
};

const row = (type: ActivityType, detail: Record<string, unknown> | null, id = 1, at = AT): ActivityRow => ({ id, subscriberId: 7, type, at, detail: detail === null ? null : JSON.stringify(detail) });
const entry = (action: AuditAction, actor: string, detail: Record<string, unknown> | null, id = 1, at = AT): AuditEntry => ({ id, at, actor, action, subscriberId: 7, detail });

/** A code as the database keeps it ("left_sequence", "subscriber.erased", a JSON brace): never in what staff read. */
const CODE = /[a-z]+_[a-z_]+|[a-z]+\.[a-z_]+|[{}[\]]/;

describe('every activity type in words', () => {
  it.each([...ACTIVITY_TYPES])('%s: with its detail and with none (erased), a sentence and no code', (type) => {
    expect(ACTIVITY_WORDING[type], `${type} has no wording`).toBeDefined();
    for (const detail of [TYPICAL_DETAIL[type], null]) {
      const [line] = subscriberHistory([row(type, detail)], [], ctx);
      expect(line!.what).toMatch(/^[A-Z]/);
      expect(line!.what).not.toMatch(CODE);
      expect(line!.what).not.toBe(type);
      expect(actorWords(line!.who)).toMatch(/^(The reader|The system|Staff: \w+|Staff \(name not recorded\))$/);
    }
  });

  it('every audit action has its name and detail in words', () => {
    for (const action of Object.keys(AUDIT_ACTIONS) as AuditAction[]) {
      expect(AUDIT_DETAIL_WORDING[action], `${action} has no wording`).toBeDefined();
      expect(auditWords({ action, detail: null }, ctx)).toBe(AUDIT_ACTIONS[action]);
    }
    const sample: [AuditAction, Record<string, unknown>, string][] = [
      ['subscriber.paused', { until: '2026-04-01T00:00:00.000Z' }, 'Paused their emails: until 2026-04-01 00:00'],
      ['subscriber.resent', { step: 7, deliveryId: 3 }, 'Sent a step again: Education series, email 7 of 8'],
      ['subscriber.updated', { fields: ['firstName', 'timezone'] }, 'Changed their details: changed first name, time zone'],
      ['subscriber.address_corrected', { deliveryId: 5, droppedEmails: 2 }, 'Corrected their address: a confirmation email to the new address; 2 emails waiting for the old one will not go'],
      ['subscriber.address_corrected', { spelling: true }, 'Corrected their address: the same address in another spelling: nothing sent'],
      ['subscriber.enrolled', { sequence: 'consult-follow-up' }, 'Started a sequence for them: Consult follow-up'],
      ['subscriber.erased', { retentionDays: 730, withdrawnFromBatches: 2 }, 'Erased personal data: 730 days after they left (the retention period); taken out of 2 waiting batches'],
      ['subscriber.erased', { unconfirmedDays: 30, withdrawnFromBatches: 0 }, 'Erased personal data: 30 days after an opt-in email they never confirmed'],
      ['subscribers.imported', { rows: 3, enrolled: 1, invited: 2, duplicate: 0, durationMs: 40 }, 'Imported a CSV file: 3 rows: 1 enrolled with a recorded consent, 2 invited to opt in'],
      ['batch.resolved', { batchId: 4, decision: 'sent' }, 'Decided a held batch: batch #4: counted as sent'],
      ['sequence.published', { sequence: 'consult-follow-up', version: 3, previous: 2, plan: 1 }, "Published a sequence version: Consult follow-up version 3 (was version 2), running version 1's emails again (a roll back)"],
      ['account.role_changed', { account: 'robin', from: 'viewer', to: 'editor' }, "Changed a staff account's role: robin from viewer to editor"],
      ['template.test_sent', { template: '01-welcome', to: 'qa@clinic.example', deliveryId: 9 }, 'Sent a test email: template 01-welcome, to qa@clinic.example'],
    ];
    for (const [action, detail, words] of sample) expect(auditWords({ action, detail }, ctx)).toBe(words);
    // A viewer is not shown the address a test went to.
    expect(auditWords({ action: 'template.test_sent', detail: { template: '01-welcome', to: 'qa@clinic.example' } }, { ...ctx, showAddresses: false })).toBe('Sent a test email: template 01-welcome');
    // An action this code does not know: its values as words, not JSON.
    expect(auditWords({ action: 'future.thing', detail: { batch_size: 3, note: 'ok' } }, ctx)).toBe('future.thing: batch size: 3, note: ok');
  });
});

describe('who did it', () => {
  it('the reader, a named staff member or the system, from the row or its audit entry', () => {
    const history = subscriberHistory(
      [
        row('signup', { source: 'signup-form' }, 1, AT),
        row('confirmation_sent', null, 2, AT + 1),
        row('confirmed', { consentVersion: 'v1' }, 3, AT + 2),
        row('paused', { via: 'preferences', weeks: 2, until: AT + 14 * 86_400_000 }, 4, AT + 3),
        row('resumed', { by: 'staff', staff: 'robin' }, 5, AT + 4),
        row('enrolled', { sequence: 'consult-follow-up', by: 'staff' }, 6, AT + 5),
        row('unsubscribed', { method: 'staff', staff: 'robin', reason: 'Phoned' }, 7, AT + 6),
        row('erased', null, 8, AT + 7),
      ],
      [
        entry('subscriber.resumed', 'robin', {}, 1, AT + 4),
        entry('subscriber.enrolled', 'ada', { sequence: 'consult-follow-up' }, 2, AT + 5),
        entry('subscriber.unsubscribed', 'robin', { reason: 'Phoned' }, 3, AT + 6),
        entry('subscriber.erased', 'system', { retentionDays: 730, withdrawnFromBatches: 0 }, 4, AT + 7),
      ],
      ctx,
    );
    expect(history.map((h) => `${h.what} | ${actorWords(h.who)}`)).toEqual([
      'Their personal data was erased 730 days after they left (the retention period); the address is kept only as a keyed hash so it is never mailed again | The system',
      'Unsubscribed on their behalf: “Phoned” | Staff: robin',
      'Started the consult follow-up | Staff: ada',
      'Resumed their emails | Staff: robin',
      'Paused their emails for 2 weeks until 2026-03-16 14:00 | The reader',
      'Confirmed their signup (consent recorded) | The reader',
      'The confirmation email went to them | The system',
      'Signed up on the form | The reader',
    ]);
  });

  it('an imported person: the importer added them and recorded the consent; staff with no audit entry are unnamed', () => {
    const history = subscriberHistory(
      [row('signup', { source: 'import' }, 1), row('confirmed', { consentVersion: 'import-abc' }, 2), row('converted', null, 3, AT + 3 * 60_000)],
      [entry('subscriber.imported', 'ada', { outcome: 'enrolled' }, 1)],
      ctx,
    );
    expect(history.map((h) => `${h.what} | ${actorWords(h.who)}`)).toEqual([
      'Marked as converted (booked a consult): their sequences ended | Staff (name not recorded)',
      'Consent recorded from the import file (they were not asked to confirm) | Staff: ada',
      'Added by a CSV import | Staff: ada',
    ]);
  });

  it('an audit entry out of the pairing window stands on its own', () => {
    const history = subscriberHistory([row('resumed', null, 1, AT)], [entry('subscriber.resumed', 'robin', {}, 1, AT + 5 * 60_000)], ctx);
    expect(history.map((h) => `${h.what} | ${actorWords(h.who)}`)).toEqual(['Resumed their emails | Staff: robin', 'Resumed their emails | The reader']);
  });
});

describe('the subscriber page history, through the real paths', () => {
  it('says what each did, before and after the person is erased', async () => {
    const t = testApp();
    expect((await postForm(t.app, '/subscribe', signupForm('history.reader@example.org'), { ip: '198.51.100.9' })).status).toBe(303);
    await t.drain();
    const confirmation = t.transport.sent.at(-1)!;
    t.clock.advance(60_000);
    expect((await t.app.request(`/confirm/${linkToken(confirmation, 'confirm')}`, { method: 'POST' })).status).toBe(200);
    await t.drain();
    const welcome = t.transport.sent.at(-1)!;
    const preferences = `/p/${linkToken(welcome, 'p')}`;
    const id = (await t.stores.subscribers.byId(1))!.id;
    const editor = { authorization: basicAuthOf('editor'), 'content-type': 'application/json' };

    t.clock.advance(60_000);
    expect((await postJson(t.app, preferences, { action: 'pause', weeks: 2 })).status).toBe(200);
    t.clock.advance(60_000);
    expect((await t.app.request(`/api/subscribers/${id}/resume`, { method: 'POST', headers: editor })).status).toBe(200);
    t.clock.advance(60_000);
    expect((await t.app.request(`/api/subscribers/${id}/sequences`, { method: 'POST', headers: editor, body: JSON.stringify({ sequence: 'consult-follow-up' }) })).status).toBe(201);
    t.clock.advance(60_000);
    expect((await postJson(t.app, preferences, { action: 'leave', sequence: 'consult-follow-up' })).status).toBe(200);
    t.clock.advance(60_000);
    expect((await t.app.request(`/u/${linkToken(welcome, 'u')}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' })).status).toBe(200);

    const rows = historyRows(await (await t.app.request(`/staff/subscribers/${id}`, asStaff({}, 'viewer'))).text());
    expect(rows).toEqual([
      // In the viewer's zone (the default here, New York; summer time starts on 8 March).
      "2026-03-02 09:06 | Unsubscribed with their mail program's unsubscribe button | The reader",
      '2026-03-02 09:05 | Left the consult follow-up and kept their other series | The reader',
      '2026-03-02 09:04 | Started the consult follow-up | Staff: eddie',
      '2026-03-02 09:03 | Resumed their emails | Staff: eddie',
      '2026-03-02 09:02 | Paused their emails for 2 weeks until 2026-03-16 10:02 (America/New_York) | The reader',
      '2026-03-02 09:01 | Confirmed their signup (consent recorded) | The reader',
      '2026-03-02 09:00 | The confirmation email went to them | The system',
      '2026-03-02 09:00 | Signed up on the form | The reader',
    ]);

    t.clock.advance(60_000);
    expect((await t.app.request(`/api/subscribers/${id}`, asStaff({ method: 'DELETE' }))).status).toBe(200);
    const erasedPage = await (await t.app.request(`/staff/subscribers/${id}`, asStaff())).text();
    expect(erasedPage).not.toContain('history.reader');
    // The details are gone from the rows; the audit log still says who acted and on which sequence.
    expect(historyRows(erasedPage)).toEqual([
      '2026-03-02 09:07 | Their personal data was erased; the address is kept only as a keyed hash so it is never mailed again | Staff: staff',
      '2026-03-02 09:06 | Unsubscribed | The reader',
      '2026-03-02 09:05 | Left a sequence and kept their other series | The reader',
      '2026-03-02 09:04 | Started the consult follow-up | Staff: eddie',
      '2026-03-02 09:03 | Resumed their emails | Staff: eddie',
      '2026-03-02 09:02 | Paused their emails | The reader',
      '2026-03-02 09:01 | Confirmed their signup (consent recorded) | The reader',
      '2026-03-02 09:00 | The confirmation email went to them | The system',
      '2026-03-02 09:00 | Signed up | The reader',
    ]);
  });
});
