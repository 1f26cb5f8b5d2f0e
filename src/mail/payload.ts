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
import type { RequestBody } from './transport.js';

const MARKER = 'br:';

// The body is gathered here to be compressed, synchronously, so one buffer
// serves every batch instead of 2 MB of garbage each.
let scratch = Buffer.alloc(0);

export function encodePayload(body: RequestBody): string {
  let length = 0;
  for (const piece of body) length += piece.length;
  if (scratch.length < length) scratch = Buffer.allocUnsafe(Math.max(length, 2 * scratch.length));
  let at = 0;
  for (const piece of body) {
    scratch.set(piece, at);
    at += piece.length;
  }
  const compressed = zlib.brotliCompressSync(scratch.subarray(0, length), {
    params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 1, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: length },
  });
  return MARKER + compressed.toString('base64');
}

/** The body a payload holds; `legacy`: the emails' JSON of an earlier release. */
export function decodePayload(payload: string): { body: Buffer; legacy: boolean } {
  if (!payload.startsWith(MARKER)) return { body: Buffer.from(payload), legacy: true };
  return { body: zlib.brotliDecompressSync(Buffer.from(payload.slice(MARKER.length), 'base64')), legacy: false };
}
