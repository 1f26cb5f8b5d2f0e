import type { Context } from 'hono';
import { z } from 'zod';
import { ACTIVITY_TYPES, DELIVERY_KINDS, DELIVERY_STATUSES, ENROLMENT_END_REASONS, SEQUENCE_IDS, SUBSCRIBER_STATUSES, type Enrolment } from '../../../db/types.js';
import { READERS } from '../../../emails/_components/types.js';
import type { AppDeps } from '../../deps.js';
import { plannedSends } from '../../nurture/previews.js';
import { addressCorrectionMessage, changeProfileFor, confirmationResendMessage, correctAddressFor, enrolFor, leaveFor, pauseFor, resendConfirmationFor, resendFor, resendRefusalMessage, resumeFor, unsubscribeFor, UnsubscribeReasonSchema } from '../../staff/act-for-person.js';
import { recordAudit } from '../../audit.js';
import { subscriberFor } from '../../staff/personal-data.js';
import { listSubscribers, subscriberRecord } from '../../subscribers/directory.js';
import { eraseSubscriberEverywhere } from '../../subscribers/erase.js';
import { subscriberExport } from '../../subscribers/export.js';
import type { PauseOutcome } from '../../subscribers/preferences.js';
import { ProfileChangesSchema } from '../../subscribers/profile.js';
import { errorBody } from '../errors.js';
import { staffOf } from '../staff/auth.js';
import { idParams, SubscriberListQuery } from '../staff/params.js';
import { apiRoute, apiRouter, error, json, jsonBody } from './openapi.js';

const notFound = (c: Context) => c.json(errorBody('not_found', 'No subscriber with that id.'), 404);
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

// The stored rows, as the record and the GDPR export give them: times in milliseconds since the epoch.
const ms = z.int().meta({ description: 'Milliseconds since the epoch.' });
const status = z.enum(SUBSCRIBER_STATUSES);
const reader = z.enum(READERS).nullable().meta({ description: 'Who they read for; null: not given (they read the self version).' });

const Subscriber = z
  .object({
    id: z.int(),
    email: z.string().nullable().meta({ description: 'Null once erased. Masked for viewers (j***@example.org); the GDPR export always has it whole.' }),
    emailHash: z.string(),
    firstName: z.string().nullable(),
    timezone: z.string(),
    reader,
    status,
    tokenGeneration: z.int(),
    source: z.string().nullable(),
    signupIp: z.string().nullable().meta({ description: 'Null for viewers.' }),
    signupUserAgent: z.string().nullable().meta({ description: 'Null for viewers.' }),
    createdAt: ms,
    updatedAt: ms,
    confirmationSentAt: ms.nullable(),
    confirmedAt: ms.nullable(),
    consentText: z.string().nullable(),
    consentVersion: z.string().nullable(),
    consentIp: z.string().nullable().meta({ description: 'Null for viewers.' }),
    consentUserAgent: z.string().nullable().meta({ description: 'Null for viewers.' }),
    consentSource: z.string().nullable(),
    unsubscribedAt: ms.nullable(),
    suppressedAt: ms.nullable(),
    suppressedReason: z.string().nullable(),
    convertedAt: ms.nullable(),
    completedAt: ms.nullable(),
    erasedAt: ms.nullable(),
    nextStep: z.int().nullable(),
    nextSendAt: ms.nullable(),
    lastSequenceSentAt: ms.nullable(),
    pausedUntil: ms.nullable(),
    sequenceVersion: z.int().nullable(),
  })
  .meta({ id: 'Subscriber' });

const ProviderEvent = z.object({
  id: z.string(),
  type: z.string(),
  providerId: z.string().nullable(),
  deliveryId: z.int().nullable(),
  occurredAt: ms,
  receivedAt: ms,
  detail: z.string().nullable().meta({ description: 'The event’s details, as JSON text.' }),
});

const Delivery = z.object({
  id: z.int(),
  subscriberId: z.int().nullable(),
  kind: z.enum(DELIVERY_KINDS),
  toAddress: z.string().nullable(),
  step: z.int(),
  templateId: z.string(),
  templateVersion: z.string().nullable(),
  subject: z.string(),
  status: z.enum(DELIVERY_STATUSES),
  batchId: z.int().nullable(),
  providerId: z.string().nullable(),
  error: z.string().nullable(),
  createdAt: ms,
  sentAt: ms.nullable(),
  deliveredAt: ms.nullable(),
  delayedAt: ms.nullable(),
  openedAt: ms.nullable(),
  clickedAt: ms.nullable(),
  bouncedAt: ms.nullable(),
  complainedAt: ms.nullable(),
});

