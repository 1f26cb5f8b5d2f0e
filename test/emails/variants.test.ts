import { beforeAll, describe, expect, it } from 'vitest';
import { crisisRegion } from '../../emails/_components/crisis-lines.js';
import { ALLOWED_OUTSIDE_URLS, FIND_A_HELPLINE_URL, SOURCES, type SourceId } from '../../emails/_components/sources.js';
import { READERS } from '../../emails/_components/types.js';
import { allTemplates, consultTemplates, sequenceTemplates } from '../../src/mail/render.js';
import { htmlToReadableText } from '../helpers/claims.js';
import { renderAll, type Sample } from './rendered.js';

const PUBLIC_URL = 'https://learn.example.org';
const BOOKING_URL = 'https://clinic.example.org/book?from=email';
const PRIVACY = 'privacy@clinic.example.org';
const full = {
  publicUrl: PUBLIC_URL,
  unsubscribeUrl: `${PUBLIC_URL}/u/tok-1`,
  preferencesUrl: `${PUBLIC_URL}/p/tok-1`,
  bookingUrl: BOOKING_URL,
  replyTo: 'team@clinic.example.org',
  privacyContact: PRIVACY,
};

const decode = (href: string) => href.replaceAll('&amp;', '&');
const hrefsOf = (html: string) => [...html.matchAll(/href="([^"]*)"/g)].map((m) => decode(m[1]!));
const by = (samples: Sample[], id: string) => samples.find((s) => s.def.id === id)!;
/** Every email of every series: the eight education emails and the consult follow-up. */
const seriesTemplates = [...sequenceTemplates, ...consultTemplates];

/** Every way an email can be rendered that changes its content. */
let variants: { name: string; samples: Sample[] }[];
beforeAll(async () => {
  variants = [];
  for (const reader of READERS) {
    for (const timezone of ['America/New_York', 'Europe/Dublin', 'Asia/Tokyo']) {
      variants.push({ name: `${reader} ${timezone} all set`, samples: await renderAll({ ...full, reader, timezone }) });
    }
  }
  // The samples carry a preference link; without one the footer leaves the line out.
  variants.push({ name: 'defaults', samples: await renderAll({ publicUrl: PUBLIC_URL, unsubscribeUrl: `${PUBLIC_URL}/u/tok-1`, preferencesUrl: undefined }) });
});

