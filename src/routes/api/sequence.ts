import { z } from 'zod';
import type { AppDeps } from '../../deps.js';
import { engagementSummary } from '../../nurture/engagement.js';
import { sequenceOverview } from '../../nurture/sequence-stats.js';
import { describeChange, publishVersion, versionEffect, versionsOverview } from '../../nurture/versions.js';
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

const VersionStep = z.object({ step: z.int(), position: z.int().meta({ description: '1-based place in its version.' }), dayOffset: z.int(), templateId: z.string(), subject: z.string() });

const VersionChange = z.object({
  kind: z.enum(['new_step', 'removed', 'finishes', 'moved', 'retimed']),
  from: z.int().nullable().meta({ description: 'Their next step now (null: none).' }),
  to: z.int().nullable().meta({ description: 'Their next step under the new version (null: none).' }),
  count,
  earlier: count,
  later: count,
  sentence: z.string().meta({ description: 'The change as the sequence page says it.' }),
});

const Versions = z.object({
  running: z.int().meta({ description: 'The version running now.' }),
  versions: z.array(
    z.object({
      version: z.int(),
      status: z.enum(['running', 'earlier', 'unpublished']),
      summary: z.string(),
      publishedAt: z.iso.datetime().nullable(),
      publishedBy: z.string().nullable(),
      steps: z.array(VersionStep),
      people: count.meta({ description: 'Active subscribers following it.' }),
      byStep: z.array(z.object({ step: z.int().nullable().meta({ description: 'Their next step (null: an email is in flight).' }), count })),
      effect: z
        .object({ version: z.int(), scheduled: count, unchanged: count, changes: z.array(VersionChange) })
        .nullable()
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
  responses: { 200: json(z.object({ tracking: TrackingSchema, totals: EngagementTotals, leftOut: LeftOutSchema, steps: z.array(StepNumbers) }), 'Totals over all time and the steps, in order.') },
});

const getVersions = apiRoute({
  method: 'get',
  path: '/versions',
  role: 'viewer',
  summary: 'Every sequence version this release knows: running, earlier or not yet published',
  responses: { 200: json(Versions, 'The versions, with who follows each.') },
});

const publish = apiRoute({
  method: 'post',
  path: '/publish',
  role: 'admin',
  summary: 'Publish a newer sequence version; people in flight move onto it from where they are',
  request: { body: jsonBody(z.object({ version: z.int().positive() })) },
  responses: {
    200: json(z.object({ running: z.int() }), 'Published: the version running now.'),
    404: error('This release has no such version (unknown_version).'),
    409: error('Only a version newer than the running one can be published (not_newer).'),
  },
});

export function sequenceApi(deps: AppDeps) {
  const app = apiRouter();
  app.openapi(getSequence, async (c) => {
    const { tracking, leftOut, ...totals } = await engagementSummary(deps.stores, deps.config);
    const steps = await sequenceOverview(deps.stores, deps.config.bookingUrl, tracking, deps.sequences);
    return c.json({ tracking, totals, leftOut, steps }, 200);
  });

  app.openapi(getVersions, async (c) => {
    const overview = await versionsOverview(deps);
    const title = stepTitles(overview);
    const published = new Map(overview.published.map((p) => [p.version, p]));
    const versions = await Promise.all(
      overview.versions.map(async (v) => {
        const p = published.get(v.version);
        const effect = v.status === 'unpublished' ? await versionEffect(deps, { version: v.version, summary: v.summary, steps: v.steps }) : null;
        return {
          version: v.version,
          status: v.status,
          summary: v.summary,
          publishedAt: p ? iso(p.publishedAt) : null,
          publishedBy: p?.publishedBy ?? null,
          steps: v.steps.map((s) => ({ step: s.step, position: s.position, dayOffset: s.dayOffset, templateId: s.templateId, subject: s.subject })),
          people: v.people,
          byStep: v.byStep,
          effect: effect && { ...effect, changes: effect.changes.map((ch) => ({ ...ch, sentence: describeChange(ch, title) })) },
        };
      }),
    );
    return c.json({ running: overview.running, versions, unknown: overview.unknown }, 200);
  });

  app.openapi(publish, async (c) => {
    const input = c.req.valid('json');
    const outcome = await publishVersion(deps, input.version, staffOf(c).name);
    if (outcome.ok) return c.json({ running: outcome.version }, 200);
    if (outcome.reason === 'unknown_version') return c.json(errorBody('unknown_version', `This release has no sequence version ${input.version}.`), 404);
    return c.json(errorBody('not_newer', `Version ${outcome.running} is running; only a newer version can be published.`), 409);
  });
  return app;
}
