/**
 * The checks that matter before real mail goes out (GET /api/health and the
 * dashboard's health panel): postal address, webhook secret, the worker's
 * last tick, whether sending is paused and why, the complaint rate, and the
 * sender domain's SPF, DKIM and DMARC. Each says ok, warn or fail in a
 * sentence a clinic's marketing lead can act on.
 */
import type { Stores } from '../../db/stores.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { Config } from '../config.js';
import { cachedTxtLookup, checkSenderDomain, systemResolver, type CheckResult, type CheckStatus, type DnsResolver, type LookupTxt } from '../mail/sender-dns.js';
import type { Transport } from '../mail/transport.js';
import {
  COMPLAINT_MIN_DELIVERED,
  COMPLAINT_WINDOW_MS,
  complaintWindow,
  formatRate,
  readComplaintGuard,
  resumeSequenceSending,
  type ComplaintGuardState,
  type ComplaintPause,
} from '../nurture/complaint-guard.js';
import { readLastTick, type LastTick } from '../nurture/last-tick.js';
import { QUOTA_KEY } from '../nurture/tick.js';
import { recordAudit } from '../audit.js';

export type { CheckStatus } from '../mail/sender-dns.js';

export const HEALTH_CHECKS = {
  clinic_name: 'Clinic name',
  postal_address: 'Postal address',
  webhook_secret: 'Delivery reports from Resend',
  last_tick: 'Worker',
  sending: 'Sending',
  complaint_rate: 'Complaint rate',
  spf: 'SPF (who may send for your domain)',
  dkim: 'DKIM (signed emails)',
  dmarc: 'DMARC (your domain policy)',
} as const;
export type HealthCheckId = keyof typeof HEALTH_CHECKS;

export type HealthCheck = CheckResult & { id: HealthCheckId; label: string };
export type HealthReport = { status: CheckStatus; checkedAt: number; checks: HealthCheck[] };

/** The worker runs every minute: this long without a tick is worth a look, and twice that means it stopped. */
export const TICK_LATE_MS = 5 * 60_000;
export const TICK_STOPPED_MS = 15 * 60_000;
/** Gmail asks bulk senders to keep complaints below 0.1 % (and never reach 0.3 %). */
export const COMPLAINT_ADVISED_RATE = 0.001;

export type HealthDeps = { stores: Stores; config: Config; clock: Clock; transport: Pick<Transport, 'name'>; dns?: DnsResolver };

const RANK: Record<CheckStatus, number> = { ok: 0, warn: 1, fail: 2 };
export const worstStatus = (statuses: CheckStatus[]): CheckStatus => statuses.reduce<CheckStatus>((w, s) => (RANK[s] > RANK[w] ? s : w), 'ok');

// One DNS cache per app (its deps), shared by the page and the API.
const lookups = new WeakMap<object, LookupTxt>();
function lookupFor(deps: HealthDeps): LookupTxt {
  let lookup = lookups.get(deps);
  if (!lookup) {
    lookup = cachedTxtLookup(deps.dns ?? systemResolver(), deps.clock);
    lookups.set(deps, lookup);
  }
  return lookup;
}

