/**
 * A fake of Resend's HTTP API for tests and benchmarks: plain node:http on
 * 127.0.0.1, strict enough that the real `resend` SDK works against it
 * (point it here with `new Resend(key, { baseUrl: fake.url })` or
 * RESEND_BASE_URL=fake.url).
 *
 * Speaks:
 * - POST /emails, POST /emails/batch (strict or `x-batch-validation:
 *   permissive`), GET /emails/:id
 * - `Authorization: Bearer <key>`: missing -> 401 missing_api_key, wrong -> 403 invalid_api_key
 * - `Idempotency-Key`: same key + same body replays the stored 200 without
 *   sending again; a different body (byte for byte) -> 409 invalid_idempotent_request; the
 *   same key while the first is in flight -> 409 concurrent_idempotent_requests;
 *   keys expire after 24 hours (of `clock`). Only successful responses are
 *   stored, so a request that failed may be retried with its key.
 * - rate limit (fixed window): `ratelimit-limit`, `ratelimit-remaining`,
 *   `ratelimit-reset` on every authenticated response, 429 rate_limit_exceeded
 *   with `retry-after` beyond it. Header values are whole seconds for windows
 *   of 1 s or more (as Resend), fractional seconds for shorter test windows.
 * - daily quota (emails per UTC day of `clock`) -> 429 daily_quota_exceeded
 *
 * Batch validation, as Resend documents it: in strict mode (the default) one
 * invalid email rejects the whole batch with that email's 422 and nothing is
 * sent; in permissive mode the valid emails are sent and the answer is
 * `{ data: [{id}] for the valid ones in request order, errors: [{index, message}] }`.
 * Addresses matched by `rejectAddresses` count as invalid (a permanent 422).
 *
 * Faults: failNext (next N requests answer an error, 500 by default; with
 * `replays` even a request whose key is stored, as Resend's rate limit or an
 * outage in front of the API does), dropNext (destroy the socket before the
 * request is processed, or after it was processed and stored, so only the
 * answer is lost), forgetKeys (the idempotency store emptied, as 24 hours
 * on), latency, hold (keep requests in flight until released).
 */
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { MAX_BATCH, validateEmail, type ApiError, type EmailInput } from './validate.js';

export const FAKE_API_KEY = 're_test_fake_key_0123456789';
const DAY_MS = 24 * 60 * 60 * 1000;
const MAX_BODY_BYTES = 10 * 1024 * 1024;

export type Latency = number | { min: number; max: number };

export type FakeResendOptions = {
  /** The one accepted key (default FAKE_API_KEY). */
  apiKey?: string;
  /** Requests allowed per window; undefined = no limit and no rate-limit headers. */
  rateLimit?: number;
  /** Rate-limit window (default 1000 ms, as Resend's requests per second). */
  rateLimitWindowMs?: number;
  /** Emails accepted per UTC day; undefined = unlimited. */
  dailyQuota?: number;
  latencyMs?: Latency;
  /** Addresses that always fail with a 422 (a permanent error). */
  rejectAddresses?: RegExp | ((address: string) => boolean);
  /** Time for idempotency expiry, the daily quota and the rate window (default Date.now). */
  clock?: () => number;
  idempotencyTtlMs?: number;
  /** Port on 127.0.0.1 (default: a free one). */
  port?: number;
  /** Keep html/text of accepted emails (default true); off for big benchmarks. */
  keepBodies?: boolean;
};

export type AcceptedEmail = EmailInput & {
  id: string;
  idempotencyKey?: string;
  /** Index of the request in `requests`. */
  request: number;
  /** Position in its batch, for batch sends. */
  batchIndex?: number;
  at: number;
};

export type LoggedRequest = {
  method: string;
  path: string;
  /** HTTP status answered, or 'dropped' when the connection was destroyed. */
  status: number | 'dropped';
  idempotencyKey?: string;
  batchValidation?: string;
  /** Emails in the request body (1 for /emails). */
  emailCount: number;
  /** Answered from the idempotency store, nothing sent. */
  replayed: boolean;
  at: number;
};

