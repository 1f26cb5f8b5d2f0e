// The consult follow-up series (content brief, round 3): what each of its
// three emails must say, and the frame that names the series. The rules of
// the eight (claims, reading grade, sources, crisis lines, reader
// paragraphs, contrast) run over these emails in the other tests here.
import { beforeAll, describe, expect, it } from 'vitest';
import { USUALLY_NOT_OFFERED } from '../../emails/consult-1-what-a-consult-is.js';
import { QUESTIONS } from '../../emails/consult-2-questions-to-ask.js';
import { LAST_OF_SERIES } from '../../emails/consult-3-other-paths.js';
import { KETAMINE_NOT_FOR_PTSD, KETAMINE_RISKS } from '../../emails/_components/parts.js';
import { SERIES_NAMES } from '../../emails/_components/series.js';
import { SOURCES, type SourceId } from '../../emails/_components/sources.js';
import { allTemplates, consultTemplates, sequenceTemplate, sequenceTemplates, type TemplateDef } from '../../src/mail/render.js';
import { htmlToReadableText } from '../helpers/claims.js';
import { withoutCitations } from '../helpers/readability.js';
import { renderAll, type Sample } from './rendered.js';

const PREFS = 'https://learn.example.org/p/tok-9';
let samples: Sample[];
beforeAll(async () => {
  samples = await renderAll({ preferencesUrl: PREFS });
});

const by = (id: string) => samples.find((s) => s.def.id === id)!;
/** The body a reader reads, without the footer and without citations. */
const bodyOf = (id: string) => withoutCitations(by(id).text.split('If you are in crisis')[0]!);
/** The footer, after the crisis block. */
const footerOf = (id: string) => by(id).text.slice(by(id).text.indexOf('If you are in crisis'));
const escapeAmp = (url: string) => url.replaceAll('&', '&amp;');
/** The html paragraph or list item that holds `needle`. */
function blockWith(html: string, needle: string): string {
  const blocks = [...html.matchAll(/<(p|li)\b[^>]*>[\s\S]*?<\/\1>/g)].map((m) => m[0]);
  const found = blocks.filter((b) => htmlToReadableText(b).replace(/\s+/g, ' ').includes(needle));
  expect(found, needle).toHaveLength(1);
  return found[0]!;
}
const links = (block: string, id: SourceId) => block.includes(`href="${escapeAmp(SOURCES[id].url)}"`);

const CONSULT_1 = 'consult-1-what-a-consult-is';
const CONSULT_2 = 'consult-2-questions-to-ask';
const CONSULT_3 = 'consult-3-other-paths';

describe('the consult follow-up in the catalog of templates', () => {
  it('its emails are sequence templates of the consult-follow-up series, listed after the eight; the eight stay the education series', () => {
    expect(consultTemplates.map((t) => t.id)).toEqual(consultTemplates.map((t) => t.id).filter((id) => id.startsWith('consult-')).sort());
    expect(consultTemplates[0]!.id).toBe(CONSULT_1);
    for (const t of consultTemplates) expect(t).toMatchObject({ kind: 'sequence', series: 'consult-follow-up' });
    expect(sequenceTemplates).toHaveLength(8);
    for (const t of sequenceTemplates) expect(t.series).toBe('education');
    expect(allTemplates.map((t) => t.id)).toEqual(['confirmation', ...sequenceTemplates.map((t) => t.id), ...consultTemplates.map((t) => t.id)]);
    // The worker and the previews find a consult email by its id, as they find the eight.
    for (const t of consultTemplates) expect(sequenceTemplate(t.id)).toBe(t);
    expect(() => sequenceTemplate('consult-9-none')).toThrow(/unknown sequence template/);
  });
});

