import { z } from 'zod';
import type { AppDeps } from '../../deps.js';
import { engagementSummary } from '../../nurture/engagement.js';
import { FUNNEL_STAGES, funnelByDay, type FunnelStage } from '../../subscribers/funnel.js';
import { EngagementSchema } from './engagement-schemas.js';
import { apiRoute, apiRouter, json } from './openapi.js';

const FunnelCounts = z.object(Object.fromEntries(FUNNEL_STAGES.map((s) => [s.type, z.int().nonnegative().meta({ description: s.label })])) as Record<FunnelStage, z.ZodInt>);

const SignupSources = z.object({
  form: z.int().nonnegative().meta({ description: 'New people from the signup form (or its JSON).' }),
  importConsent: z.int().nonnegative().meta({ description: 'New people imported with a recorded consent (enrolled without a confirmation click).' }),
  importInvited: z.int().nonnegative().meta({ description: 'New people imported without one, invited to opt in.' }),
  again: z.int().nonnegative().meta({ description: 'Later signups of people already counted (a re-signup is not a second signup).' }),
  confirmedAgain: z.int().nonnegative().meta({ description: 'Later confirmations of people already counted.' }),
});

const Funnel = z
  .object({
    timeZone: z.string().meta({ description: 'The IANA zone the days are counted in (DEFAULT_TIMEZONE).' }),
    stages: z.array(z.object({ type: z.enum(FUNNEL_STAGES.map((s) => s.type)), label: z.string() })).meta({ description: 'The stages, in the order staff read them.' }),
    days: z.array(FunnelCounts.extend({ date: z.iso.date() })).meta({ description: 'The last 30 days, oldest first.' }),
    totals: FunnelCounts.meta({ description: 'Over those 30 days.' }),
    allTime: FunnelCounts,
    sources: z
      .object({ totals: SignupSources.meta({ description: 'Over the 30 days.' }), allTime: SignupSources })
      .meta({ description: '`signup` counts new people (form + importConsent + importInvited); `confirmed` each person’s first confirmation (by email, or an import’s recorded consent).' }),
    engagement: EngagementSchema,
  })
  .meta({ id: 'Funnel' });

const getFunnel = apiRoute({
  method: 'get',
  path: '/',
  role: 'viewer',
  summary: 'The funnel per day for 30 days',
  responses: { 200: json(Funnel, 'Signups, confirmations, completions, unsubscribes, bounces, complaints and conversions per day.') },
});

export function funnelApi(deps: AppDeps) {
  return apiRouter().openapi(getFunnel, async (c) => {
    const f = await funnelByDay(deps.stores, { now: deps.clock.now(), timeZone: deps.config.defaultTimezone });
    return c.json(
      {
        timeZone: f.timeZone,
        stages: FUNNEL_STAGES.map((s) => ({ ...s })),
        days: f.days.map((d) => ({ date: d.date, ...d.counts })),
        totals: f.totals,
        allTime: f.allTime,
        sources: f.sources,
        // Sequence emails over all time: delivered, opened and clicked are null when not tracked.
        engagement: await engagementSummary(deps.stores, deps.config),
      },
      200,
    );
  });
}
