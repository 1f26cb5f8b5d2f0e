// The frame of a sequence email knows where the email stands in its series:
// "Email N of M" comes from the place the caller gives (the catalog), and
// only the education emails fall back to their step of the eight.
import { describe, expect, it } from 'vitest';
import { kickerFor, SEQUENCE_LENGTH } from '../../emails/_components/layout.js';
import { isPlaceInSeries, sampleProps } from '../../emails/_components/props.js';
import { createRenderCache, renderDirect, sequenceTemplates, type TemplateDef } from '../../src/mail/render.js';
import { sequenceProps } from '../../src/nurture/email-props.js';
import { testConfig } from '../helpers/app.js';

const KICKER = /Email \d+ of \d+/g;
const kickersOf = (html: string, text: string) => ({ html: html.match(KICKER) ?? [], text: text.match(KICKER) ?? [] });

describe('"Email N of M"', () => {
  it('prints the place it is given: "Email 2 of 3"', async () => {
    for (const def of sequenceTemplates) {
      const { html, text } = await renderDirect(def as TemplateDef<any>, { ...def.previewProps, place: { position: 2, total: 3 } });
      expect(kickersOf(html, text), def.id).toEqual({ html: ['Email 2 of 3'], text: ['Email 2 of 3'] });
    }
  });

  it('without a place, each education email keeps "Email N of 8" from its step', async () => {
    expect(SEQUENCE_LENGTH).toBe(8);
    for (const [i, def] of sequenceTemplates.entries()) {
      const { html, text } = await renderDirect(def as TemplateDef<any>, { ...def.previewProps });
      expect(kickersOf(html, text), def.id).toEqual({ html: [`Email ${i + 1} of 8`], text: [`Email ${i + 1} of 8`] });
    }
  });

  it('a place that cannot be printed (not whole, zero, past the end) counts as none', async () => {
    for (const place of [{ position: 0, total: 3 }, { position: 4, total: 3 }, { position: 1.5, total: 3 }, { position: 1, total: Number.NaN }, null]) {
      expect(isPlaceInSeries(place), JSON.stringify(place)).toBe(false);
      const def = sequenceTemplates[2] as TemplateDef<any>;
      const { text } = await renderDirect(def, { ...def.previewProps, place });
      expect(text.match(KICKER)).toEqual(['Email 3 of 8']);
    }
    expect(isPlaceInSeries({ position: 3, total: 3 })).toBe(true);
    expect(kickerFor({ position: 1, total: 11 })).toBe('Email 1 of 11');
  });

  it('the render cache keys on the place: each place its own line, equal to a direct render', async () => {
    const cache = createRenderCache();
    const def = sequenceTemplates[0] as TemplateDef<any>;
    for (const place of [undefined, { position: 1, total: 8 }, { position: 1, total: 3 }, { position: 2, total: 3 }]) {
      const props = { ...sampleProps, ...(place ? { place } : {}) };
      const [cached, direct] = await Promise.all([cache.render(def, props), renderDirect(def, props)]);
      expect(cached).toMatchObject(direct);
      expect(cached.text.match(KICKER)).toEqual([place ? `Email ${place.position} of ${place.total}` : 'Email 1 of 8']);
    }
  });

  it('sequenceProps passes the place through, and leaves it out when not given', () => {
    const config = testConfig();
    const r = { firstName: 'Ria', timezone: 'UTC', reader: null, source: null, consentSource: null, consentVersion: null, consentGivenAt: null };
    const links = { unsubscribeUrl: `${config.publicUrl}/u/t`, preferencesUrl: `${config.publicUrl}/p/t` };
    expect(sequenceProps(config, r, links, { position: 2, total: 3 }).place).toEqual({ position: 2, total: 3 });
    expect('place' in sequenceProps(config, r, links)).toBe(false);
  });
});
