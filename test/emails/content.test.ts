import fs from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { NOT_MEDICAL_ADVICE } from '../../emails/_components/footer.js';
import { KETAMINE_NOT_FOR_PTSD, KETAMINE_RISKS } from '../../emails/_components/parts.js';
import { SOURCES } from '../../emails/_components/sources.js';
import { allTemplates, sequenceTemplates } from '../../src/mail/render.js';
import { sentences } from '../helpers/claims.js';
import { withoutCitations } from '../helpers/readability.js';
import { renderAll, type Sample } from './rendered.js';

let samples: Sample[];
const byId = (id: string) => samples.find((s) => s.def.id === id)!;
const sentenceWith = (text: string, needle: string) => sentences(text).filter((s) => s.includes(needle));
// The plain text as a reader reads it, without the source citations beside the sentences (their own tests check those).
const textOf = (id: string) => withoutCitations(byId(id).text);

beforeAll(async () => {
  samples = await renderAll({
    firstName: 'Alex',
    unsubscribeUrl: 'https://learn.example.org/u/tok-123',
    postalAddress: 'Harbor Clinic, 9 Footer Lane, Springfield, ST 12345, USA',
  });
});

describe('every email carries the footer', () => {
  const parts = [
    'call or text 988',
    'Veterans: dial 988 then press 1, or text 838255',
    'In an emergency, call 911.',
    NOT_MEDICAL_ADVICE,
    'Harbor Clinic, 9 Footer Lane, Springfield, ST 12345, USA',
  ];

  it('the exact not-medical-advice line from the brief', () => {
    expect(NOT_MEDICAL_ADVICE).toBe('This email is for education and is not medical advice. Talk to a qualified clinician about your own care.');
  });

  it.each(allTemplates.map((t) => t.id))('%s: crisis line, not-medical-advice line, postal address, unsubscribe link', (id) => {
    const s = byId(id);
    for (const part of parts) {
      expect(s.text).toContain(part);
      expect(s.html.replaceAll('&#x27;', "'")).toContain(part);
    }
    expect(s.html).toMatch(/<a href="https:\/\/learn\.example\.org\/u\/tok-123"[^>]*>Unsubscribe<\/a>/);
    expect(s.text).toContain('Unsubscribe https://learn.example.org/u/tok-123');
  });
});

