import { z } from 'zod';
import type { AppDeps } from '../../deps.js';
import { engagementSummary } from '../../nurture/engagement.js';
import { leavingReasonsByStep, sequenceOverview } from '../../nurture/sequence-stats.js';
import { UNSUBSCRIBE_REASONS, type SequenceId } from '../../../db/types.js';
import { catalogOf, describeEffect, describeStep, previewPublish, publishVersion, versionEffect, versionsOverview, type VersionEffect } from '../../nurture/versions.js';
import { formatTime } from '../staff/layout.js';
import { stepTitles } from '../staff/sequence-versions.js';
import { errorBody } from '../errors.js';
import { staffOf } from '../staff/auth.js';
import { EngagementTotals, LeftOutSchema, TrackingSchema } from './engagement-schemas.js';
import { apiRoute, apiRouter, error, json, jsonBody } from './openapi.js';

const iso = (ms: number) => new Date(ms).toISOString();

const count = z.int().nonnegative();

const StepNumbers = z.object({
  step: z.int().meta({ description: 'The step’s stable id.' }),
  dayOffset: z.int().meta({ description: 'Days after confirmation.' }),
  templateId: z.string(),
  subject: z.string(),
  preheader: z.string(),
  waiting: count.meta({ description: 'Subscribers whose next email is this step.' }),
  sent: count,
  delivered: count.nullable().meta({ description: 'Null when not tracked.' }),
  opened: count.nullable().meta({ description: 'Opens by people; null when not tracked.' }),
  clicked: count.nullable().meta({ description: 'Clicks by people; null when not tracked.' }),
  opensLeftOut: count.nullable().meta({ description: 'Opens by mail-privacy proxies: kept, left out of opened.' }),
  clicksLeftOut: count.nullable().meta({ description: 'Clicks by link scanners: kept, left out of clicked.' }),
  unsubscribed: count.meta({ description: 'Unsubscribes whose last sequence email before was this step.' }),
  consultClicks: count.nullable().meta({ description: 'Clicks on the consult booking page from this step; null when BOOKING_URL is unset or clicks are not tracked.' }),
});

const LeavingReasons = z.object({
  step: z.int().meta({ description: 'The last email of the sequence they had before unsubscribing; 0: none yet.' }),
  byReason: z.object(Object.fromEntries(UNSUBSCRIBE_REASONS.map((r) => [r, count])) as Record<(typeof UNSUBSCRIBE_REASONS)[number], typeof count>),
  total: count,
});

const VersionStep = z.object({ step: z.int(), position: z.int().meta({ description: '1-based place in its version.' }), dayOffset: z.int(), templateId: z.string(), subject: z.string() });

const StepEffect = z.object({
  step: z.int(),
  removed: count.meta({ description: 'People the running version would still send it to, who will not get it.' }),
  added: count.meta({ description: 'People who will newly get it.' }),
  moved: count.meta({ description: 'People who get it under both, at another time.' }),
  earlier: count,
  later: count,
  byDays: z.array(z.object({ days: z.int().meta({ description: 'Local calendar days it moves in the person’s zone (negative: sooner).' }), count })),
  sentences: z.array(z.string()).meta({ description: 'The same, as the sequence page says it.' }),
});

const EffectSummary = z.object({
  version: z.int().meta({ description: 'The number it would be published as.' }),
  scheduled: count.meta({ description: 'People with a next email scheduled: everyone previewed.' }),
  unchanged: count.meta({ description: 'Of them, those whose whole remaining plan stays (same steps, same times).' }),
  changed: count,
  inFlight: count.meta({ description: 'People whose email is being sent right now: they follow the new version from the email after it.' }),
  sentence: z.string(),
  steps: z.array(StepEffect).meta({ description: 'Summed per step: the new order, then the steps it drops.' }),
});

const Planned = z.object({ step: z.int(), at: z.iso.datetime(), local: z.string().meta({ description: 'The same time in the person’s zone, YYYY-MM-DD HH:MM.' }) });

const PersonEffect = z.object({
  subscriberId: z.int(),
  timezone: z.string(),
  removed: z.array(Planned).meta({ description: 'Emails they will no longer get, at the time they were planned.' }),
  added: z.array(Planned).meta({ description: 'Emails they will newly get, at their planned time.' }),
  moved: z.array(z.object({ step: z.int(), from: Planned.omit({ step: true }), to: Planned.omit({ step: true }), days: z.int() })),
});

