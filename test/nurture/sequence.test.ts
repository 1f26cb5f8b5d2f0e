import { describe, expect, it } from 'vitest';
import { buildCatalog, FIRST_VERSION, SEQUENCE_VERSIONS, VERSION_PLANS } from '../../src/nurture/sequence.js';
import { renderSequenceEmail, sequenceTemplates } from '../../src/mail/render.js';
import type { QueueStep } from '../../src/nurture/decide.js';
import type { RenderSequence } from '../../src/nurture/tick.js';

const SEQUENCE = FIRST_VERSION.steps;
const getStep = (id: number) => SEQUENCE.find((s) => s.step === id);

describe('the sequence as data', () => {
  it('has the eight steps of the brief, in order, on the brief days', () => {
    expect(SEQUENCE).toHaveLength(8);
    expect(SEQUENCE.map((s) => s.position)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(SEQUENCE.map((s) => s.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(SEQUENCE.map((s) => s.dayOffset)).toEqual([0, 2, 4, 7, 10, 14, 18, 21]);
    expect(SEQUENCE.map((s) => s.delayDays)).toEqual([0, 2, 2, 3, 3, 4, 4, 3]);
    expect(SEQUENCE.map((s) => s.templateId)).toEqual(sequenceTemplates.map((t) => t.id));
  });

  it('delays add up to the days after confirmation', () => {
    let day = 0;
    for (const s of SEQUENCE) {
      day += s.delayDays;
      expect(day).toBe(s.dayOffset);
    }
  });

  it('covers the brief topics in the brief order', () => {
    expect(SEQUENCE.map((s) => s.subject)).toEqual([
      "Welcome: what MDMA-assisted therapy is (and isn't)",
      'How the research treatment works',
      'What the trials found',
      'Where MDMA therapy stands: the FDA and the world',
      'MDMA and ketamine: how they differ',
      'Safety, side effects and who should not take part',
      'Why street Molly is not therapy',
      'Your next steps',
    ]);
  });

  it('each step carries its template, preheader and version', () => {
    for (const [i, s] of SEQUENCE.entries()) {
      const t = sequenceTemplates[i]!;
      expect(s).toMatchObject({ subject: t.subject, preheader: t.preheader, templateVersion: t.version });
      expect(s.component).toBe(t.component);
    }
  });

  it('version 1 is the only version so far, and the first one', () => {
    expect(SEQUENCE_VERSIONS.map((v) => v.version)).toEqual([1]);
    expect(FIRST_VERSION.version).toBe(1);
  });

  it('a step renders with its own subject and an "Email n of 8" line', async () => {
    const step = getStep(5)!;
    const r = await renderSequenceEmail(step, {
      publicUrl: 'https://learn.example.org',
      unsubscribeUrl: 'https://learn.example.org/u/t',
      postalAddress: 'Addr',
      clinicName: 'Harbor Clinic',
    });
    expect(r.subject).toBe(step.subject);
    expect(r.templateVersion).toBe(step.templateVersion);
    expect(r.text).toContain('Email 5 of 8');
    expect(r.text).toContain('Hi there,');
  });
});

describe('the sequence fits the worker', () => {
  it('steps are schedule steps and queue steps (step, dayOffset, templateId, subject)', () => {
    const steps: readonly QueueStep[] = SEQUENCE;
    expect(steps[3]).toMatchObject({ step: 4, dayOffset: 7, templateId: '04-where-it-stands' });
  });

  it('renderSequenceEmail is the render function the worker takes', async () => {
    const render: RenderSequence = renderSequenceEmail;
    const r = await render(getStep(8)!, { firstName: 'Kim', publicUrl: 'https://learn.example.org', unsubscribeUrl: 'https://learn.example.org/u/x', postalAddress: 'Addr', clinicName: 'Harbor Clinic' });
    expect(r.templateVersion).toBe(getStep(8)!.templateVersion);
    expect(r.text).toContain('sign up at https://learn.example.org');
    expect(r.text).toContain('Hi Kim,');
  });

  it('an unknown template id is an error, not a blank email', async () => {
    await expect(renderSequenceEmail({ templateId: '99-nope' }, { publicUrl: 'https://x.org', unsubscribeUrl: 'https://x.org/u/1', postalAddress: 'A', clinicName: 'Harbor Clinic' })).rejects.toThrow(/unknown sequence template/);
  });
});

describe('versions as written in the code are checked', () => {
  const steps = VERSION_PLANS[0]!.steps;
  it('step ids are unique positive integers', () => {
    expect(() => buildCatalog([{ version: 1, summary: 'x', steps: [steps[0]!, { ...steps[1]!, id: 1 }] }])).toThrow(/step id 1/);
    expect(() => buildCatalog([{ version: 1, summary: 'x', steps: [{ ...steps[0]!, id: 0 }] }])).toThrow(/step id 0/);
  });

  it('days never go backwards within a version', () => {
    expect(() => buildCatalog([{ version: 1, summary: 'x', steps: [steps[1]!, steps[0]!] }])).toThrow(/comes before/);
  });

  it('version numbers increase', () => {
    expect(() => buildCatalog([{ version: 2, summary: 'x', steps }, { version: 2, summary: 'y', steps }])).toThrow(/must increase/);
  });
});
