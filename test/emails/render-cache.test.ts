import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { displayName } from '../../emails/_components/props.js';
import { escapeHtml, type RenderedBody } from '../../src/mail/render-cache.js';
import {
  allTemplates,
  confirmationTemplate,
  createRenderCache,
  renderConfirmationEmail,
  renderDirect,
  renderSequenceEmail,
  sequenceTemplates,
  type TemplateDef,
} from '../../src/mail/render.js';

const PUBLIC_URL = 'https://learn.example.org';
const TRICKY = ['<', '>', '&', '"', "'", ' ', '  ', '\t', '\n', '\u00a0', '\u200b', 'é', 'ß', 'İ', '😀', '\u0301', '\uD800', '\uDC00', '\u0000', '-->', '<!--', '&amp;', 'a', 'Z'];

// Names: empty, blank, markup characters, unicode (including lone surrogates), anything.
const nameArb = fc.option(
  fc.oneof(
    fc.constantFrom('', ' ', '\n\t', 'Alex', `O'Brien & <Co> "Ltd"`, 'Zoë', '李', 'ALEX', 'alex'),
    fc.string({ unit: fc.constantFrom(...TRICKY), maxLength: 12 }),
    fc.string({ unit: 'grapheme', maxLength: 20 }),
    fc.string({ unit: 'binary', maxLength: 20 }),
    fc.string({ maxLength: 40 }),
  ),
  { nil: undefined },
);

// Tokens: real-looking ones and ones with markup, unicode, spaces and nothing at all.
const tokenArb = fc.oneof(
  fc.string({ unit: fc.constantFrom(...'abcXYZ019-_.'.split('')), maxLength: 60 }),
  fc.string({ unit: fc.constantFrom(...TRICKY, 'b', '9', '.'), maxLength: 16 }),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.constant(''),
);

// By id, so a counterexample names the template.
const templateArb = fc.constantFrom(...allTemplates.map((t) => t.id)).map((id) => allTemplates.find((t) => t.id === id) as TemplateDef<any>);

function propsFor(def: TemplateDef<any>, firstName: string | undefined, token: string, token2: string, extra: Record<string, unknown> = {}) {
  const props: Record<string, unknown> = { ...def.previewProps, firstName, unsubscribeUrl: `${PUBLIC_URL}/u/${token}`, ...extra };
  if ('publicUrl' in def.previewProps) props.publicUrl = PUBLIC_URL;
  if ('confirmUrl' in def.previewProps) props.confirmUrl = `${PUBLIC_URL}/confirm/${token2}`;
  return props;
}

// The props that change an email's structure: who reads, where they live
// (crisis lines), and which optional links and lines are set.
const structureArb = fc.record(
  {
    reader: fc.constantFrom('self', 'supporter', 'professional', 'unknown'),
    timezone: fc.constantFrom('America/New_York', 'America/Toronto', 'Europe/London', 'Europe/Dublin', 'Australia/Sydney', 'Pacific/Auckland', 'Europe/Berlin', 'Asia/Tokyo', 'UTC', 'Bad/Zone'),
    country: fc.constantFrom('US', 'gb', 'FR', ''),
    replyTo: fc.constantFrom('team@example.org', 'other@example.org', ''),
    privacyContact: fc.constantFrom('privacy@example.org', 'https://clinic.example.org/privacy', 'Call us'),
    bookingUrl: fc.oneof(fc.constantFrom('https://clinic.example.org/book', 'https://other.example.org/b?x=1&y=<2>', ''), tokenArb.map((t) => `https://clinic.example.org/book/${t}`)),
    preferencesUrl: tokenArb.map((t) => `${PUBLIC_URL}/p/${t}`),
    // The clinic profile and how the person came: the same for every reader of one install, except an import's consent.
    clinicName: fc.constantFrom('Harbor Clinic', `O'Brien & <Co> "Clinic"`),
    clinicUrl: fc.constantFrom('https://harborclinic.example', 'https://x.example/a?b=1&c=<2>'),
    sessionSetting: fc.constantFrom('in-clinic', 'at-home-remote'),
    // Where the email stands in its series ("Email 2 of 3"), printable or not.
    place: fc.record({ position: fc.integer({ min: -1, max: 4 }), total: fc.integer({ min: 0, max: 4 }) }),
    origin: fc.oneof(
      fc.constant({ via: 'signup', site: PUBLIC_URL }),
      fc.record({ via: fc.constant('consent'), source: fc.string({ unit: fc.constantFrom(...TRICKY), maxLength: 12 }), date: fc.constantFrom('March 2, 2026', '') }),
    ),
  },
  { requiredKeys: [] },
);

