import type { EncodedBodies, OutgoingEmail, RequestBody } from './transport.js';

const json = (value: unknown) => JSON.stringify(value);

/**
 * A batch's request body as Resend's API takes it (POST /emails/batch),
 * serialised once: it is persisted before it leaves, its hash is the
 * idempotency key, and the Resend transport sends these very bytes.
 *
 * The keys are in the order the resend SDK (6.x) writes them (from, headers,
 * html, reply_to, subject, tags, text, to; unset ones left out), so the body
 * is byte for byte the one the SDK sent for the same emails: a batch that an
 * earlier release persisted (as the emails' JSON) and left in doubt repeats
 * as the identical request.
 *
 * `encoded[i]`, when given, is email i's html and text already as JSON (from
 * the render cache); the bodies are nearly all of a request's bytes.
 */
export function batchBody(emails: readonly OutgoingEmail[], encoded: readonly (EncodedBodies | undefined)[] = []): RequestBody {
  const pieces: Uint8Array[] = [];
  const add = (s: string) => pieces.push(Buffer.from(s));
  emails.forEach((e, i) => {
    const bodies = encoded[i];
    add(`${i === 0 ? '[' : ','}{"from":${json(e.from)}${e.headers ? `,"headers":${json(e.headers)}` : ''},"html":`);
    if (bodies) pieces.push(...bodies.html);
    else add(json(e.html));
    add(`${e.replyTo ? `,"reply_to":${json(e.replyTo)}` : ''},"subject":${json(e.subject)}${e.tags ? `,"tags":${json(e.tags)}` : ''},"text":`);
    if (bodies) pieces.push(...bodies.text);
    else add(json(e.text));
    add(`,"to":${json([e.to])}}`);
  });
  add(emails.length === 0 ? '[]' : ']');
  return pieces;
}

type BodyEmail = Omit<OutgoingEmail, 'to'> & { to: string | string[]; reply_to?: string };

/**
 * The emails of a persisted body: one batchBody wrote, or the emails' own JSON
 * that an earlier release persisted (`to` a string, `replyTo`).
 */
export function emailsOfBatchBody(body: Buffer | string): OutgoingEmail[] {
  return (JSON.parse(body.toString()) as BodyEmail[]).map((e) => {
    const replyTo = e.reply_to ?? e.replyTo;
    return {
      from: e.from,
      to: Array.isArray(e.to) ? e.to[0]! : e.to,
      ...(replyTo ? { replyTo } : {}),
      subject: e.subject,
      html: e.html,
      text: e.text,
      ...(e.headers ? { headers: e.headers } : {}),
      ...(e.tags ? { tags: e.tags } : {}),
    };
  });
}
