import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { createMiddleware } from 'hono/factory';
import { MAX_IMPORT_BYTES } from '../subscribers/import.js';

/** A form's fields and boundaries around the file. */
const MULTIPART_SLACK = 64 * 1024;

export type UploadRefusal = { ok: false; status: 400 | 413 | 415; code: string; message: string };
export type Upload = { ok: true; source: AsyncIterable<Uint8Array> } | UploadRefusal;

const tooLarge: UploadRefusal = { ok: false, status: 413, code: 'payload_too_large', message: `The file is larger than ${MAX_IMPORT_BYTES / 1024 / 1024} MB. Split it into smaller files.` };

const mediaOf = (c: Context) => c.req.header('content-type')?.split(';')[0]?.trim().toLowerCase() ?? '';
const isMultipart = (c: Context) => mediaOf(c) === 'multipart/form-data';

/**
 * A multipart upload (the page's form) is read whole by Hono's parseBody, so
 * it is capped before anyone reads it (place this before the staff CSRF check,
 * which parses forms). A text/csv body passes untouched: it is streamed.
 */
export function multipartUploadLimit(onTooLarge: (c: Context, refusal: UploadRefusal) => Response | Promise<Response>) {
  const limit = bodyLimit({ maxSize: MAX_IMPORT_BYTES + MULTIPART_SLACK, onError: (c) => onTooLarge(c, tooLarge) });
  return createMiddleware(async (c, next) => (isMultipart(c) ? limit(c, next) : next()));
}

/**
 * The uploaded file as it arrives. A `text/csv` body (scripts, and the page
 * with script) is streamed straight into the parser; a multipart form (the
 * page without script) has its `file` field, held in memory by parseBody up
 * to the limit that multipartUploadLimit sets.
 */
export async function importUpload(c: Context): Promise<Upload> {
  const media = mediaOf(c);
  const declared = c.req.header('content-length');
  if (declared !== undefined && Number(declared) > MAX_IMPORT_BYTES + (media === 'multipart/form-data' ? MULTIPART_SLACK : 0)) return tooLarge;
  if (media === 'text/csv' || media === 'application/csv') {
    const body = c.req.raw.body;
    return { ok: true, source: body ? (body as unknown as AsyncIterable<Uint8Array>) : emptySource() };
  }
  if (media === 'multipart/form-data') {
    let form: Record<string, unknown>;
    try {
      form = await c.req.parseBody();
    } catch {
      return { ok: false, status: 400, code: 'bad_form', message: 'The form could not be read.' };
    }
    const file = form.file;
    if (!(file instanceof File)) return { ok: false, status: 400, code: 'no_file', message: 'Choose a CSV file to import (the form field "file").' };
    if (file.size > MAX_IMPORT_BYTES) return tooLarge;
    return { ok: true, source: file.stream() as unknown as AsyncIterable<Uint8Array> };
  }
  return { ok: false, status: 415, code: 'unsupported_media_type', message: 'Send the file as a text/csv body, or as the field "file" of a multipart/form-data form.' };
}

async function* emptySource(): AsyncGenerator<Uint8Array> {}