const Activity = z.object({
  id: z.int(),
  subscriberId: z.int().nullable(),
  type: z.enum(ACTIVITY_TYPES),
  at: ms,
  detail: z.string().nullable().meta({ description: 'JSON text.' }),
});

const Suppression = z.object({ emailHash: z.string(), reason: z.string(), createdAt: ms }).nullable().meta({ description: 'Their address on the suppression list, if it is.' });

const EnrolmentRow = z.object({
  id: z.int(),
  subscriberId: z.int(),
  sequence: z.enum(SEQUENCE_IDS),
  version: z.int().nullable(),
  startedAt: ms,
  nextStep: z.int().nullable().meta({ description: 'Kept, with no time, while its email is in flight.' }),
  nextSendAt: ms.nullable(),
  lastSentAt: ms.nullable(),
  endedAt: ms.nullable(),
  endedReason: z.enum(ENROLMENT_END_REASONS).nullable(),
});

const SubscriberRecord = z.object({
  subscriber: Subscriber,
  enrolments: z.array(EnrolmentRow).meta({ description: 'Their place in each sequence they entered, in the order they entered.' }),
  deliveries: z.array(Delivery.extend({ events: z.array(ProviderEvent) })),
  activity: z.array(Activity),
  suppression: Suppression,
  planned: z.array(z.object({ step: z.int(), at: z.iso.datetime() })).meta({ description: 'When each remaining step is planned to go.' }),
});

const SubscriberExport = z.object({
  exportedAt: z.iso.datetime(),
  subscriber: Subscriber,
  suppression: Suppression,
  enrolments: z.array(EnrolmentRow),
  deliveries: z.array(Delivery.extend({ events: z.array(ProviderEvent.extend({ detail: z.unknown().meta({ description: 'The event’s details.' }) })) })),
  activity: z.array(Activity.extend({ detail: z.unknown() })),
});

const SubscriberPage = z.object({
  page: z.int(),
  pageSize: z.int(),
  pageCount: z.int(),
  total: z.int().meta({ description: 'Subscribers matching the search.' }),
  statusCounts: z.object(Object.fromEntries(SUBSCRIBER_STATUSES.map((s) => [s, z.int()])) as Record<(typeof SUBSCRIBER_STATUSES)[number], z.ZodInt>).meta({ description: 'Matching subscribers per status.' }),
  all: z.int().meta({ description: 'Every subscriber.' }),
  items: z.array(
    z.object({
      id: z.int(),
      email: z.string().nullable().meta({ description: 'Null once erased; masked for viewers (j***@example.org).' }),
      firstName: z.string().nullable(),
      status,
      timezone: z.string(),
      createdAt: ms,
      confirmedAt: ms.nullable(),
      nextStep: z.int().nullable(),
      nextSendAt: ms.nullable(),
    }),
  ),
});

const Erased = z.object({
  id: z.int(),
  status: z.literal('erased'),
  alreadyErased: z.boolean(),
  withdrawnFromBatches: z.int().meta({ description: 'Unsent batches their email was taken out of.' }),
  outboxFilesRemoved: z.int(),
});

const PauseState = z.object({
  id: z.int(),
  status,
  pausedUntil: z.iso.datetime().nullable(),
  nextSendAt: z.iso.datetime().nullable().meta({ description: 'When their next email goes.' }),
});

const Profile = z.object({
  id: z.int(),
  firstName: z.string().nullable(),
  timezone: z.string(),
  reader,
  changed: z.array(z.enum(['firstName', 'timezone', 'reader'])).meta({ description: 'The fields that really changed (none: nothing was written).' }),
  nextStep: z.int().nullable(),
  nextSendAt: z.iso.datetime().nullable(),
});

const params = idParams('subscriber');
const noSubscriber = error('No subscriber with that id (not_found).');

const listRoute = apiRoute({
  method: 'get',
  path: '/',
  role: 'viewer',
  summary: 'Search subscribers by address or first name, 50 a page',
  description: 'Viewers get each address masked (j***@example.org).',
  request: { query: SubscriberListQuery },
  responses: { 200: json(SubscriberPage, 'One page of matching subscribers, newest first.') },
});

