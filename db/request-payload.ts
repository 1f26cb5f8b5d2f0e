/**
 * How a batch's request body is kept in `batches.payload` (text on both
 * engines): a marker, then the body brotli-compressed and in base64. A body
 * is a hundred near-copies of one HTML email, about 2 MB that compress to
 * some 25 KB at brotli's fastest level, so persisting the request before it
 * leaves, and zero-filling it again when it is cleared after sending
 * (secure_delete on SQLite), costs little.
 *
 * A payload without the marker was written by an earlier release: the
 * emails' own JSON, which that release sent as their batch body (through the
 * SDK, with the key it stored). Such a batch, left in doubt across an
 * upgrade, repeats as that body with that key.
 */
import zlib from 'node:zlib';
import type { OutgoingEmail, QueuePolicy } from './types.js';

const MARKER = 'br:';

export function encodePayload(body: Buffer): string {
  const compressed = zlib.brotliCompressSync(body, {
    params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 1, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: body.length },
  });
  return MARKER + compressed.toString('base64');
}

/** The body a payload holds; `legacy`: the emails' JSON of an earlier release. */
export function decodePayload(payload: string): { body: Buffer; legacy: boolean } {
  if (!payload.startsWith(MARKER)) return { body: Buffer.from(payload), legacy: true };
  return { body: zlib.brotliDecompressSync(Buffer.from(payload.slice(MARKER.length), 'base64')), legacy: false };
}

/** The persisted request of a batch: its emails and the exact body that went (and goes again) with its key. */
export function persistedRequest(payload: string, policy: Pick<QueuePolicy, 'emailsOf' | 'batchRequest'>): { emails: OutgoingEmail[]; body: Buffer } {
  const { body, legacy } = decodePayload(payload);
  const emails = policy.emailsOf(body);
  return { emails, body: legacy ? policy.batchRequest(emails).body : body };
}