/** Every check, now. DNS answers come from a cache of a few minutes; a DNS server that does not answer is a warning, never an error. */
/** `zone`: the one the report's times are written in (a staff member's; DEFAULT_TIMEZONE for the API). */
export async function healthReport(deps: HealthDeps, zone: string = deps.config.defaultTimezone): Promise<HealthReport> {
  const now = deps.clock.now();
  const { settings, events } = deps.stores;
  const [guard, lastTick, quotaRaw, domain] = await Promise.all([readComplaintGuard(settings), readLastTick(settings), settings.get(QUOTA_KEY), checkSenderDomain(deps.config.mailFrom, lookupFor(deps))]);
  const window = complaintWindow(now, guard);
  const [week, sinceResume] = await Promise.all([
    events.complaintFigures(now - COMPLAINT_WINDOW_MS, now - COMPLAINT_WINDOW_MS),
    window.complainedSince > window.deliveredSince ? events.complaintFigures(window.deliveredSince, window.complainedSince) : null,
  ]);
  const quotaUntil = quotaRaw === null ? null : Number(quotaRaw);
  const tz = zone;
  const results: Record<HealthCheckId, CheckResult> = {
    clinic_name: clinicNameCheck(deps.config),
    postal_address: postalAddressCheck(deps.config),
    webhook_secret: webhookCheck(deps.config),
    last_tick: lastTickCheck(lastTick, now, tz),
    sending: sendingCheck({ guard, quotaUntil: quotaUntil !== null && quotaUntil > now ? quotaUntil : null, outbox: !deps.config.resendApiKey, tz }),
    complaint_rate: complaintRateCheck({ week, sinceResume, resumedAt: guard.resumedAt, threshold: deps.config.complaintPause, webhookSet: !!deps.config.resendWebhookSecret, tz }),
    spf: domain.spf,
    dkim: domain.dkim,
    dmarc: domain.dmarc,
  };
  const checks = (Object.keys(HEALTH_CHECKS) as HealthCheckId[]).map((id) => ({ id, label: HEALTH_CHECKS[id], ...results[id] }));
  return { status: worstStatus(checks.map((c) => c.status)), checkedAt: now, checks };
}

/**
 * An admin lifts a complaint pause (audited); the worker is asked to run at
 * once so the waiting emails go. Null when sending was not paused.
 */
export async function resumeSending(deps: HealthDeps & { logger: Logger; worker?: { kick(): void } }, actor: string): Promise<{ pause: ComplaintPause; resumedAt: number } | null> {
  const resumedAt = deps.clock.now();
  const lifted = await resumeSequenceSending(deps.stores.settings, resumedAt, actor);
  if (!lifted) return null;
  await recordAudit(deps, actor, 'sending.resumed', null, { pausedSince: lifted.since, rate: lifted.rate, complained: lifted.complained, delivered: lifted.delivered, threshold: lifted.threshold });
  deps.logger.warn({ actor, pausedSince: new Date(lifted.since).toISOString() }, 'sequence sending resumed by staff after a complaint pause');
  deps.worker?.kick();
  return { pause: lifted, resumedAt };
}

/** "2026-03-02 09:15 (America/New_York)". */
export function formatWhen(ms: number, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(new Date(ms));
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')} (${timeZone})`;
}

/** "just now", "1 minute ago", "3 hours ago", "2 days ago". */
export function formatAgo(ms: number): string {
  const minutes = Math.floor(Math.max(0, ms) / 60_000);
  if (minutes < 1) return 'just now';
  const [n, unit] = minutes < 120 ? [minutes, 'minute'] : minutes < 48 * 60 ? [Math.floor(minutes / 60), 'hour'] : [Math.floor(minutes / 1440), 'day'];
  return `${n} ${unit}${n === 1 ? '' : 's'} ago`;
}

const count = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
const iso = (ms: number) => new Date(ms).toISOString();

export function clinicNameCheck(config: Pick<Config, 'clinicName' | 'clinicNameIsDefault' | 'resendApiKey'>): CheckResult {
  if (config.clinicNameIsDefault) {
    return {
      status: 'fail',
      message: `Pages and emails name an example clinic ("${config.clinicName}"), and people would consent to emails from it.`,
      action: `Set CLINIC_NAME to the clinic's name and restart.${config.resendApiKey ? '' : ' With RESEND_API_KEY set, the server does not start without it.'}`,
    };
  }
  return { status: 'ok', message: `Pages, emails, the sender name and the consent wording name ${config.clinicName}.`, action: null };
}

export function postalAddressCheck(config: Pick<Config, 'postalAddress' | 'postalAddressIsPlaceholder' | 'resendApiKey'>): CheckResult {
  if (config.postalAddressIsPlaceholder) {
    return {
      status: 'fail',
      message: `Emails carry a made-up postal address ("${config.postalAddress}"). US law (CAN-SPAM) requires the sender's real postal address in every marketing email.`,
      action: `Set POSTAL_ADDRESS to the clinic's postal address and restart.${config.resendApiKey ? '' : ' With RESEND_API_KEY set, the server does not start without it.'}`,
    };
  }
  return { status: 'ok', message: `Every email carries your postal address: ${config.postalAddress}.`, action: null };
}

