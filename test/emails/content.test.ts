import fs from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { NOT_MEDICAL_ADVICE } from '../../emails/_components/footer.js';
import { allTemplates, sequenceTemplates } from '../../src/mail/render.js';
import { sentences } from '../helpers/claims.js';
import { renderAll, type Sample } from './rendered.js';

let samples: Sample[];
const byId = (id: string) => samples.find((s) => s.def.id === id)!;
const sentenceWith = (text: string, needle: string) => sentences(text).filter((s) => s.includes(needle));

beforeAll(async () => {
  samples = await renderAll({
    firstName: 'Alex',
    unsubscribeUrl: 'https://learn.example.org/u/tok-123',
    postalAddress: 'Isha Health, 9 Footer Lane, Springfield, ST 12345, USA',
  });
});

describe('every email carries the footer', () => {
  const parts = [
    'call or text 988',
    'Veterans: dial 988 then press 1, or text 838255',
    'In an emergency, call 911.',
    NOT_MEDICAL_ADVICE,
    'Isha Health, 9 Footer Lane, Springfield, ST 12345, USA',
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
    const t = byId('03-what-the-trials-found').text;
    expect(sentenceWith(t, '67%')[0]).toMatch(/67% of people in the MDMA group no longer met PTSD criteria/);
    expect(sentenceWith(t, '32%')[0]).toMatch(/placebo|32% no longer met PTSD criteria/);
    expect(t).toContain('90 participants with severe PTSD (Mitchell et al., Nature Medicine, 2021)');
    expect(t).toContain('About 2 months after treatment');
    expect(t).toContain('d = 0.91');
  });

  it('email 3: MAPP2 exactly, with its source', () => {
    const t = byId('03-what-the-trials-found').text;
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
    const t = byId('04-where-it-stands').text;
    expect(sentenceWith(t, 'August 2017')[0]).toMatch(/Breakthrough Therapy/);
    expect(t).toMatch(/June 4, 2024: an FDA advisory committee .* voted against it/);
    expect(t).toContain('9-2 against on whether it works, and 10-1 against on whether its benefits outweigh its risks');
    expect(t).toMatch(/August 9, 2024: the FDA declined to approve it/);
    expect(t).toContain('complete response letter');
    expect(t).toContain('another Phase 3 trial');
    expect(t).toContain('retracted three earlier Phase 2 papers');
    expect(t).toMatch(/September 2025: the FDA published that letter/);
    expect(t).toMatch(/Australia: since July 1, 2023, specially authorised psychiatrists may prescribe MDMA for PTSD/);
    expect(t).toContain('It is available only inside clinical trials.');
  });

  it('email 5: ketamine record and the off-label disclosure', () => {
    const t = byId('05-mdma-and-ketamine').text;
    expect(t).toContain('Ketamine has been FDA-approved as an anesthetic since 1970.');
    expect(t).toMatch(/Spravato, was approved in 2019 for treatment-resistant depression/);
    expect(t).toMatch(/In 2020 .* suicidal thoughts, and in 2025 to use on its own, as monotherapy/);
    expect(t).toContain('REMS');
    expect(t).toContain('Racemic ketamine, the kind our clinic offers by mouth, is not FDA-approved for any psychiatric condition.');
    expect(t).toMatch(/off-label/);
    expect(t).toMatch(/about 8 hours/);
    expect(t).toMatch(/about 1 to 2 hours/);
    expect(t).toMatch(/glutamate, through what are called NMDA receptors/);
  });

  it('the other emails cover their topics', () => {
    const t = (id: string) => byId(id).text;
    expect(t('01-welcome')).toContain('3,4-methylenedioxymethamphetamine');
    expect(t('01-welcome')).toMatch(/"entactogen" or "empathogen"/);
    expect(t('01-welcome')).toMatch(/being explored/);
    expect(t('02-how-the-treatment-works')).toMatch(/about 3 sessions[\s\S]*3 in total[\s\S]*about 8 hours[\s\S]*about 9 sessions in total/);
    expect(t('02-how-the-treatment-works')).toContain('therapeutic alliance');
    expect(t('06-safety')).toMatch(/MAOIs/);
    expect(t('06-safety')).toMatch(/SSRIs/);
    expect(t('06-safety')).toMatch(/pregnancy/);
    expect(t('07-street-molly')).toMatch(/synthetic cathinones, methamphetamine or fentanyl/);
    expect(t('07-street-molly')).toContain('Taking MDMA alone is not therapy.');
    expect(t('08-next-steps')).toContain('ClinicalTrials.gov https://clinicaltrials.gov/');
    expect(t('08-next-steps')).toMatch(/Prolonged exposure[\s\S]*Cognitive processing therapy[\s\S]*EMDR/);
    expect(t('08-next-steps')).toMatch(/consult with our ketamine program/);
    expect(t('08-next-steps')).toContain('not FDA-approved for any psychiatric condition');
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
    // No images, remote fonts, stylesheets, scripts or tracking pixels.
    expect(html).not.toMatch(/<img|<link|<script|@import|@font-face|url\(|<style/i);
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