const recordRoute = apiRoute({
  method: 'get',
  path: '/{id}',
  role: 'viewer',
  summary: 'Everything stored about one subscriber, and their planned emails',
  description: 'Viewers get the address masked (j***@example.org) and no IP address or user agent; editors and admins get the whole record.',
  request: { params },
  responses: { 200: json(SubscriberRecord, 'The subscriber, their deliveries with provider events, their activity and their suppression.'), 404: noSubscriber },
});

const exportRoute = apiRoute({
  method: 'get',
  path: '/{id}/export',
  role: 'admin',
  summary: 'The GDPR access export of one subscriber (audited)',
  request: { params },
  responses: { 200: json(SubscriberExport, 'Everything held about them, as a download (subscriber-ID.json).'), 404: noSubscriber },
});

const erased = json(Erased, 'Erased: their address, name, IPs and user agents are gone; the address stays only as a keyed hash on the suppression list.');
const eraseRoute = apiRoute({ method: 'delete', path: '/{id}', role: 'admin', summary: 'Erase a subscriber (GDPR; audited)', request: { params }, responses: { 200: erased, 404: noSubscriber } });
const eraseByPostRoute = apiRoute({ method: 'post', path: '/{id}/erase', role: 'admin', summary: 'Erase a subscriber (GDPR; audited), for clients that cannot send DELETE', request: { params }, responses: { 200: erased, 404: noSubscriber } });

const unsubscribeRoute = apiRoute({
  method: 'post',
  path: '/{id}/unsubscribe',
  role: 'editor',
  summary: 'Unsubscribe on the person’s behalf, with the reason they gave (audited)',
  request: { params, body: jsonBody(z.object({ reason: UnsubscribeReasonSchema })) },
  responses: {
    200: json(z.object({ id: z.int(), status }), 'Unsubscribed.'),
    404: noSubscriber,
    409: error('Nothing is sent to them already: unsubscribed, suppressed, ... (not_mailable).'),
  },
});

const paused = json(PauseState, 'Their pause and when their next email goes now.');
const notActive = error('Only someone receiving the series can be paused or resumed (not_active); resuming someone not paused (not_paused).');

const pauseRoute = apiRoute({
  method: 'post',
  path: '/{id}/pause',
  role: 'editor',
  summary: 'Pause their sequence until a time (audited)',
  request: { params, body: jsonBody(z.object({ until: z.iso.datetime({ offset: true }).meta({ example: '2026-05-01T00:00:00Z' }) })) },
  responses: {
    200: paused,
    404: noSubscriber,
    409: notActive,
    422: error('The body does not fit the schema (invalid_input), or "until" is not in the future (until_not_in_future).'),
  },
});

const resumeRoute = apiRoute({
  method: 'post',
  path: '/{id}/resume',
  role: 'editor',
  summary: 'Resume their sequence (audited)',
  request: { params },
  responses: { 200: paused, 404: noSubscriber, 409: notActive },
});

const resendConfirmationRoute = apiRoute({
  method: 'post',
  path: '/{id}/confirmation',
  role: 'editor',
  summary: 'Send a pending person their confirmation email again (same links), or an unsubscribed person a new opt-in email (audited)',
  description:
    'Through the send pipeline. For someone who unsubscribed this is the only way back: they are pending, with new links, until they confirm it themselves. The limits of a signup apply: at most one every 10 minutes and 3 a day per address, never to a suppressed address.',
  request: { params },
  responses: {
    202: json(z.object({ id: z.int(), status: z.literal('queued'), deliveryId: z.int(), reopened: z.boolean() }), 'Queued; the worker sends it within seconds. `reopened`: they had unsubscribed and are pending again.'),
    404: noSubscriber,
    409: error('Not sent: they are neither pending nor unsubscribed (not_pending), their address is suppressed (suppressed), one went less than 10 minutes ago (recently_sent) or 3 today (daily_cap).'),
  },
});

