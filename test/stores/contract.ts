/**
 * The store contract: what every engine's Stores must do, checked only
 * through the Stores interface (no SQL, no driver, no schema), so the same
 * suite runs unchanged against each implementation. Register it from one
 * `<engine>.test.ts` per engine with a fresh, empty database per test.
 */
import crypto from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Stores } from '../../db/stores.js';
import {
  PAGE_SIZE,
  type ActivityType,
  type Classification,
  type DecideImport,
  type DecideResend,
  type Begun,
  type DecideSignup,
  type ImportAudit,
  type ImportRecord,
  type DueAction,
  type DueRow,
  type FreshRequest,
  type ItemOutcome,
  type LoginFailure,
  type OutgoingEmail,
  type ProviderEventInput,
  type QueueSchedule,
  type ResendFacts,
  type RequestBody,
  type SignupAction,
  type SignupRecord,
  type StaffRole,
  type SubscriberStatus,
} from '../../db/types.js';
import { queueSchedule, REPLAY_WINDOW_MS, type QueueStep } from '../../src/nurture/decide.js';
import { batchRequest, deliveryIdOf, openRequest, requestWithout, resendEnvelope as envelope, tagDelivery } from '../../src/mail/envelope.js';
import { decideResend } from '../../src/nurture/send-again.js';
import { scheduleOptions } from '../../src/nurture/schedule.js';
import { classifyEvent } from '../../src/subscribers/engagement-flags.js';
import { CONFIRMATION_INTERVAL_MS, decideSignup } from '../../src/subscribers/subscribe.js';
import { decideImport } from '../../src/subscribers/import.js';
import { decideAddressCorrection } from '../../src/subscribers/correct-address.js';

// A Monday afternoon (UTC), inside the send window: step 1 may go at once.
const NOW = Date.parse('2026-03-02T14:00:00Z');
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const LEASE = 5 * MINUTE;

// A short stub sequence (like test/helpers/worker.ts's STUB_SEQUENCE): three steps reach the end quickly.
const SEQUENCE: QueueStep[] = [0, 2, 4].map((dayOffset, i) => ({ step: i + 1, dayOffset, templateId: `step-${i + 1}`, subject: `Lesson ${i + 1}` }));
const CONSULT: QueueStep[] = [2, 7].map((dayOffset, i) => ({ step: i + 1, dayOffset, templateId: `consult-${i + 1}`, subject: `Consult ${i + 1}` }));
const schedule = queueSchedule({ education: { version: 1, steps: SEQUENCE }, 'consult-follow-up': { version: 1, steps: CONSULT } }, scheduleOptions({ sendWindow: { startMinute: 9 * 60, endMinute: 17 * 60 } }));

const ALL_STATUSES: SubscriberStatus[] = ['pending', 'active', 'completed', 'converted', 'unsubscribed', 'suppressed', 'erased'];

const hashOf = (email: string) => crypto.createHash('sha256').update(`contract:${email}`).digest('hex');

function signupOf(email: string, over: Partial<SignupRecord> = {}): SignupRecord {
  return { email, emailHash: hashOf(email), firstName: 'Annabel', timezone: 'UTC', reader: null, source: 'signup-form', ip: '203.0.113.7', userAgent: 'ContractAgent/1.0', now: NOW, ...over };
}

/** The product's own signup decision, at `now`. */
const decideAt =
  (now: number): DecideSignup =>
  (existing, suppressed) =>
    decideSignup(existing, suppressed, now);

/** A decide function that always answers `action` and remembers what it was shown. */
function fixedDecide(action: SignupAction) {
  const calls: Parameters<DecideSignup>[] = [];
  const decide: DecideSignup = (...args) => {
    calls.push(args);
    return action;
  };
  return { decide, calls };
}

const consent = { text: 'Yes, send me the eight emails.', version: 'consent-v1', ip: '198.51.100.4', userAgent: 'ConfirmAgent/2.0' };
const sequenceVersion = 1;
const firstUndelivered = (delivered: number[]) => SEQUENCE.find((s) => !delivered.includes(s.step))?.step ?? null;

/** An import row: no consent (invite) unless `consentGiven` says when it was given. */
function importOf(email: string, consentGiven: number | null = null, over: Partial<SignupRecord> = {}): ImportRecord {
  const record = signupOf(email, { source: 'import', ip: null, userAgent: null, ...over });
  const confirm =
    consentGiven === null
      ? null
      : {
          now: record.now,
          consent: { text: 'Yes to the emails (clinic form).', version: 'import-1', ip: null, userAgent: null, source: 'Clinic intake form', givenAt: consentGiven },
          sequenceVersion,
          firstStep: firstUndelivered,
        };
  return { ...record, confirm };
}

/** The product's import decision. */
const decideImportRow: DecideImport = (existing, suppression, record) => decideImport(existing, suppression, record.confirm !== null);

const importAudit: ImportAudit = (subscriberId, action) => ({ at: NOW, actor: 'staff', action: 'subscriber.imported', subscriberId, detail: { outcome: action.kind } });

/** The schedule with its due decision replaced (the store must apply whatever it answers). */
/** What an erasure's rewrite answers when nothing of the request is left. */
const CLEARED = { kind: 'cleared' } as const;

function withDue(decideDue: (row: DueRow, now: number) => DueAction): QueueSchedule {
  return { ...schedule, decideDue };
}

