import crypto from 'node:crypto';
import { createElement, type FunctionComponent } from 'react';
import { displayName } from '../../emails/_components/props.js';
import type { TemplateDef } from './templates.js';
import type { EncodedBodies } from './transport.js';

/** `json`: html and text as JSON writes them, when the cache filled in a skeleton (see EncodedBodies). */
export type RenderedBody = { html: string; text: string; json?: EncodedBodies };

/** Renders a template the slow, certain way: React, then html-to-text for the plain text. */
export async function renderDirect<P>(def: TemplateDef<P>, props: P): Promise<RenderedBody> {
  // Loaded on the first render, not at start-up: a tick with nothing to send never needs it.
  const { render } = await import('@react-email/render');
  const element = createElement(def.component as unknown as FunctionComponent<object>, props as object);
  const [html, text] = await Promise.all([render(element), render(element, { plainText: true })]);
  return { html, text };
}

/**
 * A rendered template cut at its placeholders: parts[0] slot[0] parts[1] ...
 * parts[n]; `json`, once asked for, the parts as JSON writes them.
 */
type Compiled = { parts: string[]; slots: string[]; json?: Buffer[] | null };
type Skeleton = { html: Compiled; text: Compiled };

// What React escapes in text and in attribute values, and how.
const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#x27;' };
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

// A link can be filled in verbatim when React prints it as given (http(s), so
// never rewritten as a javascript: URL) and the plain-text converter prints it
// as given (no spaces or control characters, well-formed unicode). Any other
// value is rendered directly, which is always exact.
// eslint-disable-next-line no-control-regex -- a URL with a control character is not substituted
const SUBSTITUTABLE_URL = /^https?:\/\/[^\s\u0000-\u001f\u007f-\u009f\u200b]*$/i;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
function substitutableUrl(value: unknown): value is string {
  return typeof value === 'string' && SUBSTITUTABLE_URL.test(value) && !LONE_SURROGATE.test(value);
}