export function webhookCheck(config: Pick<Config, 'resendWebhookSecret' | 'resendApiKey' | 'publicUrl'>): CheckResult {
  const url = `${config.publicUrl}/webhooks/resend`;
  if (!config.resendWebhookSecret) {
    return {
      status: config.resendApiKey ? 'fail' : 'warn',
      message: `RESEND_WEBHOOK_SECRET is not set, so Resend's reports are refused: bounced and complaining addresses keep being mailed, deliveries are not counted, and the complaint guard cannot see complaints.`,
      action: `In Resend, add a webhook to ${url} for the email events, then set its signing secret as RESEND_WEBHOOK_SECRET=whsec_... and restart.`,
    };
  }
  return { status: 'ok', message: `Resend's reports (delivered, bounced, complained and more) are accepted at ${url}.`, action: null };
}

export function lastTickCheck(last: LastTick | null, now: number, tz: string): CheckResult {
  const restart = 'check the server log, and restart the server (or the worker, where it runs apart with npm run worker).';
  if (!last) {
    return { status: 'warn', message: 'The worker has not finished a round yet, so nothing has been sent. It starts with the server and runs every minute.', action: `If this stays for more than a few minutes, ${restart}` };
  }
  const age = now - last.at;
  const when = `${formatWhen(last.at, tz)}, ${formatAgo(age)}`;
  const detail = { at: iso(last.at), ok: last.ok, due: last.due, sent: last.sent, failed: last.failed, held: last.held, ...(last.error ? { error: last.error } : {}) };
  if (!last.ok) {
    return { status: 'fail', message: `The worker's last round failed (${when}): ${last.error ?? 'unknown error'}. Emails are not going out while this lasts.`, action: `Look now: ${restart}`, detail };
  }
  if (age > TICK_STOPPED_MS) {
    return { status: 'fail', message: `The worker last finished a round ${formatAgo(age)} (${formatWhen(last.at, tz)}). It runs every minute, so it has stopped or is stuck: no emails are going out.`, action: `Look now: ${restart}`, detail };
  }
  if (age > TICK_LATE_MS) {
    return { status: 'warn', message: `The worker last finished a round ${formatAgo(age)} (${formatWhen(last.at, tz)}); it normally runs every minute. A very large send can take this long.`, action: `If this stays, ${restart}`, detail };
  }
  const sent = `sent ${count(last.sent, 'email')}`;
  if (last.held > 0) {
    return { status: 'warn', message: `The worker ran ${formatAgo(age)} and ${sent}; ${count(last.held, 'batch', 'batches')} of emails could not be confirmed as sent and wait for a decision.`, action: 'Decide each held batch on the dashboard.', detail };
  }
  if (last.failed > 0) {
    return { status: 'warn', message: `The worker ran ${formatAgo(age)} and ${sent}; ${count(last.failed, 'email')} failed for good (for example an address the provider refuses).`, action: "Look at the failed deliveries on a subscriber's page or in the server log.", detail };
  }
  return { status: 'ok', message: `The worker ran ${formatAgo(age)} (${formatWhen(last.at, tz)}) and ${sent}.`, action: null, detail };
}

