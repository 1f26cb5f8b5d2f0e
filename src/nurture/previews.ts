import type { Stores } from '../../db/stores.js';
import type { Subscriber } from '../../db/types.js';
import type { Clock } from '../clock.js';
import { addressHashes } from '../address.js';
import type { Config } from '../config.js';
import { maskEmail, type Logger } from '../logger.js';
import { allTemplates, renderTemplate, type ConfirmationEmailProps, type RenderedEmail, type SequenceEmailProps, type TemplateDef } from '../mail/render.js';
import { resendEnvelope } from '../mail/envelope.js';
import type { OutgoingEmail } from '../mail/transport.js';
import { sequenceEmail } from './decide.js';
import { confirmationProps, sequenceProps, withSettings } from './email-props.js';
import { plannedSendTimes, type PlannedSend } from './schedule.js';
import { placeOfTemplate, stepOfTemplate, type SequenceCatalog, type SequenceStep } from './sequence.js';
import { runningPlan } from './versions.js';


type AnyTemplate = TemplateDef<SequenceEmailProps> | TemplateDef<ConfirmationEmailProps>;

export type TemplateSummary = { id: string; kind: 'sequence' | 'confirmation'; subject: string; preheader: string; version: string; step: number | null; dayOffset: number | null };

/** Every template staff can preview: the confirmation email, then the sequence in order. */
export function listTemplates(): TemplateSummary[] {
  return allTemplates.map((t) => {
    const step = stepOfTemplate(t.id);
    return { id: t.id, kind: t.kind, subject: t.subject, preheader: t.preheader, version: t.version, step: step?.step ?? null, dayOffset: step?.dayOffset ?? null };
  });
}

export function findTemplate(id: string): AnyTemplate | undefined {
  return allTemplates.find((t) => t.id === id);
}

export const SAMPLE_RECIPIENT = 'alex@example.org';

/** One email as it would leave: the rendered parts and the exact message (headers included). */
export type Preview = { template: TemplateSummary; rendered: RenderedEmail; message: OutgoingEmail; sample: boolean };

export type PreviewFailure = 'unknown_template' | 'unknown_subscriber' | 'erased';

/**
 * The message as it would leave: the configured sender and footer, the
 * subscriber's name, the links given. Sequence emails are built by the
 * worker's own sequenceEmail(), so the headers are the ones it sends.
 */
async function buildMessage(config: Config, def: AnyTemplate, to: string, props: SequenceEmailProps | ConfirmationEmailProps, step: SequenceStep | undefined): Promise<{ rendered: RenderedEmail; message: OutgoingEmail }> {
  const rendered = await renderTemplate(def as TemplateDef<typeof props>, props);
  if (def.kind === 'sequence') {
    const message = sequenceEmail({
      deliveryId: 0,
      subscriberId: 0,
      step: step?.step ?? 0,
      to,
      from: config.mailFrom,
      ...(config.replyTo ? { replyTo: config.replyTo } : {}),
      subject: rendered.subject,
      html: rendered.html,
      text: rendered.text,
      unsubscribeUrl: (props as SequenceEmailProps).unsubscribeUrl,
    });
    // Tags only route webhooks back to a delivery; a preview has none.
    delete message.tags;
    return { rendered, message };
  }
  return { rendered, message: { from: config.mailFrom, to, ...(config.replyTo ? { replyTo: config.replyTo } : {}), subject: rendered.subject, html: rendered.html, text: rendered.text } };
}

/** What stands in for a token in the links of a preview or a test email: no token at all, so every link route refuses it. */
export const TEST_EMAIL_TOKEN = 'test-email';

/**
 * The links of every preview and test email. Shaped like a subscriber's, but
 * without a token: the unsubscribe, preference and confirm pages answer "this
 * link does not work" and a one-click unsubscribe changes nothing. A preview
 * is read by staff of any role, and a test goes to someone else: neither may
 * hand out links that unsubscribe, confirm, export or erase the person whose
 * data it shows.
 */
export function testEmailLinks(config: Pick<Config, 'publicUrl'>) {
  return {
    unsubscribeUrl: `${config.publicUrl}/u/${TEST_EMAIL_TOKEN}`,
    preferencesUrl: `${config.publicUrl}/p/${TEST_EMAIL_TOKEN}`,
    confirmUrl: `${config.publicUrl}/confirm/${TEST_EMAIL_TOKEN}`,
  };
}

/** Props with a subscriber's data (name, zone, reader), as the worker and the signup path build them, but the placeholder links. */
function subscriberProps(config: Config, def: AnyTemplate, s: Subscriber): SequenceEmailProps | ConfirmationEmailProps {
  const { confirmUrl, ...links } = testEmailLinks(config);
  if (def.kind === 'confirmation') return confirmationProps(config, s, { confirmUrl, ...links });
  return sequenceProps(config, s, links);
}

/** A template's sample props with the configured settings, and the placeholder links. */
function sampleProps(config: Config, def: AnyTemplate): SequenceEmailProps | ConfirmationEmailProps {
  const { confirmUrl, ...links } = testEmailLinks(config);
  return { ...withSettings(config, def.previewProps, def.kind), ...links, ...(def.kind === 'confirmation' ? { confirmUrl } : {}) };
}

