import { getConnInfo } from '@hono/node-server/conninfo';
import net from 'node:net';
import type { Context, MiddlewareHandler } from 'hono';
import type { RequestMeta } from '../subscribers/deps.js';

/** The peer address of the socket; null where there is none (app.request() in tests). */
function socketAddress(c: Context): string | null {
  // Checked first rather than caught: building an exception per request is costly.
  if (!(c.env as { incoming?: unknown; server?: unknown } | undefined)?.incoming && !(c.env as { server?: unknown } | undefined)?.server) return null;
  try {
    return getConnInfo(c).remote.address ?? null;
  } catch {
    return null;
  }
}

const unmapped = (ip: string) => /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)?.[1] ?? ip;

/** A BlockList of the trusted proxies (addresses or CIDRs), or null when there are none. */
export function trustedProxyList(entries: readonly string[]): net.BlockList | null {
  if (entries.length === 0) return null;
  const list = new net.BlockList();
  for (const entry of entries) {
    const [addr = '', bits] = entry.split('/');
    const type = net.isIPv6(addr) ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(addr, type);
    else list.addSubnet(addr, Number(bits), type);
  }
  return list;
}

function isTrusted(list: net.BlockList, ip: string): boolean {
  const bare = unmapped(ip);
  return list.check(bare, net.isIPv6(bare) ? 'ipv6' : 'ipv4');
}

/**
 * The client's address. X-Forwarded-For is believed only from a trusted proxy
 * (anyone can send it): walking it from the right, the first address that is
 * not a trusted proxy is the client. Without trusted proxies it is the socket's.
 */
export function resolveClientIp(c: Context, trusted: net.BlockList | null): string | null {
  const peer = socketAddress(c);
  if (!trusted || !peer || !isTrusted(trusted, peer)) return peer;
  const hops = (c.req.header('x-forwarded-for') ?? '')
    .split(',')
    .map((h) => h.trim())
    .filter((h) => net.isIP(unmapped(h)) !== 0);
  for (let i = hops.length - 1; i >= 0; i--) if (!isTrusted(trusted, hops[i]!)) return hops[i]!;
  return hops[0] ?? peer;
}

const CLIENT_IP = 'clientIp';

/** Works out the client's address once per request (see resolveClientIp). */
export function clientAddress(trusted: net.BlockList | null): MiddlewareHandler {
  return async (c, next) => {
    c.set(CLIENT_IP as never, resolveClientIp(c, trusted) as never);
    await next();
  };
}

/** The client's address as the clientAddress middleware found it (the socket's when it did not run). */
export function clientIp(c: Context): string | null {
  const found = c.get(CLIENT_IP as never) as string | null | undefined;
  return found === undefined ? socketAddress(c) : found;
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