/** A body the cache filled in also comes as JSON: byte for byte what JSON.stringify writes for it. */
function expectJsonOf(r: RenderedBody) {
  if (!r.json) return;
  expect(Buffer.concat(r.json.html)).toEqual(Buffer.from(JSON.stringify(r.html)));
  expect(Buffer.concat(r.json.text)).toEqual(Buffer.from(JSON.stringify(r.text)));
}

// The property runs render every template directly many times: seconds of work, more on a loaded machine.
describe('render cache', () => {
  it('equals a direct render byte for byte, html and text, for any name and token', async () => {
    const cache = createRenderCache();
    await fc.assert(
      fc.asyncProperty(templateArb, nameArb, tokenArb, tokenArb, async (def, firstName, token, token2) => {
        const props = propsFor(def, firstName, token, token2);
        const [cached, direct] = await Promise.all([cache.render(def, props), renderDirect(def, props)]);
        expect(cached.html).toBe(direct.html);
        expect(cached.text).toBe(direct.text);
        expectJsonOf(cached);
      }),
      { numRuns: 120 },
    );
    // Skeletons are per (template, name shown or not): the cache did its job.
    expect(cache.size).toBeLessThanOrEqual(allTemplates.length * 2);
    expect(cache.stats.substituted).toBeGreaterThan(cache.stats.direct);
  }, 120_000);

  it('equals a direct render for any reader, place, and set or missing booking, reply, preference and privacy values', async () => {
    const cache = createRenderCache();
    await fc.assert(
      fc.asyncProperty(templateArb, nameArb, tokenArb, structureArb, async (def, firstName, token, extra) => {
        const props = propsFor(def, firstName, token, token, extra);
        const [cached, direct] = await Promise.all([cache.render(def, props), renderDirect(def, props)]);
        expect(cached.html).toBe(direct.html);
        expect(cached.text).toBe(direct.text);
        expectJsonOf(cached);
      }),
      { numRuns: 200 },
    );
    // Random cases rarely share a shape; a repeat of one does: built once, then only substituted.
    const def = sequenceTemplates[4] as TemplateDef<any>;
    const before = { ...cache.stats };
    await cache.render(def, propsFor(def, 'Alex', 'first-token', 'first-token'));
    await cache.render(def, propsFor(def, 'Alex', 'other-token', 'other-token'));
    expect(cache.stats.built - before.built).toBeLessThanOrEqual(1);
    expect(cache.stats.substituted - before.substituted).toBe(2);
  }, 90_000); // 400 full renders: slow on a busy two-core machine

  it('keys on the crisis country, not the time zone, and on the reader type', async () => {
    const cache = createRenderCache();
    const def = sequenceTemplates[2] as TemplateDef<any>;
    for (const timezone of ['America/New_York', 'America/Chicago', 'America/Los_Angeles', 'US/Hawaii']) await cache.render(def, propsFor(def, 'Alex', 't', 't', { timezone }));
    expect(cache.size).toBe(1);
    await cache.render(def, propsFor(def, 'Alex', 't', 't', { timezone: 'Europe/Dublin' }));
    await cache.render(def, propsFor(def, 'Alex', 't', 't', { timezone: 'America/New_York', reader: 'professional' }));
    await cache.render(def, propsFor(def, 'Alex', 't', 't', { timezone: 'America/New_York', reader: 'self' }));
    expect(cache.size).toBe(3);
    const booked = sequenceTemplates[4] as TemplateDef<any>;
    const a = await cache.render(booked, propsFor(booked, 'Alex', 't', 't', { bookingUrl: 'https://clinic.example.org/book/1' }));
    const b = await cache.render(booked, propsFor(booked, 'Alex', 't', 't', { bookingUrl: 'https://clinic.example.org/book/2' }));
    const none = await cache.render(booked, propsFor(booked, 'Alex', 't', 't'));
    expect(cache.size).toBe(5);
    expect(a.text).toContain('https://clinic.example.org/book/1');
    expect(b.text).toContain('https://clinic.example.org/book/2');
    expect(none.text).not.toContain('Book a consult');
  }, 120_000);

  it.each(allTemplates.map((t) => [t.id, t] as const))('%s: exact on the hard cases, both greeting branches', async (_id, def) => {
    const cache = createRenderCache();
    const names = [undefined, '', '   ', 'Alex', `<b>"Al" & 'ex'</b>`, '  Ann \n\t Marie\u200b ', 'Zoë 李 😀', '\uD800', '\u0000x', 'n0123456789abcdefx'];
    const tokens = ['abc.DEF-_', `<>&"'`, 'ü/ß?x=1&y=2#frag', '', 'sp ace', 'new\nline'];
    for (const [i, firstName] of names.entries()) {
      const token = tokens[i % tokens.length]!;
      const props = propsFor(def as TemplateDef<any>, firstName, token, tokens[(i + 1) % tokens.length]!);
      const [cached, direct] = await Promise.all([cache.render(def as TemplateDef<any>, props), renderDirect(def as TemplateDef<any>, props)]);
      expect(cached.html).toBe(direct.html);
      expect(cached.text).toBe(direct.text);
      expectJsonOf(cached);
    }
    expect(cache.size).toBe(2);
  });

  it('renders each template once per greeting branch, then only substitutes', async () => {
    const cache = createRenderCache();
    const def = sequenceTemplates[2] as TemplateDef<any>;
    for (const firstName of ['Alex', 'Sam', undefined, '', 'Kim']) {
      await cache.render(def, propsFor(def, firstName, 'tok', 'tok'));
    }
    expect(cache.stats).toEqual({ built: 2, substituted: 5, direct: 0 });
    expect((await cache.render(def, propsFor(def, 'Alex', 'tok', 'tok'))).json).toBeDefined();
    // A link it cannot substitute exactly is rendered directly, and still right.
    const odd = { ...propsFor(def, 'Alex', 'tok', 'tok'), unsubscribeUrl: 'mailto:x@example.org' };
    expect(await cache.render(def, odd)).toEqual(await renderDirect(def, odd));
    expect(cache.stats.direct).toBe(1);
  });

  it('keys on the fixed props: another postal address is another skeleton', async () => {
    const cache = createRenderCache();
    const def = sequenceTemplates[0] as TemplateDef<any>;
    const a = await cache.render(def, propsFor(def, 'Alex', 't', 't'));
    const b = await cache.render(def, { ...propsFor(def, 'Alex', 't', 't'), postalAddress: 'Somewhere Else 1' });
    expect(a.text).not.toContain('Somewhere Else 1');
    expect(b.text).toContain('Somewhere Else 1');
    expect(cache.size).toBe(2);
  });

  it('escapes like React and normalises names like the templates', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#x27;&amp;&#x27;&lt;/a&gt;');
    expect(displayName('  Ann \n Marie\u200b ')).toBe('Ann Marie');
    expect(displayName(' \t ')).toBe('');
    expect(displayName(undefined)).toBe('');
  });
});

