/**
 * Staff acting for a person who phoned or wrote: unsubscribe them with a
 * reason, pause or resume their emails, send one step again, change their
 * details. The one way the staff pages and the API do each of these: the
 * subscriber service acts, and what it did is recorded in the audit log.
 */
import { z } from 'zod';
import type { AddressCorrectionRefusal, ConfirmationResendOutcome, ConfirmationResendRefusal, Enrolment, ResendRefusal, SequenceId, Subscriber, SubscriberStatus } from '../../db/types.js';
import type { SubscriberDeps } from '../subscribers/deps.js';
import { pauseSubscriber, resumeSubscriber, type PauseOutcome } from '../subscribers/preferences.js';
import { changeProfile, type ProfileChanges, type ProfileOutcome } from '../subscribers/profile.js';
import { resendStep, type ResendResult } from '../subscribers/send-again.js';
import { resendConfirmation } from '../subscribers/subscribe.js';
import { correctAddress, type AddressCorrectionOutcome } from '../subscribers/correct-address.js';
import { EmailAddressSchema } from '../subscribers/signup-input.js';
import { enrolIn, leaveSequence } from '../subscribers/sequences.js';
import { unsubscribeOnBehalf } from '../subscribers/unsubscribe.js';
import { recordAudit } from '../audit.js';
import type { Transport } from '../mail/transport.js';

type Deps = Pick<SubscriberDeps, 'stores' | 'config' | 'clock' | 'logger' | 'worker' | 'sequences'> & { transport: Pick<Transport, 'name'> };

/** What the person asked, in staff's words: required, kept on their history and in the audit entry. */
export const UnsubscribeReasonSchema = z.string('say why (what the person asked)').trim().min(1, 'say why (what the person asked)').max(500, 'at most 500 characters');

export type UnsubscribeForOutcome = { ok: true; subscriber: Subscriber } | { ok: false; reason: 'not_found' } | { ok: false; reason: 'not_mailable'; status: SubscriberStatus };

/** Stops all mail to them, with the reason they gave (kept on their history and in the audit entry). */
export async function unsubscribeFor(deps: Deps, staff: string, id: number, reason: string): Promise<UnsubscribeForOutcome> {
  const row = await unsubscribeOnBehalf(deps, id, reason, staff);
  if (!row) {
    const s = await deps.stores.subscribers.byId(id);
    return !s || s.status === 'erased' ? { ok: false, reason: 'not_found' } : { ok: false, reason: 'not_mailable', status: s.status };
  }
  await recordAudit(deps, staff, 'subscriber.unsubscribed', id, { reason });
  return { ok: true, subscriber: row };
}

export async function pauseFor(deps: Deps, staff: string, id: number, until: number): Promise<PauseOutcome> {
  const r = await pauseSubscriber(deps, id, until, { by: 'staff', staff });
  if (r.ok) await recordAudit(deps, staff, 'subscriber.paused', id, { until: new Date(until).toISOString() });
  return r;
}

export async function resumeFor(deps: Deps, staff: string, id: number): Promise<PauseOutcome> {
  const r = await resumeSubscriber(deps, id, { by: 'staff', staff });
  if (r.ok) await recordAudit(deps, staff, 'subscriber.resumed', id, {});
  return r;
}

/** Why a resend was refused, in words for staff; `email` names it as the asker did ("Step 2" to the API, "Email 2 of 8" on the page). */
export function resendRefusalMessage(reason: ResendRefusal, status: SubscriberStatus, email: string): string {
  switch (reason) {
    case 'not_mailable':
      return status === 'erased' ? 'This subscriber was erased: nothing is sent to them.' : `This subscriber is ${status}: nothing is sent to them.`;
    case 'suppressed':
      return 'Their address is on the suppression list (a bounce or a complaint): nothing is sent to it.';
    case 'step_not_sent':
      return `${email} has not been sent to them yet; only an email they already had can be sent again.`;
    case 'resend_queued':
      return 'A step is already waiting to be sent to them again; wait until it has gone.';
    case 'resent_recently':
      return `${email} was sent to them again less than an hour ago; it can be sent again an hour after that.`;
  }
}

export async function resendFor(deps: Deps, staff: string, id: number, step: number): Promise<ResendResult> {
  const r = await resendStep(deps, id, step);
  if (r.ok) await recordAudit(deps, staff, 'subscriber.resent', id, { step: r.step, deliveryId: r.deliveryId });
  return r;
}

/** Why the confirmation email was not sent again, in words for staff (the page and the API say the same). */
export function confirmationResendMessage(reason: ConfirmationResendRefusal): string {
  switch (reason) {
    case 'not_pending':
      return 'Only someone who has not confirmed yet, or who unsubscribed (a new opt-in), gets a confirmation email.';
    case 'suppressed':
      return 'Their address is on the suppression list (a bounce or a complaint): nothing is sent to it.';
    case 'recently_sent':
      return 'A confirmation email went to them less than 10 minutes ago; ask them to look in their spam folder first.';
    case 'daily_cap':
      return 'Three confirmation emails went to this address in the last 24 hours; try again tomorrow.';
  }
}