const correctAddressRoute = apiRoute({
  method: 'post',
  path: '/{id}/email',
  role: 'editor',
  summary: 'Correct a mistyped address: the new address gets the confirmation email (audited)',
  description:
    'Pending, active (paused too), completed, unsubscribed and suppressed people (a mistyped address usually bounced). They are pending, with new links, until they confirm from the new address; emails queued to the old one do not go, and no copy of it stays in their record. The same address in another spelling only changes the spelling. The limits of a signup apply to the new address: at most one confirmation every 10 minutes and 3 a day. The audit entry names neither address.',
  request: { params, body: jsonBody(z.strictObject({ email: z.string('email is the address they meant, like name@example.org').meta({ example: 'annabel@example.org' }) })) },
  responses: {
    200: json(z.object({ id: z.int(), outcome: z.enum(['respelled', 'unchanged']) }), 'The same address: only its spelling was stored (respelled), or it was already theirs as typed (unchanged). Nothing is sent.'),
    202: json(
      z.object({ id: z.int(), outcome: z.literal('corrected'), status: z.literal('pending'), deliveryId: z.int(), droppedEmails: z.int() }),
      'Corrected; the worker sends the confirmation email to the new address within seconds. `droppedEmails`: emails queued to the old address that will not go.',
    ),
    400: error('Not an email address (invalid_email), by the signup form’s rules: control or invisible characters are refused.'),
    404: noSubscriber,
    409: error(
      'Nothing changed: the address is another subscriber’s (address_in_use), on the suppression list or erased (suppressed_address), a confirmation went to it less than 10 minutes ago (recently_sent) or 3 today (daily_cap), or they converted (not_correctable).',
    ),
  },
});

const resendRoute = apiRoute({
  method: 'post',
  path: '/{id}/resend',
  role: 'editor',
  summary: 'Send one step they already had again, through the send pipeline (audited)',
  description: 'A delivery of its own: their schedule and the steps they count as received are untouched. One at a time, and the same step at most once an hour.',
  request: {
    params,
    body: jsonBody(z.strictObject({ step: z.int('step is the number of a sequence step, like 3').positive('step is the number of a sequence step, like 3') })),
  },
  responses: {
    202: json(z.object({ id: z.int(), status: z.literal('queued'), step: z.int(), deliveryId: z.int() }), 'Queued; the worker sends it within seconds.'),
    404: noSubscriber,
    409: error('Not sent: not mailable, suppressed, the step was never sent to them (step_not_sent), a resend waits already (resend_queued) or this step was sent again less than an hour ago (resent_recently).'),
    422: error('The body does not fit the schema (invalid_input), or the sequence has no such step (unknown_step).'),
  },
});

const changeProfileRoute = apiRoute({
  method: 'patch',
  path: '/{id}',
  role: 'editor',
  summary: 'Change their first name, time zone or reader type (audited)',
  description: 'A field left out is kept; an empty first name or a null reader clears it. A new time zone moves their next email into that zone’s send window.',
  request: { params, body: jsonBody(ProfileChangesSchema) },
  responses: { 200: json(Profile, 'Their details after the change.'), 404: noSubscriber },
});

const sequenceId = z.enum(SEQUENCE_IDS).meta({ description: 'A sequence: `education` (the eight emails, entered by confirming) or `consult-follow-up`.', example: 'consult-follow-up' });
const EnrolmentState = z.object({
  id: z.int().meta({ description: 'The subscriber.' }),
  sequence: sequenceId,
  version: z.int().nullable(),
  startedAt: z.string(),
  nextStep: z.int().nullable(),
  nextSendAt: z.string().nullable(),
  endedAt: z.string().nullable(),
  endedReason: z.enum(ENROLMENT_END_REASONS).nullable(),
});

const enrolRoute = apiRoute({
  method: 'post',
  path: '/{id}/sequences',
  role: 'editor',
  summary: 'Start a later sequence for them, e.g. the consult follow-up after they booked by phone (audited)',
  description: 'A person enters a sequence once. Its first email goes its days after now, in their send window, and never within 20 hours of another email to them.',
  request: { params, body: jsonBody(z.strictObject({ sequence: sequenceId })) },
  responses: {
    201: json(EnrolmentState, 'Enrolled.'),
    404: noSubscriber,
    409: error('Not enrolled: they were in it before (already_enrolled), or nothing is sent to them: pending, unsubscribed, converted, suppressed (not_mailable).'),
    422: error('The body does not fit the schema (invalid_input), or the sequence is entered only by confirming (not_enrollable).'),
  },
});

