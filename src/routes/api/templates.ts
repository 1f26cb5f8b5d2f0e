import type { Context } from 'hono';
import { z } from 'zod';
import type { AppDeps } from '../../deps.js';
import { normaliseEmail } from '../../address.js';
import { listTemplates, previewTemplate, sendTestEmail, type TestSendFailure } from '../../nurture/previews.js';
import { recordAudit } from '../../audit.js';
import { previewFor } from '../../staff/personal-data.js';
import { getSubscriber } from '../../subscribers/directory.js';
import { errorBody } from '../errors.js';
import { staffOf } from '../staff/auth.js';
import { PreviewQuery } from '../staff/params.js';
import { apiRoute, apiRouter, error, json, jsonBody } from './openapi.js';

const FAILURES: Record<TestSendFailure, [404 | 409, string]> = {
  unknown_template: [404, 'No template with that id.'],
  unknown_subscriber: [404, 'No subscriber with that id.'],
  erased: [409, 'This subscriber was erased; there is no data to render with.'],
  suppressed_address: [409, 'That address is on the suppression list (it bounced, complained or was erased): nothing is sent to it, tests included.'],
};

function fail(c: Context, reason: TestSendFailure) {
  const [status, message] = FAILURES[reason];
  return c.json(errorBody(reason, message), status);
}

/** The subscriber a preview is rendered for: undefined = sample data, null = unknown id. */
async function subscriberFor(deps: AppDeps, id: number | null | undefined) {
  return id === undefined || id === null ? undefined : ((await getSubscriber(deps.stores, id)) ?? null);
}

const TemplateSummary = z
  .object({
    id: z.string(),
    kind: z.enum(['sequence', 'confirmation']),
    subject: z.string(),
    preheader: z.string(),
    version: z.string().meta({ description: 'A hash of the template’s source and shared parts, recorded on each delivery.' }),
    step: z.int().nullable(),
    dayOffset: z.int().nullable(),
  })
  .meta({ id: 'TemplateSummary' });

const Preview = z.object({
  template: TemplateSummary,
  sample: z.boolean().meta({ description: 'Rendered with sample data (no subscriber given).' }),
  subject: z.string(),
  preheader: z.string(),
  from: z.string(),
  to: z.string(),
  replyTo: z.string().nullable(),
  headers: z.record(z.string(), z.string()).meta({ description: 'Extra headers the email carries (List-Unsubscribe, ...).' }),
  html: z.string(),
  text: z.string(),
});

const TemplateParams = z.object({ id: z.string().meta({ description: 'A template id, as GET /api/templates lists them.', example: 'confirmation' }) });

const TestSend = z.object({
  to: z.string().transform((v, ctx) => normaliseEmail(v) ?? (ctx.addIssue({ code: 'custom', message: 'one valid email address' }), z.NEVER)),
  subscriberId: z.int().positive().nullable().optional().meta({ description: 'Render with this subscriber’s data (their links are never used); absent: sample data.' }),
});

const unknownTemplateOrSubscriber = error('No template (unknown_template) or no subscriber (unknown_subscriber) with that id.');
const erasedSubscriber = error('The subscriber was erased (erased).');

const getTemplates = apiRoute({
  method: 'get',
  path: '/',
  role: 'viewer',
  summary: 'Every email template: the confirmation, then the sequence in order',
  responses: { 200: json(z.object({ templates: z.array(TemplateSummary) }), 'The templates.') },
});

const getPreview = apiRoute({
  method: 'get',
  path: '/{id}',
  role: 'viewer',
  summary: 'One template rendered as it would leave, with sample data or a subscriber’s',
  description: 'Its unsubscribe, preference and confirm links are placeholders that act for nobody, as in a test email. Viewers get the subscriber’s address masked (j***@example.org).',
  request: { params: TemplateParams, query: PreviewQuery },
  responses: { 200: json(Preview, 'The rendered email and its headers.'), 404: unknownTemplateOrSubscriber, 409: erasedSubscriber },
});

const sendTest = apiRoute({
  method: 'post',
  path: '/{id}/test',
  role: 'editor',
  summary: 'Send a test of one template to a staff address, through the send pipeline',
  description: 'Its unsubscribe, preference and confirm links act for nobody.',
  request: { params: TemplateParams, body: jsonBody(TestSend) },
  responses: {
    202: json(z.object({ status: z.literal('queued'), deliveryId: z.int() }), 'Queued; the worker sends it within seconds.'),
    404: unknownTemplateOrSubscriber,
    409: error('The subscriber was erased (erased), or the address is on the suppression list (suppressed_address).'),
  },
});

export function templatesApi(deps: AppDeps) {
  const app = apiRouter();

  app.openapi(getTemplates, (c) => c.json({ templates: listTemplates() }, 200));

  app.openapi(getPreview, async (c) => {
    const r = await previewTemplate(deps, c.req.valid('param').id, await subscriberFor(deps, c.req.valid('query').subscriber));
    if (!r.ok) return fail(c, r.reason);
    const { template, rendered, message, sample } = previewFor(staffOf(c).role, r.preview);
    return c.json(
      {
        template,
        sample,
        subject: rendered.subject,
        preheader: rendered.preheader,
        from: message.from,
        to: message.to,
        replyTo: message.replyTo ?? null,
        headers: message.headers ?? {},
        html: rendered.html,
        text: rendered.text,
      },
      200,
    );
  });

  app.openapi(sendTest, async (c) => {
    const { id } = c.req.valid('param');
    const { to, subscriberId } = c.req.valid('json');
    const subscriber = await subscriberFor(deps, subscriberId);
    const r = await sendTestEmail(deps, id, to, subscriber);
    if (!r.ok) return fail(c, r.reason);
    await recordAudit(deps, staffOf(c).name, 'template.test_sent', subscriber?.id ?? null, { template: id, to, deliveryId: r.deliveryId });
    // Sent by the worker like every email; GET /api/deliveries/:id says how it went.
    return c.json({ status: 'queued' as const, deliveryId: r.deliveryId }, 202);
  });

  return app;
}
