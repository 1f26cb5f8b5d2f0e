import { z } from 'zod';
import { SEQUENCE_IDS } from '../../../db/types.js';
import type { AppDeps } from '../../deps.js';
import { SEQUENCE_NAMES } from '../../nurture/sequence.js';
import { versionsOverview } from '../../nurture/versions.js';
import { apiRoute, apiRouter, json } from './openapi.js';

const count = z.int().nonnegative();

const SequenceSummary = z.object({
  id: z.enum(SEQUENCE_IDS),
  name: z.string(),
  running: z.int().meta({ description: 'The version running now (its numbers, versions and publishing: /api/sequences/{id}).' }),
  versions: z.array(z.object({ version: z.int(), status: z.enum(['running', 'earlier', 'unpublished']) })),
  people: count.meta({ description: 'Active people in it now.' }),
  steps: z.array(
    z.object({
      step: z.int().meta({ description: 'The step’s stable id.' }),
      position: z.int(),
      dayOffset: z.int().meta({ description: 'Days after entering the sequence.' }),
      subject: z.string(),
      waiting: count.meta({ description: 'People whose next email of this sequence is this step.' }),
    }),
  ),
  inFlight: count.meta({ description: 'People whose email of this sequence is being sent now.' }),
});

const listSequences = apiRoute({
  method: 'get',
  path: '/',
  role: 'viewer',
  summary: 'Every sequence: its running version and the people at each step',
  responses: { 200: json(z.object({ sequences: z.array(SequenceSummary) }), 'The sequences, the education series first.') },
});

/** The index of sequences; each one's own routes are mounted under /api/sequences/{id}. */
export function sequencesApi(deps: AppDeps) {
  const app = apiRouter();
  app.openapi(listSequences, async (c) => {
    const sequences = await Promise.all(
      SEQUENCE_IDS.map(async (id) => {
        const overview = await versionsOverview(deps, id);
        const running = overview.versions.find((v) => v.status === 'running')!;
        const all = overview.versions.flatMap((v) => v.byStep);
        const waiting = (step: number) => all.filter((h) => h.step === step).reduce((n, h) => n + h.count, 0);
        return {
          id,
          name: SEQUENCE_NAMES[id],
          running: overview.running,
          versions: overview.versions.map((v) => ({ version: v.version, status: v.status })),
          people: overview.versions.reduce((n, v) => n + v.people, 0) + overview.unknown.reduce((n, u) => n + u.count, 0),
          steps: running.steps.map((s) => ({ step: s.step, position: s.position, dayOffset: s.dayOffset, subject: s.subject, waiting: waiting(s.step) })),
          inFlight: all.filter((h) => h.step === null).reduce((n, h) => n + h.count, 0),
        };
      }),
    );
    return c.json({ sequences }, 200);
  });
  return app;
}