export type InjectedError = { statusCode: number; name: string; message: string; headers?: Record<string, string> };

type Stored = { fingerprint: string; status: number; body: unknown; expiresAt: number };

export type FakeResend = Awaited<ReturnType<typeof startFakeResend>>;

export async function startFakeResend(options: FakeResendOptions = {}) {
  const clock = options.clock ?? Date.now;
  const apiKey = options.apiKey ?? FAKE_API_KEY;
  const ttl = options.idempotencyTtlMs ?? DAY_MS;
  const keepBodies = options.keepBodies ?? true;
  let rateLimit = options.rateLimit;
  let windowMs = options.rateLimitWindowMs ?? 1000;
  let dailyQuota = options.dailyQuota;
  let latency: Latency = options.latencyMs ?? 0;
  let rejects = toPredicate(options.rejectAddresses);

  const emails: AcceptedEmail[] = [];
  const requests: LoggedRequest[] = [];
  const store = new Map<string, Stored>();
  const inFlight = new Set<string>();
  let failures: InjectedError[] = [];
  // Answered before the idempotency store is looked at: replays too.
  let earlyFailures: InjectedError[] = [];
  let drops: ('before' | 'after')[] = [];
  let window = { start: -Infinity, count: 0 };
  let quotaDay = -1;
  let quotaUsed = 0;
  const closing = new AbortController();
  let gate: { promise: Promise<void>; open: () => void } | null = null;
  let waiting = 0;

  /** Counts this request against the window; the headers to send and whether it is over. */
  function takeRateLimit(now: number) {
    if (rateLimit === undefined) return { headers: {} as Record<string, string>, exceeded: false, retryAfter: '' };
    if (now >= window.start + windowMs) window = { start: now, count: 0 };
    window.count++;
    const resetMs = Math.max(1, window.start + windowMs - now);
    const reset = windowMs >= 1000 ? String(Math.ceil(resetMs / 1000)) : String(Math.ceil(resetMs) / 1000);
    return {
      headers: {
        'ratelimit-limit': String(rateLimit),
        'ratelimit-remaining': String(Math.max(0, rateLimit - window.count)),
        'ratelimit-reset': reset,
      },
      exceeded: window.count > rateLimit,
      retryAfter: reset,
    };
  }

  function quotaLeft(now: number): number {
    const day = Math.floor(now / DAY_MS);
    if (day !== quotaDay) {
      quotaDay = day;
      quotaUsed = 0;
    }
    return dailyQuota === undefined ? Infinity : dailyQuota - quotaUsed;
  }

  function accept(email: EmailInput, request: number, at: number, idempotencyKey: string | undefined, batchIndex?: number) {
    const id = crypto.randomUUID();
    const kept = keepBodies ? email : { ...email, html: undefined, text: undefined };
    emails.push({ ...kept, id, request, at, ...(idempotencyKey ? { idempotencyKey } : {}), ...(batchIndex !== undefined ? { batchIndex } : {}) });
    quotaUsed++;
    return { id };
  }

  /** The send itself, once auth, rate limit, idempotency and faults are past. */
  function processSend(path: string, payload: unknown, batchMode: string, reqIndex: number, key: string | undefined, now: number): { status: number; body: unknown } {
    const opts = { batch: path === '/emails/batch', rejects: (a: string) => rejects(a) };
    if (path === '/emails') {
      const v = validateEmail(payload, opts);
      if ('error' in v) return errorResult(v.error);
      if (quotaLeft(now) < 1) return errorResult(quotaError());
      return { status: 200, body: accept(v.email, reqIndex, now, key) };
    }
    if (!Array.isArray(payload)) return errorResult({ statusCode: 422, name: 'validation_error', message: 'The batch must be a JSON array of emails.' });
    if (payload.length === 0) return errorResult({ statusCode: 422, name: 'validation_error', message: 'The batch must contain at least 1 email.' });
    if (payload.length > MAX_BATCH) {
      return errorResult({ statusCode: 422, name: 'validation_error', message: `Too many emails in the batch: at most ${MAX_BATCH}.` });
    }
    const results = payload.map((item) => validateEmail(item, opts));
    const errors = results.flatMap((r, index) => ('error' in r ? [{ index, message: r.error.message }] : []));
    if (batchMode !== 'permissive' && errors.length > 0) {
      const first = results.find((r) => 'error' in r) as { error: ApiError };
      return errorResult({ ...first.error, message: `emails[${errors[0]!.index}]: ${first.error.message}` });
    }
    const valid = results.flatMap((r, index) => ('email' in r ? [{ email: r.email, index }] : []));
    if (quotaLeft(now) < valid.length) return errorResult(quotaError());
    const data = valid.map(({ email, index }) => accept(email, reqIndex, now, key, index));
    return { status: 200, body: batchMode === 'permissive' ? { data, errors } : { data } };
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const method = req.method ?? 'GET';
    const path = new URL(req.url ?? '/', 'http://fake').pathname.replace(/\/+$/, '') || '/';
    const idempotencyKey = header(req, 'idempotency-key');
    const batchValidation = header(req, 'x-batch-validation');
    const log: LoggedRequest = { method, path, status: 0, emailCount: 0, replayed: false, at: clock(), ...(idempotencyKey !== undefined ? { idempotencyKey } : {}), ...(batchValidation ? { batchValidation } : {}) };
    const reqIndex = requests.push(log) - 1;

    if (drops[0] === 'before') {
      drops.shift();
      log.status = 'dropped';
      req.socket.destroy();
      return;
    }

    const raw = await readBody(req);
    if (raw === null) {
      log.status = 'dropped';
      return; // the client went away mid-body
    }
    if (raw === TOO_LARGE) {
      return send(res, log, {}, errorResult({ statusCode: 413, name: 'validation_error', message: 'The request body is too large.' }));
    }

    const auth = header(req, 'authorization');
    if (!auth || !/^Bearer\s+\S+$/i.test(auth)) {
      return send(res, log, {}, errorResult({ statusCode: 401, name: 'missing_api_key', message: 'Missing API key in the authorization header. Include the following header `Authorization: Bearer YOUR_API_KEY` in the request.' }));
    }
    if (auth.replace(/^Bearer\s+/i, '') !== apiKey) {
      return send(res, log, {}, errorResult({ statusCode: 403, name: 'invalid_api_key', message: 'API key is invalid' }));
    }

    const now = clock();
    const rl = takeRateLimit(now);
    if (rl.exceeded) {
      return send(res, log, { ...rl.headers, 'retry-after': rl.retryAfter }, errorResult({
        statusCode: 429,
        name: 'rate_limit_exceeded',
        message: `Too many requests. You can only make ${rateLimit} requests per second. See rate limit response headers for more information. Or contact support to increase rate limit.`,
      }));
    }

    const early = earlyFailures.shift();
    if (early) return send(res, log, { ...rl.headers, ...early.headers }, errorResult(early));

    const isSend = path === '/emails' || path === '/emails/batch';
    const getMatch = /^\/emails\/([0-9a-f-]{36})$/.exec(path);
    if (!isSend && !(getMatch && method === 'GET')) {
      return send(res, log, rl.headers, errorResult({ statusCode: 404, name: 'not_found', message: 'The requested endpoint does not exist.' }));
    }
    if (isSend && method !== 'POST') {
      return send(res, log, rl.headers, errorResult({ statusCode: 405, name: 'method_not_allowed', message: 'Method is not allowed for the requested path.' }));
    }

    if (getMatch) {
      await pause();
      const injected = failures.shift();
      if (injected) return send(res, log, { ...rl.headers, ...injected.headers }, errorResult(injected));
      const found = emails.find((e) => e.id === getMatch[1]);
      if (!found) return send(res, log, rl.headers, errorResult({ statusCode: 404, name: 'not_found', message: 'Email not found' }));
      return send(res, log, rl.headers, { status: 200, body: { object: 'email', id: found.id, from: found.from, to: found.to, subject: found.subject, html: found.html ?? null, text: found.text ?? null, created_at: new Date(found.at).toISOString(), last_event: 'sent' } });
    }

    let payload: unknown;
    try {
      payload = JSON.parse(raw);
    } catch {
      return send(res, log, rl.headers, errorResult({ statusCode: 400, name: 'validation_error', message: 'The request body is not valid JSON.' }));
    }
    log.emailCount = Array.isArray(payload) ? payload.length : 1;

    if (idempotencyKey !== undefined && (idempotencyKey.length < 1 || idempotencyKey.length > 256)) {
      return send(res, log, rl.headers, errorResult({ statusCode: 400, name: 'invalid_idempotency_key', message: 'The key must be between 1-256 chars.' }));
    }
    const mode = batchValidation ?? 'strict';
    // The exact bytes: a retry must repeat the identical request (stricter than
    // comparing parsed payloads, and cheap for 100-email bodies).
    const fingerprint = idempotencyKey ? crypto.createHash('sha256').update(`${path}\n${mode}\n`).update(raw).digest('hex') : '';
    if (idempotencyKey) {
      for (const [k, s] of store) if (s.expiresAt <= now) store.delete(k);
      if (inFlight.has(idempotencyKey)) {
        return send(res, log, rl.headers, errorResult({ statusCode: 409, name: 'concurrent_idempotent_requests', message: 'Same idempotency key used while original request is still in progress.' }));
      }
      const stored = store.get(idempotencyKey);
      if (stored && stored.fingerprint !== fingerprint) {
        return send(res, log, rl.headers, errorResult({ statusCode: 409, name: 'invalid_idempotent_request', message: 'Same idempotency key used with a different request payload.' }));
      }
      if (stored) {
        log.replayed = true;
        return send(res, log, rl.headers, { status: stored.status, body: stored.body });
      }
      inFlight.add(idempotencyKey);
    }

    // The key stays claimed through the latency, so a concurrent retry sees it in flight.
    let result: { status: number; body: unknown };
    try {
      await pause();
      if (closing.signal.aborted) return;
      const injected = failures.shift();
      if (injected) return send(res, log, { ...rl.headers, ...injected.headers }, errorResult(injected));
      result = processSend(path, payload, mode, reqIndex, idempotencyKey, clock());
      if (idempotencyKey && result.status === 200) store.set(idempotencyKey, { fingerprint, ...result, expiresAt: clock() + ttl });
    } finally {
      if (idempotencyKey) inFlight.delete(idempotencyKey);
    }
    if (drops[0] === 'after') {
      // Processed and stored; only the answer is lost.
      drops.shift();
      log.status = 'dropped';
      req.socket.destroy();
      return;
    }
    send(res, log, rl.headers, result);
  }

  async function pause() {
    if (gate) {
      waiting++;
      await gate.promise;
      waiting--;
    }
    const ms = typeof latency === 'number' ? latency : latency.min + Math.random() * (latency.max - latency.min);
    if (ms <= 0) return;
    try {
      await sleep(ms, undefined, { signal: closing.signal });
    } catch {
      // closing
    }
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err) => {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ statusCode: 500, name: 'internal_server_error', message: String(err) }));
      }
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    apiKey,
    /** Every email accepted (sent), in order. */
    emails,
    /** Every request received, in order. */
    requests,

    /** How many requests ended with each status ('200', '429', 'dropped', ...). */
    statusCounts(): Record<string, number> {
      const counts: Record<string, number> = {};
      for (const r of requests) counts[String(r.status)] = (counts[String(r.status)] ?? 0) + 1;
      return counts;
    },
    /** Accepted emails to one address. */
    sentTo(address: string): AcceptedEmail[] {
      const a = address.toLowerCase();
      return emails.filter((e) => e.to.some((t) => t.toLowerCase() === a || t.toLowerCase().endsWith(`<${a}>`)));
    },

    /**
     * The next `count` requests that get past auth and the rate limit answer
     * this error (default a 500). Only requests that would be sent, unless
     * `replays`: then also one whose key is stored, which would otherwise be
     * answered from the idempotency store.
     */
    failNext(count = 1, error: InjectedError = { statusCode: 500, name: 'internal_server_error', message: 'An unexpected error occurred.' }, options: { replays?: boolean } = {}) {
      for (let i = 0; i < count; i++) (options.replays ? earlyFailures : failures).push(error);
    },
    /** Forgets every idempotency key, as Resend does 24 hours after it stored one: a repeat is then sent again. */
    forgetKeys() {
      store.clear();
    },
    /** The next `count` requests lose their connection: before anything is processed, or after the send was processed and stored. */
    dropNext(count = 1, when: 'before' | 'after' = 'before') {
      for (let i = 0; i < count; i++) drops.push(when);
    },
    /**
     * Holds every request from now on in flight (after its idempotency key is
     * claimed, before it is processed) until the returned function is called:
     * a deterministic "slow provider" for timeout and concurrency tests.
     */
    hold(): () => void {
      let open!: () => void;
      const promise = new Promise<void>((resolve) => (open = resolve));
      const held = { promise, open };
      gate = held;
      return () => {
        if (gate === held) gate = null;
        held.open();
      };
    },
    /** How many requests are held in flight by hold() right now. */
    heldCount(): number {
      return waiting;
    },
    setLatency(ms: Latency) {
      latency = ms;
    },
    setRateLimit(limit: number | undefined, ms = windowMs) {
      rateLimit = limit;
      windowMs = ms;
      window = { start: -Infinity, count: 0 };
    },
    setDailyQuota(limit: number | undefined) {
      dailyQuota = limit;
    },
    rejectAddresses(pattern: FakeResendOptions['rejectAddresses']) {
      rejects = toPredicate(pattern);
    },
    /** Forgets everything sent and stored, and every fault queued. */
    reset() {
      emails.length = 0;
      requests.length = 0;
      store.clear();
      inFlight.clear();
      failures = [];
      earlyFailures = [];
      drops = [];
      window = { start: -Infinity, count: 0 };
      quotaUsed = 0;
    },
    async close() {
      closing.abort();
      gate?.open();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function send(res: http.ServerResponse, log: LoggedRequest, headers: Record<string, string>, result: { status: number; body: unknown }) {
  log.status = result.status;
  if (res.destroyed) return;
  res.writeHead(result.status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(result.body));
}

function errorResult(error: ApiError) {
  return { status: error.statusCode, body: { statusCode: error.statusCode, name: error.name, message: error.message } };
}

function quotaError(): ApiError {
  return { statusCode: 429, name: 'daily_quota_exceeded', message: 'You have reached your daily email sending quota.' };
}

function header(req: http.IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function toPredicate(pattern: FakeResendOptions['rejectAddresses']): (address: string) => boolean {
  if (!pattern) return () => false;
  if (typeof pattern === 'function') return pattern;
  return (a) => {
    pattern.lastIndex = 0;
    return pattern.test(a);
  };
}

const TOO_LARGE = Symbol('too large');

/** The body as text; TOO_LARGE past the limit; null when the client aborted. */
function readBody(req: http.IncomingMessage): Promise<string | typeof TOO_LARGE | null> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY_BYTES) chunks.push(c);
    });
    req.on('end', () => resolve(size > MAX_BODY_BYTES ? TOO_LARGE : Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => resolve(null));
    req.on('aborted', () => resolve(null));
  });
}