describe('the brief facts appear where the brief puts them', () => {
  it('email 3: MAPP1 exactly, with its source', () => {
    const t = textOf('03-what-the-trials-found');
    expect(sentenceWith(t, '67%')[0]).toMatch(/67% of people in the MDMA group no longer met PTSD criteria/);
    expect(sentenceWith(t, '32%')[0]).toMatch(/placebo|32% no longer met PTSD criteria/);
    expect(t).toContain('90 participants with severe PTSD (Mitchell et al., Nature Medicine, 2021)');
    expect(t).toContain('About 2 months after treatment');
    expect(t).toContain('d = 0.91');
  });

  it('email 3: MAPP2 exactly, with its source', () => {
    const t = textOf('03-what-the-trials-found');
    expect(t).toContain('104 participants with moderate to severe PTSD (Mitchell et al., Nature Medicine, 2023)');
    expect(sentenceWith(t, '71%')[0]).toMatch(/71% no longer met PTSD criteria, against 48% in the placebo group/);
    expect(sentenceWith(t, '46%')[0]).toMatch(/Remission was reached by 46% in the MDMA group and 21% in the placebo group/);
    expect(t).toContain('d = 0.7.');
    expect(t).toMatch(/hard to blind/);
    expect(t).toMatch(/Follow-up was short/);
  });

  it('the trial figures appear only in email 3, and always with their source', () => {
    for (const s of samples) {
      const figures = ['67%', '32%', '71%', '48%', '46%', 'd = 0.91', 'd = 0.7'].filter((f) => s.text.includes(f) || s.html.includes(f));
      if (s.def.id === '03-what-the-trials-found') expect(figures).toHaveLength(7);
      else expect(figures, s.def.id).toEqual([]);
    }
    const html = byId('03-what-the-trials-found').html;
    expect(html).toContain('Mitchell et al., Nature Medicine, 2021');
    expect(html).toContain('Mitchell et al., Nature Medicine, 2023');
  });

  it('email 4: the dated regulatory record', () => {
    const t = textOf('04-where-it-stands');
    expect(sentenceWith(t, 'August 2017')[0]).toMatch(/Breakthrough Therapy/);
    expect(t).toMatch(/June 4, 2024: an FDA advisory committee .* voted against it/);
    expect(t).toContain("9-2 against on whether it works, and 10-1 against on whether its benefits outweigh its risks with the FDA's proposed safety program, called REMS.");
    expect(t).toMatch(/August 9, 2024: the FDA declined to approve it/);
    expect(t).toContain('complete response letter');
    expect(t).toContain('another Phase 3 trial. Phase 3 is the last stage before a company can ask for approval.');
    expect(t).toMatch(/September 2025: the FDA published that letter/);
    expect(t).toMatch(/Australia: since July 1, 2023, specially authorised psychiatrists may prescribe MDMA for PTSD/);
    expect(t).toContain('It is available only inside clinical trials.');
  });

  it("email 4: the advisory committee's concerns, each of them", () => {
    const t = textOf('04-where-it-stands');
    expect(t).toContain('At the June 4, 2024 meeting, the concerns raised were these:');
    expect(t).toContain('Most participants could tell which group they were in, so their expectations may have shaped the results.');
    expect(t).toContain('Many participants had used MDMA before.');
    expect(t).toContain('Effects such as euphoria were not fully recorded. That matters for judging the risk of misuse.');
    expect(t).toContain('Effects on the heart, such as higher blood pressure and heart rate, needed more study.');
    expect(t).toContain('Nobody knows yet how long the benefit lasts.');
  });

  it("email 4: the retraction in the notice's words (journal, date, reasons), not softened", () => {
    const t = textOf('04-where-it-stands');
    expect(t).toContain('August 10, 2024: the journal Psychopharmacology retracted three earlier Phase 2 papers');
    expect(t).toContain('It cited protocol violations amounting to unethical conduct at one study site.');
    expect(t).toContain('The notice says the authors did not fully declare a competing interest.');
    expect(t).toContain(
      "It also says they knew of the protocol violations at that site when they submitted the papers, but neither disclosed them nor removed that site's data.",
    );
    expect(t).not.toMatch(/concerns about how the protocol was followed/);
  });

  it('emails 4 and 8: the US expanded-access program is closed; trials are the only route', () => {
    expect(textOf('04-where-it-stands')).toMatch(
      /expanded-access program for MDMA therapy, authorised in 2019\. It is now closed\. Clinical trials remain the only route in the United States\./,
    );
    expect(textOf('08-next-steps')).toMatch(/expanded-access program for MDMA therapy is closed, so in the United States trials are the only route/);
  });

  it('email 3: the added limits (prior MDMA use, questioned side-effect recording)', () => {
    const t = textOf('03-what-the-trials-found');
    expect(t).toContain('Many participants had taken MDMA before the trials');
    expect(t).toContain('The way side effects were recorded has been questioned.');
  });

  it('email 5: ketamine exactly: injection approval, nothing by mouth approved, compounding', () => {
    const t = textOf('05-mdma-and-ketamine');
    expect(t).toContain('Ketamine given by injection, into a vein or a muscle, has been FDA-approved as an anesthetic since 1970.');
    expect(t).toContain('No ketamine taken by mouth is FDA-approved for any use.');
    expect(t).toContain('Ketamine taken by mouth is usually made by a compounding pharmacy.');
    expect(t).toContain('Racemic ketamine, the kind our clinic offers by mouth, is not FDA-approved for any psychiatric condition.');
    expect(t).toMatch(/off-label/);
    // The bare "approved as an anesthetic" without the route is what the review flagged.
    expect(t).not.toContain('Ketamine has been FDA-approved as an anesthetic since 1970.');
  });

  it("email 5: Spravato's three labels as the brief words them, and REMS", () => {
    const t = textOf('05-mdma-and-ketamine');
    expect(t).toContain('2019: Spravato was approved for treatment-resistant depression in adults, together with an oral antidepressant.');
    expect(t).toContain(
      '2020: Spravato was approved for depressive symptoms in adults with major depressive disorder with acute suicidal thoughts or behaviour, also together with an oral antidepressant.',
    );
    expect(t).toContain('2025: Spravato was approved on its own, as monotherapy, for treatment-resistant depression in adults.');
    // Round 3: the 2020 label's limit, beside it.
    expect(t).toMatch(
      /2020: [^\n]*also together with an oral antidepressant\. Its label says it has not been shown to prevent suicide or to reduce suicidal thoughts or behaviour\. It does not replace hospital care when that is needed\./,
    );
    expect(t).toContain('Spravato is given only in certified settings, under a safety program called REMS.');
  });

  it('email 5: the FDA warning of October 10, 2023, and its three points', () => {
    const t = textOf('05-mdma-and-ketamine');
    expect(t).toMatch(/On October 10, 2023, the FDA warned patients and clinicians about compounded ketamine \S+, including forms taken by mouth/);
    expect(t).toContain('Ketamine is not FDA-approved for any psychiatric disorder.');
    expect(t).toContain('The FDA does not check compounded products for safety, effectiveness or quality.');
    expect(t).toContain('Using ketamine at home, with no one monitoring you, adds risk.');
  });

  it('email 5: mechanism, session length and the felt difference', () => {
    const t = textOf('05-mdma-and-ketamine');
    expect(t).toMatch(/about 8 hours/);
    // Round 3: ketamine's sessions as the brief words them, Spravato's watch time beside them.
    expect(t).toContain('Ketamine sessions take a few hours. After each Spravato dose you are watched for at least 2 hours.');
    expect(t).not.toMatch(/1 to 2 hours|1-2 hours/);
    expect(t).toMatch(/glutamate, through what are called NMDA receptors/);
    expect(t).toMatch(
      /Ketamine tends to make people feel detached[\s\S]*dissociation[\s\S]*MDMA tends to bring a sense of emotional closeness and openness[\s\S]*empathogen[\s\S]*trust with the therapists/,
    );
  });

  it("ketamine's risks wherever ketamine is offered or compared; 'not an established PTSD treatment' wherever the clinic's program is", () => {
    for (const s of samples) {
      const body = s.text.split('If you are in crisis')[0]!;
      const mentions = sentences(body).filter((x) => /ketamine/i.test(x) && !x.startsWith('Next time:'));
      if (mentions.length === 0) continue;
      expect(body, s.def.id).toContain(KETAMINE_RISKS);
      if (/our clinic|we offer|our ketamine/i.test(body)) expect(body, s.def.id).toContain(KETAMINE_NOT_FOR_PTSD);
    }
    // The clinic's program comes up in emails 1, 5 and 8.
    for (const id of ['01-welcome', '05-mdma-and-ketamine', '08-next-steps']) {
      expect(byId(id).text).toContain(KETAMINE_RISKS);
      expect(byId(id).text).toContain(KETAMINE_NOT_FOR_PTSD);
    }
    expect(KETAMINE_RISKS).toMatch(
      /dissociation[\s\S]*sedation[\s\S]*raised blood pressure[\s\S]*slowed breathing[\s\S]*misuse and dependence[\s\S]*bladder and urinary problems with heavy use/,
    );
  });

  it('email 8: trials search, trauma-focused therapies beside sertraline and paroxetine, the clinic with its caveats', () => {
    const t = textOf('08-next-steps');
    expect(t).toContain(SOURCES.clinicalTrialsSearch.url);
    expect(t).toMatch(/Prolonged exposure[\s\S]*Cognitive processing therapy[\s\S]*EMDR[\s\S]*Two medicines have FDA approval for PTSD: sertraline and paroxetine\./);
    expect(t).toContain('not FDA-approved for any psychiatric condition');
    expect(t).toContain(SOURCES.fdaKetamineWarning.url);
  });

  it('the other emails cover their topics', () => {
    const t = (id: string) => textOf(id);
    expect(t('01-welcome')).toContain('3,4-methylenedioxymethamphetamine');
    expect(t('01-welcome')).toMatch(/"entactogen" or "empathogen"/);
    expect(t('01-welcome')).toMatch(/being explored/);
    expect(t('02-how-the-treatment-works')).toMatch(/about 3 sessions[\s\S]*3 in total[\s\S]*about 8 hours[\s\S]*about 9 sessions in total/);
    expect(t('02-how-the-treatment-works')).toContain('therapeutic alliance');
    expect(t('06-safety')).toMatch(/MAOIs/);
    expect(t('06-safety')).toMatch(/SSRIs/);
    expect(t('06-safety')).toMatch(/pregnancy/);
    expect(t('07-street-molly')).toContain('The most common substitutes are synthetic cathinones (sometimes sold as "bath salts") and methamphetamine.');
    expect(t('07-street-molly')).toContain('Fentanyl is rare in tested Molly, but it has been found.');
    expect(t('07-street-molly')).toContain('Taking MDMA alone is not therapy.');
  });
});