export function describeStoreContract(engine: string, open: () => Promise<Stores>, close: (stores: Stores) => Promise<void> = (stores) => stores.close()): void {
  describe(`store contract (${engine})`, () => {
    let s: Stores;
    beforeEach(async () => {
      s = await open();
    });
    afterEach(async () => {
      await close(s);
    });

    // -------------------------------------------------------------------------
    // Helpers: set-up only through the stores.

    async function idOf(email: string): Promise<number> {
      const hit = (await s.subscribers.list({ q: email })).items.find((i) => i.email === email);
      if (!hit) throw new Error(`no subscriber ${email}`);
      return hit.id;
    }

    async function pending(email: string, over: Partial<SignupRecord> = {}): Promise<number> {
      const out = await s.subscribers.signup(signupOf(email, over), decideAt(over.now ?? NOW));
      expect(out.action.kind).toBe('create');
      return idOf(email);
    }

    /** Signed up and confirmed at `at`: step 1 due at `at`. */
    async function active(email: string, at = NOW, over: Partial<SignupRecord> = {}): Promise<number> {
      const id = await pending(email, { now: at, ...over });
      const sub = await s.subscribers.confirm(id, { now: at, consent, sequenceVersion, firstStep: firstUndelivered });
      expect(sub?.status).toBe('active');
      return id;
    }

    /** What a worker would render for a batch: each queued item's email, tagged with its delivery. */
    async function render(batchId: number): Promise<FreshRequest> {
      const emails: OutgoingEmail[] = [];
      const versions = new Map<number, string>();
      for (const item of await s.sendQueue.items(batchId)) {
        const to = item.email ?? item.toAddress;
        if (!to) continue;
        const email = { from: 'course@nurture.test', to, subject: `${item.templateId} for ${item.firstName ?? 'you'}`, html: `<p>${item.templateId}</p>`, text: item.templateId };
        emails.push(tagDelivery(email, item.deliveryId));
        versions.set(item.deliveryId, `v-${item.templateId}`);
      }
      return { emails, request: batchRequest(emails), versions };
    }

    /** Claims what is due at `at`, starts the attempt with a fresh render; the batch and what it sends. */
    async function claimAndBegin(at: number, owner = 'w1', limit = 100) {
      const claim = await s.sendQueue.claimDue(at, limit, owner, at + LEASE, schedule);
      if (claim.batchId === null) throw new Error('nothing claimed');
      const fresh = await render(claim.batchId);
      const begun = await s.sendQueue.beginAttempt(claim.batchId, owner, at, at, at + LEASE, fresh, schedule, envelope);
      if (begun.kind !== 'send') throw new Error(`expected send, got ${begun.kind}`);
      return { batchId: claim.batchId, claim, fresh, emails: begun.emails, key: begun.idempotencyKey };
    }

    const accepted = (emails: OutgoingEmail[]): ItemOutcome[] => emails.map((e) => ({ deliveryId: deliveryIdOf(e), providerId: `prov-${deliveryIdOf(e)}` }));

    /** One full round at `at`: claim, send, settle all as accepted. */
    async function sendDue(at: number) {
      const run = await claimAndBegin(at);
      const summary = await s.sendQueue.settle(run.batchId, accepted(run.emails), at, schedule);
      return { ...run, summary };
    }

    const emailTo = (emails: OutgoingEmail[], to: string) => {
      const e = emails.find((m) => m.to === to);
      if (!e) throw new Error(`no email to ${to}`);
      return e;
    };

    async function activityOf(id: number): Promise<ActivityType[]> {
      return (await s.subscribers.record(id))!.activity.map((a) => a.type);
    }

    async function deliveryOf(subscriberId: number, step: number) {
      const d = (await s.subscribers.record(subscriberId))!.deliveries.find((x) => x.kind === 'sequence' && x.step === step);
      if (!d) throw new Error(`no delivery of step ${step}`);
      return d;
    }

    async function batchRow(id: number) {
      const b = (await s.sendQueue.batches()).find((x) => x.id === id);
      if (!b) throw new Error(`no batch ${id}`);
      return b;
    }

    /** A request body's bytes (a Begun's body comes in pieces). */
    const bytes = (body: RequestBody) => Buffer.concat(body);
    /** A Begun with its body as bytes, to compare. */
    const flat = (b: Begun) => (b.kind === 'send' ? { ...b, body: bytes(b.body) } : b);

    /** Every batch row as text, its request body decoded (it is stored compressed). */
    async function batchesText(): Promise<string> {
      return JSON.stringify((await s.sendQueue.batches()).map((b) => ({ ...b, payload: b.payload === null ? null : Buffer.concat(openRequest(b.payload).body).toString() })));
    }

    /** A batch of A and B whose first attempt left at NOW and never got an answer (a crash). */
    async function inDoubtBatch() {
      const a = await active('a@example.org');
      const b = await active('b@example.org');
      const run = await claimAndBegin(NOW);
      return { a, b, ...run };
    }

    const event = (over: Partial<ProviderEventInput> & Pick<ProviderEventInput, 'eventId'>): ProviderEventInput => ({
      type: 'email.opened',
      providerId: null,
      occurredAt: NOW + HOUR,
      receivedAt: NOW + HOUR + 1000,
      detail: {},
      column: null,
      suppress: null,
      recipientHashes: [],
      ...over,
    });

    // -------------------------------------------------------------------------

    it('check() answers true on an open database', async () => {
      expect(await s.check()).toBe(true);
    });

    describe('subscribers.signup', () => {
      it('create: a pending subscriber with the typed details, a signup activity and its confirmation queued in the same call', async () => {
        const { decide, calls } = fixedDecide({ kind: 'create' });
        const out = await s.subscribers.signup(signupOf('new@example.org'), decide);
        expect(calls).toEqual([[undefined, null, 0]]);
        expect(out.action).toEqual({ kind: 'create' });
        expect(out.confirmationDeliveryId).toEqual(expect.any(Number));

        const id = await idOf('new@example.org');
        expect(await s.subscribers.byId(id)).toMatchObject({
          email: 'new@example.org',
          emailHash: hashOf('new@example.org'),
          firstName: 'Annabel',
          timezone: 'UTC',
          status: 'pending',
          source: 'signup-form',
          signupIp: '203.0.113.7',
          signupUserAgent: 'ContractAgent/1.0',
          tokenGeneration: 0,
          createdAt: NOW,
          confirmationSentAt: NOW,
          confirmedAt: null,
          nextStep: null,
          nextSendAt: null,
        });
        expect(await s.sendQueue.delivery(out.confirmationDeliveryId!)).toMatchObject({ id: out.confirmationDeliveryId, status: 'queued', sentAt: null });
        const record = (await s.subscribers.record(id))!;
        expect(record.deliveries.map((d) => [d.id, d.kind, d.step, d.status])).toEqual([[out.confirmationDeliveryId, 'confirmation', 0, 'queued']]);
        expect(record.activity.map((a) => a.type)).toEqual(['signup']);
      });

      it('resend: decide sees the existing row; same links, the new details kept aside until they confirm, another confirmation queued, no new signup counted', async () => {
        const id = await pending('p@example.org');
        const later = NOW + CONFIRMATION_INTERVAL_MS;
        const calls: Parameters<DecideSignup>[] = [];
        const out = await s.subscribers.signup(signupOf('p@example.org', { firstName: 'Bella', timezone: 'Europe/Paris', now: later }), (existing, suppressed, sent) => {
          calls.push([existing, suppressed, sent]);
          return decideSignup(existing, suppressed, later);
        });
        expect(calls[0]![0]).toMatchObject({ status: 'pending', confirmationSentAt: NOW });
        expect(calls[0]![1]).toBeNull();
        expect(out.action).toEqual({ kind: 'resend' });
        expect(out.confirmationDeliveryId).toEqual(expect.any(Number));
        expect(await s.subscribers.byId(id)).toMatchObject({ status: 'pending', firstName: 'Annabel', timezone: 'UTC', tokenGeneration: 0, confirmationSentAt: later, createdAt: NOW });
        expect(await s.subscribers.pendingDetails(id)).toMatchObject({ firstName: 'Bella', timezone: 'Europe/Paris', signedUpAt: later });
        const record = (await s.subscribers.record(id))!;
        expect(record.deliveries.filter((d) => d.kind === 'confirmation' && d.status === 'queued')).toHaveLength(2);
        expect(record.activity.map((a) => a.type)).toEqual(['signup']);
        expect((await s.subscribers.list({})).total).toBe(1);
        expect(await s.subscribers.confirm(id, { now: later + MINUTE, consent, sequenceVersion, firstStep: firstUndelivered })).toMatchObject({ firstName: 'Bella', timezone: 'Europe/Paris' });
      });

      it('none: nothing is changed and nothing queued', async () => {
        const id = await pending('p@example.org');
        const before = await s.subscribers.byId(id);
        const out = await s.subscribers.signup(signupOf('p@example.org', { firstName: 'Mallory', now: NOW + MINUTE }), decideAt(NOW + MINUTE));
        expect(out).toEqual({ action: { kind: 'none', reason: 'recently_sent' }, confirmationDeliveryId: null });
        expect(await s.subscribers.byId(id)).toEqual(before);
        expect((await s.subscribers.record(id))!.deliveries).toHaveLength(1);
      });

      it('reopen: an unsubscribed address is pending again with new links and a fresh confirmation; send:false queues none', async () => {
        const id = await active('u@example.org');
        await s.subscribers.unsubscribe(id, NOW + MINUTE, { via: 'link' });
        const t1 = NOW + HOUR;
        const out = await s.subscribers.signup(signupOf('u@example.org', { now: t1, source: 'api' }), decideAt(t1));
        expect(out.action).toEqual({ kind: 'reopen', send: true });
        expect(out.confirmationDeliveryId).toEqual(expect.any(Number));
        expect(await s.sendQueue.delivery(out.confirmationDeliveryId!)).toMatchObject({ status: 'queued' });
        expect(await s.subscribers.byId(id)).toMatchObject({ status: 'pending', tokenGeneration: 1, confirmationSentAt: t1, source: 'signup-form' });
        expect(await s.subscribers.pendingDetails(id)).toMatchObject({ source: 'api', signedUpAt: t1 });
        expect((await activityOf(id)).filter((t) => t === 'signup')).toHaveLength(2);

        // Unsubscribed again, then reopened without a send: new links still, but nothing queued and the last send time kept.
        await s.subscribers.unsubscribe(id, t1 + MINUTE, {});
        const confirmations = (await s.subscribers.record(id))!.deliveries.filter((d) => d.kind === 'confirmation').length;
        const quiet = fixedDecide({ kind: 'reopen', send: false });
        const out2 = await s.subscribers.signup(signupOf('u@example.org', { now: t1 + 2 * MINUTE }), quiet.decide);
        expect(quiet.calls[0]![0]).toMatchObject({ status: 'unsubscribed', confirmationSentAt: t1 });
        expect(out2).toEqual({ action: { kind: 'reopen', send: false }, confirmationDeliveryId: null });
        expect(await s.subscribers.byId(id)).toMatchObject({ status: 'pending', tokenGeneration: 2, confirmationSentAt: t1 });
        expect((await s.subscribers.record(id))!.deliveries.filter((d) => d.kind === 'confirmation')).toHaveLength(confirmations);
      });

      it("an unconfirmed re-signup never overwrites a person's stored details: name, reader, zone, spelling and signup record change when they confirm", async () => {
        const id = await active('u@example.org', NOW, { firstName: 'Annabel', reader: 'supporter', timezone: 'Europe/Berlin' });
        await s.subscribers.unsubscribe(id, NOW + MINUTE, {});
        const t1 = NOW + HOUR;
        const typed = { email: 'U@Example.org', firstName: 'Mallory', reader: null, timezone: 'Asia/Tokyo', source: 'api' as const, ip: '192.0.2.66', userAgent: 'Stranger/1', now: t1 };
        const out = await s.subscribers.signup(signupOf('u@example.org', typed), decideAt(t1));
        expect(out.action).toEqual({ kind: 'reopen', send: true });
        const stored = { email: 'u@example.org', firstName: 'Annabel', reader: 'supporter', timezone: 'Europe/Berlin', source: 'signup-form', signupIp: '203.0.113.7', signupUserAgent: 'ContractAgent/1.0' };
        expect(await s.subscribers.byId(id)).toMatchObject({ status: 'pending', tokenGeneration: 1, ...stored });
        expect(await s.subscribers.pendingDetails(id)).toEqual({
          subscriberId: id,
          email: 'U@Example.org',
          firstName: 'Mallory',
          reader: null,
          timezone: 'Asia/Tokyo',
          source: 'api',
          signupIp: '192.0.2.66',
          signupUserAgent: 'Stranger/1',
          signedUpAt: t1,
        });

        const confirmed = await s.subscribers.confirm(id, { now: t1 + MINUTE, consent, sequenceVersion, firstStep: firstUndelivered });
        expect(confirmed).toMatchObject({ status: 'active', email: 'U@Example.org', firstName: 'Mallory', reader: null, timezone: 'Asia/Tokyo', source: 'api', signupIp: '192.0.2.66', signupUserAgent: 'Stranger/1', consentSource: 'api' });
        expect(await s.subscribers.pendingDetails(id)).toBeNull();
        expect(await s.subscribers.pendingDetails(999_999)).toBeNull();
      });

      it('details kept aside go when the person unsubscribes or is erased instead of confirming', async () => {
        const left = await active('left@example.org');
        await s.subscribers.unsubscribe(left, NOW + MINUTE, {});
        await s.subscribers.signup(signupOf('left@example.org', { firstName: 'Mallory', now: NOW + HOUR }), decideAt(NOW + HOUR));
        expect(await s.subscribers.pendingDetails(left)).not.toBeNull();
        await s.subscribers.unsubscribe(left, NOW + 2 * HOUR, {});
        expect(await s.subscribers.pendingDetails(left)).toBeNull();
        expect(await s.subscribers.byId(left)).toMatchObject({ status: 'unsubscribed', firstName: 'Annabel' });

        const erased = await active('erased@example.org');
        await s.subscribers.unsubscribe(erased, NOW + MINUTE, {});
        await s.subscribers.signup(signupOf('erased@example.org', { firstName: 'Mallory', ip: '192.0.2.99', now: NOW + HOUR }), decideAt(NOW + HOUR));
        await s.subscribers.erase(erased, NOW + 2 * HOUR, () => CLEARED);
        expect(await s.subscribers.pendingDetails(erased)).toBeNull();
        expect(JSON.stringify(await s.subscribers.record(erased))).not.toContain('Mallory');
      });

      it('suppressionOf: the reason under the hash, else under the legacy hash, else null', async () => {
        await s.subscribers.suppress({ emailHash: hashOf('bounced@example.org'), reason: 'bounced', at: NOW });
        expect(await s.subscribers.suppressionOf({ emailHash: hashOf('bounced@example.org') })).toBe('bounced');
        expect(await s.subscribers.suppressionOf({ emailHash: hashOf('new@example.org'), legacyHash: hashOf('bounced@example.org') })).toBe('bounced');
        expect(await s.subscribers.suppressionOf({ emailHash: hashOf('new@example.org') })).toBeNull();
      });

      it('a suppressed hash never gets a confirmation: decide is told, nothing is created', async () => {
        await s.subscribers.suppress({ emailHash: hashOf('gone@example.org'), reason: 'complained', at: NOW });
        const calls: Parameters<DecideSignup>[] = [];
        const out = await s.subscribers.signup(signupOf('gone@example.org'), (existing, suppressed, sent) => {
          calls.push([existing, suppressed, sent]);
          return decideSignup(existing, suppressed, NOW);
        });
        expect(calls).toEqual([[undefined, 'complained', 0]]);
        expect(out).toEqual({ action: { kind: 'none', reason: 'suppressed' }, confirmationDeliveryId: null });
        expect((await s.subscribers.list({})).total).toBe(0);
        expect(await s.sendQueue.claimQueued(NOW, 10, 'w1', NOW + LEASE)).toBeNull();

        // A known subscriber, suppressed after a bounce, is not sent one either.
        const id = await active('b@example.org');
        await s.subscribers.suppress({ emailHash: hashOf('b@example.org'), reason: 'bounced', at: NOW + MINUTE });
        await s.sendQueue.claimQueued(NOW, 10, 'w1', NOW + LEASE); // the first confirmation, from the original signup
        const again = await s.subscribers.signup(signupOf('b@example.org', { now: NOW + HOUR }), decideAt(NOW + HOUR));
        expect(again).toEqual({ action: { kind: 'none', reason: 'suppressed' }, confirmationDeliveryId: null });
        expect((await s.subscribers.byId(id))!.status).toBe('suppressed');
        expect(await s.sendQueue.claimQueued(NOW + HOUR, 10, 'w1', NOW + HOUR + LEASE)).toBeNull();
      });

      it('two signups of one new address at the same moment create one subscriber and one confirmation', async () => {
        const [a, b] = await Promise.all([s.subscribers.signup(signupOf('twice@example.org'), decideAt(NOW)), s.subscribers.signup(signupOf('twice@example.org'), decideAt(NOW))]);
        expect([a.action.kind, b.action.kind].sort()).toEqual(['create', 'none']);
        expect((await s.subscribers.list({})).total).toBe(1);
        expect((await s.subscribers.record(await idOf('twice@example.org')))!.deliveries).toHaveLength(1);
      });

      it("the record's confirmation counter is read for the decision and counted only when a confirmation is queued", async () => {
        const confirmations = { key: 'limit:confirmations:c', windowMs: DAY };
        const seen: number[] = [];
        const decide: DecideSignup = (existing, suppression, sent) => (seen.push(sent), decideSignup(existing, suppression, NOW + seen.length * HOUR, sent >= 2));
        const at = (i: number) => signupOf('c@example.org', { now: NOW + i * HOUR, confirmations });
        expect((await s.subscribers.signup(at(1), decide)).action).toEqual({ kind: 'create' });
        expect((await s.subscribers.signup(at(2), decide)).action).toEqual({ kind: 'resend' });
        // Capped: nothing queued, nothing counted.
        expect((await s.subscribers.signup(at(3), decide)).action).toEqual({ kind: 'none', reason: 'daily_cap' });
        expect((await s.subscribers.signup(at(4), decide)).confirmationDeliveryId).toBeNull();
        expect(seen).toEqual([0, 1, 2, 2]);
        expect(await s.settings.peekHits(confirmations.key, NOW + 4 * HOUR, DAY)).toBe(2);
        expect(await s.settings.peekHits(confirmations.key, NOW + HOUR + DAY, DAY)).toBe(0);
      });

      it('two signups of one address at the same moment see each other in its confirmation counter', async () => {
        await pending('pair@example.org', { now: NOW - HOUR });
        const confirmations = { key: 'limit:confirmations:pair', windowMs: DAY };
        const decide: DecideSignup = (existing, suppression, sent) => decideSignup(existing, suppression, NOW, sent >= 1);
        const outs = await Promise.all([1, 2].map(() => s.subscribers.signup(signupOf('pair@example.org', { now: NOW, confirmations }), decide)));
        expect(outs.map((o) => o.action.kind).sort()).toEqual(['none', 'resend']);
        expect(await s.settings.peekHits(confirmations.key, NOW, DAY)).toBe(1);
      });
    });

    describe('subscribers.confirm', () => {
      it('confirms a pending subscriber once: consent recorded, first step due at once', async () => {
        const id = await pending('c@example.org', { source: 'import' });
        const seen: number[][] = [];
        const at = NOW + HOUR;
        const sub = await s.subscribers.confirm(id, {
          now: at,
          consent,
          sequenceVersion,
          firstStep: (delivered) => {
            seen.push(delivered);
            return 1;
          },
        });
        expect(seen).toEqual([[]]);
        expect(sub).toMatchObject({
          id,
          status: 'active',
          confirmedAt: at,
          consentText: consent.text,
          consentVersion: consent.version,
          consentIp: consent.ip,
          consentUserAgent: consent.userAgent,
          consentSource: 'import',
          consentGivenAt: at,
          nextStep: 1,
          nextSendAt: at,
        });
        expect(await s.subscribers.byId(id)).toEqual(sub);
        expect(await s.subscribers.confirm(id, { now: at + MINUTE, consent, sequenceVersion, firstStep: () => 1 })).toBeUndefined();
        expect((await s.subscribers.byId(id))!.confirmedAt).toBe(at);
        expect((await activityOf(id)).filter((t) => t === 'confirmed')).toHaveLength(1);
      });

      it('a consent given elsewhere and earlier keeps its own source and date; the sequence starts from the confirmation', async () => {
        const id = await pending('paper@example.org', { source: 'import', ip: null, userAgent: null });
        const givenAt = Date.parse('2025-11-20T00:00:00Z');
        const sub = await s.subscribers.confirm(id, {
          now: NOW,
          consent: { text: 'I agree to the emails (clinic form).', version: 'import-abc', ip: null, userAgent: null, source: 'Clinic intake form', givenAt },
          sequenceVersion,
          firstStep: firstUndelivered,
        });
        expect(sub).toMatchObject({
          status: 'active',
          confirmedAt: NOW,
          consentGivenAt: givenAt,
          consentSource: 'Clinic intake form',
          consentText: 'I agree to the emails (clinic form).',
          consentVersion: 'import-abc',
          consentIp: null,
          nextStep: 1,
          nextSendAt: NOW,
          sequenceVersion,
        });
      });

      it('two confirmations at the same moment confirm once', async () => {
        const id = await pending('c@example.org');
        const results = await Promise.all([1, 2].map(() => s.subscribers.confirm(id, { now: NOW + MINUTE, consent, sequenceVersion, firstStep: firstUndelivered })));
        expect(results.filter((r) => r !== undefined)).toHaveLength(1);
        expect((await activityOf(id)).filter((t) => t === 'confirmed')).toHaveLength(1);
      });

      it('only from pending: not for an unknown, active, unsubscribed or erased subscriber', async () => {
        const input = { now: NOW + HOUR, consent, sequenceVersion, firstStep: firstUndelivered };
        expect(await s.subscribers.confirm(999_999, input)).toBeUndefined();
        const act = await active('a@example.org');
        expect(await s.subscribers.confirm(act, input)).toBeUndefined();
        const unsub = await pending('u@example.org');
        await s.subscribers.unsubscribe(unsub, NOW + MINUTE, {});
        expect(await s.subscribers.confirm(unsub, input)).toBeUndefined();
        expect((await s.subscribers.byId(unsub))!.status).toBe('unsubscribed');
        const erased = await pending('e@example.org');
        await s.subscribers.erase(erased, NOW + MINUTE, () => CLEARED);
        expect(await s.subscribers.confirm(erased, input)).toBeUndefined();
        expect((await s.subscribers.byId(erased))!.status).toBe('erased');
      });

      it('firstStep receives the steps already delivered in an earlier round; none left completes at once', async () => {
        const id = await active('r@example.org');
        await sendDue(NOW);
        await s.subscribers.unsubscribe(id, NOW + HOUR, {});
        await s.subscribers.signup(signupOf('r@example.org', { now: NOW + 2 * HOUR }), decideAt(NOW + 2 * HOUR));
        const seen: number[][] = [];
        const sub = await s.subscribers.confirm(id, {
          now: NOW + 3 * HOUR,
          consent,
          sequenceVersion,
          firstStep: (delivered) => {
            seen.push([...delivered].sort());
            return firstUndelivered(delivered);
          },
        });
        expect(seen).toEqual([[1]]);
        expect(sub).toMatchObject({ status: 'active', nextStep: 2, nextSendAt: NOW + 3 * HOUR });

        const done = await pending('done@example.org');
        expect(await s.subscribers.confirm(done, { now: NOW + HOUR, consent, sequenceVersion, firstStep: () => null })).toMatchObject({ status: 'completed', confirmedAt: NOW + HOUR, nextStep: null, nextSendAt: null });
      });

      it('a step dropped before it went is not counted as delivered, and is queued again after re-subscribing', async () => {
        const id = await active('d@example.org');
        const claim = await s.sendQueue.claimDue(NOW, 10, 'w1', NOW + LEASE, schedule);
        const fresh = await render(claim.batchId!);
        await s.subscribers.unsubscribe(id, NOW + MINUTE, {});
        expect(flat(await s.sendQueue.beginAttempt(claim.batchId!, 'w1', NOW + MINUTE, NOW + MINUTE, NOW + LEASE, fresh, schedule, envelope))).toEqual({ kind: 'empty', dropped: 1 });
        const dropped = await deliveryOf(id, 1);
        expect(dropped.status).toBe('dropped');

        await s.subscribers.signup(signupOf('d@example.org', { now: NOW + HOUR }), decideAt(NOW + HOUR));
        const seen: number[][] = [];
        await s.subscribers.confirm(id, { now: NOW + 2 * HOUR, consent, sequenceVersion, firstStep: (d) => (seen.push(d), firstUndelivered(d)) });
        expect(seen).toEqual([[]]);
        const again = await s.sendQueue.claimDue(NOW + 2 * HOUR, 10, 'w1', NOW + 2 * HOUR + LEASE, schedule);
        const items = await s.sendQueue.items(again.batchId!);
        expect(items.map((i) => [i.subscriberId, i.step, i.kind])).toEqual([[id, 1, 'sequence']]);
        expect((await s.sendQueue.delivery(items[0]!.deliveryId))!.status).toBe('queued');
        // Still one delivery per (subscriber, step).
        expect((await s.subscribers.record(id))!.deliveries.filter((d) => d.kind === 'sequence')).toHaveLength(1);
      });
    });

    describe('subscribers.importRows', () => {
      const GIVEN = Date.parse('2025-11-20T00:00:00Z');

      it('invite: pending, the confirmation email queued, a signup from the import, and the audit entry', async () => {
        const [r] = await s.subscribers.importRows([importOf('inv@example.org', null, { firstName: 'Ines', timezone: 'Europe/Paris', reader: 'supporter' })], decideImportRow, importAudit);
        expect(r).toEqual({ action: { kind: 'invite' }, subscriberId: expect.any(Number), status: null });
        const id = r!.subscriberId!;
        expect(await s.subscribers.byId(id)).toMatchObject({
          email: 'inv@example.org',
          emailHash: hashOf('inv@example.org'),
          firstName: 'Ines',
          timezone: 'Europe/Paris',
          reader: 'supporter',
          status: 'pending',
          source: 'import',
          signupIp: null,
          confirmationSentAt: NOW,
          confirmedAt: null,
          nextStep: null,
        });
        const record = (await s.subscribers.record(id))!;
        expect(record.deliveries.map((d) => [d.kind, d.status])).toEqual([['confirmation', 'queued']]);
        expect(record.activity.map((a) => [a.type, JSON.parse(a.detail!)])).toEqual([['signup', { source: 'import' }]]);
        expect((await s.staff.auditLog({ subscriberId: id, page: 1, pageSize: 10 })).items).toEqual([
          { id: expect.any(Number), at: NOW, actor: 'staff', action: 'subscriber.imported', subscriberId: id, detail: { outcome: 'invite' } },
        ]);
        const batch = await s.sendQueue.claimQueued(NOW, 10, 'w1', NOW + LEASE);
        expect((await s.sendQueue.items(batch!)).map((i) => [i.subscriberId, i.kind])).toEqual([[id, 'confirmation']]);
        // Nothing of the sequence until they confirm.
        expect((await s.sendQueue.claimDue(NOW, 10, 'w1', NOW + LEASE, schedule)).batchId).toBeNull();
      });

      it('enrol with a first send time: step 1 is due when the decision says, given the row\'s zone', async () => {
        const seen: [number, string][] = [];
        const record = importOf('window@example.org', GIVEN, { timezone: 'Asia/Tokyo' });
        const firstSendAt = (step: number, timezone: string) => (seen.push([step, timezone]), NOW + 18 * HOUR);
        const [r] = await s.subscribers.importRows([{ ...record, confirm: { ...record.confirm!, firstSendAt } }], decideImportRow, importAudit);
        expect(seen).toEqual([[1, 'Asia/Tokyo']]);
        expect(await s.subscribers.byId(r!.subscriberId!)).toMatchObject({ status: 'active', confirmedAt: NOW, nextStep: 1, nextSendAt: NOW + 18 * HOUR });
        // The enrolment starts then (the schedule's day 0), so every plan of their emails agrees with the worker.
        expect((await s.subscribers.record(r!.subscriberId!))!.enrolments).toMatchObject([{ sequence: 'education', startedAt: NOW + 18 * HOUR, nextSendAt: NOW + 18 * HOUR }]);
        expect((await s.sendQueue.claimDue(NOW, 10, 'w1', NOW + LEASE, schedule)).batchId).toBeNull();
      });

      it('enrol: confirmed at once with the row\'s consent, step 1 due now, no confirmation email', async () => {
        const [r] = await s.subscribers.importRows([importOf('enr@example.org', GIVEN)], decideImportRow, importAudit);
        expect(r!.action).toEqual({ kind: 'enrol' });
        const id = r!.subscriberId!;
        expect(await s.subscribers.byId(id)).toMatchObject({
          status: 'active',
          source: 'import',
          confirmationSentAt: null,
          confirmedAt: NOW,
          consentText: 'Yes to the emails (clinic form).',
          consentVersion: 'import-1',
          consentSource: 'Clinic intake form',
          consentGivenAt: GIVEN,
          consentIp: null,
          nextStep: 1,
          nextSendAt: NOW,
        });
        expect(await activityOf(id)).toEqual(['signup', 'confirmed']);
        expect((await s.staff.auditLog({ subscriberId: id, page: 1, pageSize: 10 })).items.map((e) => e.detail)).toEqual([{ outcome: 'enrol' }]);
        expect(await s.sendQueue.claimQueued(NOW, 10, 'w1', NOW + LEASE)).toBeNull();
        // The batch item carries how they came, for the footer ("you agreed to receive these emails (SOURCE, DATE)").
        const claim = await s.sendQueue.claimDue(NOW, 10, 'w1', NOW + LEASE, schedule);
        expect(await s.sendQueue.items(claim.batchId!)).toMatchObject([
          { subscriberId: id, source: 'import', consentSource: 'Clinic intake form', consentVersion: 'import-1', consentGivenAt: GIVEN },
        ]);
      });

      it('decide sees each address\'s subscriber and suppression; none changes nothing and creates nothing', async () => {
        const act = await active('act@example.org');
        const unsub = await active('unsub@example.org');
        await s.subscribers.unsubscribe(unsub, NOW + MINUTE, {});
        const bounced = await active('bounced@example.org');
        await s.subscribers.suppress({ emailHash: hashOf('bounced@example.org'), reason: 'bounced', at: NOW });
        await s.subscribers.suppress({ emailHash: hashOf('listed@example.org'), reason: 'complained', at: NOW });
        const erased = await active('erased@example.org');
        await s.subscribers.erase(erased, NOW + MINUTE, () => CLEARED);
        const before = await Promise.all([act, unsub, bounced].map((id) => s.subscribers.byId(id)));
        const total = (await s.subscribers.list({})).total;
        const audits = (await s.staff.auditLog({ page: 1, pageSize: 10 })).total;
        await s.sendQueue.claimQueued(NOW, 100, 'w1', NOW + LEASE); // the signups' own confirmations

        const seen: Parameters<DecideImport>[] = [];
        const rows = ['act', 'unsub', 'bounced', 'listed', 'erased'].map((n) => importOf(`${n}@example.org`, GIVEN));
        const results = await s.subscribers.importRows(rows, (...args) => (seen.push(args), decideImportRow(...args)), importAudit);
        expect(seen.map(([existing, suppression]) => [existing && { id: existing.id, status: existing.status }, suppression])).toEqual([
          [{ id: act, status: 'active' }, null],
          [{ id: unsub, status: 'unsubscribed' }, null],
          [{ id: bounced, status: 'suppressed' }, 'bounced'],
          [undefined, 'complained'],
          [undefined, 'erased'],
        ]);
        expect(results).toEqual([
          { action: { kind: 'none', reason: 'exists' }, subscriberId: act, status: 'active' },
          { action: { kind: 'none', reason: 'exists' }, subscriberId: unsub, status: 'unsubscribed' },
          { action: { kind: 'none', reason: 'suppressed' }, subscriberId: bounced, status: 'suppressed' },
          { action: { kind: 'none', reason: 'suppressed' }, subscriberId: null, status: null },
          { action: { kind: 'none', reason: 'erased' }, subscriberId: null, status: null },
        ]);
        expect(await Promise.all([act, unsub, bounced].map((id) => s.subscribers.byId(id)))).toEqual(before);
        expect((await s.subscribers.list({})).total).toBe(total);
        expect((await s.staff.auditLog({ page: 1, pageSize: 10 })).total).toBe(audits);
        expect(await s.sendQueue.claimQueued(NOW, 100, 'w1', NOW + LEASE)).toBeNull();
      });

      it('a chunk answers per row in order; one that fails (or names an address twice) writes nothing', async () => {
        const rows = [importOf('a@example.org'), importOf('b@example.org', GIVEN), importOf('c@example.org')];
        const results = await s.subscribers.importRows(rows, decideImportRow, importAudit);
        expect(results.map((r) => r.action.kind)).toEqual(['invite', 'enrol', 'invite']);
        expect(new Set(results.map((r) => r.subscriberId)).size).toBe(3);
        for (const [i, r] of results.entries()) expect((await s.subscribers.byId(r.subscriberId!))!.email).toBe(rows[i]!.email);

        const failing: DecideImport = (existing, suppression, record) => {
          if (record.email === 'boom@example.org') throw new Error('boom');
          return decideImportRow(existing, suppression, record);
        };
        await expect(s.subscribers.importRows([importOf('d@example.org'), importOf('e@example.org', GIVEN), importOf('boom@example.org')], failing, importAudit)).rejects.toThrow('boom');
        await expect(s.subscribers.importRows([importOf('f@example.org'), importOf('f@example.org')], decideImportRow, importAudit)).rejects.toThrow();
        expect((await s.subscribers.list({})).total).toBe(3);
        expect((await s.staff.auditLog({ page: 1, pageSize: 10 })).total).toBe(3);
        expect((await s.sendQueue.claimDue(NOW, 10, 'w1', NOW + LEASE, schedule)).due).toBe(1);
      });

      it('an import and a signup of one new address at the same moment create one subscriber', async () => {
        const [imported, signed] = await Promise.all([
          s.subscribers.importRows([importOf('race@example.org'), importOf('other@example.org')], decideImportRow, importAudit),
          s.subscribers.signup(signupOf('race@example.org'), decideAt(NOW)),
        ]);
        // Whichever came second found the first one's subscriber.
        expect([imported[0]!.action.kind === 'invite', signed.action.kind === 'create'].filter(Boolean)).toHaveLength(1);
        expect((await s.subscribers.list({ q: 'race@' })).total).toBe(1);
        const id = await idOf('race@example.org');
        expect((await s.subscribers.record(id))!.deliveries.filter((d) => d.kind === 'confirmation')).toHaveLength(1);
      });
    });

    describe('subscribers.resendConfirmation', () => {
      const counter = { keyPrefix: 'limit:confirmations:', windowMs: DAY };
      const allowAll = (seen: number[]) => (_existing: unknown, _suppression: string | null, sentInWindow: number) => (seen.push(sentInWindow), null);

      it("a pending person's confirmation again: same links, queued, counted on the address's counter in the same transaction", async () => {
        const id = await pending('p@example.org');
        const seen: number[] = [];
        const first = await s.subscribers.resendConfirmation(id, { now: NOW + HOUR, staff: 'eddie', counter }, allowAll(seen));
        const second = await s.subscribers.resendConfirmation(id, { now: NOW + 2 * HOUR, staff: 'eddie', counter }, allowAll(seen));
        expect(first).toMatchObject({ ok: true, reopened: false });
        expect(second).toMatchObject({ ok: true, reopened: false });
        expect(seen).toEqual([0, 1]);
        expect(await s.subscribers.byId(id)).toMatchObject({ status: 'pending', tokenGeneration: 0, confirmationSentAt: NOW + 2 * HOUR });
        expect(await s.settings.peekHits(`limit:confirmations:${(await s.subscribers.byId(id))!.emailHash}`, NOW + 2 * HOUR, DAY)).toBe(2);
        // Refused: nothing queued, nothing counted.
        expect(await s.subscribers.resendConfirmation(id, { now: NOW + 3 * HOUR, staff: 'eddie', counter }, () => 'daily_cap')).toEqual({ ok: false, reason: 'daily_cap' });
        expect((await s.subscribers.record(id))!.deliveries.filter((d) => d.kind === 'confirmation')).toHaveLength(3);
        expect(await s.subscribers.resendConfirmation(999_999, { now: NOW, staff: 'eddie', counter }, allowAll([]))).toEqual({ ok: false, reason: 'not_found' });
      });

      it('an unsubscribed person gets a new opt-in: pending again with new links, by staff, and only their confirmation brings them back', async () => {
        const id = await active('u@example.org');
        await s.subscribers.unsubscribe(id, NOW + MINUTE, {});
        const before = (await s.subscribers.byId(id))!.tokenGeneration;
        const r = await s.subscribers.resendConfirmation(id, { now: NOW + HOUR, staff: 'eddie', counter }, allowAll([]));
        expect(r).toMatchObject({ ok: true, reopened: true });
        expect(await s.subscribers.byId(id)).toMatchObject({ status: 'pending', tokenGeneration: before + 1, confirmationSentAt: NOW + HOUR });
        const signups = (await s.subscribers.record(id))!.activity.filter((a) => a.type === 'signup');
        expect(signups.at(-1)).toMatchObject({ at: NOW + HOUR });
        expect(JSON.parse(signups.at(-1)!.detail!)).toEqual({ source: 'staff', staff: 'eddie', resubscribe: true });
        const back = await s.subscribers.confirm(id, { now: NOW + 2 * HOUR, consent, sequenceVersion, firstStep: firstUndelivered });
        expect(back?.status).toBe('active');
      });
    });

    describe('kept import reports', () => {
      const rowOf = (row: number, email: string, over: Partial<{ emailHash: string | null; outcome: string; subscriberId: number | null }> = {}) => ({
        row,
        email,
        emailHash: null,
        outcome: 'invalid',
        subscriberId: null,
        problems: JSON.stringify([`row ${row}`]),
        cells: JSON.stringify({ email }),
        ...over,
      });
      const keep = (createdAt: number, rows: ReturnType<typeof rowOf>[], expiresAt = createdAt + 30 * DAY) =>
        s.subscribers.keepImportReport({ createdAt, actor: 'staff', expiresAt, summary: JSON.stringify({ rows: rows.length }), notes: '[]', rows });

      it('keeps a report with its rows to fix, lists the unexpired newest first, and drops the expired with their rows', async () => {
        const old = await keep(NOW - 40 * DAY, [rowOf(2, 'gone@example.org')]);
        const a = await keep(NOW - DAY, [rowOf(5, 'e@example.org'), rowOf(3, 'c@example.org')]);
        const many = Array.from({ length: 1201 }, (_, i) => rowOf(i + 2, `m${i}@example.org`));
        const b = await keep(NOW, many);
        const listed = await s.subscribers.importReports(NOW, 10);
        expect(listed.map((r) => [r.id, r.rowsToFix])).toEqual([
          [b, 1201],
          [a, 2],
        ]);
        expect(listed[1]).toEqual({ id: a, createdAt: NOW - DAY, actor: 'staff', expiresAt: NOW + 29 * DAY, summary: '{"rows":2}', notes: '[]', rowsToFix: 2 });
        expect(await s.subscribers.importReports(NOW, 1)).toHaveLength(1);
        const got = await s.subscribers.importReport(a, NOW);
        expect(got?.report).toEqual(listed[1]);
        expect(got?.rows.map((r) => [r.row, r.email, r.reportId, JSON.parse(r.problems)])).toEqual([
          [3, 'c@example.org', a, ['row 3']],
          [5, 'e@example.org', a, ['row 5']],
        ]);
        expect((await s.subscribers.importReport(b, NOW))?.rows).toHaveLength(1201);
        expect(await s.subscribers.importReport(old, NOW)).toBeNull();
        expect(await s.subscribers.importReport(999_999, NOW)).toBeNull();
        expect(await s.subscribers.dropExpiredImportReports(NOW)).toBe(1);
        expect(await s.subscribers.dropExpiredImportReports(NOW)).toBe(0);
        expect(await s.subscribers.importReport(old, NOW - 40 * DAY)).toBeNull();
        // At its expiry it is gone.
        expect(await s.subscribers.importReport(a, NOW + 29 * DAY)).toBeNull();
        expect(await s.subscribers.dropExpiredImportReports(NOW + 29 * DAY)).toBe(1);
        expect((await s.subscribers.importReports(NOW, 10)).map((r) => r.id)).toEqual([b]);
      });

      it("a person's erasure deletes the kept rows that name them: by their address's hash, or as the person the row created", async () => {
        const ann = await pending('ann@example.org');
        const bob = await pending('bob@example.org');
        const id = await keep(NOW, [
          rowOf(2, 'ann@example.org', { emailHash: hashOf('ann@example.org') }),
          rowOf(3, 'Ann@Example.org', { emailHash: hashOf('ann@example.org'), outcome: 'invited', subscriberId: ann }),
          rowOf(4, 'not an address'),
          rowOf(5, 'bob@gmial.com', { emailHash: hashOf('bob@gmial.com'), outcome: 'invited', subscriberId: bob }),
          rowOf(6, 'carol@example.org', { emailHash: hashOf('carol@example.org') }),
        ]);
        await s.subscribers.erase(ann, NOW + MINUTE, () => CLEARED);
        expect((await s.subscribers.importReport(id, NOW))!.rows.map((r) => r.row)).toEqual([4, 5, 6]);
        await s.subscribers.erase(bob, NOW + MINUTE, () => CLEARED);
        const left = (await s.subscribers.importReport(id, NOW))!;
        expect(left.rows.map((r) => r.row)).toEqual([4, 6]);
        expect(left.report.rowsToFix).toBe(2);
      });
    });

    describe('subscribers.correctAddress', () => {
      const counter = { keyPrefix: 'limit:confirmations:', windowMs: DAY };
      const correction = (email: string, now: number, hash = hashOf(email)) => ({ email, hashes: { emailHash: hash }, now, staff: 'eddie', counter });
      const correct = (id: number, email: string, now: number, hash?: string) => {
        const input = correction(email, now, hash);
        return s.subscribers.correctAddress(id, input, (facts) => decideAddressCorrection(facts, email, now), requestWithout);
      };

      it('a later sequence entered from the old address ends; the education series waits for the confirmation and then goes on', async () => {
        const a = await active('typo@exmaple.org');
        await sendDue(NOW);
        await s.subscribers.enrol(a, { sequence: 'consult-follow-up', now: NOW + HOUR, version: 1, firstStep: 1, by: 'click', at: () => NOW + DAY });
        expect((await correct(a, 'typo@example.org', NOW + 2 * HOUR)).ok).toBe(true);
        const after = await s.subscribers.enrolments(a);
        expect(after.find((e) => e.sequence === 'consult-follow-up')).toMatchObject({ endedAt: NOW + 2 * HOUR, endedReason: 'staff', nextStep: null, nextSendAt: null });
        expect(after.find((e) => e.sequence === 'education')).toMatchObject({ endedAt: null, nextStep: null, nextSendAt: null });
        // Nothing is claimed while they are pending, and nothing is left in flight to hold their emails back later.
        expect((await s.sendQueue.claimDue(NOW + 3 * DAY, 10, 'w1', NOW + 3 * DAY + LEASE, schedule)).due).toBe(0);
        const back = await s.subscribers.confirm(a, { now: NOW + 3 * DAY, consent, sequenceVersion, firstStep: firstUndelivered });
        expect(back).toMatchObject({ status: 'active', nextStep: 2 });
        const claim = await s.sendQueue.claimDue(NOW + 3 * DAY, 10, 'w1', NOW + 3 * DAY + LEASE, schedule);
        expect(claim.batchId).not.toBeNull();
        expect((await s.sendQueue.items(claim.batchId!)).map((i) => [i.sequence, i.step, i.email])).toEqual([['education', 2, 'typo@example.org']]);
      });

      it('a new address: the row holds it, pending with new links, its confirmation queued and counted; nothing of the old address is left in their rows', async () => {
        const typo = 'annabel@exmaple.org';
        const a = await active(typo);
        await active('b@example.org');
        const first = await sendDue(NOW);
        await s.events.record(event({ eventId: 'evt-typo', providerId: `prov-${deliveryIdOf(emailTo(first.emails, typo))}`, column: 'deliveredAt', detail: { to: [typo] } }));
        // Step 2 to both was refused with an answer: the request is kept, to be rebuilt.
        const later = NOW + 2 * DAY;
        const run = await claimAndBegin(later);
        await s.sendQueue.markKnownFailure(run.batchId, 'w1', `422 ${typo} has no mail server`);
        await s.sendQueue.release(run.batchId, 'w1', null, '422', true);
        const before = (await s.subscribers.byId(a))!;

        const at = later + HOUR;
        // Dropped: step 2, and the confirmation email that never went (they were confirmed directly).
        const out = await correct(a, 'annabel@example.org', at);
        expect(out).toMatchObject({ ok: true, kind: 'corrected', previousStatus: 'active', previousEmail: typo, droppedDeliveries: 2 });
        expect(await s.subscribers.byId(a)).toMatchObject({
          email: 'annabel@example.org',
          emailHash: hashOf('annabel@example.org'),
          status: 'pending',
          tokenGeneration: before.tokenGeneration + 1,
          confirmationSentAt: at,
          nextSendAt: null,
        });
        const record = (await s.subscribers.record(a))!;
        expect(JSON.stringify(record)).not.toContain(typo);
        expect(record.deliveries.find((d) => d.step === 1 && d.kind === 'sequence')!.events).toHaveLength(1);
        expect(await batchesText()).not.toContain(typo);
        expect((await deliveryOf(a, 1)).status).toBe('sent');
        expect((await deliveryOf(a, 2)).status).toBe('dropped');
        expect(record.deliveries.filter((d) => d.kind === 'confirmation' && d.status === 'queued')).toHaveLength(1);
        expect(record.activity.at(-1)).toMatchObject({ type: 'address_corrected', at });
        expect(JSON.parse(record.activity.at(-1)!.detail!)).toEqual({ staff: 'eddie', previousStatus: 'active' });
        expect(await s.settings.peekHits(`limit:confirmations:${hashOf('annabel@example.org')}`, at, DAY)).toBe(1);
        // The rebuilt request goes to B only.
        expect(await s.sendQueue.claimStale(at, at, 'w2', at + LEASE)).toBe(run.batchId);
        const begun = await s.sendQueue.beginAttempt(run.batchId, 'w2', at, at, at + LEASE, null, schedule, envelope);
        expect(begun.kind === 'send' && begun.emails.map((e) => e.to)).toEqual(['b@example.org']);

        // The old address is nobody's now: a signup of it is a new person.
        expect((await s.subscribers.signup(signupOf(typo, { now: at + HOUR }), decideAt(at + HOUR))).action).toEqual({ kind: 'create' });
        // Confirming from the new address takes the series up from the email they never had.
        const back = await s.subscribers.confirm(a, { now: at + 2 * HOUR, consent, sequenceVersion, firstStep: firstUndelivered });
        expect(back).toMatchObject({ status: 'active', nextStep: 2 });
      });

      it("a pending person's queued confirmations and a signup kept aside go with the old address", async () => {
        const p = await pending('p@exmaple.org');
        await s.subscribers.signup(signupOf('p@exmaple.org', { now: NOW + 11 * MINUTE, firstName: 'Bella' }), decideAt(NOW + 11 * MINUTE));
        expect(await s.subscribers.pendingDetails(p)).not.toBeNull();
        const out = await correct(p, 'p@example.org', NOW + 12 * MINUTE);
        expect(out).toMatchObject({ ok: true, kind: 'corrected', previousStatus: 'pending', droppedDeliveries: 2 });
        expect(await s.subscribers.pendingDetails(p)).toBeNull();
        const claimed = await s.sendQueue.claimQueued(NOW + 12 * MINUTE, 10, 'w1', NOW + 12 * MINUTE + LEASE);
        expect((await render(claimed!)).emails.map((e) => e.to)).toEqual(['p@example.org']);
      });

      it('an email whose request is in doubt is repeated as it is (it may have gone); nothing else of theirs goes', async () => {
        const { a, batchId } = await inDoubtBatch();
        // Only the confirmation email that never went (they were confirmed directly) is dropped.
        expect(await correct(a, 'a.corrected@example.org', NOW + MINUTE)).toMatchObject({ ok: true, droppedDeliveries: 1 });
        expect((await deliveryOf(a, 1)).status).toBe('queued');
        expect((await s.sendQueue.batch(batchId))!.payload).not.toBeNull();
      });

      it("refused and nothing changes: another person's address, a suppressed or erased one, the daily cap, 10 minutes, a converted or erased person", async () => {
        const a = await pending('a@exmaple.org');
        const other = await active('other@example.org');
        const same = async () => {
          expect(await s.subscribers.byId(a)).toMatchObject({ email: 'a@exmaple.org', emailHash: hashOf('a@exmaple.org'), status: 'pending', tokenGeneration: 0 });
          expect((await s.subscribers.record(a))!.deliveries).toHaveLength(1);
        };
        expect(await correct(a, 'Other@Example.org', NOW + HOUR, hashOf('other@example.org'))).toEqual({ ok: false, reason: 'address_in_use', holderId: other });
        await s.subscribers.suppress({ emailHash: hashOf('bounced@example.org'), reason: 'bounced', at: NOW });
        expect(await correct(a, 'bounced@example.org', NOW + HOUR)).toEqual({ ok: false, reason: 'suppressed_address' });
        const gone = await active('gone@example.org');
        await s.subscribers.erase(gone, NOW, () => CLEARED);
        expect(await correct(a, 'gone@example.org', NOW + HOUR)).toEqual({ ok: false, reason: 'suppressed_address' });
        for (let i = 0; i < 3; i++) await s.settings.countHit(`limit:confirmations:${hashOf('busy@example.org')}`, NOW + i * 20 * MINUTE, DAY);
        expect(await correct(a, 'busy@example.org', NOW + HOUR)).toEqual({ ok: false, reason: 'daily_cap' });
        await s.settings.countHit(`limit:confirmations:${hashOf('just.mailed@example.org')}`, NOW + HOUR, DAY);
        expect(await correct(a, 'just.mailed@example.org', NOW + HOUR + 9 * MINUTE)).toEqual({ ok: false, reason: 'recently_sent' });
        await same();
        expect(await s.settings.peekHits(`limit:confirmations:${hashOf('bounced@example.org')}`, NOW + HOUR, DAY)).toBe(0);
        expect(await correct(a, 'just.mailed@example.org', NOW + HOUR + 11 * MINUTE)).toMatchObject({ ok: true, kind: 'corrected' });

        await s.subscribers.markConverted(other, NOW + HOUR);
        expect(await correct(other, 'other@example.net', NOW + 2 * HOUR)).toEqual({ ok: false, reason: 'not_correctable' });
        expect(await correct(gone, 'new@example.org', NOW + 2 * HOUR)).toEqual({ ok: false, reason: 'not_found' });
        expect(await correct(999_999, 'new@example.org', NOW + 2 * HOUR)).toEqual({ ok: false, reason: 'not_found' });
      });

      it('the same address in another spelling: only the spelling is stored; nothing sent, links and status kept', async () => {
        const a = await active('annabel.lee@example.org');
        const hash = hashOf('annabel.lee@example.org');
        expect(await correct(a, 'annabel.lee@example.org', NOW + HOUR, hash)).toEqual({ ok: true, kind: 'unchanged' });
        expect(await correct(a, 'Annabel.Lee@example.org', NOW + HOUR, hash)).toEqual({ ok: true, kind: 'respelled' });
        expect(await s.subscribers.byId(a)).toMatchObject({ email: 'Annabel.Lee@example.org', emailHash: hash, status: 'active', tokenGeneration: 0 });
        expect((await s.subscribers.record(a))!.deliveries.filter((d) => d.kind === 'confirmation')).toHaveLength(1);
      });
    });

    describe('subscribers.unsubscribe', () => {
      it('stops all mail, once: a second call answers undefined and changes nothing', async () => {
        const id = await active('u@example.org');
        const row = await s.subscribers.unsubscribe(id, NOW + MINUTE, { via: 'one-click' });
        expect(row).toMatchObject({ id, status: 'unsubscribed', unsubscribedAt: NOW + MINUTE, nextStep: null, nextSendAt: null });
        expect(await s.subscribers.unsubscribe(id, NOW + HOUR, { via: 'link' })).toBeUndefined();
        expect((await s.subscribers.byId(id))!.unsubscribedAt).toBe(NOW + MINUTE);
        const record = (await s.subscribers.record(id))!;
        expect(record.activity.filter((a) => a.type === 'unsubscribed')).toHaveLength(1);
        expect(JSON.parse(record.activity.find((a) => a.type === 'unsubscribed')!.detail!)).toEqual({ via: 'one-click' });
        expect((await s.sendQueue.claimDue(NOW + HOUR, 10, 'w1', NOW + HOUR + LEASE, schedule)).due).toBe(0);
      });

      it('a reason is counted under the last sequence email they had and the day, and under nothing that names them', async () => {
        const day = Date.parse('2026-03-02T00:00:00Z');
        const a = await active('a@example.org');
        const b = await active('b@example.org');
        await sendDue(NOW);
        await s.subscribers.unsubscribe(a, NOW + HOUR, {}, { reason: 'too-many', day });
        await s.subscribers.unsubscribe(b, NOW + HOUR, {}, { reason: 'too-many', day: day + DAY });
        const p = await pending('p@example.org');
        await s.subscribers.unsubscribe(p, NOW + HOUR, {}, { reason: 'not-signed-up', day });
        // Unsubscribing again counts nothing more.
        expect(await s.subscribers.unsubscribe(a, NOW + 2 * HOUR, {}, { reason: 'other', day })).toBeUndefined();
        // Without a reason, nothing is counted.
        await s.subscribers.unsubscribe(await active('c@example.org', NOW + HOUR), NOW + 2 * HOUR, {});

        const counts = [
          { sequence: 'education', step: 0, reason: 'not-signed-up', count: 1 },
          { sequence: 'education', step: 1, reason: 'too-many', count: 2 },
        ];
        expect(await s.subscribers.unsubscribeReasons('education')).toEqual(counts);
        expect(await s.subscribers.unsubscribeReasons('consult-follow-up')).toEqual([]);
        for (const id of [a, b, p]) expect(JSON.stringify(await s.subscribers.record(id))).not.toMatch(/too-many|not-signed-up/);
        // The counts outlive erasure: they name nobody.
        for (const id of [a, b, p]) await s.subscribers.erase(id, NOW + DAY, () => CLEARED);
        expect(await s.subscribers.unsubscribeReasons('education')).toEqual(counts);
      });

      it('pending, completed and converted may unsubscribe; suppressed, erased and unknown may not', async () => {
        const p = await pending('p@example.org');
        expect((await s.subscribers.unsubscribe(p, NOW + MINUTE, {}))?.status).toBe('unsubscribed');
        const c = await pending('c@example.org');
        await s.subscribers.confirm(c, { now: NOW, consent, sequenceVersion, firstStep: () => null });
        expect((await s.subscribers.unsubscribe(c, NOW + MINUTE, {}))?.status).toBe('unsubscribed');
        const v = await active('v@example.org');
        await s.subscribers.markConverted(v, NOW + MINUTE);
        expect((await s.subscribers.unsubscribe(v, NOW + 2 * MINUTE, {}))?.status).toBe('unsubscribed');

        const x = await active('x@example.org');
        await s.subscribers.suppress({ emailHash: hashOf('x@example.org'), reason: 'bounced', at: NOW + MINUTE });
        expect(await s.subscribers.unsubscribe(x, NOW + 2 * MINUTE, {})).toBeUndefined();
        expect((await s.subscribers.byId(x))!.status).toBe('suppressed');
        const e = await active('e@example.org');
        await s.subscribers.erase(e, NOW + MINUTE, () => CLEARED);
        expect(await s.subscribers.unsubscribe(e, NOW + 2 * MINUTE, {})).toBeUndefined();
        expect((await s.subscribers.byId(e))!.status).toBe('erased');
        expect(await s.subscribers.unsubscribe(999_999, NOW, {})).toBeUndefined();
      });
    });

    describe('subscribers.markConverted', () => {
      it('ends the sequence once; a second call reports no change and keeps the first time', async () => {
        const id = await active('v@example.org');
        expect(await s.subscribers.markConverted(id, NOW + HOUR)).toEqual({ ok: true, changed: true, subscriber: { id, status: 'converted', convertedAt: NOW + HOUR } });
        expect(await s.subscribers.byId(id)).toMatchObject({ status: 'converted', convertedAt: NOW + HOUR, nextStep: null, nextSendAt: null });
        expect(await s.subscribers.markConverted(id, NOW + 2 * HOUR)).toEqual({ ok: true, changed: false, subscriber: { id, status: 'converted', convertedAt: NOW + HOUR } });
        expect((await activityOf(id)).filter((t) => t === 'converted')).toHaveLength(1);
        expect((await s.sendQueue.claimDue(NOW + HOUR, 10, 'w1', NOW + HOUR + LEASE, schedule)).due).toBe(0);
      });

      it('keeps unsubscribed and suppressed as they are; not_found and erased refused', async () => {
        const u = await active('u@example.org');
        await s.subscribers.unsubscribe(u, NOW + MINUTE, {});
        expect(await s.subscribers.markConverted(u, NOW + HOUR)).toEqual({ ok: true, changed: true, subscriber: { id: u, status: 'unsubscribed', convertedAt: NOW + HOUR } });
        expect((await s.subscribers.byId(u))!.status).toBe('unsubscribed');
        const x = await active('x@example.org');
        await s.subscribers.suppress({ emailHash: hashOf('x@example.org'), reason: 'complained', at: NOW + MINUTE });
        expect(await s.subscribers.markConverted(x, NOW + HOUR)).toMatchObject({ ok: true, changed: true, subscriber: { status: 'suppressed' } });
        expect(await s.subscribers.markConverted(999_999, NOW)).toEqual({ ok: false, reason: 'not_found' });
        const e = await active('e@example.org');
        await s.subscribers.erase(e, NOW + MINUTE, () => CLEARED);
        expect(await s.subscribers.markConverted(e, NOW + HOUR)).toEqual({ ok: false, reason: 'erased' });
        expect((await s.subscribers.byId(e))!.convertedAt).toBeNull();
      });
    });

    describe('subscribers.setPause', () => {
      it('pauses an active subscriber: their scheduled email moves where the decision says, seen with the new pause', async () => {
        const id = await active('p@example.org');
        await sendDue(NOW);
        const before = (await s.subscribers.byId(id))!;
        expect(before.nextSendAt).not.toBeNull();
        const until = NOW + 14 * 24 * HOUR;
        const moved = until + 9 * HOUR;
        const seen: DueRow[] = [];
        const row = await s.subscribers.setPause(id, { pausedUntil: until, now: NOW + HOUR, nextSendAt: (r) => (seen.push(r), moved), detail: { via: 'test' } });
        expect(row).toMatchObject({ id, status: 'active', pausedUntil: until, nextStep: 2, nextSendAt: moved, updatedAt: NOW + HOUR });
        expect(seen).toEqual([{ id, enrolmentId: expect.any(Number), sequence: 'education', status: 'active', email: 'p@example.org', suppressed: false, timezone: 'UTC', confirmedAt: NOW, nextStep: 2, lastSentAt: NOW, pausedUntil: until, received: [1], sequenceVersion: 1, lastAnySentAt: NOW, otherInFlight: false }]);
        const record = (await s.subscribers.record(id))!;
        const paused = record.activity.filter((a) => a.type === 'paused');
        expect(paused.map((a) => [a.at, JSON.parse(a.detail!)])).toEqual([[NOW + HOUR, { via: 'test', until }]]);

        // Off the due set until then; the due row then carries the pause.
        expect((await s.sendQueue.claimDue(moved - 1, 10, 'w1', moved + LEASE, schedule)).due).toBe(0);
        const rows: DueRow[] = [];
        await s.sendQueue.claimDue(moved, 10, 'w1', moved + LEASE, withDue((r, now) => (rows.push(r), schedule.decideDue(r, now))));
        expect(rows.map((r) => r.pausedUntil)).toEqual([until]);
      });

      it('resumes (null): the pause is cleared, the email moves again and "resumed" is recorded', async () => {
        const id = await active('r@example.org');
        await sendDue(NOW);
        await s.subscribers.setPause(id, { pausedUntil: NOW + 28 * 24 * HOUR, now: NOW, nextSendAt: () => NOW + 28 * 24 * HOUR });
        const seen: DueRow[] = [];
        const row = await s.subscribers.setPause(id, { pausedUntil: null, now: NOW + 2 * HOUR, nextSendAt: (r) => (seen.push(r), NOW + 30 * HOUR) });
        expect(row).toMatchObject({ pausedUntil: null, nextSendAt: NOW + 30 * HOUR });
        expect(seen[0]!.pausedUntil).toBeNull();
        expect(await activityOf(id)).toEqual(expect.arrayContaining(['paused', 'resumed']));
      });

      it('an email in flight is not moved (no time to move), but the pause is kept', async () => {
        const id = await active('f@example.org');
        await claimAndBegin(NOW);
        let asked = false;
        const row = await s.subscribers.setPause(id, { pausedUntil: NOW + 14 * 24 * HOUR, now: NOW, nextSendAt: () => ((asked = true), NOW) });
        expect(asked).toBe(false);
        expect(row).toMatchObject({ pausedUntil: NOW + 14 * 24 * HOUR, nextStep: 1, nextSendAt: null });
      });

      it('refuses anyone not active: nothing changes, nothing is recorded', async () => {
        const p = await pending('p@example.org');
        const c = await pending('c@example.org');
        await s.subscribers.confirm(c, { now: NOW, consent, sequenceVersion, firstStep: () => null });
        const u = await active('u@example.org');
        await s.subscribers.unsubscribe(u, NOW, {});
        const e = await active('e@example.org');
        await s.subscribers.erase(e, NOW, () => CLEARED);
        for (const id of [p, c, u, e, 999_999]) {
          expect(await s.subscribers.setPause(id, { pausedUntil: NOW + HOUR, now: NOW, nextSendAt: () => NOW + HOUR })).toBeUndefined();
          const row = await s.subscribers.byId(id);
          if (row) {
            expect(row.pausedUntil).toBeNull();
            expect(await activityOf(id)).not.toContain('paused');
          }
        }
      });
    });

    describe('subscribers.setReader', () => {
      it('changes who they read for, recording from and to; for anyone but the erased', async () => {
        const a = await active('a@example.org');
        const row = await s.subscribers.setReader(a, 'supporter', NOW + MINUTE);
        expect(row).toMatchObject({ id: a, reader: 'supporter', updatedAt: NOW + MINUTE });
        expect((await s.subscribers.setReader(a, null, NOW + 2 * MINUTE))!.reader).toBeNull();
        const changes = (await s.subscribers.record(a))!.activity.filter((x) => x.type === 'reader_changed').map((x) => JSON.parse(x.detail!));
        expect(changes).toEqual([{ from: null, to: 'supporter' }, { from: 'supporter', to: null }]);

        const p = await pending('p@example.org');
        expect((await s.subscribers.setReader(p, 'professional', NOW))!.reader).toBe('professional');
        const e = await active('e@example.org');
        await s.subscribers.erase(e, NOW, () => CLEARED);
        expect(await s.subscribers.setReader(e, 'self', NOW)).toBeUndefined();
        expect((await s.subscribers.byId(e))!.reader).toBeNull();
        expect(await s.subscribers.setReader(999_999, 'self', NOW)).toBeUndefined();
      });
    });

    describe('subscribers.updateProfile', () => {
      it('changes name, time zone and reader; a new zone moves the scheduled email where the decision says, seen in the new zone', async () => {
        const id = await active('z@example.org');
        await sendDue(NOW);
        const before = (await s.subscribers.byId(id))!;
        expect(before.nextSendAt).not.toBeNull();
        const seen: DueRow[] = [];
        const out = await s.subscribers.updateProfile(id, {
          changes: { firstName: 'Zoë', timezone: 'Asia/Tokyo', reader: 'supporter' },
          now: NOW + HOUR,
          nextSendAt: (r) => (seen.push(r), NOW + 30 * HOUR),
        });
        expect(out!.changed.sort()).toEqual(['firstName', 'reader', 'timezone']);
        expect(out!.subscriber).toMatchObject({ id, firstName: 'Zoë', timezone: 'Asia/Tokyo', reader: 'supporter', nextStep: 2, nextSendAt: NOW + 30 * HOUR, updatedAt: NOW + HOUR });
        expect(seen).toEqual([{ id, enrolmentId: expect.any(Number), sequence: 'education', status: 'active', email: 'z@example.org', suppressed: false, timezone: 'Asia/Tokyo', confirmedAt: NOW, nextStep: 2, lastSentAt: NOW, pausedUntil: null, received: [1], sequenceVersion: 1, lastAnySentAt: NOW, otherInFlight: false }]);
        expect(await s.subscribers.byId(id)).toEqual(out!.subscriber);
        const readers = (await s.subscribers.record(id))!.activity.filter((a) => a.type === 'reader_changed').map((a) => JSON.parse(a.detail!));
        expect(readers).toEqual([{ from: null, to: 'supporter' }]);
      });

      it('only what changes is written: a field left out is kept, the same value is no change, the zone kept keeps the time', async () => {
        const id = await active('k@example.org', NOW, { firstName: 'Kit', reader: 'self' });
        await sendDue(NOW);
        const before = (await s.subscribers.byId(id))!;
        let asked = 0;
        const nextSendAt = () => (asked++, NOW + 99 * HOUR);
        const same = await s.subscribers.updateProfile(id, { changes: { firstName: 'Kit', timezone: 'UTC', reader: 'self' }, now: NOW + HOUR, nextSendAt });
        expect(same).toEqual({ subscriber: before, changed: [] });
        const renamed = await s.subscribers.updateProfile(id, { changes: { firstName: null }, now: NOW + 2 * HOUR, nextSendAt });
        expect(renamed!.changed).toEqual(['firstName']);
        expect(renamed!.subscriber).toMatchObject({ firstName: null, timezone: 'UTC', reader: 'self', nextSendAt: before.nextSendAt, updatedAt: NOW + 2 * HOUR });
        expect(asked).toBe(0);
        expect(await activityOf(id)).not.toContain('reader_changed');
      });

      it('an email in flight is not moved; pending people may be changed; the erased and unknown may not', async () => {
        const f = await active('f@example.org');
        await claimAndBegin(NOW);
        let asked = false;
        const moved = await s.subscribers.updateProfile(f, { changes: { timezone: 'Europe/Berlin' }, now: NOW, nextSendAt: () => ((asked = true), NOW) });
        expect(asked).toBe(false);
        expect(moved!.subscriber).toMatchObject({ timezone: 'Europe/Berlin', nextStep: 1, nextSendAt: null });

        const p = await pending('p@example.org');
        expect((await s.subscribers.updateProfile(p, { changes: { firstName: 'Pat' }, now: NOW, nextSendAt: () => null }))!.subscriber).toMatchObject({ status: 'pending', firstName: 'Pat' });
        const e = await active('e@example.org');
        await s.subscribers.erase(e, NOW, () => CLEARED);
        expect(await s.subscribers.updateProfile(e, { changes: { firstName: 'Back' }, now: NOW, nextSendAt: () => null })).toBeUndefined();
        expect((await s.subscribers.byId(e))!.firstName).toBeNull();
        expect(await s.subscribers.updateProfile(999_999, { changes: { firstName: 'X' }, now: NOW, nextSendAt: () => null })).toBeUndefined();
      });
    });

    describe('subscribers.suppress', () => {
      it('stops the subscriber who has the hash, once, with the reason and an activity', async () => {
        const id = await active('b@example.org');
        expect(await s.subscribers.suppress({ emailHash: hashOf('b@example.org'), reason: 'bounced', at: NOW + MINUTE, detail: { bounce: 'hard' } })).toEqual({ subscriberId: id, newlySuppressed: true });
        expect(await s.subscribers.byId(id)).toMatchObject({ status: 'suppressed', suppressedAt: NOW + MINUTE, suppressedReason: 'bounced', nextStep: null, nextSendAt: null });
        const record = (await s.subscribers.record(id))!;
        expect(record.suppression).toMatchObject({ emailHash: hashOf('b@example.org'), reason: 'bounced', createdAt: NOW + MINUTE });
        expect(record.activity.map((a) => a.type)).toContain('bounced');
        expect(await s.subscribers.suppress({ emailHash: hashOf('b@example.org'), reason: 'complained', at: NOW + HOUR })).toEqual({ subscriberId: id, newlySuppressed: false });
        expect(await s.subscribers.byId(id)).toMatchObject({ suppressedAt: NOW + MINUTE, suppressedReason: 'bounced' });
        expect((await s.sendQueue.claimDue(NOW + HOUR, 10, 'w1', NOW + HOUR + LEASE, schedule)).due).toBe(0);
      });

      it('an unknown hash is listed without a subscriber', async () => {
        expect(await s.subscribers.suppress({ emailHash: hashOf('nobody@example.org'), reason: 'suppressed', at: NOW })).toEqual({ subscriberId: null, newlySuppressed: false });
        expect((await s.subscribers.signup(signupOf('nobody@example.org'), decideAt(NOW))).action).toEqual({ kind: 'none', reason: 'suppressed' });
      });
    });

    describe('subscribers.erase', () => {
      const email = 'annabel.lee@example.org';

      it("an imported person's consent source and wording (free text from the file) go; the form's own wording stays", async () => {
        const imported = await pending('imported@example.org', { source: 'import' });
        await s.subscribers.confirm(imported, { now: NOW, consent: { ...consent, text: 'Annabel Lee ticked the box on our paper form' }, sequenceVersion, firstStep: firstUndelivered });
        const formed = await active('formed@example.org');
        for (const id of [imported, formed]) await s.subscribers.erase(id, NOW + HOUR, () => CLEARED);
        expect(await s.subscribers.byId(imported)).toMatchObject({ status: 'erased', consentText: null, consentSource: null });
        expect(await s.subscribers.byId(formed)).toMatchObject({ status: 'erased', consentText: consent.text });
      });

      it('leaves nothing personal in record(), keeps the address suppressed, returns the email once', async () => {
        const id = await pending(email, { firstName: 'Annabel' });
        // The first confirmation failed with an error naming the address (as providers' errors do).
        const conf = await s.sendQueue.claimQueued(NOW, 10, 'w1', NOW + LEASE);
        const confBegun = await s.sendQueue.beginAttempt(conf!, 'w1', NOW, NOW, NOW + LEASE, await render(conf!), schedule, envelope);
        if (confBegun.kind !== 'send') throw new Error(confBegun.kind);
        await s.sendQueue.settle(conf!, confBegun.emails.map((e) => ({ deliveryId: deliveryIdOf(e), error: `550 ${email} (Annabel) rejected` })), NOW, schedule);
        await s.subscribers.confirm(id, { now: NOW, consent, sequenceVersion, firstStep: firstUndelivered });
        const run = await sendDue(NOW);
        const [sequenceDelivery] = run.emails.map(deliveryIdOf);
        await s.events.record(event({ eventId: 'evt-open', providerId: `prov-${sequenceDelivery}`, column: 'openedAt', detail: { to: [email], ip: '192.0.2.55', userAgent: 'MailReader/9' } }));
        await s.subscribers.unsubscribe(id, NOW + 2 * HOUR, { address: email, userAgent: 'ContractAgent/1.0' });
        const deliveriesBefore = (await s.subscribers.record(id))!.deliveries.map((d) => [d.id, d.kind, d.status]);

        const providerIds = (await s.subscribers.record(id))!.deliveries.map((d) => d.providerId).filter((p) => p !== null);
        expect(providerIds.length).toBeGreaterThan(0);
        expect(await s.subscribers.erase(id, NOW + 3 * HOUR, () => CLEARED)).toEqual({ id, email, alreadyErased: false, withdrawnFromBatches: 0, providerIds: expect.arrayContaining(providerIds) });

        const record = (await s.subscribers.record(id))!;
        const text = JSON.stringify(record);
        for (const personal of [email, 'annabel.lee', 'Annabel', hashOf(email), '203.0.113.7', 'ContractAgent', '198.51.100.4', 'ConfirmAgent', '192.0.2.55', 'MailReader']) {
          expect(text, personal).not.toContain(personal);
        }
        expect(record.subscriber).toMatchObject({ id, status: 'erased', erasedAt: NOW + 3 * HOUR, email: null, firstName: null, nextStep: null, nextSendAt: null });
        // Deliveries stay, for the numbers.
        expect(record.deliveries.map((d) => [d.id, d.kind, d.status])).toEqual(deliveriesBefore);
        expect(record.activity.map((a) => a.type)).toContain('erased');
        expect(await batchesText()).not.toContain(email);
        expect((await s.subscribers.list({ q: 'annabel' })).total).toBe(0);

        expect(await s.subscribers.erase(id, NOW + 4 * HOUR, () => CLEARED)).toEqual({ id, email: null, alreadyErased: true, withdrawnFromBatches: 0, providerIds: [] });
        expect(await s.subscribers.erase(999_999, NOW, () => CLEARED)).toBeNull();

        // The address is still recognised as erased: decide is told. Only the
        // person's own signup may lift it; a refusal leaves the block and creates nobody.
        const calls: Parameters<DecideSignup>[] = [];
        await s.subscribers.signup(signupOf(email, { now: NOW + 5 * HOUR }), (existing, suppression, sent) => (calls.push([existing, suppression, sent]), { kind: 'none', reason: 'suppressed' }));
        expect(calls).toEqual([[undefined, 'erased', 0]]);
        expect((await s.subscribers.list({})).total).toBe(1);

        // Their own signup again (afterErasure): a new pending person, the erasure's block lifted, the erased record untouched.
        const again = await s.subscribers.signup(signupOf(email, { now: NOW + 6 * HOUR }), (existing, suppression) => decideSignup(existing, suppression, NOW + 6 * HOUR));
        expect(again.action).toEqual({ kind: 'create', afterErasure: true });
        expect(again.confirmationDeliveryId).not.toBeNull();
        expect((await s.subscribers.list({})).total).toBe(2);
        expect(await s.subscribers.byId(id)).toMatchObject({ status: 'erased', email: null });
        const fresh = (await s.subscribers.list({ status: 'pending' })).items[0]!;
        expect(fresh).toMatchObject({ email, status: 'pending' });
        expect((await s.subscribers.record(fresh.id))!.suppression).toBeNull();
      });

      it('an open, never attempted batch is rewritten through withoutRecipient; the rest goes with the new request', async () => {
        const a = await active(email);
        await active('b@example.org');
        await active('c@example.org');
        const run = await claimAndBegin(NOW);
        await s.sendQueue.markKnownFailure(run.batchId, 'w1', '422 one address refused');
        const withA = [emailTo(run.emails, email), emailTo(run.emails, 'b@example.org')];
        const withoutA = [emailTo(run.emails, 'c@example.org')];
        const [partA, partC] = await s.sendQueue.split(run.batchId, [withA, withoutA], '422 one address refused', 'w1', NOW, NOW + LEASE, envelope);

        const calls: [string, string][] = [];
        const out = await s.subscribers.erase(a, NOW + MINUTE, (payload, address) => {
          calls.push([payload, address]);
          return requestWithout(payload, address);
        });
        expect(out).toMatchObject({ id: a, email, alreadyErased: false, withdrawnFromBatches: 1 });
        expect(calls).toEqual([[batchRequest(withA).payload, email]]);
        const onlyB = [emailTo(run.emails, 'b@example.org')];
        expect(await s.sendQueue.batch(partA!)).toMatchObject({ payload: batchRequest(onlyB).payload, idempotencyKey: batchRequest(onlyB).idempotencyKey });
        expect(await s.sendQueue.batch(partC!)).toMatchObject({ payload: batchRequest(withoutA).payload, idempotencyKey: batchRequest(withoutA).idempotencyKey });
        expect(await batchesText()).not.toContain(email);

        // The rewritten request goes as it now is, and A's delivery is dropped, never sent.
        const begun = await s.sendQueue.beginAttempt(partA!, 'w1', NOW + 2 * MINUTE, NOW + 2 * MINUTE, NOW + LEASE, null, schedule, envelope);
        expect(flat(begun)).toEqual({ kind: 'send', emails: onlyB, body: bytes(batchRequest(onlyB).body), idempotencyKey: batchRequest(onlyB).idempotencyKey, dropped: 1, replay: false });
        expect((await deliveryOf(a, 1)).status).toBe('dropped');
      });

      it('a batch left with nobody is cleared; the next attempt finds it empty', async () => {
        const a = await active(email);
        const run = await claimAndBegin(NOW);
        await s.sendQueue.markKnownFailure(run.batchId, 'w1', '500 with an answer');
        await s.sendQueue.release(run.batchId, 'w1', null, '500 with an answer', true);
        expect(await s.subscribers.erase(a, NOW + MINUTE, () => CLEARED)).toMatchObject({ withdrawnFromBatches: 1 });
        expect((await s.sendQueue.batch(run.batchId))!.payload).toBeNull();

        expect(await s.sendQueue.claimStale(NOW + 2 * MINUTE, NOW + 2 * MINUTE, 'w2', NOW + 2 * MINUTE + LEASE)).toBe(run.batchId);
        const fresh = await render(run.batchId);
        expect(fresh.emails).toEqual([]);
        expect(flat(await s.sendQueue.beginAttempt(run.batchId, 'w2', NOW + 2 * MINUTE, NOW + 2 * MINUTE, NOW + LEASE, fresh, schedule, envelope))).toEqual({ kind: 'empty', dropped: 1 });
        expect((await batchRow(run.batchId)).status).toBe('failed');
      });

      it('a batch in doubt is left as it is (it is repeated byte for byte) until it settles', async () => {
        const { a, batchId, emails, key } = await inDoubtBatch();
        const calls: string[] = [];
        const out = await s.subscribers.erase(a, NOW + MINUTE, (payload) => (calls.push(payload), CLEARED));
        expect(out).toMatchObject({ withdrawnFromBatches: 0 });
        expect(calls).toEqual([]);
        expect(await s.sendQueue.claimStale(NOW + LEASE, NOW + LEASE, 'w2', NOW + 2 * LEASE)).toBe(batchId);
        expect(flat(await s.sendQueue.beginAttempt(batchId, 'w2', NOW + LEASE, NOW + LEASE, NOW + 2 * LEASE, null, schedule, envelope))).toEqual({ kind: 'send', emails, body: bytes(batchRequest(emails).body), idempotencyKey: key, dropped: 0, replay: true });
        await s.sendQueue.settle(batchId, accepted(emails), NOW + LEASE, schedule);
        expect(await batchesText()).not.toContain('a@example.org');
      });
      it('a held batch is rewritten without them: it is never repeated byte for byte', async () => {
        const a = await active(email);
        await active('b@example.org');
        const run = await claimAndBegin(NOW);
        const t = NOW + REPLAY_WINDOW_MS + HOUR;
        expect(await s.sendQueue.claimStale(t, t, 'w2', t + LEASE)).toBe(run.batchId);
        expect(flat(await s.sendQueue.beginAttempt(run.batchId, 'w2', t, t, t + LEASE, null, schedule, envelope))).toEqual({ kind: 'held' });
        const onlyB = [emailTo(run.emails, 'b@example.org')];
        const out = await s.subscribers.erase(a, t + MINUTE, requestWithout);
        expect(out).toMatchObject({ withdrawnFromBatches: 1 });
        expect(await batchesText()).not.toContain(email);
        // Staff's resend then goes to B only.
        await s.sendQueue.resolveHeld(run.batchId, 'resend', t + 2 * MINUTE, schedule);
        expect(await s.sendQueue.claimStale(t + 2 * MINUTE, t + 2 * MINUTE, 'w3', t + 2 * MINUTE + LEASE)).toBe(run.batchId);
        expect(flat(await s.sendQueue.beginAttempt(run.batchId, 'w3', t + 2 * MINUTE, t + 2 * MINUTE, t + 2 * MINUTE + LEASE, null, schedule, envelope))).toMatchObject({ kind: 'send', emails: onlyB });
      });

      it('between rendering and sending: the fresh request goes without them', async () => {
        const a = await active(email);
        await active('b@example.org');
        const claim = await s.sendQueue.claimDue(NOW, 10, 'w1', NOW + LEASE, schedule);
        const fresh = await render(claim.batchId!);
        expect(fresh.emails).toHaveLength(2);
        await s.subscribers.erase(a, NOW + MINUTE, () => CLEARED);
        const begun = await s.sendQueue.beginAttempt(claim.batchId!, 'w1', NOW + MINUTE, NOW + MINUTE, NOW + LEASE, fresh, schedule, envelope);
        const onlyB = [emailTo(fresh.emails, 'b@example.org')];
        expect(flat(begun)).toEqual({ kind: 'send', emails: onlyB, body: bytes(batchRequest(onlyB).body), idempotencyKey: batchRequest(onlyB).idempotencyKey, dropped: 1, replay: false });
        expect((await s.sendQueue.batch(claim.batchId!))!.payload).toBe(batchRequest(onlyB).payload);
      });
    });

    describe('subscribers.list', () => {
      it('pages newest first, filters by status and by literal substring, counts every status', async () => {
        const total = PAGE_SIZE + 5;
        for (let i = 0; i < total; i++) await s.subscribers.signup(signupOf(`p${i}@example.org`, { now: NOW + i * MINUTE }), decideAt(NOW + i * MINUTE));
        // `_` and `%` are literal in a search, not wildcards; case does not matter.
        await s.subscribers.signup(signupOf('a_b@Example.org', { now: NOW - HOUR }), decideAt(NOW - HOUR));
        await s.subscribers.signup(signupOf('axb@example.org', { now: NOW - HOUR }), decideAt(NOW - HOUR));
        for (const e of ['p0@example.org', 'p1@example.org', 'p2@example.org']) await s.subscribers.confirm(await idOf(e), { now: NOW + 2 * HOUR, consent, sequenceVersion, firstStep: firstUndelivered });
        await s.subscribers.unsubscribe(await idOf('p3@example.org'), NOW + 2 * HOUR, {});
        const all = total + 2;

        const first = await s.subscribers.list({});
        expect(first).toMatchObject({ page: 1, pageSize: PAGE_SIZE, total: all, pageCount: 2, all });
        // The first name is searched too (every signup here is an Annabel).
        expect((await s.subscribers.list({ q: 'ANNAB' })).total).toBe(all);
        expect(first.items).toHaveLength(PAGE_SIZE);
        expect(first.items[0]).toMatchObject({ email: `p${total - 1}@example.org`, status: 'pending', timezone: 'UTC', firstName: 'Annabel', createdAt: NOW + (total - 1) * MINUTE });
        const second = await s.subscribers.list({ page: 2 });
        expect(second.items.map((i) => i.email)).toEqual([...['p4', 'p3', 'p2', 'p1', 'p0'].map((p) => `${p}@example.org`), 'axb@example.org', 'a_b@Example.org']);
        expect(new Set([...first.items, ...second.items].map((i) => i.id)).size).toBe(all);
        expect((await s.subscribers.list({ page: 99 })).page).toBe(2);
        expect((await s.subscribers.list({ page: 0 })).page).toBe(1);

        const counts = Object.fromEntries(ALL_STATUSES.map((st) => [st, 0]));
        expect(first.statusCounts).toEqual({ ...counts, pending: all - 4, active: 3, unsubscribed: 1 });

        const act = await s.subscribers.list({ status: 'active' });
        expect(act).toMatchObject({ total: 3, pageCount: 1, all });
        expect(act.items.map((i) => i.email).sort()).toEqual(['p0@example.org', 'p1@example.org', 'p2@example.org']);
        expect(act.items[0]).toMatchObject({ confirmedAt: NOW + 2 * HOUR, nextStep: 1, nextSendAt: NOW + 2 * HOUR });
        // The status counts are of everyone, whatever the filter.
        expect(act.statusCounts).toEqual(first.statusCounts);

        expect((await s.subscribers.list({ q: ' a_b@ ' })).items.map((i) => i.email)).toEqual(['a_b@Example.org']);
        expect((await s.subscribers.list({ q: 'A_B@EXAMPLE' })).total).toBe(1);
        expect((await s.subscribers.list({ q: '%' })).total).toBe(0);
        expect((await s.subscribers.list({ q: 'p1', status: 'active' })).items.map((i) => i.email)).toEqual(['p1@example.org']);
        expect((await s.subscribers.list({ q: 'p1' })).total).toBe(Array.from({ length: total }, (_, i) => `p${i}`).filter((p) => p.includes('p1')).length);
        expect(await s.subscribers.list({ q: 'nobody' })).toMatchObject({ items: [], total: 0, page: 1, pageCount: 1, all });
      });
    });

    describe('subscribers.all', () => {
      it('yields every subscriber once, in id order, across chunk boundaries', async () => {
        // Created newest first, so id order differs from created order.
        for (let i = 0; i < 7; i++) await s.subscribers.signup(signupOf(`all${i}@example.org`, { now: NOW - i * MINUTE }), decideAt(NOW - i * MINUTE));
        await s.subscribers.erase(await idOf('all3@example.org'), NOW, () => CLEARED);
        const ids = (await s.subscribers.list({})).items.map((i) => i.id).sort((x, y) => x - y);
        expect(ids).toHaveLength(7);
        for (const chunk of [1, 2, 3, 7, 100, undefined]) {
          const seen: number[] = [];
          for await (const sub of s.subscribers.all(chunk)) seen.push(sub.id);
          expect(seen, `chunk ${chunk}`).toEqual(ids);
        }
        const rows = [];
        for await (const sub of s.subscribers.all(2)) rows.push(sub);
        expect(rows.find((r) => r.email === 'all0@example.org')).toMatchObject({ status: 'pending', emailHash: hashOf('all0@example.org') });
        expect(rows.filter((r) => r.status === 'erased')).toHaveLength(1);
      });

      it('yields nothing from an empty database', async () => {
        const seen = [];
        for await (const sub of s.subscribers.all(2)) seen.push(sub);
        expect(seen).toEqual([]);
      });
    });

    describe('subscribers.lastSequenceSent', () => {
      it('is the highest step sent, not a failed one', async () => {
        const id = await active('l@example.org');
        expect(await s.subscribers.lastSequenceSent(id)).toBeNull();
        await sendDue(NOW);
        expect(await s.subscribers.lastSequenceSent(id)).toEqual({ step: 1, sentAt: NOW });
        const at = (await s.subscribers.byId(id))!.nextSendAt!;
        const run = await claimAndBegin(at);
        await s.sendQueue.settle(run.batchId, run.emails.map((e) => ({ deliveryId: deliveryIdOf(e), error: 'refused' })), at, schedule);
        expect(await s.subscribers.lastSequenceSent(id)).toEqual({ step: 1, sentAt: NOW });
      });
    });

    describe('subscribers.activityCounts', () => {
      it('counts each type in each half-open range and over all time, only the types asked for', async () => {
        await pending('a@example.org', { now: NOW });
        const b = await pending('b@example.org', { now: NOW + HOUR });
        await pending('c@example.org', { now: NOW + 2 * HOUR });
        await s.subscribers.confirm(b, { now: NOW + HOUR, consent, sequenceVersion, firstStep: firstUndelivered });
        await s.subscribers.unsubscribe(b, NOW + 2 * HOUR, {});
        const ranges = [
          { start: NOW, end: NOW + HOUR },
          { start: NOW + HOUR, end: NOW + 3 * HOUR },
          { start: NOW + 5 * HOUR, end: NOW + 6 * HOUR },
        ];
        const counts = await s.subscribers.activityCounts(['signup', 'confirmed'], ranges);
        const of = (r: Record<string, number>) => ({ signup: r.signup ?? 0, confirmed: r.confirmed ?? 0 });
        expect(counts.ranges.map(of)).toEqual([
          { signup: 1, confirmed: 0 },
          { signup: 2, confirmed: 1 },
          { signup: 0, confirmed: 0 },
        ]);
        expect(counts.allTime).toEqual({ signup: 3, confirmed: 1 });
        for (const r of counts.ranges) expect(Object.keys(r).every((k) => k === 'signup' || k === 'confirmed')).toBe(true);
        const none = await s.subscribers.activityCounts(['erased'], []);
        expect(none).toEqual({ ranges: [], allTime: { erased: 0 } });
      });
    });

    describe('subscribers.signupSources', () => {
      it('counts each new person once by where they came from; a re-signup and a second confirmation are counted apart; an erasure changes nothing', async () => {
        await pending('form@example.org', { now: NOW });
        const back = await active('back@example.org', NOW);
        await s.subscribers.importRows([importOf('consented@example.org', NOW - DAY, { now: NOW + HOUR }), importOf('invited@example.org', null, { now: NOW + HOUR })], decideImportRow, importAudit);
        await s.subscribers.unsubscribe(back, NOW + 2 * HOUR, {});
        expect((await s.subscribers.signup(signupOf('back@example.org', { now: NOW + 3 * HOUR }), decideAt(NOW + 3 * HOUR))).action.kind).toBe('reopen');
        await s.subscribers.confirm(back, { now: NOW + 3 * HOUR, consent, sequenceVersion, firstStep: firstUndelivered });
        const ranges = [
          { start: NOW, end: NOW + HOUR },
          { start: NOW + HOUR, end: NOW + 2 * HOUR },
          { start: NOW + 2 * HOUR, end: NOW + 4 * HOUR },
        ];
        const expected = {
          ranges: [
            { form: 2, importConsent: 0, importInvited: 0, again: 0, confirmedAgain: 0 },
            { form: 0, importConsent: 1, importInvited: 1, again: 0, confirmedAgain: 0 },
            { form: 0, importConsent: 0, importInvited: 0, again: 1, confirmedAgain: 1 },
          ],
          allTime: { form: 2, importConsent: 1, importInvited: 1, again: 1, confirmedAgain: 1 },
        };
        expect(await s.subscribers.signupSources(ranges)).toEqual(expected);
        // Erasing clears the details; the counts are read from the rows and stay.
        for (const email of ['back@example.org', 'consented@example.org', 'invited@example.org']) await s.subscribers.erase(await idOf(email), NOW + 5 * HOUR, () => CLEARED);
        expect(await s.subscribers.signupSources(ranges)).toEqual(expected);
        expect(await s.subscribers.signupSources([])).toEqual({ ranges: [], allTime: expected.allTime });
      });
    });

    // -------------------------------------------------------------------------
    // The send queue

    describe('later sequences: enrol, leave, one email at a time', () => {
      const CONSULT_AT = NOW + 3 * DAY;
      const enrolInput = (over: Partial<Parameters<Stores['subscribers']['enrol']>[1]> = {}) => ({
        sequence: 'consult-follow-up' as const,
        now: NOW + HOUR,
        version: 1,
        firstStep: 1,
        by: 'click' as const,
        at: () => CONSULT_AT,
        ...over,
      });

      it('enrol: an active person enters a later sequence once, its first step placed where the decision says, seen with their other sequence', async () => {
        const id = await active('c@example.org');
        await sendDue(NOW);
        const seen: DueRow[] = [];
        const out = await s.subscribers.enrol(id, enrolInput({ at: (r) => (seen.push(r), CONSULT_AT) }));
        expect(out).toMatchObject({ kind: 'enrolled', enrolment: { subscriberId: id, sequence: 'consult-follow-up', version: 1, startedAt: NOW + HOUR, nextStep: 1, nextSendAt: CONSULT_AT, endedAt: null } });
        expect(seen).toEqual([expect.objectContaining({ id, sequence: 'consult-follow-up', confirmedAt: NOW + HOUR, nextStep: 1, lastSentAt: null, received: [], lastAnySentAt: NOW, otherInFlight: false })]);
        // Once: a second click or staff action later changes nothing.
        expect(await s.subscribers.enrol(id, enrolInput({ now: NOW + 2 * HOUR, by: 'staff', at: () => NOW }))).toMatchObject({ kind: 'already', enrolment: { startedAt: NOW + HOUR, nextSendAt: CONSULT_AT } });
        const record = (await s.subscribers.record(id))!;
        expect(record.enrolments.map((e) => [e.sequence, e.endedAt])).toEqual([
          ['education', null],
          ['consult-follow-up', null],
        ]);
        expect(record.activity.filter((a) => a.type === 'enrolled').map((a) => JSON.parse(a.detail!))).toEqual([{ sequence: 'consult-follow-up', by: 'click' }]);
        // The education cursor the pages show is untouched.
        expect(await s.subscribers.byId(id)).toMatchObject({ status: 'active', nextStep: 2 });
      });

      it('enrol: a person who finished is active again; pending, unsubscribed and converted people are refused; an unknown id is said', async () => {
        const done = await pending('done@example.org');
        expect((await s.subscribers.confirm(done, { now: NOW, consent, sequenceVersion, firstStep: () => null }))!.status).toBe('completed');
        expect((await s.subscribers.enrol(done, enrolInput())).kind).toBe('enrolled');
        expect((await s.subscribers.byId(done))!.status).toBe('active');

        const waiting = await pending('wait@example.org');
        expect(await s.subscribers.enrol(waiting, enrolInput())).toEqual({ kind: 'not_mailable', status: 'pending' });
        const gone = await active('gone@example.org');
        await s.subscribers.unsubscribe(gone, NOW, { method: 'page' });
        expect(await s.subscribers.enrol(gone, enrolInput())).toEqual({ kind: 'not_mailable', status: 'unsubscribed' });
        const booked = await active('booked@example.org');
        await s.subscribers.markConverted(booked, NOW);
        expect(await s.subscribers.enrol(booked, enrolInput())).toEqual({ kind: 'not_mailable', status: 'converted' });
        expect(await s.subscribers.enrol(999_999, enrolInput())).toEqual({ kind: 'unknown' });
        for (const id of [waiting, gone, booked]) expect((await s.subscribers.record(id))!.enrolments.some((e) => e.sequence === 'consult-follow-up')).toBe(false);
      });

      it('leave: ends one running sequence and keeps the other; the last one is refused (that is unsubscribing); converting ends both', async () => {
        const id = await active('l@example.org');
        expect(await s.subscribers.leave(id, { sequence: 'consult-follow-up', now: NOW, reason: 'left' })).toEqual({ kind: 'not_enrolled' });
        expect(await s.subscribers.leave(id, { sequence: 'education', now: NOW, reason: 'left' })).toEqual({ kind: 'last' });
        await s.subscribers.enrol(id, enrolInput());
        const left = await s.subscribers.leave(id, { sequence: 'education', now: NOW + 2 * HOUR, reason: 'left' });
        expect(left).toMatchObject({ kind: 'left', enrolment: { sequence: 'education', endedAt: NOW + 2 * HOUR, endedReason: 'left', nextStep: null, nextSendAt: null } });
        expect(await s.subscribers.leave(id, { sequence: 'education', now: NOW + 3 * HOUR, reason: 'left' })).toEqual({ kind: 'not_enrolled' });
        const record = (await s.subscribers.record(id))!;
        expect(record.subscriber.status).toBe('active');
        expect(record.enrolments.find((e) => e.sequence === 'consult-follow-up')).toMatchObject({ endedAt: null, nextSendAt: CONSULT_AT });
        expect(record.activity.filter((a) => a.type === 'left_sequence').map((a) => JSON.parse(a.detail!))).toEqual([{ sequence: 'education', by: 'subscriber' }]);
        // Nothing of the education series is due any more; the consult email is.
        expect((await s.sendQueue.claimDue(NOW + DAY, 10, 'w1', NOW + DAY + LEASE, schedule)).due).toBe(0);
        await s.subscribers.markConverted(id, NOW + DAY);
        expect((await s.subscribers.record(id))!.enrolments.map((e) => [e.sequence, e.endedReason])).toEqual([
          ['education', 'left'],
          ['consult-follow-up', 'converted'],
        ]);
        expect((await s.sendQueue.claimDue(CONSULT_AT, 10, 'w1', CONSULT_AT + LEASE, schedule)).due).toBe(0);
      });

      it('claimDue: a person with two sequences due gets one email now; the other is decided knowing the first is in flight', async () => {
        const id = await active('two@example.org');
        await s.subscribers.enrol(id, enrolInput({ now: NOW, at: () => NOW }));
        // Both first steps on the day they entered: either may go first.
        const sameDay = queueSchedule({ education: { version: 1, steps: SEQUENCE }, 'consult-follow-up': { version: 1, steps: [{ ...CONSULT[0]!, dayOffset: 0 }] } }, scheduleOptions({ sendWindow: { startMinute: 9 * 60, endMinute: 17 * 60 } }));
        const rows: DueRow[] = [];
        const claim = await s.sendQueue.claimDue(NOW, 10, 'w1', NOW + LEASE, { ...sameDay, decideDue: (row, now) => (rows.push(row), sameDay.decideDue(row, now)) });
        expect(claim).toMatchObject({ due: 2, rescheduled: 1 });
        expect(await s.sendQueue.items(claim.batchId!)).toHaveLength(1);
        expect(rows.map((r) => r.otherInFlight)).toEqual([false, true]);
        const waiting = (await s.subscribers.record(id))!.enrolments.find((e) => e.sequence === rows[1]!.sequence)!;
        expect(waiting.nextSendAt).toBeGreaterThanOrEqual(NOW + 20 * HOUR);
        // Decided again while that email is still in flight, it still waits.
        const later = await s.sendQueue.claimDue(waiting.nextSendAt! - 1, 10, 'w2', NOW + LEASE, schedule);
        expect(later.due).toBe(0);
      });

      it('an email of a sequence the person left while it was in flight is marked for dropping; the other sequence goes on', async () => {
        const id = await active('drop@example.org');
        await sendDue(NOW);
        await s.subscribers.enrol(id, enrolInput({ at: () => NOW + 21 * HOUR }));
        const sendConsult = withDue((row, now) => (row.sequence === 'consult-follow-up' ? { kind: 'send', step: 1, templateId: 'consult-1', subject: 'Consult 1' } : schedule.decideDue(row, now)));
        const claim = await s.sendQueue.claimDue(NOW + 21 * HOUR, 10, 'w1', NOW + 21 * HOUR + LEASE, sendConsult);
        expect((await s.sendQueue.items(claim.batchId!)).map((i) => [i.sequence, i.leftSequence])).toEqual([['consult-follow-up', false]]);
        expect((await s.subscribers.leave(id, { sequence: 'consult-follow-up', now: NOW + 21 * HOUR, reason: 'staff' })).kind).toBe('left');
        expect((await s.sendQueue.items(claim.batchId!)).map((i) => [i.sequence, i.leftSequence])).toEqual([['consult-follow-up', true]]);
        expect((await s.subscribers.byId(id))!.nextStep).toBe(2);
      });

      it('pageClicks: unflagged clicks on the page in our emails, after a mark and up to a time, in the order they came', async () => {
        await active('a@example.org');
        await active('b@example.org');
        const first = await sendDue(NOW);
        const prov = (to: string) => `prov-${deliveryIdOf(emailTo(first.emails, to))}`;
        const click = (eventId: string, to: string, receivedAt: number, link = 'https://clinic.example/book?utm=x', flag: Classification['flag'] = null) =>
          s.events.record(event({ eventId, type: 'email.clicked', providerId: prov(to), receivedAt, detail: { link: link.replace(/\?.*$/, '') }, classify: () => ({ flag, alsoFlag: [] }) }));
        await click('e3', 'b@example.org', NOW + 2 * HOUR);
        await click('e1', 'a@example.org', NOW + HOUR);
        await click('e2', 'a@example.org', NOW + HOUR);
        await click('e4', 'b@example.org', NOW + HOUR, 'https://clinic.example/bookshop');
        await click('e5', 'b@example.org', NOW + HOUR, 'https://clinic.example/book', { flag: 'link_scanner', reason: 'scanner_user_agent' });
        await click('e6', 'a@example.org', NOW + 5 * HOUR, 'https://clinic.example/book/slot');
        const a = await idOf('a@example.org');
        const b = await idOf('b@example.org');
        const start = { receivedAt: 0, eventId: '' };
        expect(await s.events.pageClicks('https://clinic.example/book', start, NOW + 3 * HOUR, 10)).toEqual([
          { eventId: 'e1', receivedAt: NOW + HOUR, subscriberId: a },
          { eventId: 'e2', receivedAt: NOW + HOUR, subscriberId: a },
          { eventId: 'e3', receivedAt: NOW + 2 * HOUR, subscriberId: b },
        ]);
        expect(await s.events.pageClicks('https://clinic.example/book/', { receivedAt: NOW + HOUR, eventId: 'e1' }, NOW + 6 * HOUR, 2)).toEqual([
          { eventId: 'e2', receivedAt: NOW + HOUR, subscriberId: a },
          { eventId: 'e3', receivedAt: NOW + 2 * HOUR, subscriberId: b },
        ]);
        expect((await s.events.pageClicks('https://clinic.example/book', { receivedAt: NOW + 2 * HOUR, eventId: 'e3' }, NOW + 6 * HOUR, 10)).map((c) => c.eventId)).toEqual(['e6']);
      });
    });

    describe('sendQueue.claimDue', () => {
      it('send: each due step becomes a queued delivery in one new batch, leased, and leaves the due set', async () => {
        const a = await active('a@example.org', NOW, { firstName: 'Ada' });
        const b = await active('b@example.org', NOW, { timezone: 'Asia/Kolkata' });
        const rows: DueRow[] = [];
        const spy = withDue((row, now) => (rows.push(row), schedule.decideDue(row, now)));
        const claim = await s.sendQueue.claimDue(NOW, 10, 'w1', NOW + LEASE, spy);
        expect(claim).toEqual({ batchId: expect.any(Number), due: 2, rescheduled: 0, completed: 0, stopped: 0 });
        expect(rows.find((r) => r.id === a)).toEqual({ id: a, enrolmentId: expect.any(Number), sequence: 'education', status: 'active', email: 'a@example.org', suppressed: false, timezone: 'UTC', confirmedAt: NOW, nextStep: 1, lastSentAt: null, pausedUntil: null, received: [], sequenceVersion: 1, lastAnySentAt: null, otherInFlight: false });

        expect(await s.sendQueue.batch(claim.batchId!)).toMatchObject({ id: claim.batchId, status: 'ready', attempts: 0, payload: null, leaseOwner: 'w1' });
        const items = await s.sendQueue.items(claim.batchId!);
        expect(items.map((i) => i.subscriberId).sort()).toEqual([a, b].sort());
        expect(items.find((i) => i.subscriberId === a)).toMatchObject({ kind: 'sequence', step: 1, templateId: 'step-1', toAddress: null, email: 'a@example.org', firstName: 'Ada', tokenGeneration: 0, status: 'active', suppressed: false, timezone: 'UTC', confirmedAt: NOW });
        expect(items.find((i) => i.subscriberId === a)).toMatchObject({ source: 'signup-form', consentSource: 'signup-form', consentVersion: 'consent-v1', consentGivenAt: NOW });
        expect(items.find((i) => i.subscriberId === b)!.timezone).toBe('Asia/Kolkata');
        for (const i of items) expect(await s.sendQueue.delivery(i.deliveryId)).toMatchObject({ status: 'queued', sentAt: null });
        // In flight: the step is kept, the time cleared, so no other claim takes it.
        expect(await s.subscribers.byId(a)).toMatchObject({ nextStep: 1, nextSendAt: null });
        expect(await s.sendQueue.claimDue(NOW + HOUR, 10, 'w2', NOW + HOUR + LEASE, schedule)).toEqual({ batchId: null, due: 0, rescheduled: 0, completed: 0, stopped: 0 });
        expect((await s.sendQueue.batches()).map((x) => x.id)).toEqual([claim.batchId]);
      });

      it('takes at most `limit`, the earliest due first', async () => {
        const first = await active('1@example.org', NOW);
        const second = await active('2@example.org', NOW + MINUTE);
        const third = await active('3@example.org', NOW + 2 * MINUTE);
        await active('later@example.org', NOW + HOUR);
        const claim = await s.sendQueue.claimDue(NOW + 10 * MINUTE, 2, 'w1', NOW + 10 * MINUTE + LEASE, schedule);
        expect(claim.due).toBe(2);
        expect((await s.sendQueue.items(claim.batchId!)).map((i) => i.subscriberId).sort()).toEqual([first, second].sort());
        const next = await s.sendQueue.claimDue(NOW + 10 * MINUTE, 2, 'w1', NOW + 10 * MINUTE + LEASE, schedule);
        expect(next.due).toBe(1);
        expect((await s.sendQueue.items(next.batchId!)).map((i) => i.subscriberId)).toEqual([third]);
      });

      it('reschedule, unschedule, suppress and complete are applied per row; no batch is left when nothing was queued', async () => {
        const r = await active('r@example.org');
        const u = await active('u@example.org');
        const x = await active('x@example.org');
        const c = await active('c@example.org');
        const later = NOW + 5 * HOUR;
        const actions = new Map<number, DueAction>([
          [r, { kind: 'reschedule', step: 1, at: later }],
          [u, { kind: 'unschedule' }],
          [x, { kind: 'suppress' }],
          [c, { kind: 'complete' }],
        ]);
        const claim = await s.sendQueue.claimDue(NOW, 10, 'w1', NOW + LEASE, withDue((row) => actions.get(row.id)!));
        expect(claim).toEqual({ batchId: null, due: 4, rescheduled: 1, completed: 1, stopped: 2 });
        expect(await s.sendQueue.batches()).toEqual([]);

        expect(await s.subscribers.byId(r)).toMatchObject({ status: 'active', nextStep: 1, nextSendAt: later });
        expect(await s.subscribers.byId(u)).toMatchObject({ status: 'active', nextStep: null, nextSendAt: null });
        expect(await s.subscribers.byId(x)).toMatchObject({ status: 'suppressed', suppressedAt: NOW, nextStep: null, nextSendAt: null });
        expect(await activityOf(x)).toContain('suppressed');
        expect(await s.subscribers.byId(c)).toMatchObject({ status: 'completed', completedAt: NOW, nextStep: null, nextSendAt: null });
        expect(await activityOf(c)).toContain('completed');
        for (const id of [r, u, x, c]) expect((await s.subscribers.record(id))!.deliveries.filter((d) => d.kind === 'sequence')).toEqual([]);

        // Only the rescheduled one comes back, and only at its time.
        expect((await s.sendQueue.claimDue(later - 1, 10, 'w1', later + LEASE, schedule)).due).toBe(0);
        const back = await s.sendQueue.claimDue(later, 10, 'w1', later + LEASE, schedule);
        expect(back.due).toBe(1);
        expect((await s.sendQueue.items(back.batchId!)).map((i) => i.subscriberId)).toEqual([r]);
      });

      it('a step that already went is never queued twice: the subscriber moves on instead', async () => {
        const id = await active('a@example.org');
        await sendDue(NOW);
        const at = (await s.subscribers.byId(id))!.nextSendAt!;
        // A due decision that (wrongly) asks for step 1 again.
        const claim = await s.sendQueue.claimDue(at, 10, 'w1', at + LEASE, withDue(() => ({ kind: 'send', step: 1, templateId: 'step-1', subject: 'Lesson 1' })));
        expect(claim.batchId).toBeNull();
        expect((await s.subscribers.record(id))!.deliveries.filter((d) => d.kind === 'sequence').map((d) => [d.step, d.status])).toEqual([[1, 'sent']]);
        const next = schedule.decideAfterSend({ sequence: 'education', confirmedAt: NOW, timezone: 'UTC', received: [1] }, 1, NOW);
        expect(next.kind).toBe('next');
        expect(await s.subscribers.byId(id)).toMatchObject({ status: 'active', nextStep: 2, nextSendAt: next.kind === 'next' ? next.at : -1 });
        expect(await s.sendQueue.batches()).toHaveLength(1);
      });

      it('two claims at the same moment never take the same subscriber', async () => {
        const ids: number[] = [];
        for (let i = 0; i < 12; i++) ids.push(await active(`c${i}@example.org`));
        const claims = await Promise.all(['w1', 'w2', 'w3'].map((w) => s.sendQueue.claimDue(NOW, 8, w, NOW + LEASE, schedule)));
        const taken: number[] = [];
        for (const c of claims) if (c.batchId !== null) for (const i of await s.sendQueue.items(c.batchId)) taken.push(i.subscriberId!);
        expect(taken.sort((x, y) => x - y)).toEqual(ids.sort((x, y) => x - y));
        expect(claims.reduce((n, c) => n + c.due, 0)).toBe(12);
      });
    });

    describe('sendQueue.claimQueued', () => {
      it('takes queued confirmations, oldest first, into one new leased batch, each once', async () => {
        const d: number[] = [];
        for (const e of ['1@example.org', '2@example.org', '3@example.org']) d.push((await s.subscribers.signup(signupOf(e, { firstName: e[0]! }), decideAt(NOW))).confirmationDeliveryId!);
        const first = await s.sendQueue.claimQueued(NOW, 2, 'w1', NOW + LEASE);
        expect(first).toEqual(expect.any(Number));
        expect(await s.sendQueue.batch(first!)).toMatchObject({ status: 'ready', attempts: 0, payload: null, leaseOwner: 'w1' });
        const items = await s.sendQueue.items(first!);
        expect(items.map((i) => i.deliveryId)).toEqual(d.slice(0, 2));
        expect(items[0]).toMatchObject({ kind: 'confirmation', step: 0, email: '1@example.org', firstName: '1', status: 'pending', tokenGeneration: 0, suppressed: false });
        const second = await s.sendQueue.claimQueued(NOW, 2, 'w2', NOW + LEASE);
        expect((await s.sendQueue.items(second!)).map((i) => i.deliveryId)).toEqual([d[2]]);
        expect(await s.sendQueue.claimQueued(NOW, 2, 'w3', NOW + LEASE)).toBeNull();
      });

      it('never takes sequence deliveries', async () => {
        await active('a@example.org');
        await s.sendQueue.claimQueued(NOW, 10, 'w1', NOW + LEASE); // the confirmation
        const claim = await s.sendQueue.claimDue(NOW, 10, 'w1', NOW + LEASE, schedule);
        expect(claim.batchId).not.toBeNull();
        expect(await s.sendQueue.claimQueued(NOW, 10, 'w2', NOW + LEASE)).toBeNull();
      });
    });

    describe('sendQueue.claimStale', () => {
      it('takes over a batch only once its lease expired; the former owner has lost it', async () => {
        await active('a@example.org');
        const claim = await s.sendQueue.claimDue(NOW, 10, 'w1', NOW + LEASE, schedule);
        expect(await s.sendQueue.claimStale(NOW + LEASE - 1, NOW + LEASE - 1, 'w2', NOW + 2 * LEASE)).toBeNull();
        expect(await s.sendQueue.claimStale(NOW + LEASE, NOW + LEASE, 'w2', NOW + 2 * LEASE)).toBe(claim.batchId);
        expect((await s.sendQueue.batch(claim.batchId!))!.leaseOwner).toBe('w2');
        expect(await s.sendQueue.claimStale(NOW + LEASE, NOW + LEASE, 'w3', NOW + 2 * LEASE)).toBeNull();
        expect(flat(await s.sendQueue.beginAttempt(claim.batchId!, 'w1', NOW + LEASE, NOW + LEASE, NOW + 2 * LEASE, await render(claim.batchId!), schedule, envelope))).toEqual({ kind: 'lost' });
        expect((await s.sendQueue.beginAttempt(claim.batchId!, 'w2', NOW + LEASE, NOW + LEASE, NOW + 2 * LEASE, await render(claim.batchId!), schedule, envelope)).kind).toBe('send');
      });

      it('compares the lease with the real time and the retry time with the tick time, each with its own', async () => {
        const { batchId } = await inDoubtBatch();
        // A tick run as if days later (npm run tick -- --now): the lease is still live in real time.
        expect(await s.sendQueue.claimStale(NOW + 3 * 24 * HOUR, NOW + LEASE - 1, 'w2', NOW + 2 * LEASE)).toBeNull();
        expect(await s.sendQueue.claimStale(NOW + 3 * 24 * HOUR, NOW + LEASE, 'w2', NOW + 2 * LEASE)).toBe(batchId);
        await s.sendQueue.release(batchId, 'w2', NOW + 3 * 24 * HOUR + HOUR, '429 slow down', false);
        // Its retry time is the tick's: a real-time tick an hour on does not take it yet.
        expect(await s.sendQueue.claimStale(NOW + 2 * HOUR, NOW + 2 * HOUR, 'w3', NOW + 2 * HOUR + LEASE)).toBeNull();
        expect(await s.sendQueue.claimStale(NOW + 3 * 24 * HOUR + HOUR, NOW + 2 * HOUR, 'w3', NOW + 2 * HOUR + LEASE)).toBe(batchId);
      });

      it('renewLease moves the lease of its holder only, and says whether it still holds the batch', async () => {
        const { batchId, emails } = await inDoubtBatch();
        expect(await s.sendQueue.renewLease(batchId, 'w1', NOW + 2 * LEASE)).toBe(true);
        expect(await s.sendQueue.claimStale(NOW + LEASE, NOW + 2 * LEASE - 1, 'w2', NOW + 3 * LEASE)).toBeNull();
        expect(await s.sendQueue.claimStale(NOW + LEASE, NOW + 2 * LEASE, 'w2', NOW + 3 * LEASE)).toBe(batchId);
        expect(await s.sendQueue.renewLease(batchId, 'w1', NOW + 4 * LEASE)).toBe(false);
        expect(await batchRow(batchId)).toMatchObject({ leaseOwner: 'w2', leaseExpiresAt: NOW + 3 * LEASE });
        await s.sendQueue.settle(batchId, accepted(emails), NOW + 2 * LEASE, schedule);
        expect(await s.sendQueue.renewLease(batchId, 'w2', NOW + 4 * LEASE)).toBe(false);
      });

      it('nextLeaseEnd: when the first lease still live on an unfinished batch ends', async () => {
        expect(await s.sendQueue.nextLeaseEnd(NOW)).toBeNull();
        const { batchId, emails } = await inDoubtBatch();
        await active('c@example.org', NOW + MINUTE);
        const other = await s.sendQueue.claimDue(NOW + MINUTE, 10, 'w2', NOW + MINUTE + LEASE, schedule);
        expect(await s.sendQueue.nextLeaseEnd(NOW)).toBe(NOW + LEASE);
        expect(await s.sendQueue.nextLeaseEnd(NOW + LEASE)).toBe(NOW + MINUTE + LEASE);
        await s.sendQueue.settle(batchId, accepted(emails), NOW + MINUTE, schedule);
        await s.sendQueue.release(other.batchId!, 'w2', NOW + HOUR, 'timeout', false);
        expect(await s.sendQueue.nextLeaseEnd(NOW)).toBeNull();
      });

      it('waits for the retry time of a released batch', async () => {
        const { batchId } = await inDoubtBatch();
        await s.sendQueue.release(batchId, 'w1', NOW + HOUR, '429 slow down', false);
        expect(await s.sendQueue.claimStale(NOW + LEASE, NOW + LEASE, 'w2', NOW + 2 * LEASE)).toBeNull();
        expect(await s.sendQueue.claimStale(NOW + HOUR, NOW + HOUR, 'w2', NOW + HOUR + LEASE)).toBe(batchId);
        expect(await batchRow(batchId)).toMatchObject({ lastError: '429 slow down', leaseOwner: 'w2' });
      });

      it('never takes a settled batch, oldest unfinished first', async () => {
        await active('a@example.org');
        const done = await sendDue(NOW);
        expect(await s.sendQueue.claimStale(NOW + 10 * LEASE, NOW + 10 * LEASE, 'w2', NOW + 11 * LEASE)).toBeNull();
        await active('b@example.org', NOW + HOUR);
        await active('c@example.org', NOW + 2 * HOUR);
        const b1 = await s.sendQueue.claimDue(NOW + HOUR, 10, 'w1', NOW + HOUR + LEASE, schedule);
        const b2 = await s.sendQueue.claimDue(NOW + 2 * HOUR, 10, 'w1', NOW + 2 * HOUR + LEASE, schedule);
        expect(done.batchId).toBeLessThan(b1.batchId!);
        expect(await s.sendQueue.claimStale(NOW + 3 * HOUR, NOW + 3 * HOUR, 'w2', NOW + 4 * HOUR)).toBe(b1.batchId);
        expect(await s.sendQueue.claimStale(NOW + 3 * HOUR, NOW + 3 * HOUR, 'w2', NOW + 4 * HOUR)).toBe(b2.batchId);
        expect(await s.sendQueue.claimStale(NOW + 3 * HOUR, NOW + 3 * HOUR, 'w2', NOW + 4 * HOUR)).toBeNull();
      });
    });

    describe('sendQueue.beginAttempt', () => {
      it("measures the replay window on the machine's clock: a batch first tried by a tick acting days ahead is held, not repeated, a day later", async () => {
        await active('a@example.org');
        const ahead = NOW + 10 * DAY;
        const claim = await s.sendQueue.claimDue(ahead, 10, 'w1', NOW + LEASE, schedule);
        const begun = await s.sendQueue.beginAttempt(claim.batchId!, 'w1', ahead, NOW, NOW + LEASE, await render(claim.batchId!), schedule, envelope);
        expect(begun.kind).toBe('send');
        expect(await batchRow(claim.batchId!)).toMatchObject({ firstAttemptAt: NOW, inDoubt: true });
        // The process died with the outcome unknown; a live worker takes the batch over past the provider's 24 hours.
        const t = NOW + REPLAY_WINDOW_MS + HOUR;
        expect(await s.sendQueue.claimStale(t, t, 'w2', t + LEASE)).toBe(claim.batchId);
        expect(flat(await s.sendQueue.beginAttempt(claim.batchId!, 'w2', t, t, t + LEASE, null, schedule, envelope))).toEqual({ kind: 'held' });
      });

      it('the first attempt persists the fresh request with its key and rendered subjects; another owner loses', async () => {
        const a = await active('a@example.org');
        const claim = await s.sendQueue.claimDue(NOW, 10, 'w1', NOW + LEASE, schedule);
        const fresh = await render(claim.batchId!);
        expect(flat(await s.sendQueue.beginAttempt(claim.batchId!, 'w2', NOW, NOW, NOW + LEASE, fresh, schedule, envelope))).toEqual({ kind: 'lost' });
        const begun = await s.sendQueue.beginAttempt(claim.batchId!, 'w1', NOW, NOW, NOW + LEASE, fresh, schedule, envelope);
        const request = batchRequest(fresh.emails);
        expect(flat(begun)).toEqual({ kind: 'send', emails: fresh.emails, body: bytes(batchRequest(fresh.emails).body), idempotencyKey: request.idempotencyKey, dropped: 0, replay: false });
        expect(await s.sendQueue.batch(claim.batchId!)).toMatchObject({ status: 'ready', attempts: 1, payload: request.payload, idempotencyKey: request.idempotencyKey, leaseOwner: 'w1' });
        expect(await deliveryOf(a, 1)).toMatchObject({ subject: 'step-1 for Annabel', templateVersion: 'v-step-1', status: 'queued' });
        expect(await batchRow(claim.batchId!)).toMatchObject({ firstAttemptAt: NOW, inDoubt: true });
      });

      it('renews the lease; a known failure keeps it', async () => {
        await active('a@example.org');
        const claim = await s.sendQueue.claimDue(NOW, 10, 'w1', NOW + LEASE, schedule);
        const later = NOW + LEASE - MINUTE;
        expect((await s.sendQueue.beginAttempt(claim.batchId!, 'w1', later, later, later + LEASE, await render(claim.batchId!), schedule, envelope)).kind).toBe('send');
        expect(await s.sendQueue.claimStale(NOW + LEASE, NOW + LEASE, 'w2', NOW + 2 * LEASE)).toBeNull();
        await s.sendQueue.markKnownFailure(claim.batchId!, 'w1', '503');
        expect(await batchRow(claim.batchId!)).toMatchObject({ leaseOwner: 'w1', leaseExpiresAt: later + LEASE, inDoubt: false, lastError: '503' });
        expect(await s.sendQueue.claimStale(later + LEASE - 1, later + LEASE - 1, 'w2', NOW + 3 * LEASE)).toBeNull();
        expect(await s.sendQueue.claimStale(later + LEASE, later + LEASE, 'w2', NOW + 3 * LEASE)).toBe(claim.batchId);
      });

      it('is lost when nothing was persisted and nothing fresh is given, or the batch is settled or unknown', async () => {
        await active('a@example.org');
        const claim = await s.sendQueue.claimDue(NOW, 10, 'w1', NOW + LEASE, schedule);
        expect(flat(await s.sendQueue.beginAttempt(claim.batchId!, 'w1', NOW, NOW, NOW + LEASE, null, schedule, envelope))).toEqual({ kind: 'lost' });
        const begun = await s.sendQueue.beginAttempt(claim.batchId!, 'w1', NOW, NOW, NOW + LEASE, await render(claim.batchId!), schedule, envelope);
        if (begun.kind !== 'send') throw new Error(begun.kind);
        await s.sendQueue.settle(claim.batchId!, accepted(begun.emails), NOW, schedule);
        expect(flat(await s.sendQueue.beginAttempt(claim.batchId!, 'w1', NOW, NOW, NOW + LEASE, null, schedule, envelope))).toEqual({ kind: 'lost' });
        expect(flat(await s.sendQueue.beginAttempt(999_999, 'w1', NOW, NOW, NOW + LEASE, null, schedule, envelope))).toEqual({ kind: 'lost' });
      });

      it('after a known failure the request is rebuilt: people who left are dropped and the request gets a new key', async () => {
        const { b, batchId, emails, key } = await inDoubtBatch();
        await s.sendQueue.markKnownFailure(batchId, 'w1', '500 internal error');
        await s.subscribers.unsubscribe(b, NOW + MINUTE, {});
        const begun = await s.sendQueue.beginAttempt(batchId, 'w1', NOW + 2 * MINUTE, NOW + 2 * MINUTE, NOW + LEASE, null, schedule, envelope);
        const onlyA = [emailTo(emails, 'a@example.org')];
        expect(flat(begun)).toEqual({ kind: 'send', emails: onlyA, body: bytes(batchRequest(onlyA).body), idempotencyKey: batchRequest(onlyA).idempotencyKey, dropped: 1, replay: false });
        expect(batchRequest(onlyA).idempotencyKey).not.toBe(key);
        expect(await s.sendQueue.batch(batchId)).toMatchObject({ attempts: 2, payload: batchRequest(onlyA).payload, idempotencyKey: batchRequest(onlyA).idempotencyKey });
        const bDelivery = await deliveryOf(b, 1);
        expect(bDelivery.status).toBe('dropped');
        expect(bDelivery.error).toMatch(/unsubscribed/);
        expect((await s.sendQueue.items(batchId)).map((i) => i.subscriberId)).not.toContain(b);
        expect(await batchRow(batchId)).toMatchObject({ lastError: '500 internal error' });
      });

      it('after a known failure with nobody gone, the same request goes again with the same key', async () => {
        const { batchId, emails, key } = await inDoubtBatch();
        await s.sendQueue.markKnownFailure(batchId, 'w1', '503');
        expect(flat(await s.sendQueue.beginAttempt(batchId, 'w1', NOW + MINUTE, NOW + MINUTE, NOW + LEASE, null, schedule, envelope))).toEqual({ kind: 'send', emails, body: bytes(batchRequest(emails).body), idempotencyKey: key, dropped: 0, replay: false });
      });

      it('in doubt: the identical request and key are replayed, even for someone who left since', async () => {
        const { b, batchId, emails, key } = await inDoubtBatch();
        await s.subscribers.unsubscribe(b, NOW + MINUTE, {});
        expect(await s.sendQueue.claimStale(NOW + LEASE, NOW + LEASE, 'w2', NOW + 2 * LEASE)).toBe(batchId);
        expect(flat(await s.sendQueue.beginAttempt(batchId, 'w2', NOW + LEASE, NOW + LEASE, NOW + 2 * LEASE, null, schedule, envelope))).toEqual({ kind: 'send', emails, body: bytes(batchRequest(emails).body), idempotencyKey: key, dropped: 0, replay: true });
        expect(await s.sendQueue.batch(batchId)).toMatchObject({ attempts: 2, idempotencyKey: key, payload: batchRequest(emails).payload });
        expect((await deliveryOf(b, 1)).status).toBe('queued');
      });

      it('a known failure reported by a former owner does not make a batch in doubt rebuildable', async () => {
        const { b, batchId, emails, key } = await inDoubtBatch();
        expect(await s.sendQueue.claimStale(NOW + LEASE, NOW + LEASE, 'w2', NOW + 2 * LEASE)).toBe(batchId);
        await s.sendQueue.markKnownFailure(batchId, 'w1', 'late answer');
        await s.subscribers.unsubscribe(b, NOW + LEASE, {});
        expect(flat(await s.sendQueue.beginAttempt(batchId, 'w2', NOW + LEASE, NOW + LEASE, NOW + 2 * LEASE, null, schedule, envelope))).toEqual({ kind: 'send', emails, body: bytes(batchRequest(emails).body), idempotencyKey: key, dropped: 0, replay: true });
      });

      it('in doubt past the replay window, counted from the first attempt: held for staff and never claimed again', async () => {
        const { batchId, emails, key } = await inDoubtBatch();
        // A replay inside the window does not move the window's start.
        const t1 = NOW + 12 * HOUR;
        expect(await s.sendQueue.claimStale(t1, t1, 'w2', t1 + LEASE)).toBe(batchId);
        expect(flat(await s.sendQueue.beginAttempt(batchId, 'w2', t1, t1, t1 + LEASE, null, schedule, envelope))).toEqual({ kind: 'send', emails, body: bytes(batchRequest(emails).body), idempotencyKey: key, dropped: 0, replay: true });
        const t2 = NOW + REPLAY_WINDOW_MS + 1;
        expect(await s.sendQueue.claimStale(t2, t2, 'w3', t2 + LEASE)).toBe(batchId);
        expect(flat(await s.sendQueue.beginAttempt(batchId, 'w3', t2, t2, t2 + LEASE, null, schedule, envelope))).toEqual({ kind: 'held' });

        expect(await s.sendQueue.batch(batchId)).toMatchObject({ status: 'held', leaseOwner: null, attempts: 2 });
        const held = await s.sendQueue.held();
        expect(held).toEqual([{ id: batchId, createdAt: NOW, firstAttemptAt: NOW, attempts: 2, lastError: expect.any(String), deliveries: 2, kinds: 'sequence' }]);
        expect(await s.sendQueue.claimStale(t2 + 10 * LEASE, t2 + 10 * LEASE, 'w4', t2 + 11 * LEASE)).toBeNull();
        expect(flat(await s.sendQueue.beginAttempt(batchId, 'w3', t2, t2, t2 + LEASE, null, schedule, envelope))).toEqual({ kind: 'lost' });
      });

      it('empty when every delivery was dropped: the batch is failed and nothing is left to claim', async () => {
        const a = await active('a@example.org');
        const claim = await s.sendQueue.claimDue(NOW, 10, 'w1', NOW + LEASE, schedule);
        const fresh = await render(claim.batchId!);
        await s.subscribers.suppress({ emailHash: hashOf('a@example.org'), reason: 'bounced', at: NOW + MINUTE });
        expect(flat(await s.sendQueue.beginAttempt(claim.batchId!, 'w1', NOW + MINUTE, NOW + MINUTE, NOW + LEASE, fresh, schedule, envelope))).toEqual({ kind: 'empty', dropped: 1 });
        expect(await batchRow(claim.batchId!)).toMatchObject({ status: 'failed', payload: null, leaseOwner: null });
        const d = await deliveryOf(a, 1);
        expect(d.status).toBe('dropped');
        expect(d.error).toMatch(/suppressed/);
        expect(await s.sendQueue.claimStale(NOW + 10 * LEASE, NOW + 10 * LEASE, 'w2', NOW + 11 * LEASE)).toBeNull();
      });
    });

    describe('sendQueue.release', () => {
      it('known=false: the lease is given up at once and the next owner replays the same request', async () => {
        const { b, batchId, emails, key } = await inDoubtBatch();
        await s.sendQueue.release(batchId, 'w1', null, 'timeout', false);
        await s.subscribers.unsubscribe(b, NOW + MINUTE, {});
        expect(await s.sendQueue.claimStale(NOW + MINUTE, NOW + MINUTE, 'w2', NOW + MINUTE + LEASE)).toBe(batchId);
        expect(flat(await s.sendQueue.beginAttempt(batchId, 'w2', NOW + MINUTE, NOW + MINUTE, NOW + MINUTE + LEASE, null, schedule, envelope))).toEqual({ kind: 'send', emails, body: bytes(batchRequest(emails).body), idempotencyKey: key, dropped: 0, replay: true });
        expect((await batchRow(batchId)).lastError).toBe('timeout');
      });

      it('known=true: the next owner rebuilds without people who left', async () => {
        const { b, batchId, emails } = await inDoubtBatch();
        await s.sendQueue.release(batchId, 'w1', null, '500', true);
        await s.subscribers.unsubscribe(b, NOW + MINUTE, {});
        expect(await s.sendQueue.claimStale(NOW + MINUTE, NOW + MINUTE, 'w2', NOW + MINUTE + LEASE)).toBe(batchId);
        const onlyA = [emailTo(emails, 'a@example.org')];
        expect(flat(await s.sendQueue.beginAttempt(batchId, 'w2', NOW + MINUTE, NOW + MINUTE, NOW + MINUTE + LEASE, null, schedule, envelope))).toEqual({ kind: 'send', emails: onlyA, body: bytes(batchRequest(onlyA).body), idempotencyKey: batchRequest(onlyA).idempotencyKey, dropped: 1, replay: false });
      });

      it('by someone who no longer holds the batch, changes nothing', async () => {
        const { batchId } = await inDoubtBatch();
        expect(await s.sendQueue.claimStale(NOW + LEASE, NOW + LEASE, 'w2', NOW + 2 * LEASE)).toBe(batchId);
        await s.sendQueue.release(batchId, 'w1', null, 'late', true);
        expect(await batchRow(batchId)).toMatchObject({ leaseOwner: 'w2', inDoubt: true });
        expect(await s.sendQueue.claimStale(NOW + LEASE + 1, NOW + LEASE + 1, 'w3', NOW + 3 * LEASE)).toBeNull();
      });
    });

    describe('sendQueue.settle', () => {
      it('marks each email sent or failed, moves every subscriber on by the policy, and clears the request', async () => {
        const { a, b, batchId, emails } = await inDoubtBatch();
        const at = NOW + 30_000;
        const ea = deliveryIdOf(emailTo(emails, 'a@example.org'));
        const eb = deliveryIdOf(emailTo(emails, 'b@example.org'));
        const summary = await s.sendQueue.settle(batchId, [{ deliveryId: ea, providerId: 'p-a' }, { deliveryId: eb, error: '550 mailbox full' }, { deliveryId: 999_999, providerId: 'stray' }], at, schedule);
        expect(summary).toEqual({ sent: 1, failed: 1, completed: 0 });
        expect(await s.sendQueue.delivery(ea)).toEqual({ id: ea, status: 'sent', providerId: 'p-a', error: null, sentAt: at });
        expect(await s.sendQueue.delivery(eb)).toEqual({ id: eb, status: 'failed', providerId: null, error: '550 mailbox full', sentAt: null });
        expect(await s.sendQueue.delivery(999_999)).toBeUndefined();

        const next = schedule.decideAfterSend({ sequence: 'education', confirmedAt: NOW, timezone: 'UTC', received: [1] }, 1, at);
        if (next.kind !== 'next') throw new Error('expected a next step');
        expect(next.at).toBeGreaterThan(at);
        // A failed email moves the subscriber on too: it is not retried forever.
        for (const id of [a, b]) expect(await s.subscribers.byId(id)).toMatchObject({ status: 'active', nextStep: 2, nextSendAt: next.at });
        expect(await s.subscribers.lastSequenceSent(a)).toEqual({ step: 1, sentAt: at });
        expect(await s.subscribers.lastSequenceSent(b)).toBeNull();
        expect(await batchRow(batchId)).toMatchObject({ status: 'sent', sentAt: at, payload: null, leaseOwner: null, inDoubt: false });

        expect((await s.sendQueue.claimDue(next.at - 1, 10, 'w1', next.at + LEASE, schedule)).due).toBe(0);
        const claim = await s.sendQueue.claimDue(next.at, 10, 'w1', next.at + LEASE, schedule);
        expect((await s.sendQueue.items(claim.batchId!)).map((i) => [i.subscriberId, i.step]).sort()).toEqual([
          [a, 2],
          [b, 2],
        ].sort());
      });
      it("a late second settle (the former owner's answer after a takeover) changes nothing", async () => {
        const { a, batchId, emails } = await inDoubtBatch();
        expect(await s.sendQueue.claimStale(NOW + LEASE, NOW + LEASE, 'w2', NOW + 2 * LEASE)).toBe(batchId);
        await s.sendQueue.beginAttempt(batchId, 'w2', NOW + LEASE, NOW + LEASE, NOW + 2 * LEASE, null, schedule, envelope);
        await s.sendQueue.settle(batchId, accepted(emails), NOW + LEASE, schedule);
        const settled = await batchRow(batchId);
        const subscriber = await s.subscribers.byId(a);
        // w1's request was accepted too (same key): its answer arrives last.
        expect(await s.sendQueue.settle(batchId, accepted(emails), NOW + LEASE + MINUTE, schedule)).toEqual({ sent: 0, failed: 0, completed: 0 });
        expect(await batchRow(batchId)).toEqual(settled);
        expect(settled).toMatchObject({ status: 'sent', sentAt: NOW + LEASE });
        expect(await s.subscribers.byId(a)).toEqual(subscriber);
        expect(await s.sendQueue.delivery(deliveryIdOf(emails[0]!))).toMatchObject({ status: 'sent', sentAt: NOW + LEASE });
      });

      it('a batch of which nothing went is failed', async () => {
        const { batchId, emails } = await inDoubtBatch();
        expect(await s.sendQueue.settle(batchId, emails.map((e) => ({ deliveryId: deliveryIdOf(e), error: 'refused' })), NOW, schedule)).toEqual({ sent: 0, failed: 2, completed: 0 });
        expect(await batchRow(batchId)).toMatchObject({ status: 'failed', sentAt: null, payload: null });
      });

      it('the last step completes the subscriber, once', async () => {
        const id = await active('a@example.org');
        const summaries = [];
        for (let step = 1; step <= SEQUENCE.length; step++) {
          const at = (await s.subscribers.byId(id))!.nextSendAt!;
          const run = await sendDue(at);
          expect((await s.sendQueue.items(run.batchId)).length).toBe(0);
          summaries.push(run.summary);
        }
        expect(summaries.map((x) => x.completed)).toEqual([0, 0, 1]);
        const sub = (await s.subscribers.byId(id))!;
        expect(sub).toMatchObject({ status: 'completed', nextStep: null, nextSendAt: null });
        expect(sub.completedAt).toEqual(expect.any(Number));
        expect((await activityOf(id)).filter((t) => t === 'completed')).toHaveLength(1);
        expect((await s.subscribers.record(id))!.deliveries.filter((d) => d.kind === 'sequence').map((d) => [d.step, d.status])).toEqual([
          [1, 'sent'],
          [2, 'sent'],
          [3, 'sent'],
        ]);
        expect((await s.sendQueue.claimDue(NOW + 60 * 24 * HOUR, 10, 'w1', NOW + 61 * 24 * HOUR, schedule)).due).toBe(0);
      });

      it('someone who left while their email was in flight is not scheduled again', async () => {
        const { a, batchId, emails } = await inDoubtBatch();
        await s.subscribers.unsubscribe(a, NOW + MINUTE, {});
        await s.sendQueue.settle(batchId, accepted(emails), NOW + 2 * MINUTE, schedule);
        expect(await s.subscribers.byId(a)).toMatchObject({ status: 'unsubscribed', nextStep: null, nextSendAt: null });
        expect((await deliveryOf(a, 1)).status).toBe('sent');
      });

      it('confirmation: a sent one is recorded; a failed one lets the person ask again at once', async () => {
        const a = await pending('a@example.org');
        const b = await pending('b@example.org');
        const batchId = (await s.sendQueue.claimQueued(NOW, 10, 'w1', NOW + LEASE))!;
        const begun = await s.sendQueue.beginAttempt(batchId, 'w1', NOW, NOW, NOW + LEASE, await render(batchId), schedule, envelope);
        if (begun.kind !== 'send') throw new Error(begun.kind);
        const da = deliveryIdOf(emailTo(begun.emails, 'a@example.org'));
        const db = deliveryIdOf(emailTo(begun.emails, 'b@example.org'));
        expect(await s.sendQueue.settle(batchId, [{ deliveryId: da, providerId: 'p-a' }, { deliveryId: db, error: 'invalid recipient' }], NOW + MINUTE, schedule)).toEqual({ sent: 1, failed: 1, completed: 0 });
        expect(await activityOf(a)).toEqual(['signup', 'confirmation_sent']);
        expect(await activityOf(b)).toEqual(['signup']);
        expect(await s.subscribers.byId(a)).toMatchObject({ status: 'pending', confirmationSentAt: NOW });
        expect(await s.subscribers.byId(b)).toMatchObject({ status: 'pending', confirmationSentAt: null });

        const t = NOW + 2 * MINUTE;
        expect((await s.subscribers.signup(signupOf('b@example.org', { now: t }), decideAt(t))).action).toEqual({ kind: 'resend' });
        expect((await s.subscribers.signup(signupOf('a@example.org', { now: t }), decideAt(t))).action).toEqual({ kind: 'none', reason: 'recently_sent' });
      });
    });

    describe('sendQueue.split', () => {
      it('replaces a refused batch by new prepared batches, leased to the owner, each sent as persisted', async () => {
        await active('a@example.org');
        await active('b@example.org');
        await active('c@example.org');
        const run = await claimAndBegin(NOW);
        await s.sendQueue.markKnownFailure(run.batchId, 'w1', '422 invalid');
        const partA = [emailTo(run.emails, 'a@example.org')];
        const partBC = [emailTo(run.emails, 'b@example.org'), emailTo(run.emails, 'c@example.org')];
        const ids = await s.sendQueue.split(run.batchId, [partA, partBC], '422 invalid', 'w1', NOW + MINUTE, NOW + MINUTE + LEASE, envelope);
        expect(ids).toHaveLength(2);
        const [x, y] = ids as [number, number];

        const old = await batchRow(run.batchId);
        expect(old).toMatchObject({ status: 'failed', payload: null, leaseOwner: null });
        expect(old.lastError).toContain('422 invalid');
        expect(await s.sendQueue.items(run.batchId)).toEqual([]);
        expect(await s.sendQueue.batch(x)).toMatchObject({ status: 'ready', attempts: 0, leaseOwner: 'w1', payload: batchRequest(partA).payload, idempotencyKey: batchRequest(partA).idempotencyKey });
        expect((await s.sendQueue.items(x)).map((i) => i.deliveryId)).toEqual(partA.map(deliveryIdOf));
        expect((await s.sendQueue.items(y)).map((i) => i.deliveryId).sort()).toEqual(partBC.map(deliveryIdOf).sort());

        expect(flat(await s.sendQueue.beginAttempt(y, 'w2', NOW + MINUTE, NOW + MINUTE, NOW + LEASE, null, schedule, envelope))).toEqual({ kind: 'lost' });
        expect(flat(await s.sendQueue.beginAttempt(y, 'w1', NOW + MINUTE, NOW + MINUTE, NOW + LEASE, null, schedule, envelope))).toEqual({ kind: 'send', emails: partBC, body: bytes(batchRequest(partBC).body), idempotencyKey: batchRequest(partBC).idempotencyKey, dropped: 0, replay: false });
        // Until its owner's lease runs out, nobody else takes a part over.
        expect(await s.sendQueue.claimStale(NOW + MINUTE, NOW + MINUTE, 'w2', NOW + 2 * LEASE)).toBeNull();
        expect(await s.sendQueue.claimStale(NOW + MINUTE + LEASE, NOW + MINUTE + LEASE, 'w2', NOW + 2 * LEASE)).toBe(x);
      });
    });

    describe('sendQueue.resolveHeld', () => {
      async function heldBatch() {
        const run = await inDoubtBatch();
        const t = NOW + REPLAY_WINDOW_MS + HOUR;
        expect(await s.sendQueue.claimStale(t, t, 'w2', t + LEASE)).toBe(run.batchId);
        expect(flat(await s.sendQueue.beginAttempt(run.batchId, 'w2', t, t, t + LEASE, null, schedule, envelope))).toEqual({ kind: 'held' });
        return { ...run, t };
      }

      it("'resend': ready again for any worker, rebuilt without people who left", async () => {
        const { b, batchId, emails, t } = await heldBatch();
        await s.subscribers.unsubscribe(b, t + MINUTE, {});
        expect(await s.sendQueue.resolveHeld(batchId, 'resend', t + 2 * MINUTE, schedule)).toBe(true);
        expect(await s.sendQueue.held()).toEqual([]);
        expect(await s.sendQueue.resolveHeld(batchId, 'resend', t + 2 * MINUTE, schedule)).toBe(false);
        expect(await s.sendQueue.claimStale(t + 2 * MINUTE, t + 2 * MINUTE, 'w3', t + 2 * MINUTE + LEASE)).toBe(batchId);
        const onlyA = [emailTo(emails, 'a@example.org')];
        expect(flat(await s.sendQueue.beginAttempt(batchId, 'w3', t + 2 * MINUTE, t + 2 * MINUTE, t + 2 * MINUTE + LEASE, null, schedule, envelope))).toEqual({ kind: 'send', emails: onlyA, body: bytes(batchRequest(onlyA).body), idempotencyKey: batchRequest(onlyA).idempotencyKey, dropped: 1, replay: false });
        // A new request: its replay window starts now, so a crash now is replayed, not held again.
        const t2 = t + 2 * MINUTE + LEASE;
        expect(await s.sendQueue.claimStale(t2, t2, 'w4', t2 + LEASE)).toBe(batchId);
        expect((await s.sendQueue.beginAttempt(batchId, 'w4', t2, t2, t2 + LEASE, null, schedule, envelope)).kind).toBe('send');
      });

      it("'sent': every queued delivery settled as sent and the subscribers move on", async () => {
        const { a, b, batchId, t } = await heldBatch();
        expect(await s.sendQueue.resolveHeld(batchId, 'sent', t + MINUTE, schedule)).toBe(true);
        expect(await s.sendQueue.held()).toEqual([]);
        expect(await batchRow(batchId)).toMatchObject({ status: 'sent', payload: null, sentAt: t + MINUTE });
        for (const id of [a, b]) {
          expect(await deliveryOf(id, 1)).toMatchObject({ status: 'sent', sentAt: t + MINUTE });
          expect((await s.subscribers.byId(id))!.nextStep).toBe(2);
          expect((await s.subscribers.byId(id))!.nextSendAt).toEqual(expect.any(Number));
        }
        expect(await s.sendQueue.resolveHeld(batchId, 'sent', t + MINUTE, schedule)).toBe(false);
      });

      it('refuses a batch that is not held', async () => {
        const { batchId } = await inDoubtBatch();
        expect(await s.sendQueue.resolveHeld(batchId, 'sent', NOW, schedule)).toBe(false);
        expect(await s.sendQueue.resolveHeld(batchId, 'resend', NOW, schedule)).toBe(false);
        expect(await s.sendQueue.resolveHeld(999_999, 'resend', NOW, schedule)).toBe(false);
        expect(await batchRow(batchId)).toMatchObject({ status: 'ready', leaseOwner: 'w1' });
      });
    });

    describe('sendQueue.enqueueTest', () => {
      it('queues a rendered staff test as a prepared request that any worker takes and sends as is', async () => {
        const email: OutgoingEmail = { from: 'course@nurture.test', to: 'staff@nurture.test', subject: '[test] Lesson 1', html: '<p>Lesson 1</p>', text: 'Lesson 1' };
        const id = await s.sendQueue.enqueueTest({ templateId: 'step-1', templateVersion: 'v9', subject: '[test] Lesson 1', toAddress: 'staff@nurture.test', subscriberId: null, email }, NOW, envelope);
        expect(await s.sendQueue.delivery(id)).toEqual({ id, status: 'queued', providerId: null, error: null, sentAt: null });
        const tagged = [tagDelivery(email, id)];

        const batchId = await s.sendQueue.claimStale(NOW, NOW, 'w1', NOW + LEASE);
        expect(batchId).toEqual(expect.any(Number));
        expect(await s.sendQueue.batch(batchId!)).toMatchObject({ payload: batchRequest(tagged).payload, idempotencyKey: batchRequest(tagged).idempotencyKey, leaseOwner: 'w1' });
        expect(await s.sendQueue.items(batchId!)).toEqual([expect.objectContaining({ deliveryId: id, kind: 'test', step: 0, templateId: 'step-1', toAddress: 'staff@nurture.test', subscriberId: null, email: null })]);
        // Only one claim ever takes it.
        expect(await s.sendQueue.claimQueued(NOW, 10, 'w2', NOW + LEASE)).toBeNull();
        expect(await s.sendQueue.claimStale(NOW, NOW, 'w2', NOW + LEASE)).toBeNull();

        expect(flat(await s.sendQueue.beginAttempt(batchId!, 'w1', NOW, NOW, NOW + LEASE, null, schedule, envelope))).toEqual({ kind: 'send', emails: tagged, body: bytes(batchRequest(tagged).body), idempotencyKey: batchRequest(tagged).idempotencyKey, dropped: 0, replay: false });
        expect(await s.sendQueue.settle(batchId!, [{ deliveryId: id, providerId: 'p-test' }], NOW + 1000, schedule)).toEqual({ sent: 1, failed: 0, completed: 0 });
        expect(await s.sendQueue.delivery(id)).toEqual({ id, status: 'sent', providerId: 'p-test', error: null, sentAt: NOW + 1000 });
      });
    });

    describe('sequence versions', () => {
      // Version 2 of the stub: a new step 9 after step 1, step 3 removed.
      const v2 = queueSchedule(
        { education: { version: 2, steps: [SEQUENCE[0]!, { step: 9, dayOffset: 1, templateId: 'step-9', subject: 'Lesson 9' }, SEQUENCE[1]!] }, 'consult-follow-up': { version: 1, steps: CONSULT } },
        scheduleOptions({ sendWindow: { startMinute: 9 * 60, endMinute: 17 * 60 } }),
      );

      it('version 1 is published from the start; only a newer version can follow', async () => {
        expect((await s.sequence.published('education')).map((p) => [p.version, p.publishedBy])).toEqual([[1, 'migration']]);
        expect(await s.sequence.publish('education', 1, 'staff', NOW)).toBe(false);
        expect(await s.sequence.publish('education', 3, 'staff', NOW)).toBe(true);
        expect(await s.sequence.publish('education', 2, 'staff', NOW + 1)).toBe(false);
        expect(await s.sequence.published('education')).toEqual([expect.objectContaining({ version: 1, plan: 1 }), { version: 3, plan: 3, publishedAt: NOW, publishedBy: 'staff' }]);
        // A roll back: version 1's plan published again under a new number.
        expect(await s.sequence.publish('education', 3, 'staff', NOW + 2, 1)).toBe(false);
        expect(await s.sequence.publish('education', 4, 'staff', NOW + 2, 1)).toBe(true);
        expect((await s.sequence.published('education')).map((p) => [p.version, p.plan])).toEqual([
          [1, 1],
          [3, 3],
          [4, 1],
        ]);
      });

      it('each sequence has its own versions: publishing one leaves the other as it was', async () => {
        expect((await s.sequence.published('consult-follow-up')).map((p) => [p.version, p.publishedBy])).toEqual([[1, 'migration']]);
        expect(await s.sequence.publish('consult-follow-up', 2, 'staff', NOW)).toBe(true);
        expect(await s.sequence.publish('consult-follow-up', 2, 'staff', NOW + 1)).toBe(false);
        expect(await s.sequence.publish('education', 2, 'staff', NOW + 1)).toBe(true);
        expect((await s.sequence.published('consult-follow-up')).map((p) => p.version)).toEqual([1, 2]);
        expect((await s.sequence.published('education')).map((p) => p.version)).toEqual([1, 2]);
        const id = await active('both@example.org');
        await s.subscribers.enrol(id, { sequence: 'consult-follow-up', now: NOW, version: 2, firstStep: 1, by: 'staff', at: () => NOW + DAY });
        expect(await s.sequence.headcount('consult-follow-up')).toEqual([{ version: 2, step: 1, count: 1 }]);
        expect(await s.sequence.headcount('education')).toEqual([{ version: 1, step: 1, count: 1 }]);
        expect((await s.sendQueue.scheduled('consult-follow-up', 0, 10)).map((r) => [r.id, r.sequence])).toEqual([[id, 'consult-follow-up']]);
      });

      it('confirming enrols in the given version; headcount is per version and next step (null while in flight)', async () => {
        await active('a@example.org');
        await active('b@example.org');
        const c = await pending('c@example.org');
        await s.subscribers.confirm(c, { now: NOW, consent, sequenceVersion: 2, firstStep: firstUndelivered });
        expect(await s.sequence.headcount('education')).toEqual([
          { version: 1, step: 1, count: 2 },
          { version: 2, step: 1, count: 1 },
        ]);
        await s.sendQueue.claimDue(NOW, 1, 'w1', NOW + LEASE, schedule);
        expect(await s.sequence.headcount('education')).toEqual([
          { version: 1, step: null, count: 1 },
          { version: 1, step: 1, count: 1 },
          { version: 2, step: 1, count: 1 },
        ]);
      });

      it('moveToVersion moves scheduled people on an older version on from where they are, once each', async () => {
        // a has steps 1 and 2 (step 3, now removed, was next); b has step 1 (step 9 is added after it).
        const a = await active('a@example.org');
        await sendDue(NOW);
        const second = (await s.subscribers.byId(a))!.nextSendAt!;
        await sendDue(second);
        const b = await active('b@example.org', second + MINUTE);
        await sendDue(second + MINUTE);
        expect(await s.subscribers.received(a)).toEqual(expect.arrayContaining([1, 2]));
        expect(await s.subscribers.byId(b)).toMatchObject({ nextStep: 2, sequenceVersion: 1 });

        const at = second + HOUR;
        expect(await s.sendQueue.moveToVersion(at, 10, v2)).toBe(2);
        expect(await s.sendQueue.moveToVersion(at, 10, v2)).toBe(0);
        expect(await s.subscribers.byId(a)).toMatchObject({ status: 'completed', nextStep: null, nextSendAt: null });
        const moved = (await s.subscribers.byId(b))!;
        expect(moved).toMatchObject({ status: 'active', nextStep: 9, sequenceVersion: 2 });
        expect(moved.nextSendAt).toBeGreaterThanOrEqual(second + MINUTE + 20 * HOUR);
        expect(await s.sendQueue.scheduled('education', 0, 10)).toEqual([expect.objectContaining({ id: b, nextStep: 9, received: [1], sequenceVersion: 2 })]);

        // The next claim sends step 9, and after it step 2.
        const claim = await s.sendQueue.claimDue(moved.nextSendAt!, 10, 'w1', moved.nextSendAt! + LEASE, v2);
        const items = await s.sendQueue.items(claim.batchId!);
        expect(items.map((i) => [i.subscriberId, i.step])).toEqual([[b, 9]]);
        await s.sendQueue.settle(claim.batchId!, items.map((i) => ({ deliveryId: i.deliveryId, providerId: 'p' })), moved.nextSendAt!, v2);
        expect(await s.subscribers.byId(b)).toMatchObject({ nextStep: 2, sequenceVersion: 2 });
      });

      it('scheduled pages through active people with a next email scheduled, in id order', async () => {
        const ids = [];
        for (const e of ['p1@example.org', 'p2@example.org', 'p3@example.org']) ids.push(await active(e));
        await pending('q@example.org');
        expect((await s.sendQueue.scheduled('education', 0, 2)).map((r) => r.id)).toEqual(ids.slice(0, 2));
        expect((await s.sendQueue.scheduled('education', ids[1]!, 2)).map((r) => r.id)).toEqual([ids[2]]);
        await s.sendQueue.claimDue(NOW, 1, 'w1', NOW + LEASE, schedule);
        expect((await s.sendQueue.scheduled('education', 0, 10)).map((r) => r.id)).toEqual(ids.slice(1));
      });
    });

    describe('sendQueue.enqueueResend', () => {
      const step1 = { step: 1, templateId: 'step-1', subject: 'Lesson 1' };
      const allow: DecideResend = () => null;

      /** Active, step 1 sent at NOW, the confirmation out of the way. */
      async function hadStep1(email: string) {
        const id = await active(email);
        await s.sendQueue.claimQueued(NOW, 100, 'w0', NOW + LEASE);
        await sendDue(NOW);
        return id;
      }

      it('queues a resend apart from the sequence: claimed with the queued emails, sent, and nothing of their schedule moves', async () => {
        const id = await hadStep1('a@example.org');
        const before = (await s.subscribers.byId(id))!;
        const seen: ResendFacts[] = [];
        const out = await s.sendQueue.enqueueResend({ subscriberId: id, ...step1, now: NOW + HOUR }, (f) => (seen.push(f), null));
        expect(seen).toEqual([{ status: 'active', hasEmail: true, suppressed: false, stepSent: true, resendQueued: false, lastResentAt: null }]);
        if (!out.ok) throw new Error(out.reason);
        expect(await s.sendQueue.delivery(out.deliveryId)).toEqual({ id: out.deliveryId, status: 'queued', providerId: null, error: null, sentAt: null });
        // Not due work: claimDue never takes it.
        expect((await s.sendQueue.claimDue(NOW + HOUR, 10, 'w1', NOW + HOUR + LEASE, schedule)).batchId).toBeNull();

        const batchId = await s.sendQueue.claimQueued(NOW + HOUR, 10, 'w1', NOW + HOUR + LEASE);
        expect(await s.sendQueue.items(batchId!)).toEqual([
          expect.objectContaining({ deliveryId: out.deliveryId, kind: 'resend', step: 1, templateId: 'step-1', subscriberId: id, email: 'a@example.org', status: 'active', suppressed: false }),
        ]);
        const begun = await s.sendQueue.beginAttempt(batchId!, 'w1', NOW + HOUR, NOW + HOUR, NOW + HOUR + LEASE, await render(batchId!), schedule, envelope);
        expect(begun.kind).toBe('send');
        expect(await s.sendQueue.settle(batchId!, [{ deliveryId: out.deliveryId, providerId: 'p-again' }], NOW + HOUR, schedule)).toEqual({ sent: 1, failed: 0, completed: 0 });

        expect(await s.sendQueue.delivery(out.deliveryId)).toMatchObject({ status: 'sent', providerId: 'p-again', sentAt: NOW + HOUR });
        expect(await s.subscribers.byId(id)).toEqual(before);
        expect(await deliveryOf(id, 1)).toMatchObject({ status: 'sent', sentAt: NOW });
        expect(await s.subscribers.lastSequenceSent(id)).toEqual({ step: 1, sentAt: NOW });
        expect((await s.sendQueue.stepCounts('education')).get(1)).toMatchObject({ sent: 1 });
      });

      it('the decision sees each fact, read in the transaction; a refusal queues nothing', async () => {
        const a = await hadStep1('a@example.org');
        const facts = async (id: number, step = 1) => {
          let seen: ResendFacts | undefined;
          const out = await s.sendQueue.enqueueResend({ subscriberId: id, ...step1, step, now: NOW + HOUR }, (f) => ((seen = f), 'step_not_sent'));
          return { seen, out };
        };
        expect(await facts(a, 2)).toEqual({ seen: { status: 'active', hasEmail: true, suppressed: false, stepSent: false, resendQueued: false, lastResentAt: null }, out: { ok: false, reason: 'step_not_sent', status: 'active' } });

        // One queued already: seen until it settles.
        const first = await s.sendQueue.enqueueResend({ subscriberId: a, ...step1, now: NOW + HOUR }, allow);
        expect(first.ok).toBe(true);
        expect((await facts(a)).seen).toMatchObject({ stepSent: true, resendQueued: true });
        const batchId = await s.sendQueue.claimQueued(NOW + HOUR, 10, 'w1', NOW + HOUR + LEASE);
        expect((await facts(a)).seen).toMatchObject({ resendQueued: true });
        await s.sendQueue.beginAttempt(batchId!, 'w1', NOW + HOUR, NOW + HOUR, NOW + HOUR + LEASE, await render(batchId!), schedule, envelope);
        await s.sendQueue.settle(batchId!, accepted((await render(batchId!)).emails), NOW + HOUR, schedule);
        expect((await facts(a)).seen).toMatchObject({ resendQueued: false });

        const p = await pending('p@example.org');
        expect((await facts(p)).seen).toEqual({ status: 'pending', hasEmail: true, suppressed: false, stepSent: false, resendQueued: false, lastResentAt: null });
        const u = await hadStep1('u@example.org');
        await s.subscribers.unsubscribe(u, NOW + MINUTE, {});
        expect((await facts(u)).seen).toMatchObject({ status: 'unsubscribed', stepSent: true });
        const x = await hadStep1('x@example.org');
        await s.subscribers.suppress({ emailHash: hashOf('x@example.org'), reason: 'bounced', at: NOW + MINUTE });
        expect((await facts(x)).seen).toMatchObject({ status: 'suppressed', suppressed: true });
        const e = await hadStep1('e@example.org');
        await s.subscribers.erase(e, NOW + MINUTE, () => CLEARED);
        expect((await facts(e)).seen).toMatchObject({ status: 'erased', hasEmail: false });

        let asked = false;
        expect(await s.sendQueue.enqueueResend({ subscriberId: 999_999, ...step1, now: NOW }, () => ((asked = true), null))).toEqual({ ok: false, reason: 'not_found' });
        expect(asked).toBe(false);
        // Only the one resend that was allowed exists.
        const resends = (await Promise.all([a, p, u, x, e].map(async (id) => (await s.subscribers.record(id))!.deliveries))).flat().filter((d) => d.kind === 'resend');
        expect(resends.map((d) => [d.subscriberId, d.status])).toEqual([[a, 'sent']]);
      });

      it('the decision sees when this step was last asked for again (queued or sent) and the time of the request; not another step\'s, nor one that never went', async () => {
        const a = await hadStep1('a@example.org');
        const seen = async (id: number, step = 1, now = NOW + 2 * HOUR) => {
          let f: (ResendFacts & { now: number }) | undefined;
          await s.sendQueue.enqueueResend({ subscriberId: id, ...step1, step, now }, (x, at) => ((f = { ...x, now: at }), 'step_not_sent'));
          return f!;
        };
        expect(await seen(a)).toMatchObject({ lastResentAt: null, now: NOW + 2 * HOUR });
        const first = await s.sendQueue.enqueueResend({ subscriberId: a, ...step1, now: NOW + HOUR }, allow);
        expect(first.ok).toBe(true);
        expect(await seen(a)).toMatchObject({ lastResentAt: NOW + HOUR, resendQueued: true });
        expect((await seen(a, 2)).lastResentAt).toBeNull();
        const batchId = await s.sendQueue.claimQueued(NOW + HOUR, 10, 'w1', NOW + HOUR + LEASE);
        await s.sendQueue.beginAttempt(batchId!, 'w1', NOW + HOUR, NOW + HOUR, NOW + HOUR + LEASE, await render(batchId!), schedule, envelope);
        await s.sendQueue.settle(batchId!, accepted((await render(batchId!)).emails), NOW + HOUR, schedule);
        expect(await seen(a)).toMatchObject({ lastResentAt: NOW + HOUR, resendQueued: false });

        // One dropped before it went is not a resend they had.
        const d = await hadStep1('d@example.org');
        await s.sendQueue.enqueueResend({ subscriberId: d, ...step1, now: NOW + HOUR }, allow);
        await s.subscribers.suppress({ emailHash: hashOf('d@example.org'), reason: 'bounced', at: NOW + HOUR });
        const dropped = await s.sendQueue.claimQueued(NOW + HOUR, 10, 'w1', NOW + HOUR + LEASE);
        expect(await s.sendQueue.beginAttempt(dropped!, 'w1', NOW + HOUR, NOW + HOUR, NOW + HOUR + LEASE, await render(dropped!), schedule, envelope)).toEqual({ kind: 'empty', dropped: 1 });
        expect((await seen(d)).lastResentAt).toBeNull();
      });

      it('two resends asked at the same moment queue one (the product decision)', async () => {
        const id = await hadStep1('twice@example.org');
        const outs = await Promise.all(Array.from({ length: 8 }, () => s.sendQueue.enqueueResend({ subscriberId: id, ...step1, now: NOW + HOUR }, decideResend)));
        expect(outs.filter((o) => o.ok)).toHaveLength(1);
        expect(new Set(outs.filter((o) => !o.ok).map((o) => JSON.stringify(o)))).toEqual(new Set([JSON.stringify({ ok: false, reason: 'resend_queued', status: 'active' })]));
      });

      it('someone who leaves before it goes is dropped from the request, and may be sent one again only by a new decision', async () => {
        const id = await hadStep1('l@example.org');
        const out = await s.sendQueue.enqueueResend({ subscriberId: id, ...step1, now: NOW + HOUR }, allow);
        await s.subscribers.unsubscribe(id, NOW + HOUR, {});
        const batchId = await s.sendQueue.claimQueued(NOW + HOUR, 10, 'w1', NOW + HOUR + LEASE);
        expect(await s.sendQueue.beginAttempt(batchId!, 'w1', NOW + HOUR, NOW + HOUR, NOW + HOUR + LEASE, await render(batchId!), schedule, envelope)).toEqual({ kind: 'empty', dropped: 1 });
        expect(await s.sendQueue.delivery(out.ok ? out.deliveryId : -1)).toMatchObject({ status: 'dropped', error: 'dropped: unsubscribed' });
      });
    });

    describe('sendQueue.sentBetween', () => {
      it('per person in the span: each email that went, and what is planned next; the first `people` people only', async () => {
        const a = await active('a@example.org');
        const b = await active('b@example.org');
        const run = await claimAndBegin(NOW);
        await s.sendQueue.settle(run.batchId, [{ deliveryId: deliveryIdOf(emailTo(run.emails, 'a@example.org')), providerId: 'p-a' }, { deliveryId: deliveryIdOf(emailTo(run.emails, 'b@example.org')), error: 'refused' }], NOW, schedule);
        const next = schedule.decideAfterSend({ sequence: 'education', confirmedAt: NOW, timezone: 'UTC', received: [1] }, 1, NOW);
        if (next.kind !== 'next') throw new Error('expected a next step');

        const span = await s.sendQueue.sentBetween(NOW - HOUR, NOW + HOUR, 10);
        expect(span.sent).toEqual([{ subscriberId: a, email: 'a@example.org', timezone: 'UTC', kind: 'sequence', sequence: 'education', step: 1, subject: expect.any(String), sentAt: NOW }]);
        // b's email failed: nothing went to them, so they are not in the span.
        expect(span.planned).toEqual([{ subscriberId: a, sequence: 'education', step: next.step, at: next.at }]);
        expect(span.planned.some((p) => p.subscriberId === b)).toBe(false);

        expect(await s.sendQueue.sentBetween(NOW + MINUTE, NOW + HOUR, 10)).toEqual({ sent: [], planned: [] });
        const c = await active('c@example.org', NOW + MINUTE);
        const d = await active('d@example.org', NOW + MINUTE);
        await sendDue(NOW + MINUTE);
        const firstTwo = await s.sendQueue.sentBetween(NOW - HOUR, NOW + HOUR, 2);
        expect([...new Set(firstTwo.sent.map((r) => r.subscriberId))]).toEqual([a, c]);
        expect(firstTwo.sent.some((r) => r.subscriberId === d)).toBe(false);
      });
    });

    describe('sendQueue.stepCounts and batches', () => {
      it('per step: active subscribers waiting for it, and its sent deliveries by what the provider reported', async () => {
        const a = await active('a@example.org');
        const b = await active('b@example.org');
        await active('c@example.org');
        await pending('p@example.org');
        let counts = await s.sendQueue.stepCounts('education');
        expect(counts.get(1)).toEqual({ waiting: 3, sent: 0, delivered: 0, opened: 0, clicked: 0 });

        const run = await claimAndBegin(NOW);
        const idOfTo = (to: string) => deliveryIdOf(emailTo(run.emails, to));
        await s.sendQueue.settle(
          run.batchId,
          [
            { deliveryId: idOfTo('a@example.org'), providerId: 'p-a' },
            { deliveryId: idOfTo('b@example.org'), providerId: 'p-b' },
            { deliveryId: idOfTo('c@example.org'), error: 'refused' },
          ],
          NOW,
          schedule,
        );
        await s.events.record(event({ eventId: 'e1', type: 'email.delivered', providerId: 'p-a', column: 'deliveredAt' }));
        await s.events.record(event({ eventId: 'e2', type: 'email.delivered', providerId: 'p-b', column: 'deliveredAt' }));
        await s.events.record(event({ eventId: 'e3', type: 'email.opened', providerId: 'p-a', column: 'openedAt' }));
        await s.events.record(event({ eventId: 'e4', type: 'email.clicked', providerId: 'p-b', column: 'clickedAt' }));
        await s.subscribers.unsubscribe(b, NOW + HOUR, {});
        counts = await s.sendQueue.stepCounts('education');
        expect(counts.get(1)).toEqual({ waiting: 0, sent: 2, delivered: 2, opened: 1, clicked: 1 });
        expect(counts.get(2)).toEqual({ waiting: 2, sent: 0, delivered: 0, opened: 0, clicked: 0 });
        expect(counts.has(3)).toBe(false);
        expect((await s.subscribers.byId(a))!.nextStep).toBe(2);
      });

      it('batches() lists every batch in id order with its status', async () => {
        expect(await s.sendQueue.batches()).toEqual([]);
        await active('a@example.org');
        await active('b@example.org', NOW + HOUR);
        const first = await sendDue(NOW);
        const second = await s.sendQueue.claimDue(NOW + HOUR, 10, 'w1', NOW + HOUR + LEASE, schedule);
        const conf = await s.sendQueue.claimQueued(NOW + HOUR, 10, 'w1', NOW + HOUR + LEASE);
        const rows = await s.sendQueue.batches();
        expect(rows.map((r) => [r.id, r.status])).toEqual([
          [first.batchId, 'sent'],
          [second.batchId, 'ready'],
          [conf, 'ready'],
        ]);
        expect(rows[1]).toMatchObject({ leaseOwner: 'w1', leaseExpiresAt: NOW + HOUR + LEASE, attempts: 0, createdAt: NOW + HOUR });
      });
    });

    // -------------------------------------------------------------------------

    describe('events.record', () => {
      it('links the event to our delivery by provider id, sets each column the first time only; a replayed id changes nothing', async () => {
        const a = await active('a@example.org');
        const run = await sendDue(NOW);
        const providerId = `prov-${deliveryIdOf(run.emails[0]!)}`;
        const first = event({ eventId: 'evt-1', providerId, occurredAt: NOW + HOUR, column: 'openedAt', detail: { n: 1 } });
        expect(await s.events.record(first)).toEqual({ outcome: 'recorded', deliveryId: deliveryIdOf(run.emails[0]!), suppressed: null, subscriberId: null });
        expect(await s.events.record({ ...first, occurredAt: NOW + 5 * HOUR, detail: { n: 2 } })).toEqual({ outcome: 'duplicate' });
        expect(await s.events.record(event({ eventId: 'evt-2', providerId, occurredAt: NOW + 2 * HOUR, column: 'openedAt' }))).toMatchObject({ outcome: 'recorded' });
        expect(await s.events.record(event({ eventId: 'evt-3', type: 'email.delivered', providerId, occurredAt: NOW + 30 * MINUTE, column: 'deliveredAt' }))).toMatchObject({ outcome: 'recorded' });

        const d = await deliveryOf(a, 1);
        expect(d).toMatchObject({ openedAt: NOW + HOUR, deliveredAt: NOW + 30 * MINUTE, clickedAt: null, bouncedAt: null });
        expect(d.events.map((e) => e.id)).toEqual(['evt-3', 'evt-1', 'evt-2']);
        const e1 = d.events.find((e) => e.id === 'evt-1')!;
        expect(e1).toMatchObject({ type: 'email.opened', providerId, deliveryId: d.id, occurredAt: NOW + HOUR, receivedAt: NOW + HOUR + 1000 });
        expect(JSON.parse(e1.detail!)).toEqual({ n: 1 });
      });

      it('an event for no delivery of ours is recorded without one', async () => {
        expect(await s.events.record(event({ eventId: 'evt-x', providerId: 'unknown', column: 'openedAt' }))).toEqual({ outcome: 'recorded', deliveryId: null, suppressed: null, subscriberId: null });
        expect(await s.events.record(event({ eventId: 'evt-y', providerId: null }))).toEqual({ outcome: 'recorded', deliveryId: null, suppressed: null, subscriberId: null });
      });

      it("a bounce suppresses the delivery's own subscriber, not the recipients the event lists", async () => {
        const a = await active('a@example.org');
        const b = await active('b@example.org', NOW + HOUR);
        const run = await sendDue(NOW);
        const providerId = `prov-${deliveryIdOf(run.emails[0]!)}`;
        const bounce = event({ eventId: 'evt-b', type: 'email.bounced', providerId, column: 'bouncedAt', suppress: 'bounced', recipientHashes: [hashOf('b@example.org')], detail: { bounce: 'hard' } });
        expect(await s.events.record(bounce)).toEqual({ outcome: 'recorded', deliveryId: deliveryIdOf(run.emails[0]!), suppressed: 'bounced', subscriberId: a });
        expect(await s.subscribers.byId(a)).toMatchObject({ status: 'suppressed', suppressedReason: 'bounced', nextSendAt: null });
        expect((await deliveryOf(a, 1)).bouncedAt).toBe(NOW + HOUR);
        const record = (await s.subscribers.record(a))!;
        expect(record.suppression).toMatchObject({ reason: 'bounced' });
        expect(record.activity.filter((x) => x.type === 'bounced')).toHaveLength(1);
        expect((await s.subscribers.byId(b))!.status).toBe('active');
        // Replayed: no second activity.
        expect(await s.events.record(bounce)).toEqual({ outcome: 'duplicate' });
        expect((await activityOf(a)).filter((x) => x === 'bounced')).toHaveLength(1);
      });

      it("without a delivery of ours, the event's recipients are suppressed by hash", async () => {
        const b = await active('b@example.org');
        const complaint = event({ eventId: 'evt-c', type: 'email.complained', providerId: 'not-ours', column: 'complainedAt', suppress: 'complained', recipientHashes: [hashOf('stranger@example.org'), hashOf('b@example.org')] });
        expect(await s.events.record(complaint)).toEqual({ outcome: 'recorded', deliveryId: null, suppressed: 'complained', subscriberId: b });
        expect(await s.subscribers.byId(b)).toMatchObject({ status: 'suppressed', suppressedReason: 'complained' });
        expect(await activityOf(b)).toContain('complained');
        expect((await s.subscribers.signup(signupOf('stranger@example.org'), decideAt(NOW))).action).toEqual({ kind: 'none', reason: 'suppressed' });
      });
    });

    describe('events.complaintFigures', () => {
      it('counts deliveries reported delivered and complaints reported, each from its own start', async () => {
        for (const email of ['a@example.org', 'b@example.org', 'c@example.org', 'd@example.org']) await active(email);
        const run = await sendDue(NOW);
        const providerIds = run.emails.map((e) => `prov-${deliveryIdOf(e)}`);
        expect(providerIds).toHaveLength(4);
        const report = (n: number, type: 'delivered' | 'complained', providerId: string, at: number) =>
          s.events.record(event({ eventId: `evt-${type}-${n}`, type: `email.${type}`, providerId, occurredAt: at, column: type === 'delivered' ? 'deliveredAt' : 'complainedAt', suppress: type === 'complained' ? 'complained' : null }));
        await report(1, 'delivered', providerIds[0]!, NOW + 1 * HOUR);
        await report(2, 'delivered', providerIds[1]!, NOW + 2 * HOUR);
        await report(3, 'delivered', providerIds[2]!, NOW + 3 * HOUR);
        await report(4, 'complained', providerIds[0]!, NOW + 4 * HOUR);
        await report(5, 'complained', providerIds[1]!, NOW + 6 * HOUR);
        // A complaint about no delivery of ours is not in the rate (there is nothing it is a share of).
        await s.events.record(event({ eventId: 'evt-stranger', type: 'email.complained', providerId: 'not-ours', column: 'complainedAt', suppress: 'complained', recipientHashes: [hashOf('x@example.org')] }));

        expect(await s.events.complaintFigures(0, 0)).toEqual({ delivered: 3, complained: 2 });
        // Each start is inclusive.
        expect(await s.events.complaintFigures(NOW + 2 * HOUR, NOW + 4 * HOUR)).toEqual({ delivered: 2, complained: 2 });
        expect(await s.events.complaintFigures(NOW + 2 * HOUR + 1, NOW + 4 * HOUR + 1)).toEqual({ delivered: 1, complained: 1 });
        expect(await s.events.complaintFigures(NOW + 10 * HOUR, NOW + 10 * HOUR)).toEqual({ delivered: 0, complained: 0 });
      });
    });

    describe('events: flagged opens and clicks', () => {
      const SECOND = 1000;
      const scanner = { flag: 'link_scanner', reason: 'scanner_user_agent' } as const;
      const burst = { flag: 'link_scanner', reason: 'all_links_at_once' } as const;
      const none = { flag: null, alsoFlag: [] };

      /** The stored events of a subscriber's step, by id: [type, flag, reason]. */
      async function flagsOf(subscriberId: number, step: number) {
        return Object.fromEntries((await deliveryOf(subscriberId, step)).events.map((e) => [e.id, [e.type, e.flag, e.flagReason]]));
      }

      it('classify sees the delivery times and its other events; its flag is stored, and a flagged open or click sets no time on the delivery', async () => {
        const a = await active('a@example.org');
        const run = await sendDue(NOW);
        const providerId = `prov-${deliveryIdOf(run.emails[0]!)}`;
        await s.events.record(event({ eventId: 'e-delivered', type: 'email.delivered', providerId, occurredAt: NOW + 2 * SECOND, column: 'deliveredAt' }));
        const seen: Parameters<NonNullable<ProviderEventInput['classify']>>[0][] = [];
        const click = (eventId: string, at: number, link: string, decided: Classification) =>
          s.events.record(
            event({ eventId, type: 'email.clicked', providerId, occurredAt: at, column: 'clickedAt', detail: { link }, classify: (context) => (seen.push(context), decided) }),
          );

        expect(await click('e-scan', NOW + 3 * SECOND, 'https://doi.example/a', { flag: scanner, alsoFlag: [] })).toEqual({ outcome: 'recorded', deliveryId: deliveryIdOf(run.emails[0]!), suppressed: null, subscriberId: null });
        expect(seen[0]).toEqual({ delivery: { sentAt: NOW, deliveredAt: NOW + 2 * SECOND }, others: [{ id: 'e-delivered', type: 'email.delivered', occurredAt: NOW + 2 * SECOND, link: null, flag: null }] });
        await s.events.record(event({ eventId: 'e-proxy', providerId, occurredAt: NOW + 4 * SECOND, column: 'openedAt', classify: () => ({ flag: { flag: 'privacy_proxy', reason: 'soon_after_delivery' }, alsoFlag: [] }) }));
        expect(await deliveryOf(a, 1)).toMatchObject({ deliveredAt: NOW + 2 * SECOND, openedAt: null, clickedAt: null });

        await click('e-reader', NOW + HOUR, 'https://doi.example/b', none);
        expect(seen[1]!.others).toHaveLength(3);
        expect(seen[1]!.others.find((o) => o.id === 'e-scan')).toEqual({ id: 'e-scan', type: 'email.clicked', occurredAt: NOW + 3 * SECOND, link: 'https://doi.example/a', flag: 'link_scanner' });
        expect(await deliveryOf(a, 1)).toMatchObject({ openedAt: null, clickedAt: NOW + HOUR });
        expect(await flagsOf(a, 1)).toEqual({
          'e-delivered': ['email.delivered', null, null],
          'e-scan': ['email.clicked', 'link_scanner', 'scanner_user_agent'],
          'e-proxy': ['email.opened', 'privacy_proxy', 'soon_after_delivery'],
          'e-reader': ['email.clicked', null, null],
        });
        // A replay is not classified again.
        expect(await click('e-reader', NOW + HOUR, 'https://doi.example/b', { flag: scanner, alsoFlag: [] })).toEqual({ outcome: 'duplicate' });
        expect(seen).toHaveLength(2);
      });

      it("alsoFlag flags earlier events of the same delivery, keeping a flag they have; the delivery's open and click times follow its unflagged events", async () => {
        const a = await active('a@example.org');
        const b = await active('b@example.org');
        const run = await sendDue(NOW);
        const [pa, pb] = ['a@example.org', 'b@example.org'].map((to) => `prov-${deliveryIdOf(emailTo(run.emails, to))}`);
        const t = NOW + HOUR;
        const click = (eventId: string, providerId: string, at: number, decided: Classification = none) =>
          s.events.record(event({ eventId, type: 'email.clicked', providerId, occurredAt: at, column: 'clickedAt', detail: { link: `https://x.example/${eventId}` }, classify: () => decided }));
        await click('c1', pa!, t);
        await click('c2', pa!, t + SECOND);
        await click('c-scan', pa!, t + 2 * SECOND, { flag: scanner, alsoFlag: [] });
        await s.events.record(event({ eventId: 'o1', providerId: pa!, occurredAt: t - MINUTE, column: 'openedAt', classify: () => none }));
        await click('cb', pb!, t);
        expect(await deliveryOf(a, 1)).toMatchObject({ openedAt: t - MINUTE, clickedAt: t });

        // c3 completes a burst: c1 joins it; c-scan keeps its reason; cb is another email's and stays.
        await click('c3', pa!, t + 3 * SECOND, { flag: burst, alsoFlag: [{ id: 'c1', flag: burst }, { id: 'c-scan', flag: burst }, { id: 'cb', flag: burst }] });
        expect(await flagsOf(a, 1)).toMatchObject({
          c1: ['email.clicked', 'link_scanner', 'all_links_at_once'],
          c2: ['email.clicked', null, null],
          'c-scan': ['email.clicked', 'link_scanner', 'scanner_user_agent'],
          c3: ['email.clicked', 'link_scanner', 'all_links_at_once'],
          o1: ['email.opened', null, null],
        });
        expect(await deliveryOf(a, 1)).toMatchObject({ openedAt: t - MINUTE, clickedAt: t + SECOND });
        expect((await flagsOf(b, 1)).cb).toEqual(['email.clicked', null, null]);
        expect((await deliveryOf(b, 1)).clickedAt).toBe(t);

        // A late delivered event leaves out the rest: no counted open or click remains.
        await s.events.record(
          event({ eventId: 'd', type: 'email.delivered', providerId: pa!, occurredAt: t - MINUTE - SECOND, column: 'deliveredAt', classify: () => ({ flag: null, alsoFlag: [{ id: 'c2', flag: burst }, { id: 'o1', flag: { flag: 'privacy_proxy', reason: 'soon_after_delivery' } }] }) }),
        );
        expect(await deliveryOf(a, 1)).toMatchObject({ deliveredAt: t - MINUTE - SECOND, openedAt: null, clickedAt: null });
        expect(await flagsOf(a, 1)).toMatchObject({ o1: ['email.opened', 'privacy_proxy', 'soon_after_delivery'], c2: ['email.clicked', 'link_scanner', 'all_links_at_once'] });
      });

      it('clicks of one email recorded at the same moment each see the ones before: the last completes the burst and flags all', async () => {
        const a = await active('a@example.org');
        const run = await sendDue(NOW);
        const providerId = `prov-${deliveryIdOf(run.emails[0]!)}`;
        const t = NOW + HOUR;
        const links = ['https://doi.example/a', 'https://doi.example/b', 'https://x.example/c'];
        await Promise.all(
          links.map((link, i) => {
            const signal = { id: `c${i}`, type: 'email.clicked', occurredAt: t + i * 100, link, userAgent: null };
            return s.events.record(event({ eventId: signal.id, type: signal.type, providerId, occurredAt: signal.occurredAt, column: 'clickedAt', detail: { link }, classify: (context) => classifyEvent(signal, context) }));
          }),
        );
        expect(Object.values(await flagsOf(a, 1))).toEqual(links.map(() => ['email.clicked', 'link_scanner', 'all_links_at_once']));
        expect((await deliveryOf(a, 1)).clickedAt).toBeNull();
      });

      it('an event of no delivery of ours is classified without delivery or others', async () => {
        const seen: unknown[] = [];
        await s.events.record(event({ eventId: 'x', type: 'email.clicked', providerId: 'not-ours', classify: (context) => (seen.push(context), { flag: scanner, alsoFlag: [{ id: 'y', flag: scanner }] }) }));
        expect(seen).toEqual([{ delivery: null, others: [] }]);
        expect(await s.events.flaggedByStep('education')).toEqual([]);
      });

      it('flaggedByStep counts the flagged events of sequence emails per step, type, flag and reason; consult clicks leave them out', async () => {
        await active('a@example.org');
        await active('b@example.org');
        await pending('p@example.org');
        const first = await sendDue(NOW);
        const second = await sendDue(NOW + 2 * 24 * HOUR);
        const conf = await s.sendQueue.claimQueued(NOW, 10, 'w1', NOW + LEASE);
        const confBegun = await s.sendQueue.beginAttempt(conf!, 'w1', NOW, NOW, NOW + LEASE, await render(conf!), schedule, envelope);
        if (confBegun.kind !== 'send') throw new Error(confBegun.kind);
        await s.sendQueue.settle(conf!, accepted(confBegun.emails), NOW, schedule);
        const prov = (emails: OutgoingEmail[], to: string) => `prov-${deliveryIdOf(emailTo(emails, to))}`;
        let n = 0;
        const flagged = (providerId: string, type: string, flag: Classification['flag'], link = 'https://clinic.example/book') =>
          s.events.record(event({ eventId: `f${++n}`, type, providerId, detail: type === 'email.clicked' ? { link } : {}, classify: () => ({ flag, alsoFlag: [] }) }));
        await flagged(prov(first.emails, 'a@example.org'), 'email.clicked', scanner);
        await flagged(prov(first.emails, 'b@example.org'), 'email.clicked', scanner);
        await flagged(prov(first.emails, 'b@example.org'), 'email.clicked', burst);
        await flagged(prov(first.emails, 'a@example.org'), 'email.opened', { flag: 'privacy_proxy', reason: 'soon_after_delivery' });
        await flagged(prov(first.emails, 'a@example.org'), 'email.clicked', null);
        await flagged(prov(second.emails, 'b@example.org'), 'email.clicked', burst);
        await flagged(prov(confBegun.emails, 'p@example.org'), 'email.clicked', scanner);
        expect(await s.events.flaggedByStep('education')).toEqual([
          { step: 1, type: 'email.clicked', flag: 'link_scanner', reason: 'all_links_at_once', count: 1 },
          { step: 1, type: 'email.clicked', flag: 'link_scanner', reason: 'scanner_user_agent', count: 2 },
          { step: 1, type: 'email.opened', flag: 'privacy_proxy', reason: 'soon_after_delivery', count: 1 },
          { step: 2, type: 'email.clicked', flag: 'link_scanner', reason: 'all_links_at_once', count: 1 },
        ]);
        // Of the four clicks on the booking page from step 1, only the unflagged one is a consult click.
        expect(await s.events.clicksOnPageByStep('https://clinic.example/book', 'education')).toEqual(new Map([[1, 1]]));
      });
    });

    describe('subscribers.unsubscribesByStep', () => {
      it('counts each unsubscribe under the last sequence email sent before it; none sent: not counted', async () => {
        expect(await s.subscribers.unsubscribesByStep('education')).toEqual(new Map());
        const a = await active('a@example.org');
        const b = await active('b@example.org');
        const c = await active('c@example.org');
        const p = await pending('p@example.org');
        await sendDue(NOW);
        await s.subscribers.unsubscribe(b, NOW + HOUR, {});
        await s.subscribers.unsubscribe(p, NOW + HOUR, {});
        const day2 = NOW + 2 * 24 * HOUR;
        expect((await sendDue(day2)).emails).toHaveLength(2);
        await s.subscribers.unsubscribe(a, day2 + HOUR, {});
        // At the very moment step 2 went: after it.
        await s.subscribers.unsubscribe(c, day2, {});
        expect(await s.subscribers.unsubscribesByStep('education')).toEqual(new Map([[1, 1], [2, 2]]));

        // b comes back, gets step 2 and leaves again: both unsubscribes count, each under its own step.
        const day3 = NOW + 3 * 24 * HOUR;
        expect((await s.subscribers.signup(signupOf('b@example.org', { now: day3 }), decideAt(day3))).action.kind).toBe('reopen');
        await s.subscribers.confirm(b, { now: day3, consent, sequenceVersion, firstStep: firstUndelivered });
        expect((await sendDue(day3)).emails.map((e) => e.to)).toEqual(['b@example.org']);
        await s.subscribers.unsubscribe(b, day3 + HOUR, {});
        expect(await s.subscribers.unsubscribesByStep('education')).toEqual(new Map([[1, 1], [2, 3]]));
      });
    });

    describe('settings', () => {
      it('get answers null until set; set overwrites; keys are independent', async () => {
        expect(await s.settings.get('quota_paused_until')).toBeNull();
        await s.settings.set('quota_paused_until', '1000', NOW);
        await s.settings.set('other', 'x', NOW);
        expect(await s.settings.get('quota_paused_until')).toBe('1000');
        await s.settings.set('quota_paused_until', '2000', NOW + 1);
        expect(await s.settings.get('quota_paused_until')).toBe('2000');
        expect(await s.settings.get('other')).toBe('x');
        await s.settings.set('other', '', NOW + 2);
        expect(await s.settings.get('other')).toBe('');
      });

      // The provider's request budget, shared by every process through these two calls.
      const slot = (now: number, interval = 200, catchUp = 5, ahead = 120_000) => s.settings.reserveSlot('pacer', now, interval, catchUp, ahead);

      it('reserveSlot hands out consecutive slots on the grid, restarting it at now after an idle spell', async () => {
        expect(await slot(NOW)).toBe(NOW);
        expect(await slot(NOW)).toBe(NOW + 200);
        expect(await slot(NOW + 10)).toBe(NOW + 400);
        // A request granted a little late keeps the grid.
        expect(await slot(NOW + 603)).toBe(NOW + 600);
        // Idle for a while: the grid starts again at now.
        expect(await slot(NOW + 5000)).toBe(NOW + 5000);
      });

      it('reserveSlot gives concurrent callers distinct slots', async () => {
        const slots = await Promise.all(Array.from({ length: 20 }, () => slot(NOW)));
        expect([...slots].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => NOW + i * 200));
      });

      it('a grid further ahead than maxAhead (left by a tick run as if later) is restarted at now', async () => {
        await slot(NOW + 10 * 86_400_000);
        expect(await slot(NOW)).toBe(NOW);
      });

      it('countHit counts in a fixed window that restarts after it ends; peekHits reads without counting; sweepHits forgets old ones', async () => {
        expect(await s.settings.countHit('limit:x:a', NOW, 60_000)).toEqual({ count: 1, windowStart: NOW });
        expect(await s.settings.countHit('limit:x:a', NOW + 10_000, 60_000)).toEqual({ count: 2, windowStart: NOW });
        expect(await s.settings.countHit('limit:x:b', NOW + 10_000, 60_000)).toEqual({ count: 1, windowStart: NOW + 10_000 });
        expect(await s.settings.peekHits('limit:x:a', NOW + 20_000, 60_000)).toBe(2);
        expect(await s.settings.peekHits('limit:x:a', NOW + 60_000, 60_000)).toBe(0);
        expect(await s.settings.peekHits('limit:x:none', NOW, 60_000)).toBe(0);
        expect(await s.settings.countHit('limit:x:a', NOW + 60_000, 60_000)).toEqual({ count: 1, windowStart: NOW + 60_000 });
        const many = await Promise.all(Array.from({ length: 10 }, () => s.settings.countHit('limit:x:c', NOW, 60_000)));
        expect(many.map((m) => m.count).sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        // Several keys at once, one of them in a window that has ended, another in a window of its own length: each caller its own count, in order.
        const moment = await Promise.all([
          s.settings.countHit('limit:x:d', NOW, 60_000),
          s.settings.countHit('limit:x:c', NOW + 70_000, 60_000),
          s.settings.countHit('limit:x:d', NOW, 60_000),
          s.settings.countHit('limit:y:d', NOW, 1_000),
          s.settings.countHit('limit:x:c', NOW + 70_000, 60_000),
          s.settings.countHit('limit:x:d', NOW, 60_000),
        ]);
        expect(moment).toEqual([
          { count: 1, windowStart: NOW },
          { count: 1, windowStart: NOW + 70_000 },
          { count: 2, windowStart: NOW },
          { count: 1, windowStart: NOW },
          { count: 2, windowStart: NOW + 70_000 },
          { count: 3, windowStart: NOW },
        ]);
        expect(await s.settings.countHit('limit:y:d', NOW + 1_000, 1_000)).toEqual({ count: 1, windowStart: NOW + 1_000 });
        expect(await s.settings.countHit('limit:x:d', NOW + 1_000, 60_000)).toEqual({ count: 4, windowStart: NOW });
        await s.settings.sweepHits('limit:x:', NOW + 30_000);
        expect(await s.settings.peekHits('limit:x:b', NOW + 20_000, 60_000)).toBe(0);
        expect(await s.settings.peekHits('limit:x:a', NOW + 61_000, 60_000)).toBe(1);
        expect(await s.settings.get('other')).toBeNull();
      });

      it('holdSlots moves the next slot to the hold, for every caller, and never back', async () => {
        expect(await slot(NOW)).toBe(NOW);
        await s.settings.holdSlots('pacer', NOW + 1500, NOW);
        await s.settings.holdSlots('pacer', NOW + 700, NOW);
        expect(await slot(NOW + 100)).toBe(NOW + 1500);
        expect(await slot(NOW + 100)).toBe(NOW + 1700);
      });
    });

    describe('staff accounts', () => {
      const account = (name: string, role: StaffRole = 'viewer', passwordHash = `hash-of-${name}`) => ({ name, role, passwordHash, now: NOW });

      it("setTimezone keeps the zone an account's pages show times in; its sessions carry it; null is the default again", async () => {
        await s.staff.addAccount(account('robin', 'editor'));
        await s.staff.addAccount(account('ada'));
        expect(await s.staff.account('robin')).toMatchObject({ timezone: null });
        expect(await s.staff.setTimezone('robin', 'Europe/Berlin', NOW + MINUTE)).toBe(true);
        expect(await s.staff.account('robin')).toMatchObject({ timezone: 'Europe/Berlin', updatedAt: NOW + MINUTE });
        expect(await s.staff.account('ada')).toMatchObject({ timezone: null });
        const robin = (await s.staff.account('robin'))!;
        await s.staff.createSession({ tokenHash: 'zone-session', accountId: robin.id, createdAt: NOW, expiresAt: NOW + DAY });
        expect((await s.staff.session('zone-session', NOW + MINUTE))!.account.timezone).toBe('Europe/Berlin');
        expect(await s.staff.setTimezone('robin', null, NOW + 2 * MINUTE)).toBe(true);
        expect((await s.staff.session('zone-session', NOW + 2 * MINUTE))!.account.timezone).toBeNull();
        expect(await s.staff.setTimezone('nobody', 'UTC', NOW)).toBe(false);
      });

      it('addAccount adds once per name; account and accounts read them back', async () => {
        const a = await s.staff.addAccount(account('robin', 'editor'));
        expect(a).toMatchObject({ name: 'robin', role: 'editor', passwordHash: 'hash-of-robin', createdAt: NOW, updatedAt: NOW, disabledAt: null });
        expect(await s.staff.addAccount(account('robin', 'admin', 'other'))).toBeNull();
        await s.staff.addAccount(account('ada'));
        expect(await s.staff.account('robin')).toEqual(a);
        expect(await s.staff.account('nobody')).toBeUndefined();
        expect((await s.staff.accounts()).map((x) => [x.name, x.role])).toEqual([
          ['ada', 'viewer'],
          ['robin', 'editor'],
        ]);
      });

      it('setPassword replaces the hash and ends that account\'s sessions only', async () => {
        const a = (await s.staff.addAccount(account('robin', 'editor')))!;
        const b = (await s.staff.addAccount(account('ada')))!;
        await s.staff.createSession({ tokenHash: 'ra', accountId: a.id, createdAt: NOW, expiresAt: NOW + HOUR });
        await s.staff.createSession({ tokenHash: 'ad', accountId: b.id, createdAt: NOW, expiresAt: NOW + HOUR });
        expect(await s.staff.setPassword('robin', 'h2', NOW + 1)).toBe(true);
        expect(await s.staff.account('robin')).toMatchObject({ passwordHash: 'h2', updatedAt: NOW + 1, role: 'editor', disabledAt: null });
        expect(await s.staff.session('ra', NOW + 2)).toBeUndefined();
        expect(await s.staff.session('ad', NOW + 2)).toBeDefined();
        expect(await s.staff.setPassword('nobody', 'h3', NOW)).toBe(false);
      });

      it('setRole changes a role, answering the old one; never demotes the last enabled admin', async () => {
        await s.staff.addAccount(account('ada', 'admin'));
        await s.staff.addAccount(account('robin', 'editor'));
        expect(await s.staff.setRole('robin', 'admin', NOW + 1)).toEqual({ ok: true, from: 'editor' });
        expect(await s.staff.account('robin')).toMatchObject({ role: 'admin', updatedAt: NOW + 1 });
        expect(await s.staff.setRole('ada', 'viewer', NOW + 2)).toEqual({ ok: true, from: 'admin' });
        expect(await s.staff.setRole('robin', 'editor', NOW + 3)).toEqual({ ok: false, reason: 'last_admin' });
        expect((await s.staff.account('robin'))!.role).toBe('admin');
        // A disabled admin is no admin to fall back on.
        await s.staff.addAccount(account('off', 'admin'));
        await s.staff.setDisabled('off', true, NOW + 4);
        expect(await s.staff.setRole('robin', 'viewer', NOW + 5)).toEqual({ ok: false, reason: 'last_admin' });
        expect(await s.staff.setRole('off', 'viewer', NOW + 5)).toEqual({ ok: true, from: 'admin' });
        expect(await s.staff.setRole('robin', 'admin', NOW + 6)).toEqual({ ok: true, from: 'admin' });
        expect(await s.staff.setRole('nobody', 'admin', NOW)).toEqual({ ok: false, reason: 'not_found' });
      });

      it('two admins demoting each other at once: one of them stays admin', async () => {
        await s.staff.addAccount(account('ada', 'admin'));
        await s.staff.addAccount(account('bob', 'admin'));
        const results = await Promise.all([s.staff.setRole('ada', 'viewer', NOW), s.staff.setRole('bob', 'viewer', NOW)]);
        expect(results.filter((r) => r.ok)).toHaveLength(1);
        expect((await s.staff.accounts()).filter((a) => a.role === 'admin')).toHaveLength(1);
      });

      it('sessions: live until they expire; a touch never shortens one; logout and disabling end them', async () => {
        const a = (await s.staff.addAccount(account('robin', 'editor')))!;
        const b = (await s.staff.addAccount(account('ada')))!;
        await s.staff.createSession({ tokenHash: 't1', accountId: a.id, createdAt: NOW, expiresAt: NOW + HOUR });
        await s.staff.createSession({ tokenHash: 't2', accountId: a.id, createdAt: NOW, expiresAt: NOW + HOUR });
        await s.staff.createSession({ tokenHash: 't3', accountId: b.id, createdAt: NOW, expiresAt: NOW + HOUR });
        expect(await s.staff.session('t1', NOW)).toEqual({ tokenHash: 't1', createdAt: NOW, expiresAt: NOW + HOUR, lastSeenAt: NOW, account: a });
        expect(await s.staff.session('t1', NOW + HOUR)).toBeUndefined();
        expect(await s.staff.session('nope', NOW)).toBeUndefined();

        await s.staff.touchSession('t1', NOW + MINUTE, NOW + 2 * HOUR);
        await s.staff.touchSession('t1', NOW + 2 * MINUTE, NOW + HOUR);
        expect(await s.staff.session('t1', NOW + HOUR)).toMatchObject({ lastSeenAt: NOW + 2 * MINUTE, expiresAt: NOW + 2 * HOUR });

        await s.staff.deleteSession('t2');
        expect(await s.staff.session('t2', NOW)).toBeUndefined();

        expect(await s.staff.setDisabled('robin', true, NOW + 5)).toBe(true);
        expect(await s.staff.session('t1', NOW + 6)).toBeUndefined();
        expect(await s.staff.session('t3', NOW + 6)).toBeDefined();
        expect((await s.staff.account('robin'))!.disabledAt).toBe(NOW + 5);
        // Enabled again: the old sessions stay gone.
        expect(await s.staff.setDisabled('robin', false, NOW + 7)).toBe(true);
        expect((await s.staff.account('robin'))!.disabledAt).toBeNull();
        expect(await s.staff.session('t1', NOW + 8)).toBeUndefined();
        expect(await s.staff.setDisabled('nobody', true, NOW)).toBe(false);
      });

      it('a new session clears expired ones', async () => {
        const a = (await s.staff.addAccount(account('robin')))!;
        await s.staff.createSession({ tokenHash: 'old', accountId: a.id, createdAt: NOW, expiresAt: NOW + MINUTE });
        await s.staff.createSession({ tokenHash: 'new', accountId: a.id, createdAt: NOW + HOUR, expiresAt: NOW + 2 * HOUR });
        // Expired sessions are gone, even to a reader who looks "before" their expiry.
        expect(await s.staff.session('old', NOW)).toBeUndefined();
        expect(await s.staff.session('new', NOW + HOUR)).toBeDefined();
      });
    });

    describe('login attempts', () => {
      const WINDOW = 15 * MINUTE;
      // Wait a second once any key holds `max` attempts: a stand-in for the real schedule (src/staff/throttle.ts).
      const atMost = (max: number) => (counts: LoginFailure[]) => (counts.some((c) => c.failures >= max) ? 1000 : 0);
      const sorted = (counts: LoginFailure[]) => [...counts].sort((p, q) => p.key.localeCompare(q.key));

      it('reserves under each key in a window, answering the counts with this attempt; a refused attempt is not counted', async () => {
        expect(await s.staff.reserveLoginAttempt(['ip:a', 'name:x'], NOW, WINDOW, atMost(2))).toEqual({
          ok: true,
          counts: [
            { key: 'ip:a', failures: 1, windowStart: NOW, lastAt: NOW },
            { key: 'name:x', failures: 1, windowStart: NOW, lastAt: NOW },
          ],
        });
        const second = await s.staff.reserveLoginAttempt(['ip:a', 'name:y'], NOW + MINUTE, WINDOW, atMost(2));
        expect(second.ok && sorted(second.counts)).toEqual([
          { key: 'ip:a', failures: 2, windowStart: NOW, lastAt: NOW + MINUTE },
          { key: 'name:y', failures: 1, windowStart: NOW + MINUTE, lastAt: NOW + MINUTE },
        ]);
        // The schedule sees the counts before this attempt, and a refusal changes nothing.
        const seen: LoginFailure[][] = [];
        const refused = await s.staff.reserveLoginAttempt(['ip:a', 'name:z'], NOW + 2 * MINUTE, WINDOW, (counts) => (seen.push(sorted(counts)), atMost(2)(counts)));
        expect(refused).toEqual({ ok: false, retryAfterMs: 1000 });
        expect(seen).toEqual([[{ key: 'ip:a', failures: 2, windowStart: NOW, lastAt: NOW + MINUTE }]]);
        const after = await s.staff.reserveLoginAttempt(['name:z'], NOW + 2 * MINUTE, WINDOW, atMost(2));
        expect(after).toEqual({ ok: true, counts: [{ key: 'name:z', failures: 1, windowStart: NOW + 2 * MINUTE, lastAt: NOW + 2 * MINUTE }] });
        // Past the window the old count is gone, and the next attempt starts again.
        expect(await s.staff.reserveLoginAttempt(['ip:a'], NOW + WINDOW, WINDOW, atMost(2))).toEqual({ ok: true, counts: [{ key: 'ip:a', failures: 1, windowStart: NOW + WINDOW, lastAt: NOW + WINDOW }] });
      });

      it('a login that succeeded clears some keys and takes its attempt back from the others', async () => {
        await s.staff.reserveLoginAttempt(['pair:x', 'ip:a', 'name:x'], NOW, WINDOW, atMost(10));
        await s.staff.reserveLoginAttempt(['pair:x', 'ip:a', 'name:x'], NOW + 1, WINDOW, atMost(10));
        await s.staff.releaseLoginAttempt({ clear: ['pair:x'], refund: ['ip:a', 'name:x'] });
        const next = await s.staff.reserveLoginAttempt(['pair:x', 'ip:a', 'name:x'], NOW + 2, WINDOW, atMost(10));
        expect(next.ok && sorted(next.counts).map((c) => [c.key, c.failures])).toEqual([
          ['ip:a', 2],
          ['name:x', 2],
          ['pair:x', 1],
        ]);
        // Never below nothing.
        await s.staff.releaseLoginAttempt({ clear: [], refund: ['ip:a', 'ip:a', 'ip:a', 'ip:none'] });
        await s.staff.releaseLoginAttempt({ clear: [], refund: ['ip:a'] });
        const last = await s.staff.reserveLoginAttempt(['ip:a'], NOW + 3, WINDOW, atMost(10));
        expect(last.ok && last.counts.map((c) => c.failures)).toEqual([1]);
      });

      it('an attempt drops the windows that have closed, under any key', async () => {
        await s.staff.reserveLoginAttempt(['name:old'], NOW, WINDOW, atMost(10));
        await s.staff.reserveLoginAttempt(['name:new'], NOW + WINDOW, WINDOW, atMost(10));
        // Read with a longer window, the old count would still show had it been kept.
        const seen: string[] = [];
        await s.staff.reserveLoginAttempt(['name:old', 'name:new'], NOW + WINDOW, 10 * WINDOW, (counts) => (seen.push(...counts.map((c) => c.key)), 0));
        expect(seen).toEqual(['name:new']);
      });

      it('concurrent attempts on one key: exactly as many as the policy allows go ahead', async () => {
        const results = await Promise.all(Array.from({ length: 12 }, () => s.staff.reserveLoginAttempt(['pair:z', 'ip:z'], NOW, WINDOW, atMost(3))));
        expect(results.filter((r) => r.ok)).toHaveLength(3);
        expect(results.filter((r) => !r.ok)).toHaveLength(9);
        const seen: LoginFailure[] = [];
        await s.staff.reserveLoginAttempt(['pair:z'], NOW, WINDOW, (counts) => (seen.push(...counts), 1));
        expect(seen.map((c) => c.failures)).toEqual([3]);
      });
    });

    describe('audit log', () => {
      it('keeps entries with their detail, newest first, paged, and per subscriber', async () => {
        const sub = await pending('audited@example.org');
        for (let i = 0; i < 5; i++) {
          await s.staff.audit({ at: NOW + i * MINUTE, actor: i % 2 ? 'robin' : 'ada', action: `action.${i}`, subscriberId: i < 3 ? sub : null, detail: i === 0 ? null : { n: i, note: 'ok' } });
        }
        const first = await s.staff.auditLog({ page: 1, pageSize: 2 });
        expect(first).toMatchObject({ page: 1, pageSize: 2, total: 5, pageCount: 3 });
        expect(first.items.map((e) => e.action)).toEqual(['action.4', 'action.3']);
        expect(first.items[0]).toEqual({ id: expect.any(Number), at: NOW + 4 * MINUTE, actor: 'ada', action: 'action.4', subscriberId: null, detail: { n: 4, note: 'ok' } });
        expect((await s.staff.auditLog({ page: 3, pageSize: 2 })).items.map((e) => e.action)).toEqual(['action.0']);
        expect((await s.staff.auditLog({ page: 4, pageSize: 2 })).items).toEqual([]);
        const mine = await s.staff.auditLog({ subscriberId: sub, page: 1, pageSize: 50 });
        expect(mine.total).toBe(3);
        expect(mine.items.map((e) => [e.action, e.subscriberId, e.detail])).toEqual([
          ['action.2', sub, { n: 2, note: 'ok' }],
          ['action.1', sub, { n: 1, note: 'ok' }],
          ['action.0', sub, null],
        ]);
        expect((await s.staff.auditLog({ subscriberId: sub + 1000, page: 1, pageSize: 50 })).total).toBe(0);
      });

      it('narrows by actions, left-out actions, actor and a time range, each alone and together; lists who acted', async () => {
        const sub = await pending('filtered@example.org');
        const rows = [
          { at: NOW, actor: 'ada', action: 'login', subscriberId: null },
          { at: NOW + MINUTE, actor: 'ada', action: 'subscriber.paused', subscriberId: sub },
          { at: NOW + 2 * MINUTE, actor: 'robin', action: 'subscriber.paused', subscriberId: sub },
          { at: NOW + 3 * MINUTE, actor: 'robin', action: 'logout', subscriberId: null },
          { at: NOW + 4 * MINUTE, actor: 'system', action: 'subscriber.erased', subscriberId: sub },
          { at: NOW + 5 * MINUTE, actor: '(command line)', action: 'account.added', subscriberId: null },
        ];
        for (const r of rows) await s.staff.audit({ ...r, detail: null });
        const at = async (q: Partial<Parameters<typeof s.staff.auditLog>[0]>) => {
          const page = await s.staff.auditLog({ page: 1, pageSize: 50, ...q });
          expect(page.total).toBe(page.items.length);
          return page.items.map((e) => (e.at - NOW) / MINUTE);
        };
        expect(await at({})).toEqual([5, 4, 3, 2, 1, 0]);
        expect(await at({ actions: ['login', 'logout'] })).toEqual([3, 0]);
        expect(await at({ actions: [] })).toEqual([]);
        expect(await at({ exceptActions: ['login', 'logout'] })).toEqual([5, 4, 2, 1]);
        expect(await at({ actor: 'robin' })).toEqual([3, 2]);
        expect(await at({ from: NOW + MINUTE, to: NOW + 4 * MINUTE })).toEqual([3, 2, 1]);
        expect(await at({ actions: ['subscriber.paused'], actor: 'ada', subscriberId: sub })).toEqual([1]);
        expect(await at({ exceptActions: ['login', 'logout'], actor: 'robin', from: NOW + 2 * MINUTE })).toEqual([2]);
        expect(await at({ actor: 'nobody' })).toEqual([]);
        expect(await s.staff.auditActors()).toEqual(['(command line)', 'ada', 'robin', 'system']);
      });

      it('entries at the same moment come back newest written first', async () => {
        await s.staff.audit({ at: NOW, actor: 'ada', action: 'first', subscriberId: null, detail: null });
        await s.staff.audit({ at: NOW, actor: 'ada', action: 'second', subscriberId: null, detail: null });
        expect((await s.staff.auditLog({ page: 1, pageSize: 10 })).items.map((e) => e.action)).toEqual(['second', 'first']);
      });
    });
  });
}
