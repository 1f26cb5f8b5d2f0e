import { Hono, type Context } from 'hono';
import type { AppDeps } from '../../deps.js';
import { normaliseEmail } from '../../mail/address.js';
import { listTemplates, previewTemplate, sendTestEmail, type PreviewFailure } from '../../nurture/previews.js';
import { getSubscriber } from '../../subscribers/directory.js';
import { errorBody } from '../errors.js';
import { recordAudit } from '../../staff/audit.js';
import { apiRole, staffOf } from '../staff/auth.js';
import { parseSubscriberParam } from '../staff/params.js';

const FAILURES: Record<PreviewFailure, [404 | 409, string]> = {
  unknown_template: [404, 'No template with that id.'],
  unknown_subscriber: [404, 'No subscriber with that id.'],
  erased: [409, 'This subscriber was erased; there is no data to render with.'],
};

function fail(c: Context, reason: PreviewFailure) {
  const [status, message] = FAILURES[reason];
  return c.json(errorBody(reason, message), status);
}

/** The subscriber a preview is rendered for: undefined = sample data, null = unknown id; bad = not an id. */
async function subscriberFor(deps: AppDeps, raw: unknown) {
  if (raw !== undefined && raw !== null && typeof raw !== 'string' && typeof raw !== 'number') return { bad: true as const };
  const param = parseSubscriberParam(raw === undefined || raw === null ? undefined : String(raw));
  if (param === null) return { bad: true as const };
  return { subscriber: param === undefined ? undefined : ((await getSubscriber(deps.stores, param)) ?? null) };
}

export function templatesApi(deps: AppDeps) {
  const app = new Hono();

  app.get('/', (c) => c.json({ templates: listTemplates() }));

  app.get('/:id', async (c) => {
    const who = await subscriberFor(deps, c.req.query('subscriber'));
    if ('bad' in who) return c.json(errorBody('bad_id', 'subscriber is a positive whole number.'), 400);
    const r = await previewTemplate(deps, c.req.param('id'), who.subscriber);
    if (!r.ok) return fail(c, r.reason);
    const { template, rendered, message, sample } = r.preview;
    return c.json({
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
    });
  });

  app.post('/:id/test', apiRole('editor'), async (c) => {
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      return c.json(errorBody('bad_json', 'Send a JSON body: {"to": "you@example.org", "subscriberId"?: 12}.'), 400);
    }
    const b = (body && typeof body === 'object' ? body : {}) as { to?: unknown; subscriberId?: unknown };
    const to = normaliseEmail(b.to);
    if (!to) return c.json(errorBody('bad_address', '"to" must be one valid email address.'), 400);
    const who = await subscriberFor(deps, b.subscriberId);
    if ('bad' in who) return c.json(errorBody('bad_id', 'subscriberId is a positive whole number.'), 400);
    const r = await sendTestEmail(deps, c.req.param('id'), to, who.subscriber);
    if (!r.ok) return fail(c, r.reason);
    await recordAudit(deps, staffOf(c).name, 'template.test_sent', who.subscriber?.id ?? null, { template: c.req.param('id'), to, deliveryId: r.deliveryId });
    // Sent by the worker like every email; GET /api/deliveries/:id says how it went.
    return c.json({ status: 'queued', deliveryId: r.deliveryId }, 202);
  });

  return app;
}
