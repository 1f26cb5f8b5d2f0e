import type { Hono } from 'hono';
import type { OutgoingEmail } from '../../src/mail/transport.js';

/** Bindings as @hono/node-server passes them, so getConnInfo sees a client address under app.request(). */
export function fromIp(remoteAddress: string) {
  return { incoming: { socket: { remoteAddress, remotePort: 50000, remoteFamily: remoteAddress.includes(':') ? 'IPv6' : 'IPv4' } } };
}

export type Signup = { email?: unknown; firstName?: unknown; consent?: unknown; timezone?: unknown };

export function postForm(app: Hono<any>, path: string, fields: Record<string, string>, opts: { ip?: string; headers?: Record<string, string> } = {}) {
  return app.request(
    path,
    { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...opts.headers }, body: new URLSearchParams(fields).toString() },
    opts.ip ? fromIp(opts.ip) : undefined,
  );
}

export function postJson(app: Hono<any>, path: string, body: unknown, opts: { ip?: string; headers?: Record<string, string> } = {}) {
  return app.request(
    path,
    { method: 'POST', headers: { 'content-type': 'application/json', ...opts.headers }, body: JSON.stringify(body) },
    opts.ip ? fromIp(opts.ip) : undefined,
  );
}

/** A signup as the form sends it. */
export function signupForm(email: string, extra: Record<string, string> = {}) {
  return { email, firstName: '', consent: 'yes', timezone: 'Europe/Berlin', ...extra };
}

/** The token of the first /confirm/, /u/ or /p/ (preferences) link in an email's text part. */
export function linkToken(email: OutgoingEmail, kind: 'confirm' | 'u' | 'p'): string {
  const m = new RegExp(`/${kind}/([A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+)`).exec(email.text);
  if (!m) throw new Error(`no /${kind}/ link in: ${email.text}`);
  return m[1]!;
}

/** The page body with the per-response CSP nonce blanked, so two pages can be compared. */
export async function pageWithoutNonce(res: Response): Promise<string> {
  return (await res.text()).replace(/nonce="[^"]*"/g, 'nonce=""');
}

/** "name: value" lines of a response's headers, without the per-response CSP nonce. */
export function headerLines(res: Response): string {
  const lines: string[] = [];
  res.headers.forEach((v, k) => {
    if (k !== 'content-security-policy') lines.push(`${k}: ${v}`);
  });
  return lines.sort().join('\n');
}
