import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import type { AppDeps } from '../deps.js';
import { maskEmail } from '../logger.js';
import { parseResendEvent, recordResendEvent } from '../subscribers/provider-events.js';
import { errorBody } from './errors.js';

// Resend's events are a few KB; anything far larger is not from Resend.
export const WEBHOOK_MAX_BYTES = 256 * 1024;

/**
 * POST /webhooks/resend: Resend (through svix) signs each event over the raw
 * body with `svix-id`, `svix-timestamp` and `svix-signature`. The signature
 * is checked before anything is parsed; timestamps more than 5 minutes away
 * from now are refused, and the event id makes a replay a no-op.
 */
export function webhookRoutes({ stores, config, clock, logger }: Pick<AppDeps, 'stores' | 'config' | 'clock' | 'logger'>) {
  const verifier = config.resendWebhookSecret ? new Webhook(config.resendWebhookSecret) : null;
  const log = logger.child({ route: 'webhooks/resend' });

  return new Hono().post(
    '/webhooks/resend',
    bodyLimit({
      maxSize: WEBHOOK_MAX_BYTES,
      onError: (c) => c.json(errorBody('payload_too_large', `Webhook bodies are limited to ${WEBHOOK_MAX_BYTES} bytes.`), 413),
    }),
    async (c) => {
      if (!verifier) {
        return c.json(errorBody('webhooks_disabled', 'Webhooks are off: set RESEND_WEBHOOK_SECRET to the signing secret from Resend.'), 503);
      }
      // svix names the headers svix-*; the Standard Webhooks names are webhook-*.
      const id = c.req.header('svix-id') ?? c.req.header('webhook-id');
      const timestamp = c.req.header('svix-timestamp') ?? c.req.header('webhook-timestamp');
      const signature = c.req.header('svix-signature') ?? c.req.header('webhook-signature');
      if (!id || !timestamp || !signature) {
        return c.json(errorBody('missing_signature', 'The svix-id, svix-timestamp and svix-signature headers are required.'), 400);
      }
      if (id.length > 200) return c.json(errorBody('invalid_signature', 'The svix-id header is too long.'), 400);

      const raw = await c.req.text();
      try {
        verifier.verify(raw, { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': signature }, { jsonParse: false });
      } catch (err) {
        const stale = err instanceof WebhookVerificationError && /timestamp too (old|new)/i.test(err.message);
        log.warn({ eventId: id, reason: err instanceof Error ? err.message : String(err) }, 'webhook refused');
        return stale
          ? c.json(errorBody('stale_signature', 'The webhook timestamp is more than 5 minutes away from now.'), 401)
          : c.json(errorBody('invalid_signature', 'The webhook signature does not match.'), 401);
      }

      let json: unknown;
      try {
        json = JSON.parse(raw);
      } catch {
        return c.json(errorBody('invalid_json', 'The webhook body is not valid JSON.'), 400);
      }
      const event = parseResendEvent(json);
      if (!event) return c.json(errorBody('invalid_event', 'The webhook body is not a Resend event ({ type, data }).'), 400);

      const result = await recordResendEvent(stores, config.secretKey, id, event, clock.now());
      const to = Array.isArray(event.data.to) ? event.data.to[0] : event.data.to;
      const context = { eventId: id, type: event.type, providerId: event.data.email_id, to: maskEmail(typeof to === 'string' ? to : null) };
      if (result.outcome === 'ignored') log.info(context, 'webhook event type not tracked; ignored');
      else if (result.outcome === 'duplicate') log.info(context, 'webhook event already recorded');
      else {
        const level = result.suppressed ? 'warn' : 'info';
        log[level]({ ...context, deliveryId: result.deliveryId, suppressed: result.suppressed, subscriberId: result.subscriberId }, result.deliveryId === null ? 'webhook event recorded (no matching delivery)' : 'webhook event recorded');
      }
      return c.json({ status: result.outcome });
    },
  );
}
