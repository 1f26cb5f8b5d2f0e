import { beforeAll, describe, expect, it } from 'vitest';
import { allTemplates } from '../../src/mail/render.js';
import { fleschKincaidGrade, syllables } from '../helpers/readability.js';
import { renderAll, type Sample } from './rendered.js';

let samples: Sample[];
beforeAll(async () => {
  samples = await renderAll();
});

describe('reading level', () => {
  it('the syllable counter is close enough to judge by', () => {
    expect([syllables('the'), syllables('therapy'), syllables('education'), syllables('sessions'), syllables('made')]).toEqual([1, 3, 4, 2, 1]);
    expect(fleschKincaidGrade('The cat sat on the mat. It was warm.')).toBeLessThan(3);
    expect(fleschKincaidGrade('Methylenedioxymethamphetamine-assisted psychotherapeutic interventions demonstrate considerable heterogeneity regarding methodological characteristics.')).toBeGreaterThan(20);
  });

  // The brief asks for grade 8. The body is measured without the footer; the
  // drug's chemical name is left out, as a reader is not expected to say it.
  it.each(allTemplates.map((t) => t.id))('%s reads at grade 8 or below', (id) => {
    const body = samples.find((s) => s.def.id === id)!.text.split('If you are in crisis')[0]!.replace('3,4-methylenedioxymethamphetamine', 'MDMA');
    expect(fleschKincaidGrade(body)).toBeLessThanOrEqual(8);
  });
});