describe('the frame names the series', () => {
  it('the masthead names the consult series in its emails and the education series in the eight', () => {
    expect(SERIES_NAMES['consult-follow-up']).toBe('Before your consult');
    for (const s of samples.filter((x) => x.def.kind === 'sequence')) {
      const own = SERIES_NAMES[s.def.series!];
      const other = SERIES_NAMES[s.def.series === 'education' ? 'consult-follow-up' : 'education'];
      expect(s.text.split('\n').slice(0, 4).join('\n'), s.def.id).toContain(own);
      expect(s.html, s.def.id).toContain(`>${own}</p>`);
      expect(s.text, s.def.id).not.toContain(other);
    }
  });

  it('the footer says why a consult email comes (a booking link clicked, or staff), and how to leave this series and keep the others', () => {
    for (const t of consultTemplates) {
      const footer = footerOf(t.id);
      expect(footer).toContain(
        'You are getting this email because you clicked the link to book a consult in one of our emails, or because our staff added you to this short series.',
      );
      expect(footer).toContain(`You can leave this series and keep our other emails on your preference page ${PREFS}.`);
      expect(by(t.id).html).toMatch(new RegExp(`keep our other emails on(<!-- -->)? <a href="${PREFS}"[^>]*>your preference page</a>`));
      expect(footer).not.toMatch(/you signed up at|you agreed to receive/);
    }
    // The eight keep theirs.
    for (const t of sequenceTemplates) expect(footerOf(t.id)).not.toMatch(/book a consult|leave this series/);
  });

  it('"Email N of M" comes only from the place the caller gives: none without it, "Email 2 of 3" with it', async () => {
    for (const t of consultTemplates) expect(by(t.id).text, t.id).not.toMatch(/Email \d+ of \d+/);
    for (const s of await renderAll({ place: { position: 2, total: 3 } })) {
      if (s.def.kind !== 'sequence') continue;
      expect(s.text.match(/Email \d+ of \d+/g), s.def.id).toEqual(['Email 2 of 3']);
      expect(s.html.match(/Email \d+ of \d+/g), s.def.id).toEqual(['Email 2 of 3']);
    }
  });
});

describe('consult email 1: what a consult is', () => {
  it('an assessment of health, history and medicines, not a promise of treatment', () => {
    const t = bodyOf(CONSULT_1);
    expect(t).toContain('It is an assessment, not a promise of treatment.');
    expect(t).toContain('The clinician asks about your health, your history and the medicines you take.');
  });

  it('what to have at hand: the medicines, past treatments and how they went, questions', () => {
    const t = bodyOf(CONSULT_1);
    expect(t).toMatch(/What to have at hand/i);
    expect(t).toContain('a list of the medicines you take');
    expect(t).toContain('the treatments you have had before, and how they went');
    expect(t).toMatch(/your questions, written down/);
  });

  it('you can decide against treatment at any point', () => {
    expect(bodyOf(CONSULT_1)).toContain('You can decide against treatment at any point');
  });

  it('names each exclusion, with the Spravato label linked beside the list, and says the consult decides', () => {
    const t = bodyOf(CONSULT_1);
    const { html } = by(CONSULT_1);
    expect(USUALLY_NOT_OFFERED).toEqual([
      'a history of psychosis',
      'blood pressure that is not under control',
      'aneurysmal vascular disease (a weak, bulging blood vessel) or a past bleed in the brain',
      'pregnancy',
      'active misuse of drugs or alcohol',
    ]);
    for (const item of USUALLY_NOT_OFFERED) expect(t).toContain(` * ${item}`);
    // The paragraph that introduces the list names and links the label.
    const intro = blockWith(html, 'People are usually not offered ketamine if they have:');
    expect(htmlToReadableText(intro)).toMatch(/label of Spravato/);
    expect(links(intro, 'spravatoLabel')).toBe(true);
    expect(html.indexOf(intro)).toBeLessThan(html.indexOf('a history of psychosis'));
    expect(t).toContain('The consult decides, not this email.');
  });

  it('fair balance: ketamine\'s risks, not a PTSD treatment, the clinic\'s oral ketamine off-label with the FDA warning linked', () => {
    const t = bodyOf(CONSULT_1);
    expect(t).toContain(KETAMINE_RISKS);
    expect(t).toContain(KETAMINE_NOT_FOR_PTSD);
    const offLabel = blockWith(by(CONSULT_1).html, 'The ketamine our clinic offers by mouth is used off-label');
    expect(htmlToReadableText(offLabel)).toMatch(/not FDA-approved for any psychiatric condition/);
    expect(links(offLabel, 'fdaKetamineWarning')).toBe(true);
  });
});