describe('render entry points', () => {
  it('renderSequenceEmail returns subject, preheader, version and both bodies', async () => {
    const def = sequenceTemplates[2];
    const r = await renderSequenceEmail(
      { templateId: def.id },
      { firstName: 'Alex', publicUrl: PUBLIC_URL, unsubscribeUrl: `${PUBLIC_URL}/u/abc`, postalAddress: 'Addr 1', clinicName: 'Harbor Clinic' },
    );
    expect(r).toMatchObject({ templateId: def.id, templateVersion: def.version, subject: def.subject, preheader: def.preheader });
    expect(r.html).toContain('Hi Alex,');
    expect(r.text).toContain('Unsubscribe https://learn.example.org/u/abc');
  });

  it('renderConfirmationEmail keeps its props and carries the confirm link', async () => {
    const r = await renderConfirmationEmail({
      firstName: 'Alex',
      confirmUrl: `${PUBLIC_URL}/confirm/c-1`,
      unsubscribeUrl: `${PUBLIC_URL}/u/u-1`,
      postalAddress: 'Addr 1',
      clinicName: 'Harbor Clinic',
    });
    expect(r.subject).toBe(confirmationTemplate.subject);
    expect(r.html).toContain('href="https://learn.example.org/confirm/c-1"');
    expect(r.text).toContain('https://learn.example.org/confirm/c-1');
    expect(r.text).toContain('Unsubscribe https://learn.example.org/u/u-1');
  });
});