const Preview = z.object({
  running: z.int(),
  plan: z.int().meta({ description: 'The version of the code it runs.' }),
  summary: z.string(),
  effect: EffectSummary.extend({
    people: z.array(PersonEffect).meta({ description: 'The people it changes, in id order, after `after`, at most `limit`.' }),
    nextAfter: z.int().nullable().meta({ description: 'More follow: pass it as `after` for the next page. Null: that was all.' }),
  }),
});

const Versions = z.object({
  running: z.int().meta({ description: 'The version running now.' }),
  versions: z.array(
    z.object({
      version: z.int(),
      plan: z.int().meta({ description: 'The version of the code it runs: another number for an earlier version published again.' }),
      status: z.enum(['running', 'earlier', 'unpublished']),
      againAs: z.int().nullable().meta({ description: 'For an earlier version of the code not running now: the number it takes if published again (a roll back).' }),
      summary: z.string(),
      publishedAt: z.iso.datetime().nullable(),
      publishedBy: z.string().nullable(),
      steps: z.array(VersionStep),
      people: count.meta({ description: 'Active subscribers following it.' }),
      byStep: z.array(z.object({ step: z.int().nullable().meta({ description: 'Their next step (null: an email is in flight).' }), count })),
      effect: EffectSummary.nullable()
        .meta({ description: 'For an unpublished version: what publishing it would do to the people in flight.' }),
    }),
  ),
  unknown: z.array(z.object({ version: z.int().nullable(), count })).meta({ description: 'People on a version this release does not know (a newer release published it).' }),
});

const getSequence = apiRoute({
  method: 'get',
  path: '/',
  role: 'viewer',
  summary: 'Each step of the running sequence with its numbers',
  responses: {
    200: json(
      z.object({
        tracking: TrackingSchema,
        totals: EngagementTotals,
        leftOut: LeftOutSchema,
        steps: z.array(StepNumbers),
        unsubscribeReasons: z.array(LeavingReasons).meta({ description: 'The reasons people picked on the unsubscribe page (optional), per step that has any, in step order; counts only, linked to nobody.' }),
      }),
      'Totals over all time, the steps in order, and why people unsubscribed.',
    ),
  },
});

const getVersions = apiRoute({
  method: 'get',
  path: '/versions',
  role: 'viewer',
  summary: 'Every sequence version this release knows: running, earlier or not yet published',
  responses: { 200: json(Versions, 'The versions, with who follows each.') },
});

const getPreview = apiRoute({
  method: 'get',
  path: '/versions/{version}/preview',
  role: 'viewer',
  summary: 'The exact preview of publishing a version (an earlier one: again, under a new number): per person in flight and summed, from each person’s whole remaining plan',
  request: {
    params: z.object({ version: z.string().regex(/^[1-9]\d{0,8}$/, 'a version is a positive whole number').transform(Number).meta({ description: 'The version of this release to preview.', example: '2' }) }),
    query: z.object({
      after: z.string().regex(/^\d{1,15}$/, 'a subscriber id').default('0').transform(Number).meta({ description: 'List the people after this subscriber id.' }),
      limit: z.string().regex(/^\d{1,4}$/, 'a whole number').default('100').transform(Number).pipe(z.int().min(0).max(1000, 'at most 1000')).meta({ description: 'At most this many people (0 to 1000).' }),
    }),
  },
  responses: {
    200: json(Preview, 'What publishing it now would change.'),
    404: error('This release has no such version (unknown_version).'),
    409: error('The version running now: publishing it changes nothing (running).'),
  },
});

const publish = apiRoute({
  method: 'post',
  path: '/publish',
  role: 'admin',
  summary: 'Publish a newer sequence version, or an earlier one again as a new version (a roll back); people in flight move onto it from where they are',
  request: {
    body: jsonBody(
      z.object({
        version: z.int().positive(),
        again: z.boolean().optional().meta({ description: 'Required to publish a version older than the running one: it is published again under the next free number and runs its plan.' }),
      }),
    ),
  },
  responses: {
    200: json(z.object({ running: z.int(), plan: z.int().meta({ description: 'The version of the code it runs.' }), effect: EffectSummary.meta({ description: 'The preview as it stood when it was published.' }) }), 'Published: the version running now.'),
    404: error('This release has no such version (unknown_version).'),
    409: error('An older version without `again` (not_newer; the message says the number it would take), or the version running now (running).'),
  },
});

