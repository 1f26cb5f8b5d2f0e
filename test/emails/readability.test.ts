import { beforeAll, describe, expect, it } from 'vitest';
import { allTemplates } from '../../src/mail/render.js';
import { sentences } from '../helpers/claims.js';
import { fleschKincaidGrade, proseOf, syllables, withoutCitations } from '../helpers/readability.js';
import { renderAll, type Sample } from './rendered.js';

const READERS = ['self', 'supporter', 'professional'] as const;
const SETTINGS = ['in-clinic', 'at-home-remote'] as const;
let samples: Record<string, Sample[]>;
beforeAll(async () => {
  samples = {};
  // Every paragraph a reader can get: each reader type, each session setting, the consult button and the reply line.
  for (const reader of READERS) {
    for (const sessionSetting of SETTINGS) {
      samples[`${reader} ${sessionSetting}`] = await renderAll({ reader, sessionSetting, bookingUrl: 'https://clinic.example.org/book', replyTo: 'team@example.org' });
    }
  }
});

describe('reading level', () => {
  it('the syllable counter is close enough to judge by', () => {
    expect([syllables('the'), syllables('therapy'), syllables('education'), syllables('sessions'), syllables('made')]).toEqual([1, 3, 4, 2, 1]);
    expect(fleschKincaidGrade('The cat sat on the mat. It was warm.')).toBeLessThan(3);
    expect(fleschKincaidGrade('Methylenedioxymethamphetamine-assisted psychotherapeutic interventions demonstrate considerable heterogeneity regarding methodological characteristics.')).toBeGreaterThan(20);
  });

  it('measures the prose: paragraphs without headings, lists, tables, greeting, sign-off, footer or citations', () => {
    const html =
      '<td class="dm-card"><p>Hi Alex,</p><h2>A heading</h2><p>One short line (source: <a href="x">Label (with parens)</a>).</p><ul><li>a list item</li></ul>' +
      '<table data-skip-in-text="true"><tr><td>67%</td></tr></table><p>Sources: <a href="y">z</a>.</p><p>Warmly,<br/>The team</p></td><p>If you are in crisis</p>';
    expect(proseOf(html)).toBe('One short line.');
    expect(withoutCitations('A (source: B (C) D). E (sources: F; G).')).toBe('A. E.');
  });

  // The brief asks for grade 8 (Flesch-Kincaid) on prose sentences. Lists
  // and headings are fragments that would pull the average down, so only
  // paragraphs count.
  it.each(READERS.flatMap((r) => SETTINGS.flatMap((setting) => allTemplates.map((t) => [t.id, r, setting] as const))))(
    '%s: its prose reads at grade 8 or below (reader: %s, sessions: %s)',
    (id, reader, setting) => {
      const prose = proseOf(samples[`${reader} ${setting}`]!.find((s) => s.def.id === id)!.html);
      expect(sentences(prose).length, 'the measure sees the prose').toBeGreaterThan(3);
      expect(fleschKincaidGrade(prose)).toBeLessThanOrEqual(8);
    },
  );
});
