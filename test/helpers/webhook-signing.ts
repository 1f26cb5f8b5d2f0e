import crypto from 'node:crypto';

/** A fresh signing secret in Resend's format. */
export function newWebhookSecret(): string {
  return `whsec_${crypto.randomBytes(24).toString('base64')}`;
}

/**
 * The svix headers Resend sends with a webhook, computed with the scheme
 * itself (HMAC-SHA256 of `${id}.${timestamp}.${body}` keyed with the
 * base64-decoded secret) rather than with the verifying library.
 */
export function svixHeaders(secret: string, body: string, opts: { id?: string; timestampSeconds?: number } = {}): Record<string, string> {
  const id = opts.id ?? `msg_${crypto.randomBytes(12).toString('hex')}`;
  const timestamp = String(opts.timestampSeconds ?? Math.floor(Date.now() / 1000));
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const signature = crypto.createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
  return { 'svix-id': id, 'svix-timestamp': timestamp, 'svix-signature': `v1,${signature}`, 'content-type': 'application/json' };
}
