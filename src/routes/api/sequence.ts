import { Hono } from 'hono';
import { z } from 'zod';
import type { AppDeps } from '../../deps.js';
import { engagementSummary } from '../../nurture/engagement.js';
import { sequenceOverview } from '../../nurture/sequence-stats.js';
import { describeChange, publishVersion, versionEffect, versionsOverview } from '../../nurture/versions.js';
import { stepTitles } from '../staff/sequence-versions.js';
import { errorBody } from '../errors.js';
import { apiRole, staffOf } from '../staff/auth.js';
import { readJson } from './json-body.js';

const iso = (ms: number) => new Date(ms).toISOString();

export function sequenceApi(deps: AppDeps) {
  const app = new Hono();
  app.get('/', async (c) => {
    const { tracking, leftOut, ...totals } = await engagementSummary(deps.stores, deps.config);
    const steps = await sequenceOverview(deps.stores, deps.config.bookingUrl, tracking, deps.sequences);
    return c.json({ tracking, totals, leftOut, steps });
  });

  /** Every version the code knows: running, earlier or not yet published (with what publishing it would change). */
  app.get('/versions', async (c) => {
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
    return c.json({ running: overview.running, versions, unknown: overview.unknown });
  });

  app.post('/publish', apiRole('admin'), async (c) => {
    const input = await readJson(c, z.object({ version: z.number().int().positive() }));
    if (input instanceof Response) return input;
    const outcome = await publishVersion(deps, input.version, staffOf(c).name);
    if (outcome.ok) return c.json({ running: outcome.version });
    if (outcome.reason === 'unknown_version') return c.json(errorBody('unknown_version', `This release has no sequence version ${input.version}.`), 404);
    return c.json(errorBody('not_newer', `Version ${outcome.running} is running; only a newer version can be published.`), 409);
  });
  return app;
}