describe('consult email 2: questions to ask any ketamine provider', () => {
  it('asks each of the five questions, as a heading, and says they are for any provider, this clinic included', () => {
    const t = bodyOf(CONSULT_2);
    expect(QUESTIONS).toEqual([
      'Who assesses me, and how?',
      'How are sessions supervised, and who do I call in an emergency?',
      'Is the ketamine compounded, and where does it come from?',
      'What follow-up and therapy come with it?',
      'What does it cost, and what does insurance cover?',
    ]);
    let at = -1;
    for (const q of QUESTIONS) {
      const i = t.indexOf(`\n${q.toUpperCase()}\n`);
      expect(i, q).toBeGreaterThan(at);
      at = i;
    }
    expect(t).toContain('it is worth asking any provider the same questions. That includes our clinic.');
    expect(t).toContain('Ask who to call if something goes wrong');
  });

  it("links the FDA's 2023 compounded-ketamine warning beside the compounding question, and says what it found", () => {
    const { html } = by(CONSULT_2);
    const block = blockWith(html, 'On October 10, 2023, the FDA warned patients and clinicians about compounded ketamine.');
    expect(links(block, 'fdaKetamineWarning')).toBe(true);
    const t = htmlToReadableText(block).replace(/\s+/g, ' ');
    expect(t).toContain('No ketamine taken by mouth is FDA-approved for any use.');
    expect(t).toContain('the FDA does not check compounded products for safety, effectiveness or quality');
    expect(t).toContain('ask whether the ketamine is compounded, and which pharmacy makes it');
    // The clinic's own oral ketamine, said plainly beside it.
    const ours = blockWith(html, 'The ketamine our clinic offers by mouth is used off-label');
    expect(links(ours, 'fdaKetamineWarning')).toBe(true);
    expect(htmlToReadableText(ours)).toContain(KETAMINE_NOT_FOR_PTSD);
  });

  it("supervision: the FDA's home-use warning and Spravato's watch time, each linked", () => {
    const block = blockWith(by(CONSULT_2).html, 'using ketamine at home, with no one monitoring you, adds risk');
    expect(links(block, 'fdaKetamineWarning')).toBe(true);
    expect(links(block, 'spravatoLabel')).toBe(true);
    expect(htmlToReadableText(block).replace(/\s+/g, ' ')).toMatch(/after each Spravato dose you are watched for at least 2 hours/);
  });

  it('covers follow-up and therapy, the cost, and insurance: Spravato may be covered, compounded oral ketamine usually is not', () => {
    const t = bodyOf(CONSULT_2);
    expect(t).toContain('Ask whether therapy is part of the program, and who gives it.');
    expect(t).toContain('Ask for the full cost');
    expect(t).toContain('Spravato may be covered by insurance. Compounded ketamine taken by mouth usually is not.');
    expect(t).toContain(KETAMINE_RISKS);
  });
});

describe('consult email 3: other paths, and how to choose', () => {
  it('names PE, CPT and EMDR as the first-line PTSD treatments', () => {
    const t = bodyOf(CONSULT_3);
    expect(t).toContain('For PTSD, trauma-focused therapies are the first-line treatments.');
    expect(t).toMatch(/first-line treatments[\s\S]*Prolonged exposure \(PE\)[\s\S]*Cognitive processing therapy \(CPT\)[\s\S]*EMDR \(eye movement desensitization and reprocessing\)/);
  });

  it('names sertraline and paroxetine as the two FDA-approved PTSD medicines, each label linked', () => {
    const block = blockWith(by(CONSULT_3).html, 'Two medicines have FDA approval for PTSD: sertraline and paroxetine');
    expect(links(block, 'sertralineLabel')).toBe(true);
    expect(links(block, 'paroxetineLabel')).toBe(true);
  });

  it('MDMA only in trials in the United States, sourced, with the ClinicalTrials.gov search linked', () => {
    const block = blockWith(by(CONSULT_3).html, 'In the United States, it is available only inside clinical trials');
    expect(htmlToReadableText(block)).toContain('MDMA-assisted therapy is not approved by the FDA.');
    expect(links(block, 'fdaCompleteResponse')).toBe(true);
    expect(links(block, 'clinicalTrialsSearch')).toBe(true);
    expect(by(CONSULT_3).text).toContain(SOURCES.clinicalTrialsSearch.url);
  });

  it('ketamine is not an established PTSD treatment; the clinic\'s oral ketamine is off-label; its risks are named', () => {
    const t = bodyOf(CONSULT_3);
    expect(t).toContain(KETAMINE_NOT_FOR_PTSD);
    expect(t).toContain(KETAMINE_RISKS);
    expect(links(blockWith(by(CONSULT_3).html, 'The ketamine our clinic offers by mouth is used off-label'), 'fdaKetamineWarning')).toBe(true);
  });

  it('says it is the last of this series, and that the education series goes on for those in it', () => {
    expect(LAST_OF_SERIES).toBe(
      'This is the last email of this short series. If you also get our education series about MDMA-assisted therapy, those emails carry on as before.',
    );
    expect(bodyOf(CONSULT_3)).toContain(LAST_OF_SERIES);
    for (const t of consultTemplates.filter((x) => x.id !== CONSULT_3)) expect(bodyOf(t.id), t.id).not.toMatch(/This is the last email/);
  });

  it('the series has three emails, in the order of the brief', () => {
    expect(consultTemplates.map((t) => t.id)).toEqual([CONSULT_1, CONSULT_2, CONSULT_3]);
  });
});

it('every consult email renders with its sample props', () => {
  for (const t of consultTemplates) expect((t as TemplateDef<any>).previewProps).toBeTruthy();
});