const leaveRoute = apiRoute({
  method: 'delete',
  path: '/{id}/sequences/{sequence}',
  role: 'editor',
  summary: 'End one of their sequences and keep the other (audited)',
  description: 'An email of it already claimed is dropped unless it went. Their only running sequence is not ended this way: unsubscribe them instead.',
  request: { params: params.extend({ sequence: sequenceId }) },
  responses: {
    200: json(EnrolmentState, 'Ended.'),
    404: noSubscriber,
    409: error('Not in that sequence now (not_enrolled), or it is their only running one (last_sequence).'),
  },
});

const enrolmentState = (e: Enrolment) => ({
  id: e.subscriberId,
  sequence: e.sequence,
  version: e.version,
  startedAt: new Date(e.startedAt).toISOString(),
  nextStep: e.nextStep,
  nextSendAt: iso(e.nextSendAt),
  endedAt: iso(e.endedAt),
  endedReason: e.endedReason,
});

export function subscribersApi(deps: AppDeps) {
  const app = apiRouter();

  app.openapi(listRoute, async (c) => {
    const r = await listSubscribers(deps.stores, c.req.valid('query'), deps.clock.now());
    const role = staffOf(c).role;
    return c.json({ page: r.page, pageSize: r.pageSize, pageCount: r.pageCount, total: r.total, statusCounts: r.statusCounts, all: r.all, items: r.items.map((s) => subscriberFor(role, s)) }, 200);
  });

  app.openapi(recordRoute, async (c) => {
    const record = await subscriberRecord(deps.stores, c.req.valid('param').id);
    if (!record) return notFound(c);
    const planned = (await plannedSends(deps, record.subscriber, deps.clock.now())).map((p) => ({ step: p.step, at: new Date(p.at).toISOString() }));
    return c.json({ ...record, subscriber: subscriberFor(staffOf(c).role, record.subscriber), planned }, 200);
  });

  app.openapi(exportRoute, async (c) => {
    const { id } = c.req.valid('param');
    const data = await subscriberExport(deps.stores, id, deps.clock.now());
    if (!data) return notFound(c);
    await recordAudit(deps, staffOf(c).name, 'subscriber.exported', id, { format: 'json' });
    c.header('Content-Disposition', `attachment; filename="subscriber-${id}.json"`);
    return c.json(data, 200);
  });

  const erase = async (c: Context, id: number) => {
    const outcome = await eraseSubscriberEverywhere(deps, id, deps.clock.now());
    if (!outcome) return notFound(c);
    deps.logger.info({ subscriberId: id, alreadyErased: outcome.alreadyErased, staff: staffOf(c).name }, 'subscriber erased through the api');
    await recordAudit(deps, staffOf(c).name, 'subscriber.erased', id, { alreadyErased: outcome.alreadyErased, withdrawnFromBatches: outcome.withdrawnFromBatches });
    return c.json({ id, status: 'erased' as const, alreadyErased: outcome.alreadyErased, withdrawnFromBatches: outcome.withdrawnFromBatches, outboxFilesRemoved: outcome.outboxFilesRemoved }, 200);
  };
  app.openapi(eraseRoute, (c) => erase(c, c.req.valid('param').id));
  app.openapi(eraseByPostRoute, (c) => erase(c, c.req.valid('param').id));

  // Acting for a person (they phoned or wrote): editors, each action audited.
  const pauseAnswer = (c: Context, r: PauseOutcome) => {
    if (r.ok) return c.json({ id: r.subscriber.id, status: r.subscriber.status, pausedUntil: iso(r.subscriber.pausedUntil), nextSendAt: iso(r.subscriber.nextSendAt) }, 200);
    if (r.reason === 'not_found') return notFound(c);
    if (r.reason === 'until_not_in_future') return c.json(errorBody('until_not_in_future', '"until" must be in the future.'), 422);
    if (r.reason === 'not_paused') return c.json(errorBody('not_paused', 'This subscriber is not paused.'), 409);
    if (r.reason !== 'not_active') return c.json(errorBody('bad_request', 'Not changed.'), 400);
    return c.json(errorBody('not_active', `Only someone receiving the series can be paused or resumed; this subscriber is ${r.status}.`), 409);
  };

  app.openapi(unsubscribeRoute, async (c) => {
    const { id } = c.req.valid('param');
    const r = await unsubscribeFor(deps, staffOf(c).name, id, c.req.valid('json').reason);
    if (r.ok) return c.json({ id, status: r.subscriber.status }, 200);
    if (r.reason === 'not_found') return notFound(c);
    return c.json(errorBody('not_mailable', `This subscriber is ${r.status}: nothing is sent to them already.`), 409);
  });

  app.openapi(pauseRoute, async (c) => pauseAnswer(c, await pauseFor(deps, staffOf(c).name, c.req.valid('param').id, Date.parse(c.req.valid('json').until))));

  app.openapi(resumeRoute, async (c) => pauseAnswer(c, await resumeFor(deps, staffOf(c).name, c.req.valid('param').id)));

  app.openapi(resendConfirmationRoute, async (c) => {
    const { id } = c.req.valid('param');
    const r = await resendConfirmationFor(deps, staffOf(c).name, id);
    if (r.ok) return c.json({ id, status: 'queued' as const, deliveryId: r.deliveryId, reopened: r.reopened }, 202);
    if (r.reason === 'not_found') return notFound(c);
    return c.json(errorBody(r.reason, confirmationResendMessage(r.reason)), 409);
  });

  app.openapi(correctAddressRoute, async (c) => {
    const { id } = c.req.valid('param');
    const r = await correctAddressFor(deps, staffOf(c).name, id, c.req.valid('json').email);
    if (r.ok) {
      if (r.kind === 'corrected') return c.json({ id, outcome: 'corrected' as const, status: 'pending' as const, deliveryId: r.deliveryId, droppedEmails: r.droppedDeliveries }, 202);
      return c.json({ id, outcome: r.kind }, 200);
    }
    if (r.reason === 'not_found') return notFound(c);
    if (r.reason === 'invalid_email') return c.json(errorBody('invalid_email', r.message), 400);
    return c.json(errorBody(r.reason, addressCorrectionMessage(r)), 409);
  });

  // One sequence step again, through the send pipeline (the worker sends it within seconds).
  app.openapi(resendRoute, async (c) => {
    const { id } = c.req.valid('param');
    const { step } = c.req.valid('json');
    const r = await resendFor(deps, staffOf(c).name, id, step);
    if (r.ok) return c.json({ id, status: 'queued' as const, step: r.step, deliveryId: r.deliveryId }, 202);
    if (r.reason === 'not_found') return notFound(c);
    if (r.reason === 'unknown_step') return c.json(errorBody('unknown_step', `The sequence has no step ${step}.`), 422);
    return c.json(errorBody(r.reason, resendRefusalMessage(r.reason, r.status, `Step ${step}`)), 409);
  });

  app.openapi(enrolRoute, async (c) => {
    const { id } = c.req.valid('param');
    const { sequence } = c.req.valid('json');
    const r = await enrolFor(deps, staffOf(c).name, id, sequence);
    if (r.ok) return c.json(enrolmentState(r.enrolment), 201);
    if (r.reason === 'not_enrollable') return c.json(errorBody('not_enrollable', `People enter ${sequence} by confirming their signup.`), 422);
    if (r.reason === 'already') return c.json(errorBody('already_enrolled', `They were in ${sequence} before (a person enters a sequence once).`), 409);
    if (r.reason === 'not_mailable') return c.json(errorBody('not_mailable', `This subscriber is ${r.status}: nothing is sent to them.`), 409);
    return notFound(c);
  });

  app.openapi(leaveRoute, async (c) => {
    const { id, sequence } = c.req.valid('param');
    const r = await leaveFor(deps, staffOf(c).name, id, sequence);
    if (r.ok) return c.json(enrolmentState(r.enrolment), 200);
    if (r.reason === 'not_found') return notFound(c);
    if (r.reason === 'last') return c.json(errorBody('last_sequence', `${sequence} is their only running sequence: unsubscribe them instead.`), 409);
    return c.json(errorBody('not_enrolled', `They are not in ${sequence} now.`), 409);
  });

  app.openapi(changeProfileRoute, async (c) => {
    const r = await changeProfileFor(deps, staffOf(c).name, c.req.valid('param').id, c.req.valid('json'));
    if (!r) return notFound(c);
    const s = r.subscriber;
    return c.json({ id: s.id, firstName: s.firstName, timezone: s.timezone, reader: s.reader, changed: r.changed, nextStep: s.nextStep, nextSendAt: iso(s.nextSendAt) }, 200);
  });

  return app;
}