describe('html that mail clients render well', () => {
  it.each(allTemplates.map((t) => t.id))('%s', (id) => {
    const { html, text, def } = byId(id);
    expect(html).toMatch(/^<!DOCTYPE html/);
    expect(html).toContain('<html dir="ltr" lang="en">');
    expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1"/>');
    expect(html).toContain('max-width:600px;width:100%');
    expect(html).toContain(`<title>${def.subject.replaceAll("'", '&#x27;')}</title>`);
    // The preheader is the first text in the body, hidden.
    expect(html).toMatch(new RegExp(`data-skip-in-text="true">${escapeRe(def.preheader.replaceAll("'", '&#x27;').replaceAll('"', '&quot;'))}`));
    expect(text).not.toContain(def.preheader);
    // No images, remote fonts, stylesheets, scripts or tracking pixels; one
    // style block, the dark scheme, in the head.
    expect(html).not.toMatch(/<img|<link|<script|@import|@font-face|url\(/i);
    expect(html.match(/<style/g)).toHaveLength(1);
    expect(html).toMatch(/<head>[\s\S]*<style>@media \(prefers-color-scheme: dark\) \{[^<]*\}<\/style><\/head>/);
    // Every link absolute: our own under PUBLIC_URL, or https elsewhere.
    const hrefs = [...html.matchAll(/href="([^"]*)"/g)].map((m) => m[1]!);
    expect(hrefs.length).toBeGreaterThan(0);
    for (const href of hrefs) expect(href).toMatch(/^(http:\/\/localhost:3000\/?|https:\/\/learn\.example\.org\/|https:\/\/)/);
    // Gmail clips messages over 102 KB.
    expect(Buffer.byteLength(html)).toBeLessThan(100_000);
    expect(text).not.toMatch(/undefined|null|\[object Object\]/);
    expect(text).toContain('Hi Alex,');
  });

  it('a blank or missing first name greets "Hi there,"', async () => {
    for (const firstName of [undefined, '', '   ']) {
      for (const s of await renderAll({ firstName })) {
        expect(s.text).toContain('Hi there,');
        expect(s.html).toContain('Hi there,');
      }
    }
  });
});

describe('subjects and preheaders are written for a person', () => {
  it.each(allTemplates.map((t) => [t.id, t.subject, t.preheader]))('%s', (_id, subject, preheader) => {
    expect(subject.length).toBeGreaterThan(10);
    expect(subject.length).toBeLessThanOrEqual(60);
    expect(preheader.length).toBeGreaterThanOrEqual(40);
    expect(preheader.length).toBeLessThanOrEqual(150);
    for (const s of [subject, preheader]) {
      expect(s).not.toMatch(/!|\$|\bfree\b|act now|limited time|urgent|click here|guarantee/i);
      // No shouting: capitals only in acronyms.
      for (const word of s.match(/\b[A-Z]{2,}\b/g) ?? []) expect(['MDMA', 'FDA', 'PTSD', 'US']).toContain(word);
    }
    expect(preheader).not.toBe(subject);
  });

  it('email 1\'s preheader says "in research trials"', () => {
    expect(sequenceTemplates[0].preheader).toContain('in research trials');
  });

  // A preheader is read alone in the inbox list, so one that talks about the
  // treatment must place it in trials (or say it is not available).
  it.each(allTemplates.map((t) => [t.id, t.preheader]))('%s: the preheader does not read as if MDMA therapy were available', (_id, preheader) => {
    expect(preheader).not.toMatch(/\b(book|offer|get (it|MDMA)|start (your )?treatment|now available|available (now|today))\b/i);
    if (/\b(MDMA|treatment|therapy|sessions?)\b/i.test(preheader) && !/\bPTSD treatments\b/.test(preheader)) {
      expect(preheader).toMatch(/\b(trials?|research)\b/i);
    }
  });

  it('subjects are all different', () => {
    expect(new Set(allTemplates.map((t) => t.subject)).size).toBe(allTemplates.length);
  });
});

describe('the emails directory', () => {
  it('every top-level template file is registered, and the sequence files sort in sequence order', () => {
    const files = fs
      .readdirSync(new URL('../../emails/', import.meta.url))
      .filter((f) => f.endsWith('.tsx'))
      .map((f) => f.replace(/\.tsx$/, ''))
      .sort();
    expect(files).toEqual(allTemplates.map((t) => t.id).sort());
    expect(files.filter((f) => /^\d\d-/.test(f))).toEqual(sequenceTemplates.map((t) => t.id));
  });

  it('each template has sample props and a version', () => {
    for (const t of allTemplates) {
      expect(t.previewProps).toBeTruthy();
      expect(t.version).toMatch(/^[0-9a-f]{12}$/);
    }
    expect(new Set(allTemplates.map((t) => t.version)).size).toBe(allTemplates.length);
  });
});

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