function compile(rendered: string, sentinels: Map<string, string>, nonce: string): Compiled {
  const pattern = new RegExp([...sentinels.keys()].map((s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|'), 'g');
  const parts: string[] = [];
  const slots: string[] = [];
  let last = 0;
  for (const m of rendered.matchAll(pattern)) {
    parts.push(rendered.slice(last, m.index));
    slots.push(sentinels.get(m[0])!);
    last = m.index + m[0].length;
  }
  parts.push(rendered.slice(last));
  // A placeholder that the template changed (cut, upper-cased, re-encoded) would
  // leave a trace of the nonce; substituting there would not be exact.
  if (parts.some((p) => p.toLowerCase().includes(nonce))) {
    throw new Error('render cache: a template transforms a personalised value; it cannot be cached exactly');
  }
  return { parts, slots };
}

function fill(c: Compiled, values: Record<string, string>): string {
  let out = c.parts[0]!;
  for (let i = 0; i < c.slots.length; i++) out += values[c.slots[i]!]! + c.parts[i + 1]!;
  return out;
}

const QUOTE = Buffer.from('"');
/** What JSON.stringify writes for a string, without the quotes, in UTF-8. */
const jsonInner = (s: string) => Buffer.from(JSON.stringify(s).slice(1, -1));
const SURROGATE = /[\uD800-\uDFFF]/;

/**
 * fill(c, values) as a JSON string literal in UTF-8, from the parts encoded
 * once. JSON escapes each character on its own, except that it keeps a
 * surrogate pair and escapes a lone surrogate: a value (a name or link) holds
 * no lone surrogate, so pieces encode alike apart and together unless a part
 * has a surrogate at an edge; such a skeleton gives null (encoded whole by
 * whoever needs it).
 */
function fillJson(c: Compiled, values: Record<string, string>): Buffer[] | null {
  if (c.json === undefined) c.json = c.parts.some((p) => SURROGATE.test(p.slice(0, 1)) || SURROGATE.test(p.slice(-1))) ? null : c.parts.map(jsonInner);
  if (c.json === null) return null;
  const out = [QUOTE, c.json[0]!];
  for (let i = 0; i < c.slots.length; i++) out.push(jsonInner(values[c.slots[i]!]!), c.json[i + 1]!);
  out.push(QUOTE);
  return out;
}

export type RenderCache = {
  /** The same html and text as renderDirect(def, props), byte for byte. */
  render<P>(def: TemplateDef<P>, props: P): Promise<RenderedBody>;
  /** Skeletons held (for tests and the bench). */
  readonly size: number;
  /** Skeletons rendered, messages filled in from one, messages rendered directly. */
  readonly stats: { built: number; substituted: number; direct: number };
  clear(): void;
};

/**
 * Renders each template once per (id, version, name shown or not, links set,
 * structural props) with unique placeholders in the per-recipient props, then
 * personalises by substituting escaped values into the cut-up result.
 *
 * Why it is exact: a name is printed through displayName(), which leaves only
 * characters that React escapes with escapeHtml() and that the plain-text
 * converter copies unchanged (single spaces, no controls), and the name is
 * never in a heading (which the converter upper-cases; compile() would notice).
 * Whether the name is blank picks the skeleton, so "Hi there," and "Hi Alex,"
 * each come from their own render. Links are substituted only when safe (see
 * substitutableUrl); otherwise that message is rendered directly. The reader
 * type, crisis country and REPLY_TO's presence pick the skeleton through
 * def.structure(), so a time zone costs no skeleton of its own.
 */
export function createRenderCache(options: { maxEntries?: number } = {}): RenderCache {
  // Templates x greeting x reader x crisis country x links set: a few hundred at most in practice.
  const maxEntries = options.maxEntries ?? 512;
  const entries = new Map<string, Promise<Skeleton>>();
  const stats = { built: 0, substituted: 0, direct: 0 };

  async function build<P>(def: TemplateDef<P>, props: P, named: boolean, urls: string[]): Promise<Skeleton> {
    const nonce = crypto.randomBytes(8).toString('hex');
    const sentinels = new Map<string, string>();
    const placeholderProps: Record<string, unknown> = { ...(props as Record<string, unknown>) };
    if (def.slots.name) {
      const sentinel = `n${nonce}x`;
      placeholderProps[def.slots.name] = named ? sentinel : undefined;
      if (named) sentinels.set(sentinel, def.slots.name);
    }
    urls.forEach((key, i) => {
      const sentinel = `https://u${i}-${nonce}.invalid/p`;
      placeholderProps[key] = sentinel;
      sentinels.set(sentinel, key);
    });
    const rendered = await renderDirect(def, placeholderProps as P);
    return { html: compile(rendered.html, sentinels, nonce), text: compile(rendered.text, sentinels, nonce) };
  }

  // Keyed on the structural props: which link slots are set (a missing
  // booking or preference link is another layout), the rest by value.
  function keyFor<P>(def: TemplateDef<P>, props: P, named: boolean, urls: string[]): string {
    const slotKeys = new Set<string>([...(def.slots.name ? [def.slots.name] : []), ...def.slots.urls]);
    const fixed = Object.entries(props as Record<string, unknown>)
      .filter(([k, v]) => !slotKeys.has(k) && v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return JSON.stringify([def.id, def.version, named, urls, fixed]);
  }

  return {
    async render<P>(def: TemplateDef<P>, props: P): Promise<RenderedBody> {
      const record = props as Record<string, unknown>;
      const urls = def.slots.urls.filter((k) => record[k] !== undefined);
      if (!urls.every((k) => substitutableUrl(record[k]))) {
        stats.direct++;
        return renderDirect(def, props);
      }
      const name = def.slots.name ? displayName(record[def.slots.name] as string | undefined) : '';
      const named = name !== '';
      const shaped = def.structure ? def.structure(props) : props;
      const key = keyFor(def, shaped, named, urls);
      let entry = entries.get(key);
      if (!entry) {
        if (entries.size >= maxEntries) entries.delete(entries.keys().next().value!);
        stats.built++;
        entry = build(def, shaped, named, urls);
        entries.set(key, entry);
        // A failed render is not cached, so the next call tries again.
        entry.catch(() => entries.delete(key));
      }
      const skeleton = await entry;
      stats.substituted++;
      const text: Record<string, string> = {};
      const html: Record<string, string> = {};
      if (def.slots.name) {
        text[def.slots.name] = name;
        html[def.slots.name] = escapeHtml(name);
      }
      for (const k of urls) {
        text[k] = record[k] as string;
        html[k] = escapeHtml(record[k] as string);
      }
      const json = { html: fillJson(skeleton.html, html), text: fillJson(skeleton.text, text) };
      return {
        html: fill(skeleton.html, html),
        text: fill(skeleton.text, text),
        ...(json.html && json.text ? { json: { html: json.html, text: json.text } } : {}),
      };
    },
    get size() {
      return entries.size;
    },
    get stats() {
      return { ...stats };
    },
    clear() {
      entries.clear();
    },
  };
}