/**
 * The confirmation email again, for a pending person who asked (lost it, it
 * went to spam); or a new opt-in email for one who unsubscribed and asks to
 * come back: they are back only once they confirm it themselves.
 */
export async function resendConfirmationFor(deps: Deps, staff: string, id: number): Promise<ConfirmationResendOutcome> {
  const r = await resendConfirmation(deps, staff, id);
  if (r.ok) await recordAudit(deps, staff, 'subscriber.confirmation_resent', id, { deliveryId: r.deliveryId, ...(r.reopened ? { reopened: true } : {}) });
  return r;
}

/**
 * The audit entry names the fields that changed, never their values: a name
 * is personal data, and the log is kept as it is when a person is erased.
 * Nothing changed, nothing recorded.
 */
export async function changeProfileFor(deps: Deps, staff: string, id: number, changes: ProfileChanges): Promise<ProfileOutcome | undefined> {
  const r = await changeProfile(deps, id, changes);
  if (r?.changed.length) await recordAudit(deps, staff, 'subscriber.updated', id, { fields: r.changed });
  return r;
}

export type EnrolForOutcome =
  | { ok: true; enrolment: Enrolment }
  | { ok: false; reason: 'not_found' | 'not_enrollable' }
  | { ok: false; reason: 'already'; enrolment: Enrolment }
  | { ok: false; reason: 'not_mailable'; status: SubscriberStatus };

/** Starts a later sequence for them (they asked, or booked by phone): once per person. */
export async function enrolFor(deps: Deps, staff: string, id: number, sequence: SequenceId): Promise<EnrolForOutcome> {
  const r = await enrolIn(deps, id, sequence, 'staff');
  switch (r.kind) {
    case 'enrolled':
      await recordAudit(deps, staff, 'subscriber.enrolled', id, { sequence });
      return { ok: true, enrolment: r.enrolment };
    case 'already':
      return { ok: false, reason: 'already', enrolment: r.enrolment };
    case 'not_mailable':
      return r.status === 'erased' ? { ok: false, reason: 'not_found' } : { ok: false, reason: 'not_mailable', status: r.status };
    case 'unknown':
      return { ok: false, reason: 'not_found' };
    case 'not_enrollable':
      return { ok: false, reason: 'not_enrollable' };
  }
}

export type LeaveForOutcome = { ok: true; enrolment: Enrolment } | { ok: false; reason: 'not_found' | 'not_enrolled' | 'last' };

/** Ends one of their sequences and keeps the other (their last one: unsubscribe them instead). */
export async function leaveFor(deps: Deps, staff: string, id: number, sequence: SequenceId): Promise<LeaveForOutcome> {
  const s = await deps.stores.subscribers.byId(id);
  if (!s || s.status === 'erased') return { ok: false, reason: 'not_found' };
  const r = await leaveSequence(deps, id, sequence, 'staff');
  if (r.kind !== 'left') return { ok: false, reason: r.kind };
  await recordAudit(deps, staff, 'subscriber.left_sequence', id, { sequence });
  return { ok: true, enrolment: r.enrolment };
}

export type AddressCorrectionForOutcome = AddressCorrectionOutcome | { ok: false; reason: 'invalid_email'; message: string };

/**
 * Puts in the address a person meant when theirs was mistyped: the new
 * address gets the confirmation email and they are pending until they
 * confirm it from there; the old one keeps nothing. `typed` is checked by
 * the signup form's rules. The audit entry says it was corrected and never
 * names either address.
 */
export async function correctAddressFor(deps: Deps, staff: string, id: number, typed: unknown): Promise<AddressCorrectionForOutcome> {
  const parsed = EmailAddressSchema.safeParse(typed);
  if (!parsed.success) return { ok: false, reason: 'invalid_email', message: parsed.error.issues[0]?.message ?? 'That does not look like an email address.' };
  const r = await correctAddress(deps, staff, id, parsed.data);
  if (r.ok && r.kind === 'corrected') await recordAudit(deps, staff, 'subscriber.address_corrected', id, { deliveryId: r.deliveryId, droppedEmails: r.droppedDeliveries });
  if (r.ok && r.kind === 'respelled') await recordAudit(deps, staff, 'subscriber.address_corrected', id, { spelling: true });
  return r;
}

/** Why an address was not corrected, in words for staff (the page and the API say the same). */
export function addressCorrectionMessage(r: { reason: AddressCorrectionRefusal; holderId?: number }): string {
  switch (r.reason) {
    case 'not_correctable':
      return 'They became a patient (converted): their series has ended and nothing more is sent to them, so there is no new address to confirm.';
    case 'address_in_use':
      return `That address is another subscriber's (#${r.holderId}), in this or another spelling. Nothing was changed: two people are never merged by a correction.`;
    case 'suppressed_address':
      return 'That address is on the suppression list (it bounced, its owner marked our email as spam, or its data was erased): nothing is sent to it. Nothing was changed.';
    case 'recently_sent':
      return 'A confirmation email went to that address less than 10 minutes ago. Nothing was changed; try again in a few minutes.';
    case 'daily_cap':
      return 'Three confirmation emails went to that address in the last 24 hours. Nothing was changed; try again tomorrow.';
  }
}
