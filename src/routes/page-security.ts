import crypto from 'node:crypto';
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';

/** Stands for the response's own nonce in a policy; replaced when the response goes out. */
const NONCE = "'nonce'";

type PagePolicy = {
  /** The Content-Security-Policy, directive by directive. */
  csp: Record<string, readonly string[]>;
  /** Reader pages' links carry tokens, so they send no referrer; staff forms need their origin sent (Chrome sends `Origin: null` under no-referrer). */
  referrer: 'no-referrer' | 'same-origin';
  framing: 'DENY' | 'SAMEORIGIN';
  /** Never cached, never indexed, whatever the page. */
  private: boolean;
};

const STAFF_CSP = {
  'default-src': ["'none'"],
  'style-src': [NONCE],
  'img-src': ["'self'", 'data:'],
  'frame-src': ["'self'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
  'base-uri': ["'none'"],
};

/**
 * What every kind of page may load: the one place that says so. A page's
 * own inline style and script run only through the nonce of its response;
 * nothing loads from anywhere else.
 */
const PAGE_POLICIES = {
  /** Reader pages: their style and the signup form's time-zone and typo script; images from us. */
  reader: {
    csp: {
      'default-src': ["'none'"],
      'style-src': [NONCE],
      'script-src': [NONCE],
      'img-src': ["'self'"],
      'form-action': ["'self'"],
      'frame-ancestors': ["'none'"],
      'base-uri': ["'none'"],
    },
    referrer: 'no-referrer',
    framing: 'DENY',
    private: false,
  },
  /** Staff pages: no script; charts as data images; email previews framed from us. */
  staff: { csp: STAFF_CSP, referrer: 'same-origin', framing: 'DENY', private: true },
  /** The staff import page: the staff pages' loads, its progress script and its calls to our own API. */
  staffImport: { csp: { ...STAFF_CSP, 'script-src': [NONCE], 'connect-src': ["'self'"] }, referrer: 'same-origin', framing: 'DENY', private: true },
  /**
   * An email's html in a staff preview frame: inline styles and images only,
   * no script, no forms, its own opaque origin (the sandbox), framed by staff
   * pages only.
   */
  emailFrame: {
    csp: {
      'default-src': ["'none'"],
      'style-src': ["'unsafe-inline'"],
      'img-src': ['data:', 'https:'],
      'font-src': ['data:'],
      'form-action': ["'none'"],
      'frame-ancestors': ["'self'"],
      'base-uri': ["'none'"],
      sandbox: [],
    },
    referrer: 'same-origin',
    framing: 'SAMEORIGIN',
    private: true,
  },
} satisfies Record<string, PagePolicy>;

export type PageKind = keyof typeof PAGE_POLICIES;

declare module 'hono' {
  interface ContextVariableMap {
    /** This response's CSP nonce: pages print it on their inline style and script. */
    cspNonce: string;
    /** The kind of page answered, when it is not its area's usual one. */
    pageKind: PageKind;
  }
}

function cspText(policy: PagePolicy, nonce: string): string {
  return Object.entries(policy.csp)
    .map(([directive, sources]) => [directive, ...sources.map((s) => (s === NONCE ? `'nonce-${nonce}'` : s))].join(' '))
    .join('; ');
}

/** Headers every page gets, whatever it loads. */
const COMMON_HEADERS: Record<string, string> = {
  'X-Content-Type-Options': 'nosniff',
  'Strict-Transport-Security': 'max-age=15552000; includeSubDomains',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Origin-Agent-Cluster': '?1',
  'X-DNS-Prefetch-Control': 'off',
  'X-Download-Options': 'noopen',
  'X-Permitted-Cross-Domain-Policies': 'none',
  'X-XSS-Protection': '0',
};

/** A fresh nonce for the page to print on its inline style and script. */
function startPage(c: Context): string {
  const nonce = crypto.randomBytes(16).toString('base64');
  c.set('cspNonce', nonce);
  return nonce;
}

/** The policy of the kind of page answered (the area's, unless the route named another with pageKind), on its headers. */
function securePage(c: Context, headers: Headers, area: 'reader' | 'staff', nonce: string): void {
  const policy: PagePolicy = PAGE_POLICIES[c.get('pageKind') ?? area];
  for (const [name, value] of Object.entries(COMMON_HEADERS)) headers.set(name, value);
  headers.set('Content-Security-Policy', cspText(policy, nonce));
  headers.set('X-Frame-Options', policy.framing);
  headers.set('Referrer-Policy', policy.referrer);
  if (policy.private) {
    headers.set('Cache-Control', 'no-store');
    headers.set('X-Robots-Tag', 'noindex');
  }
}

/** The security headers of every page of an area, reader's and staff's. */
export function pageSecurity(area: 'reader' | 'staff') {
  return createMiddleware(async (c, next) => {
    const nonce = startPage(c);
    await next();
    securePage(c, c.res.headers, area, nonce);
  });
}

/** A reader page answered outside the page routes (the app's own 404), with the same headers. */
export async function readerPage(c: Context, render: () => Response | Promise<Response>): Promise<Response> {
  const nonce = startPage(c);
  const res = await render();
  securePage(c, res.headers, 'reader', nonce);
  return res;
}

/** Names the kind of page this response is, when it is not its area's usual one. */
export function usePageKind(c: Context, kind: PageKind): void {
  c.set('pageKind', kind);
}

/** The nonce a page prints on its inline style and script ('' outside pageSecurity, where no CSP is sent). */
export function cspNonce(c: Context): string {
  return c.get('cspNonce') ?? '';
}