export function sendingCheck(o: { guard: ComplaintGuardState; quotaUntil: number | null; outbox: boolean; tz: string }): CheckResult {
  const p = o.guard.paused;
  if (p) {
    return {
      status: 'fail',
      message: `Sequence emails are paused since ${formatWhen(p.since, o.tz)}: the complaint rate, ${formatRate(p.rate)} (${count(p.complained, 'complaint')} against ${count(p.delivered, 'email')} delivered in 7 days), was above the limit of ${formatRate(p.threshold)} (COMPLAINT_PAUSE). Above it, Gmail and Yahoo start filing everything you send as spam. Confirmation emails and tests still go.`,
      action: 'Find out why readers marked the emails as spam (a recent email, people added without their consent?), then an admin resumes sending on the dashboard. After a resume only new complaints count.',
      detail: { paused: 'complaints', since: iso(p.since), rate: p.rate, complained: p.complained, delivered: p.delivered, threshold: p.threshold, windowStart: iso(p.windowStart), complaintsSince: iso(p.complaintsSince) },
    };
  }
  if (o.quotaUntil !== null) {
    return {
      status: 'warn',
      message: `Resend's daily sending quota was reached: all sending waits until ${formatWhen(o.quotaUntil, o.tz)} and then resumes by itself.`,
      action: 'Nothing, unless this happens often: then raise the quota in Resend.',
      detail: { paused: 'quota', until: iso(o.quotaUntil) },
    };
  }
  const resumed = o.guard.resumedAt !== null ? ` (last resumed by ${o.guard.resumedBy ?? 'staff'} at ${formatWhen(o.guard.resumedAt, o.tz)})` : '';
  if (o.outbox) {
    return {
      status: 'warn',
      message: `Nothing is paused${resumed}, but no real email is sent: without RESEND_API_KEY every email is written to the outbox folder instead.`,
      action: 'When the other checks pass, set RESEND_API_KEY and restart.',
      detail: { paused: null },
    };
  }
  return { status: 'ok', message: `Sending is on${resumed}.`, action: null, detail: { paused: null } };
}

export function complaintRateCheck(o: {
  week: { delivered: number; complained: number };
  sinceResume: { delivered: number; complained: number } | null;
  resumedAt: number | null;
  threshold: number;
  webhookSet: boolean;
  tz: string;
}): CheckResult {
  const { delivered, complained } = o.week;
  const rate = delivered > 0 ? complained / delivered : null;
  const figures = `${count(complained, 'complaint')} against ${count(delivered, 'email')} delivered in the last 7 days${rate === null ? '' : ` (${formatRate(rate)})`}`;
  const detail = { delivered, complained, rate, threshold: o.threshold, minimumDelivered: COMPLAINT_MIN_DELIVERED, ...(o.sinceResume && o.resumedAt !== null ? { resumedAt: iso(o.resumedAt), complainedSinceResume: o.sinceResume.complained } : {}) };
  const guardNote =
    o.sinceResume && o.resumedAt !== null ? ` Since the resume at ${formatWhen(o.resumedAt, o.tz)}, ${count(o.sinceResume.complained, 'new complaint')} count toward the pause.` : '';
  if (!o.webhookSet && delivered === 0) {
    return { status: 'warn', message: 'Not measured: without delivery reports from Resend (RESEND_WEBHOOK_SECRET) no deliveries or complaints are counted.', action: 'Set up the webhook (see above).', detail };
  }
  if (delivered < COMPLAINT_MIN_DELIVERED) {
    const high = rate !== null && rate > o.threshold;
    return {
      status: high ? 'warn' : 'ok',
      message: `${figures}. Sending pauses by itself only from ${count(COMPLAINT_MIN_DELIVERED, 'delivered email')} a week, when a rate says enough.${guardNote}`,
      action: high ? 'Few emails, but many complaints: look at what was sent recently and to whom.' : null,
      detail,
    };
  }
  // What the guard counts: after a resume, only the complaints since.
  const counted = o.sinceResume ?? o.week;
  if (counted.complained / delivered > o.threshold) {
    return { status: 'fail', message: `${figures}, above the limit of ${formatRate(o.threshold)}: Gmail and Yahoo file mail from senders like this as spam.${guardNote}`, action: 'See Sending above: sequence emails pause at this rate until an admin resumes them.', detail };
  }
  if (rate! > o.threshold) {
    return { status: 'warn', message: `${figures}, above the limit of ${formatRate(o.threshold)}.${guardNote}`, action: 'Watch the next days closely: new complaints at this rate pause sequence emails again.', detail };
  }
  if (rate! > COMPLAINT_ADVISED_RATE) {
    return { status: 'warn', message: `${figures}. Gmail asks senders to stay below ${formatRate(COMPLAINT_ADVISED_RATE)}; sending pauses above ${formatRate(o.threshold)}.${guardNote}`, action: 'Look at which emails draw complaints, and make the unsubscribe link easy to find.', detail };
  }
  return { status: 'ok', message: `${figures}: well below the limit of ${formatRate(o.threshold)}.${guardNote}`, action: null, detail };
}