describe('links', () => {
  it('every link is a listed source, the crisis directory, or our own (PUBLIC_URL, BOOKING_URL, PRIVACY_CONTACT)', () => {
    let checked = 0;
    for (const v of variants) {
      for (const s of v.samples) {
        for (const href of hrefsOf(s.html)) {
          const ours = href.startsWith(`${PUBLIC_URL}/`) || href === PUBLIC_URL || href.startsWith('http://localhost:3000/') || href === BOOKING_URL || href === `mailto:${PRIVACY}`;
          expect(ours || ALLOWED_OUTSIDE_URLS.includes(href), `${v.name} ${s.def.id}: ${href}`).toBe(true);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(200);
  });

  it('the allowed list holds the two trial papers by DOI and official pages for the rest', () => {
    expect(SOURCES.mapp1.url).toBe('https://doi.org/10.1038/s41591-021-01336-3');
    expect(SOURCES.mapp2.url).toBe('https://doi.org/10.1038/s41591-023-02565-4');
    expect(SOURCES.fdaKetamineWarning.url).toMatch(/^https:\/\/www\.fda\.gov\/.*compounded-ketamine/);
    expect(SOURCES.fdaAdvisoryCommittee.url).toMatch(/^https:\/\/www\.fda\.gov\/advisory-committees\/.*june-4-2024/);
    expect(SOURCES.tgaDecision.url).toMatch(/^https:\/\/www\.tga\.gov\.au\//);
    // A search for recruiting MDMA PTSD trials, not the home page.
    const trials = new URL(SOURCES.clinicalTrialsSearch.url);
    expect(trials.host).toBe('clinicaltrials.gov');
    expect(trials.searchParams.get('intr')).toBe('MDMA');
    expect(trials.searchParams.get('cond')).toBe('PTSD');
    expect(trials.searchParams.get('aggFilters')).toBe('status:rec');
    for (const url of ALLOWED_OUTSIDE_URLS) expect(url).toMatch(/^https:\/\//);
  });

  // The brief: every email that states a figure or a regulatory fact links its source.
  const required: Record<string, SourceId[]> = {
    '01-welcome': ['fdaAdvisoryCommittee', 'clinicalTrialsSearch'],
    '02-how-the-treatment-works': ['mapp1'],
    '03-what-the-trials-found': ['mapp1', 'mapp2'],
    '04-where-it-stands': ['fdaAdvisoryCommittee', 'tgaDecision'],
    '05-mdma-and-ketamine': ['fdaKetamineWarning'],
    '06-safety': ['mapp1', 'mapp2', 'clinicalTrialsSearch'],
    '08-next-steps': ['clinicalTrialsSearch', 'fdaKetamineWarning'],
  };
  it.each(Object.entries(required))('%s links its sources in html and plain text', (id, ids) => {
    const s = by(variants.at(-1)!.samples, id);
    for (const source of ids) {
      expect(hrefsOf(s.html)).toContain(SOURCES[source].url);
      expect(s.text).toContain(SOURCES[source].url);
    }
  });

  it('the plain text shows every link of the html, and every figure of its tables', () => {
    for (const v of variants) {
      for (const s of v.samples) {
        for (const href of hrefsOf(s.html)) expect(s.text, `${v.name} ${s.def.id}`).toContain(href.replace(/^mailto:/, ''));
        for (const figure of htmlToReadableText(s.html).match(/\b\d+(?:\.\d+)?%/g) ?? []) expect(s.text, s.def.id).toContain(figure);
      }
    }
  });
});

describe('who is reading', () => {
  it('every sequence email, in every series, has one supporter paragraph, for supporters only', () => {
    expect(consultTemplates.length).toBeGreaterThan(0);
    for (const v of variants) {
      const reader = v.name.split(' ')[0];
      for (const t of seriesTemplates) {
        const count = by(v.samples, t.id).text.split('IF YOU SUPPORT SOMEONE WITH PTSD').length - 1;
        expect(count, `${v.name} ${t.id}`).toBe(reader === 'supporter' ? 1 : 0);
      }
    }
  });

  // The consult follow-up: where its data are (the Spravato label's exclusions; the PTSD labels and the trial registry).
  const PROFESSIONAL = ['03-what-the-trials-found', '04-where-it-stands', '06-safety', ...consultTemplates.map((t) => t.id).filter((id) => /^consult-[13]-/.test(id))];
  it('emails 3, 4 and 6, and consult emails 1 and 3, have a professional paragraph, for professionals only; the others have none', () => {
    for (const v of variants) {
      const reader = v.name.split(' ')[0];
      for (const t of seriesTemplates) {
        const expected = reader === 'professional' && PROFESSIONAL.includes(t.id) ? 1 : 0;
        expect(by(v.samples, t.id).text.split('FOR PROFESSIONALS').length - 1, `${v.name} ${t.id}`).toBe(expected);
      }
    }
  });

  it('a reader who picked nothing (or an unknown value) reads the self version', async () => {
    const self = variants.find((v) => v.name === 'self America/New_York all set')!.samples;
    for (const reader of [undefined, 'someone-else']) {
      const got = await renderAll({ ...full, timezone: 'America/New_York', reader });
      for (const s of got) expect(s.html, s.def.id).toBe(by(self, s.def.id).html);
    }
  });
});

describe('crisis lines by the country of the time zone', () => {
  const cases: [string | undefined, RegExp][] = [
    ['America/Chicago', /in the US, Puerto Rico, Guam and the US Virgin Islands, call or text 988 \(Veterans: dial 988 then press 1, or text 838255\)\. In an emergency, call 911\./],
    // Round 3: US territories get 988, the Crown Dependencies Samaritans, and the block names them.
    ['America/Puerto_Rico', /in the US, Puerto Rico, Guam and the US Virgin Islands, call or text 988/],
    ['Pacific/Guam', /in the US, Puerto Rico, Guam and the US Virgin Islands, call or text 988/],
    ['America/St_Thomas', /in the US, Puerto Rico, Guam and the US Virgin Islands, call or text 988/],
    ['Europe/Jersey', /in the UK, Jersey, Guernsey and the Isle of Man, call Samaritans free on 116 123\./],
    ['Europe/Guernsey', /in the UK, Jersey, Guernsey and the Isle of Man, call Samaritans free on 116 123\./],
    ['Europe/Isle_of_Man', /in the UK, Jersey, Guernsey and the Isle of Man, call Samaritans free on 116 123\./],
    ['America/Toronto', /in Canada, call or text 988\. In an emergency, call 911\./],
    ['Europe/London', /in the UK, Jersey, Guernsey and the Isle of Man, call Samaritans free on 116 123\. In an emergency, call 999\./],
    ['Europe/Dublin', /in Ireland, call Samaritans free on 116 123\./],
    ['Australia/Perth', /in Australia, call Lifeline on 13 11 14\. In an emergency, call 000\./],
    ['Pacific/Auckland', /in New Zealand, call or text 1737\. In an emergency, call 111\./],
    ['Europe/Berlin', /in Germany, call TelefonSeelsorge free on 0800 111 0 111\. In an emergency, call 112\./],
    ['Europe/Paris', /find a free helpline in your country at findahelpline\.com https:\/\/findahelpline\.com\. In an emergency, call your local emergency number\./],
    ['UTC', /findahelpline\.com/],
    [undefined, /in the US, Puerto Rico, Guam and the US Virgin Islands, call or text 988/],
  ];

  it.each(cases)('%s', async (timezone, expected) => {
    for (const s of await renderAll({ timezone })) {
      expect(s.text, s.def.id).toMatch(expected);
      expect(s.text.match(/If you are in crisis/g), s.def.id).toHaveLength(1);
      if (!/988/.test(expected.source)) expect(s.text, s.def.id).not.toContain('988');
    }
  });

  it('maps zones through the time-zone library, so zones nobody listed by hand work too', () => {
    expect(crisisRegion({ timezone: 'America/Whitehorse' })).toBe('CA');
    expect(crisisRegion({ timezone: 'Australia/Lord_Howe' })).toBe('AU');
    expect(crisisRegion({ timezone: 'Europe/Belfast' })).toBe('GB');
    expect(crisisRegion({ timezone: 'US/Hawaii' })).toBe('US');
    expect(crisisRegion({ timezone: 'America/Puerto_Rico' })).toBe('US');
    expect(crisisRegion({ country: 'gu' })).toBe('US');
    expect(crisisRegion({ timezone: 'Europe/Isle_of_Man' })).toBe('GB');
    expect(crisisRegion({ country: 'JE' })).toBe('GB');
    expect(crisisRegion({ timezone: 'Asia/Kolkata' })).toBe('INTL');
    expect(crisisRegion({ timezone: 'Not/A_Zone' })).toBe('INTL');
    expect(crisisRegion({ country: 'nz', timezone: 'America/New_York' })).toBe('NZ');
    expect(crisisRegion({})).toBe('US');
  });

  it('email 7 adds the SAMHSA helpline in the US, and only there', async () => {
    const us = by(await renderAll({ timezone: 'America/Denver' }), '07-street-molly').text;
    expect(us).toContain('SAMHSA National Helpline on 1-800-662-4357');
    const uk = by(await renderAll({ timezone: 'Europe/London' }), '07-street-molly').text;
    expect(uk).not.toContain('SAMHSA');
    for (const s of await renderAll({ timezone: 'America/Denver' })) if (s.def.id !== '07-street-molly') expect(s.text).not.toContain('SAMHSA');
    expect(FIND_A_HELPLINE_URL).toBe('https://findahelpline.com');
  });
});

describe('a path to the clinic, and honest wording', () => {
  const CONSULT_LINE = 'A consult is an assessment, not a promise of treatment.';

  // The consult follow-up invites a booking in its first two emails; its last, on other paths, does not.
  const INVITING = ['05-mdma-and-ketamine', '08-next-steps', ...consultTemplates.map((t) => t.id).filter((id) => /^consult-[12]-/.test(id))];
  it('the consult button is in emails 5 and 8 and consult emails 1 and 2 when BOOKING_URL is set, and nowhere else', () => {
    for (const v of variants) {
      const set = v.name.endsWith('all set');
      for (const s of v.samples) {
        const expected = set && INVITING.includes(s.def.id);
        expect(s.html.includes(`href="${BOOKING_URL.replaceAll('&', '&amp;')}"`), `${v.name} ${s.def.id}`).toBe(expected);
        expect(s.text.includes(CONSULT_LINE), `${v.name} ${s.def.id}`).toBe(expected);
        if (expected) expect(s.text).toContain(`Book a consult with our ketamine program ${BOOKING_URL}`);
      }
    }
  });

  it('replies are invited only when REPLY_TO is set, with the line about health details', () => {
    for (const v of variants) {
      const set = v.name.endsWith('all set');
      for (const t of seriesTemplates) {
        const text = by(v.samples, t.id).text;
        expect(/reply to this email/i.test(text), `${v.name} ${t.id}`).toBe(set);
        if (set) expect(text).toContain('Please do not send health details by email');
      }
    }
  });

  it('the footer has the preference link beside unsubscribe, and the privacy contact, when set', () => {
    for (const t of seriesTemplates) {
      const s = by(variants[0]!.samples, t.id);
      expect(s.html).toMatch(/>Unsubscribe<\/a>(?:(?!<p)[\s\S])*<\/p><p[^>]*><a href="https:\/\/learn\.example\.org\/p\/tok-1"[^>]*>Manage your email preferences<\/a>/);
      expect(s.text).toContain('Manage your email preferences https://learn.example.org/p/tok-1');
      expect(s.text).toContain(`To ask for a copy of your data or for its deletion, contact ${PRIVACY}`);
      const bare = by(variants.at(-1)!.samples, t.id);
      expect(bare.text).not.toMatch(/preferences|deletion/);
    }
  });

  it('"one click" only for the mail program\'s own button; our link is called a link to a page', () => {
    for (const v of variants) {
      for (const s of v.samples) {
        const sentencesWithOneClick = s.text.split(/(?<=\.)\s+/).filter((x) => /one[- ]click/i.test(x));
        const expected = s.def.kind === 'sequence' ? ['If your mail program shows its own Unsubscribe button, that one works in one click.'] : [];
        expect(sentencesWithOneClick, `${v.name} ${s.def.id}`).toEqual(expected);
        expect(s.text).toContain('this link opens a page with a button that stops all our emails');
        expect(s.def.preheader).not.toMatch(/one[- ]click/i);
      }
    }
  });
});

describe('html for every client', () => {
  it('tables of data have a caption and scope on every header cell; layout tables are marked presentation', () => {
    for (const s of variants[0]!.samples) {
      for (const table of s.html.match(/<table(?![^>]*role="presentation")[\s\S]*?<\/table>/g) ?? []) {
        expect(table, s.def.id).toMatch(/<caption[^>]*>[^<]+<\/caption>/);
        const ths = table.match(/<th\b[^>]*>/g) ?? [];
        expect(ths.length).toBeGreaterThan(0);
        for (const th of ths) expect(th).toMatch(/scope="(col|row)"/);
      }
    }
  });

  it('every variant stays under 102 KB (Gmail clips larger messages)', () => {
    for (const v of variants) for (const s of v.samples) expect(Buffer.byteLength(s.html), `${v.name} ${s.def.id}`).toBeLessThan(102 * 1024);
  });

  it('declares both colour schemes and tags what the dark style recolours', () => {
    for (const s of variants[0]!.samples) {
      expect(s.html).toContain('<meta name="color-scheme" content="light dark"/>');
      expect(s.html).toContain('class="dm-page"');
      expect(s.html).toContain('class="dm-card"');
      // Every paragraph and heading of the card can be recoloured.
      for (const tag of s.html.match(/<(p|h1|h2|ul|ol)\b[^>]*>/g) ?? []) expect(tag, s.def.id).toMatch(/class="dm-/);
      for (const a of s.html.match(/<a\b[^>]*>/g) ?? []) expect(a, s.def.id).toMatch(/class="dm-(link|button)"/);
    }
  });
});

it('all templates are covered by the variants', () => {
  expect(variants[0]!.samples.map((s) => s.def.id)).toEqual(allTemplates.map((t) => t.id));
});
