/**
 * Request validation as Resend's API does it for POST /emails and
 * POST /emails/batch: required fields, address syntax, recipient limits.
 * Returns the first problem as Resend's error (name + message), or null.
 */

export type ApiError = { statusCode: number; name: string; message: string };

export const MAX_RECIPIENTS = 50;
export const MAX_BATCH = 100;

// `addr@domain.tld` or `Display Name <addr@domain.tld>`, as Resend accepts.
const BARE = /^[^\s@<>",;]+@[^\s@<>",;]+\.[^\s@<>",;]+$/;
const NAMED = /^[^<>\r\n]*<([^\s@<>",;]+@[^\s@<>",;]+\.[^\s@<>",;]+)>$/;

/** The bare address inside `addr` or `Name <addr>`, or null when malformed. */
export function addressOf(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const v = value.trim();
  if (BARE.test(v)) return v;
  const m = NAMED.exec(v);
  return m ? m[1]! : null;
}

function fail(statusCode: number, name: string, message: string): ApiError {
  return { statusCode, name, message };
}

const missing = (field: string) => fail(422, 'missing_required_field', `Missing \`${field}\` field.`);
const invalid = (message: string) => fail(422, 'validation_error', message);

export type EmailInput = {
  from: string;
  to: string[];
  subject: string;
  html?: string;
  text?: string;
  headers?: Record<string, string>;
  tags?: { name: string; value: string }[];
  /** `reply_to` as the API takes it: one address or a list. */
  replyTo?: string[];
};

/**
 * Validates one email object. `rejects` marks addresses the fake treats as
 * permanently undeliverable (Resend answers those with a 422 as well).
 */
export function validateEmail(
  body: unknown,
  { batch, rejects }: { batch: boolean; rejects: (address: string) => boolean },
): { email: EmailInput } | { error: ApiError } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { error: invalid('The email must be a JSON object.') };
  const b = body as Record<string, unknown>;
  if (b.from === undefined || b.from === null || b.from === '') return { error: missing('from') };
  if (!addressOf(b.from)) {
    return { error: invalid('Invalid `from` field. The email address needs to follow the `email@example.com` or `Name <email@example.com>` format.') };
  }
  if (b.to === undefined || b.to === null || b.to === '' || (Array.isArray(b.to) && b.to.length === 0)) return { error: missing('to') };
  const to = Array.isArray(b.to) ? b.to : [b.to];
  if (to.length > MAX_RECIPIENTS) return { error: invalid(`Too many recipients in \`to\`: at most ${MAX_RECIPIENTS}.`) };
  for (const t of to) {
    const addr = addressOf(t);
    if (!addr) {
      return { error: invalid('Invalid `to` field. The email address needs to follow the `email@example.com` or `Name <email@example.com>` format.') };
    }
    if (rejects(addr)) return { error: invalid(`The \`to\` address ${addr} cannot receive email.`) };
  }
  if (typeof b.subject !== 'string' || b.subject === '') return { error: missing('subject') };
  const hasHtml = typeof b.html === 'string' && b.html !== '';
  const hasText = typeof b.text === 'string' && b.text !== '';
  if (!hasHtml && !hasText && b.template === undefined) return { error: missing('html` or `text') };
  if (batch && b.attachments !== undefined) return { error: invalid('Attachments are not supported in batch emails.') };
  if (batch && b.scheduled_at !== undefined) return { error: invalid('`scheduled_at` is not supported in batch emails.') };
  const replyTo = b.reply_to === undefined ? undefined : Array.isArray(b.reply_to) ? b.reply_to : [b.reply_to];
  if (replyTo && (replyTo.length === 0 || replyTo.length > MAX_RECIPIENTS || replyTo.some((a) => !addressOf(a)))) {
    return { error: invalid('Invalid `reply_to` field. The email address needs to follow the `email@example.com` or `Name <email@example.com>` format.') };
  }
  if (b.headers !== undefined && (typeof b.headers !== 'object' || b.headers === null || Array.isArray(b.headers))) {
    return { error: invalid('The `headers` field must be an object of strings.') };
  }
  return {
    email: {
      from: String(b.from),
      to: to.map(String),
      subject: b.subject,
      ...(hasHtml ? { html: b.html as string } : {}),
      ...(hasText ? { text: b.text as string } : {}),
      ...(b.headers ? { headers: b.headers as Record<string, string> } : {}),
      ...(Array.isArray(b.tags) ? { tags: b.tags as EmailInput['tags'] } : {}),
      ...(replyTo ? { replyTo: replyTo.map(String) } : {}),
    },
  };
}
