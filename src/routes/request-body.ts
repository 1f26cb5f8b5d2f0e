import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import { errorBody } from './errors.js';
import { messagePage } from './layout.js';
import { bodyKind, wantsHtml, type BodyKind } from './request-info.js';

/** Public forms are small; anything bigger is refused before it is read. */
export const MAX_BODY_BYTES = 16 * 1024;

/** The body's bytes, or null when it is larger than `max`. */
export type RawBody = Uint8Array | null;

function nodeIncoming(c: Context): IncomingMessage | undefined {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  // Only while nobody has started on the stream (e.g. through c.req.raw).
  return incoming && typeof incoming[Symbol.asyncIterator] === 'function' && !incoming.readableDidRead ? incoming : undefined;
}

async function collect(chunks: AsyncIterable<Uint8Array>, max: number): Promise<RawBody> {
  const parts: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of chunks) {
    size += chunk.byteLength;
    if (size > max) return null;
    parts.push(chunk);
  }
  return Buffer.concat(parts, size);
}

/**
 * Reads the request body, refusing more than `max` bytes. Under
 * @hono/node-server it reads the socket stream directly: building a fetch
 * Request (with its stream and AbortController) just to read a small form
 * costs more CPU than the rest of a signup. Elsewhere (app.request() in
 * tests) it reads the Request.
 */
export async function readBody(c: Context, max = MAX_BODY_BYTES): Promise<RawBody> {
  const incoming = nodeIncoming(c);
  if (incoming) return collect(incoming as AsyncIterable<Uint8Array>, max);
  const body = c.req.raw.body;
  if (!body) return new Uint8Array(0);
  const reader = body.getReader();
  return collect(
    {
      async *[Symbol.asyncIterator]() {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return;
          yield value;
        }
      },
    },
    max,
  );
}

/**
 * Refuses a declared Content-Length over the limit before anything is read;
 * readBody() enforces the same limit on bodies sent without one (chunked).
 */
export function contentLengthLimit(max: number, onError: (c: Context) => Response | Promise<Response>) {
  return createMiddleware(async (c, next) => {
    const declared = c.req.header('content-length');
    if (declared !== undefined && !(Number(declared) <= max)) return onError(c);
    await next();
  });
}

/** 413: a page for a form post, the error shape otherwise. */
export function payloadTooLarge(c: Context) {
  if (wantsHtml(c)) return messagePage(c, 413, 'That was too much to send', ['Please shorten what you typed and try again.'], false);
  return c.json(errorBody('payload_too_large', `The request body is larger than ${MAX_BODY_BYTES / 1024} KB.`), 413);
}

/**
 * A public form or JSON post: its fields and whether to answer with a page
 * (a form) or JSON, or why it could not be read; each route words the refusal.
 */
export type Submission =
  | { ok: true; body: unknown; asPage: boolean }
  | { ok: false; reason: 'unsupported_media_type' }
  | { ok: false; reason: 'too_large' }
  | { ok: false; reason: 'unreadable'; asPage: boolean };

export async function readSubmission(c: Context): Promise<Submission> {
  const contentType = c.req.header('content-type') ?? '';
  const kind = bodyKind(contentType);
  if (!kind) return { ok: false, reason: 'unsupported_media_type' };
  const asPage = kind !== 'json';
  const raw = await readBody(c);
  if (raw === null) return { ok: false, reason: 'too_large' };
  try {
    return { ok: true, body: await decodeBody(raw, kind, contentType), asPage };
  } catch {
    return { ok: false, reason: 'unreadable', asPage };
  }
}

/** The submitted fields: JSON as parsed; a form as an object of its last value per name. Throws on a malformed body. */
export async function decodeBody(raw: Uint8Array, kind: BodyKind, contentType: string): Promise<unknown> {
  if (kind === 'json') return JSON.parse(Buffer.from(raw).toString('utf8'));
  if (kind === 'urlencoded') return Object.fromEntries(new URLSearchParams(Buffer.from(raw).toString('utf8')));
  const form = await new Response(new Uint8Array(raw), { headers: { 'content-type': contentType } }).formData();
  const fields: [string, FormDataEntryValue][] = [];
  form.forEach((value, name) => fields.push([name, value]));
  return Object.fromEntries(fields);
}