/** A template rendered with its sample props, or with a subscriber's data; always with the placeholder links (testEmailLinks). */
export async function previewTemplate(deps: { config: Config }, id: string, subscriber?: Subscriber | null): Promise<{ ok: true; preview: Preview } | { ok: false; reason: PreviewFailure }> {
  const def = findTemplate(id);
  if (!def) return { ok: false, reason: 'unknown_template' };
  if (subscriber === null) return { ok: false, reason: 'unknown_subscriber' };
  if (subscriber && !subscriber.email) return { ok: false, reason: 'erased' };
  const place = def.kind === 'sequence' ? placeOfTemplate(def.id) : undefined;
  const props = { ...(subscriber ? subscriberProps(deps.config, def, subscriber) : sampleProps(deps.config, def)), ...(place ? { place } : {}) };
  const { rendered, message } = await buildMessage(deps.config, def, subscriber?.email ?? SAMPLE_RECIPIENT, props, stepOfTemplate(def.id));
  return { ok: true, preview: { template: listTemplates().find((t) => t.id === id)!, rendered, message, sample: !subscriber } };
}

/** Why a test was not sent: the preview failed, or the address is on the suppression list (no email goes to it, tests included). */
export type TestSendFailure = PreviewFailure | 'suppressed_address';
export type TestSendResult = { ok: true; deliveryId: number } | { ok: false; reason: TestSendFailure };

/**
 * Queues one template to a staff address, subject marked [Test], as a 'test'
 * delivery (never counted in the sequence numbers; linked to the subscriber
 * whose data it shows, so that erasing them removes it too). It goes through
 * the worker like every email: paced, with its idempotency key, exactly once.
 * Its links are the preview's placeholders, never the subscriber's whose data
 * it shows (testEmailLinks).
 */
export async function sendTestEmail(
  deps: { stores: Stores; config: Config; clock: Clock; logger: Logger; worker?: { kick(): void } },
  id: string,
  to: string,
  subscriber?: Subscriber | null,
): Promise<TestSendResult> {
  const built = await previewTemplate(deps, id, subscriber);
  if (!built.ok) return built;
  // A bounced, complained or erased address gets nothing from us, in any spelling.
  if ((await deps.stores.subscribers.suppressionOf(addressHashes(deps.config.secretKey, to))) !== null) return { ok: false, reason: 'suppressed_address' };
  const { preview } = built;
  const email: OutgoingEmail = { ...preview.message, to, subject: `[Test] ${preview.message.subject}`, tags: [{ name: 'category', value: 'test' }] };
  const deliveryId = await deps.stores.sendQueue.enqueueTest({ templateId: preview.template.id, templateVersion: preview.template.version, subject: email.subject, toAddress: to, subscriberId: subscriber?.id ?? null, email }, deps.clock.now(), resendEnvelope);
  deps.logger.info({ templateId: id, to: maskEmail(to), deliveryId }, 'test email queued');
  deps.worker?.kick();
  return { ok: true, deliveryId };
}

/**
 * The planned time of each remaining step for an active subscriber, by the
 * worker's own schedule function. The next step's stored time is the worker's
 * decision and is shown as it is; each later step is planned as if the one
 * before it went on time. While a step is in flight (no stored time), the plan
 * is measured from the last sequence email that went.
 */
export async function plannedSends(deps: { stores: Stores; config: Config; sequences?: SequenceCatalog }, s: Subscriber, now: number): Promise<(PlannedSend & { detail: SequenceStep })[]> {
  if (s.status !== 'active' || s.confirmedAt === null || s.nextStep === null) return [];
  const { running, options } = await runningPlan(deps);
  const steps = running.sequence.steps;
  const detail = (p: PlannedSend) => {
    const step = steps.find((x) => x.step === p.step);
    return step ? [{ ...p, detail: step }] : [];
  };
  const base = { confirmedAt: s.confirmedAt, timezone: s.timezone };
  const received = await deps.stores.subscribers.received(s.id);
  if (s.nextSendAt !== null) {
    const at = Math.max(s.nextSendAt, now);
    const later = plannedSendTimes({ ...base, last: { step: s.nextStep, sentAt: at }, received: [...received, s.nextStep] }, steps, at, options);
    return [{ step: s.nextStep, at: s.nextSendAt }, ...later].flatMap(detail);
  }
  // In flight: the step is going now; the rest is planned from the last email that went.
  const from = await deps.stores.subscribers.lastSequenceSent(s.id);
  const last = { step: s.nextStep, sentAt: from?.sentAt ?? now };
  const later = plannedSendTimes({ ...base, last, received: [...received, s.nextStep] }, steps, Math.max(now, last.sentAt), options);
  return [{ step: s.nextStep, at: now }, ...later].flatMap(detail);
}

/** The next email as it will look when it goes (their data, the placeholder links), and its planned time. */
export async function nextEmail(deps: { stores: Stores; config: Config; clock: Clock }, s: Subscriber): Promise<{ step: SequenceStep; at: number; preview: Preview } | null> {
  const plan = (await plannedSends(deps, s, deps.clock.now()))[0];
  if (!plan) return null;
  const step = plan.detail;
  const built = await previewTemplate(deps, step.templateId, s);
  return built.ok ? { step, at: plan.at, preview: built.preview } : null;
}
