import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';
import type { RequestMeta } from '../subscribers/deps.js';

/**
 * The peer address of the socket. X-Forwarded-For is not trusted (anyone can
 * send it); behind a proxy every request shares the proxy's address. Null
 * where there is no socket (app.request() in tests).
 */
export function clientIp(c: Context): string | null {
  // Checked first rather than caught: building an exception per request is costly.
  if (!(c.env as { incoming?: unknown; server?: unknown } | undefined)?.incoming && !(c.env as { server?: unknown } | undefined)?.server) return null;
  try {
    return getConnInfo(c).remote.address ?? null;
  } catch {
    return null;
  }
}

export function requestMeta(c: Context): RequestMeta {
  const ua = c.req.header('user-agent');
  return { ip: clientIp(c), userAgent: ua ? ua.slice(0, 512) : null };
}

export type BodyKind = 'json' | 'urlencoded' | 'multipart';

/** The body format from Content-Type, or null for one we do not read. */
export function bodyKind(contentType: string | undefined): BodyKind | null {
  const media = contentType?.split(';')[0]?.trim().toLowerCase();
  if (media === 'application/json' || (media?.startsWith('application/') && media.endsWith('+json'))) return 'json';
  if (media === 'application/x-www-form-urlencoded') return 'urlencoded';
  if (media === 'multipart/form-data') return 'multipart';
  return null;
}

/** Form posts come from a browser page and get a page back; everything else gets JSON. */
export function wantsHtml(c: Context): boolean {
  const kind = bodyKind(c.req.header('content-type'));
  return kind === 'urlencoded' || kind === 'multipart';
}

/** True when an Accept header asks for HTML before JSON (a browser's navigation does; fetch() and curl do not). */
export function prefersHtml(accept: string | undefined): boolean {
  if (!accept) return false;
  const types = accept.split(',').map((part) => {
    const [type = '', ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => /^\s*q=([\d.]+)/.exec(p)?.[1]).find((v) => v !== undefined);
    return { type: type.trim(), q: q === undefined ? 1 : Number(q) };
  });
  const weight = (match: (t: string) => boolean) => Math.max(0, ...types.filter((t) => match(t.type)).map((t) => t.q));
  const htmlQ = weight((t) => t === 'text/html' || t === 'application/xhtml+xml');
  return htmlQ > 0 && htmlQ >= weight((t) => t === 'application/json');
}
