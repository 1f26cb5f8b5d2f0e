import http from 'node:http';
import https from 'node:https';
import { Resend } from 'resend';
import { batchBody } from './batch-body.js';
import { SendError, type OutgoingEmail, type RateLimitInfo, type RequestBody, type SendOptions, type SentEmail, type Transport } from './transport.js';

type ResendError = { name: string; message: string; statusCode: number | null };
type Headers = Record<string, string> | null;

export type ResendTransportOptions = {
  /** API base; default the SDK's (which reads RESEND_BASE_URL). */
  baseUrl?: string;
  /** Per request; the SDK has none of its own, so an AbortSignal ends a hung request. Default 30 s. */
  timeoutMs?: number;
  /** Called with the rate-limit headers of every response that carries them. */
  onRateLimit?: (info: RateLimitInfo) => void;
  /**
   * 'permissive' (default): the provider sends the valid emails of a batch and
   * reports the invalid ones per index, so one bad address fails only its own
   * delivery. 'strict': one invalid email rejects the whole batch.
   */
  batchValidation?: 'strict' | 'permissive';
  /** For `retry-after` given as an HTTP date. */
  now?: () => number;
};

export const DEFAULT_TIMEOUT_MS = 30_000;

/** A header as a non-negative number, or undefined. */
function numberHeader(headers: Headers, name: string): number | undefined {
  const raw = headers?.[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const n = Number(raw);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

/** `retry-after` (seconds or an HTTP date), else `ratelimit-reset` (seconds), as milliseconds. */
export function retryAfterMs(headers: Headers, now: () => number = Date.now): number | undefined {
  const seconds = numberHeader(headers, 'retry-after');
  if (seconds !== undefined) return Math.ceil(seconds * 1000);
  const raw = headers?.['retry-after'];
  const date = raw ? Date.parse(raw) : NaN;
  if (Number.isFinite(date)) return Math.max(0, date - now());
  const reset = numberHeader(headers, 'ratelimit-reset');
  return reset === undefined ? undefined : Math.ceil(reset * 1000);
}

/** The rate-limit headers of a response, or null when it carries none. */
export function rateLimitInfo(headers: Headers, now: () => number = Date.now): RateLimitInfo | null {
  if (!headers) return null;
  const info: RateLimitInfo = {};
  const limit = numberHeader(headers, 'ratelimit-limit');
  const remaining = numberHeader(headers, 'ratelimit-remaining');
  const reset = numberHeader(headers, 'ratelimit-reset');
  if (limit !== undefined) info.limit = limit;
  if (remaining !== undefined) info.remaining = remaining;
  if (reset !== undefined) info.resetMs = Math.ceil(reset * 1000);
  if (headers['retry-after'] !== undefined) {
    const after = retryAfterMs({ 'retry-after': headers['retry-after'] }, now);
    if (after !== undefined) info.retryAfterMs = after;
  }
  return Object.keys(info).length > 0 ? info : null;
}

/**
 * Maps the SDK's error to what the worker should do about it. 401/403 are
 * account problems (bad key, unverified domain), not the message's: they are
 * transient so deliveries wait for the fix instead of being failed en masse.
 */
export function classifyResendError(error: ResendError, headers: Headers, now: () => number = Date.now): SendError {
  const status = error.statusCode ?? undefined;
  const details = { statusCode: status, retryAfterMs: retryAfterMs(headers, now), providerCode: error.name };
  const msg = `${error.name}: ${error.message}`;
  if (error.name === 'daily_quota_exceeded' || error.name === 'monthly_quota_exceeded') {
    // `ratelimit-reset` is about the per-second window, not the quota: only an
    // explicit `retry-after` says when the quota is back.
    const quotaRetry = headers?.['retry-after'] !== undefined ? retryAfterMs({ 'retry-after': headers['retry-after'] }, now) : undefined;
    return new SendError('quota', msg, { ...details, retryAfterMs: quotaRetry });
  }
  if (status === 429) return new SendError('rate_limited', msg, details);
  if (status === 409 && error.name === 'concurrent_idempotent_requests') return new SendError('transient', msg, details);
  if (status === 409) return new SendError('conflict', msg, details);
  if (status === undefined || status >= 500 || status === 408 || status === 401 || status === 403) return new SendError('transient', msg, details);
  return new SendError('permanent', msg, details);
}

/**
 * Lines the permissive answer up with the request: `data` holds the created
 * emails in request order, skipping the indexes listed in `errors`.
 */
export function alignBatchResults(count: number, data: { id: string }[], errors: { index: number; message: string }[] = []): SentEmail[] {
  const failed = new Map(errors.map((e) => [e.index, e.message]));
  if (count - failed.size !== data.length) {
    throw new SendError('transient', `provider answered ${data.length} ids and ${failed.size} errors for ${count} emails`);
  }
  let next = 0;
  return Array.from({ length: count }, (_, i) => {
    const message = failed.get(i);
    if (message !== undefined) return { id: '', error: new SendError('permanent', `validation_error: ${message}`, { statusCode: 422, providerCode: 'validation_error' }) };
    return { id: data[next++]!.id };
  });
}

type Answer<T> = { data: T | null; error: ResendError | null; headers: Headers };

const agents = { 'http:': new http.Agent({ keepAlive: true }), 'https:': new https.Agent({ keepAlive: true }) };
const NETWORK_ERROR: ResendError = { name: 'application_error', statusCode: null, message: 'Unable to fetch data. The request could not be resolved.' };

/**
 * POSTs a body given in pieces, written in one go (writev), and answers as
 * the SDK's requests do: the data, or the provider's error, and the headers.
 *
 * Why not the SDK: resend.batch.send serialises the emails again (2 MB per
 * 100-email batch), and fetch copies any body it is given into fresh
 * buffers. `npm run bench -- tick` notes the fake's rate for the same bodies
 * through the SDK and through this (the tick throughput figure).
 */
function post<T>(url: URL, headers: Record<string, string>, body: RequestBody, signal: AbortSignal): Promise<Answer<T>> {
  let length = 0;
  for (const piece of body) length += piece.length;
  return new Promise((resolve) => {
    const failed = () => resolve({ data: null, error: NETWORK_ERROR, headers: null });
    const transport = url.protocol === 'http:' ? http : https;
    const req = transport.request(url, { method: 'POST', headers: { ...headers, 'Content-Length': String(length) }, agent: agents[url.protocol === 'http:' ? 'http:' : 'https:'], signal }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', failed);
      res.on('end', () => {
        const answer: Headers = {};
        for (const [name, value] of Object.entries(res.headers)) if (value !== undefined) answer[name] = Array.isArray(value) ? value.join(', ') : value;
        const status = res.statusCode ?? 0;
        let parsed: unknown;
        try {
          parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          // As the SDK: an answer that is not JSON is the provider's failure, or the network's on a success.
          if (status >= 200 && status < 300) return failed();
          return resolve({ data: null, error: { name: 'application_error', statusCode: status, message: 'Internal server error. We are unable to process your request right now, please try again later.' }, headers: answer });
        }
        if (status >= 200 && status < 300) resolve({ data: parsed as T, error: null, headers: answer });
        else resolve({ data: null, error: parsed as ResendError, headers: answer });
      });
    });
    req.on('error', failed);
    req.cork();
    for (const piece of body) req.write(piece);
    req.uncork();
    req.end();
  });
}

/** Sends through the resend SDK (a batch: its body as it is, see post), with a timeout per request and the rate-limit headers reported. */
export function createResendTransport(apiKey: string, options: ResendTransportOptions = {}): Transport {
  const resend = new Resend(apiKey, options.baseUrl ? { baseUrl: options.baseUrl } : undefined);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const batchValidation = options.batchValidation ?? 'permissive';
  const now = options.now ?? Date.now;
  const batchUrl = new URL(`${resend.baseUrl}/emails/batch`);

  /** Runs one SDK call with a timeout; returns its data or throws a classified SendError. */
  async function call<T>(what: string, run: (signal: AbortSignal) => Promise<{ data: T | null; error: ResendError | null; headers: Headers }>): Promise<T> {
    const signal = AbortSignal.timeout(timeoutMs);
    let result: Awaited<ReturnType<typeof run>>;
    try {
      result = await run(signal);
    } catch (err) {
      // The SDK answers errors as values; anything thrown is the network's.
      throw new SendError('transient', signal.aborted ? `${what} timed out after ${timeoutMs} ms` : `${what} failed: ${String(err)}`);
    }
    const info = rateLimitInfo(result.headers, now);
    if (info) options.onRateLimit?.(info);
    if (result.error) {
      // An aborted fetch comes back from the SDK as a generic network error.
      if (signal.aborted) throw new SendError('transient', `${what} timed out after ${timeoutMs} ms`, { providerCode: 'timeout' });
      throw classifyResendError(result.error, result.headers, now);
    }
    if (result.data === null) throw new SendError('transient', `${what}: empty answer`);
    return result.data;
  }

  return {
    name: 'resend',
    async sendBatch(emails: OutgoingEmail[], sendOptions?: SendOptions): Promise<SentEmail[]> {
      // The body as it was persisted and hashed.
      const body = sendOptions?.body ?? batchBody(emails);
      const headers: Record<string, string> = {
        Authorization: `Bearer ${apiKey}`,
        'User-Agent': resend.userAgent,
        'Content-Type': 'application/json',
        'x-batch-validation': batchValidation,
        ...(sendOptions?.idempotencyKey ? { 'Idempotency-Key': sendOptions.idempotencyKey } : {}),
      };
      const data = await call('batch send', (signal) => post<{ data: { id: string }[]; errors?: { index: number; message: string }[] }>(batchUrl, headers, body, signal));
      return alignBatchResults(emails.length, data.data, Array.isArray(data.errors) ? data.errors : []);
    },
  };
}