/** One sequence's numbers, versions, previews and publishing (`/api/sequence` is the education series'; `/api/sequences/:id` each one's). */
export function sequenceApi(deps: AppDeps, id: SequenceId = 'education') {
  const app = apiRouter();
  app.openapi(getSequence, async (c) => {
    const { tracking, leftOut, ...totals } = await engagementSummary(deps.stores, deps.config, id);
    const steps = await sequenceOverview(deps.stores, deps.config.bookingUrl, tracking, catalogOf(deps, id), id);
    const unsubscribeReasons = (await leavingReasonsByStep(deps.stores, id, catalogOf(deps, id))).map(({ step, byReason, total }) => ({ step, byReason, total }));
    return c.json({ tracking, totals, leftOut, steps, unsubscribeReasons }, 200);
  });

  app.openapi(getVersions, async (c) => {
    const overview = await versionsOverview(deps, id);
    const title = stepTitles(overview);
    const published = new Map(overview.published.map((p) => [p.version, p]));
    const versions = await Promise.all(
      overview.versions.map(async (v) => {
        const p = published.get(v.version)?.plan === v.plan ? published.get(v.version) : undefined;
        const effect = v.status === 'unpublished' ? await versionEffect(deps, v, { limit: 0 }, undefined, id) : null;
        return {
          version: v.version,
          plan: v.plan,
          status: v.status,
          againAs: v.againAs,
          summary: v.summary,
          publishedAt: p ? iso(p.publishedAt) : null,
          publishedBy: p?.publishedBy ?? null,
          steps: v.steps.map((s) => ({ step: s.step, position: s.position, dayOffset: s.dayOffset, templateId: s.templateId, subject: s.subject })),
          people: v.people,
          byStep: v.byStep,
          effect: effect && summaryOf(effect, title),
        };
      }),
    );
    return c.json({ running: overview.running, versions, unknown: overview.unknown }, 200);
  });

  app.openapi(getPreview, async (c) => {
    const { version } = c.req.valid('param');
    const { after, limit } = c.req.valid('query');
    const preview = await previewPublish(deps, version, { after, limit }, id);
    if (!preview.ok) {
      const r = refusal(preview, version);
      return r.status === 404 ? c.json(r.body, 404) : c.json(r.body, 409);
    }
    const title = stepTitles(await versionsOverview(deps, id));
    const { effect, candidate } = preview;
    const planned = (at: number, zone: string) => ({ at: iso(at), local: formatTime(at, zone) });
    const people = effect.people.map((p) => ({
      subscriberId: p.subscriberId,
      timezone: p.timezone,
      removed: p.removed.map((r) => ({ step: r.step, ...planned(r.at, p.timezone) })),
      added: p.added.map((a) => ({ step: a.step, ...planned(a.at, p.timezone) })),
      moved: p.moved.map((m) => ({ step: m.step, from: planned(m.from, p.timezone), to: planned(m.to, p.timezone), days: m.days })),
    }));
    return c.json({ running: preview.running, plan: candidate.plan, summary: candidate.summary, effect: { ...summaryOf(effect, title), people, nextAfter: effect.nextAfter } }, 200);
  });

  app.openapi(publish, async (c) => {
    const input = c.req.valid('json');
    const outcome = await publishVersion(deps, input.version, staffOf(c).name, { again: input.again ?? false, sequence: id });
    if (outcome.ok) return c.json({ running: outcome.version, plan: outcome.plan, effect: summaryOf(outcome.effect, stepTitles(await versionsOverview(deps, id))) }, 200);
    const r = refusal(outcome, input.version);
    return r.status === 404 ? c.json(r.body, 404) : c.json(r.body, 409);
  });

  function refusal(outcome: { reason: 'unknown_version' | 'running' | 'not_newer'; running: number; againAs?: number }, version: number) {
    if (outcome.reason === 'unknown_version') return { status: 404 as const, body: errorBody('unknown_version', `This release has no sequence version ${version}.`) };
    if (outcome.reason === 'running') return { status: 409 as const, body: errorBody('running', `Version ${outcome.running} runs version ${version} already.`) };
    const again = outcome.againAs === undefined ? '' : ` To roll back to it, publish it again as version ${outcome.againAs}: {"version": ${version}, "again": true}.`;
    return { status: 409 as const, body: errorBody('not_newer', `Version ${outcome.running} is running; version ${version} is older.${again}`) };
  }
  return app;
}

/** The summed preview as the API answers it, with the page's sentences. */
function summaryOf(effect: VersionEffect, title: (step: number) => string) {
  const { version, scheduled, unchanged, changed, inFlight } = effect;
  return { version, scheduled, unchanged, changed, inFlight, sentence: describeEffect(effect), steps: effect.steps.map((s) => ({ ...s, sentences: describeStep(s, title) })) };
}
