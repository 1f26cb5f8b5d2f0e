import { beforeAll, describe, expect, it } from 'vitest';
import { checkClaims, htmlToReadableText, sentences } from '../helpers/claims.js';
import { renderAll, type Sample } from './rendered.js';

describe('claims checker', () => {
  it.each([
    ['MDMA-assisted therapy is FDA-approved for PTSD.', 'MDMA approved'],
    ['MDMA therapy was approved in 2024.', 'MDMA approved'],
    ['The FDA approved it in August 2024.', 'approval claim'],
    ['Australia approved MDMA, and so did the US.', 'MDMA approved'],
    ['You can legally get MDMA therapy in the US today.', 'MDMA legally available outside trials'],
    ['MDMA-assisted therapy is available at our clinic.', 'MDMA legally available outside trials'],
    ['Our oral ketamine is FDA-approved for depression.', 'oral ketamine approved for a psychiatric use'],
    ['Ketamine, like Spravato, is approved for depression.', 'oral ketamine approved for a psychiatric use'],
    ['This therapy can cure PTSD.', 'cure'],
    ['Results are guaranteed.', 'guaranteed'],
    ['The treatment is completely safe.', 'completely safe'],
    ['In MAPP1, 67% reached remission.', '67% called remission'],
    ['Studies show 67-88% remission.', 'mixed 67-88% figure'],
    ['A typical session uses 120 mg.', 'dose amount'],
    ['The usual dose is 1.5 per kilo.', 'dose amount'],
    ['Each dose is 2 tablets, watched for 2 hours.', 'dose amount'],
    ['You can buy Molly online.', 'where to obtain MDMA'],
    ['MDMA works for depression.', 'MDMA works for depression'],
    // Round 2 of the brief.
    ['Our oral ketamine is FDA-approved.', 'oral or compounded ketamine approved'],
    ['Compounded ketamine is approved by the FDA.', 'oral or compounded ketamine approved'],
    ['Ketamine lozenges were approved in 1970.', 'oral or compounded ketamine approved'],
    ['Ketamine taken by mouth has been FDA-approved as an anesthetic since 1970.', 'oral or compounded ketamine approved'],
    ['Ketamine treats PTSD.', 'ketamine treats PTSD'],
    ['Ketamine is an effective treatment for post-traumatic stress.', 'ketamine treats PTSD'],
    ['Our ketamine program helps people with PTSD.', 'ketamine treats PTSD'],
    ['Our ketamine treatment is safe.', "the clinic's treatment is safe"],
    ["The clinic's program is safe and supervised.", "the clinic's treatment is safe"],
    ['We offer a risk-free treatment.', "the clinic's treatment is safe"],
    ['Book a consult and you will feel better.', 'a consult promises results'],
    ["After a consult, you'll start treatment within a week.", 'a consult promises results'],
    ['A consultation ensures you get the right treatment.', 'a consult promises results'],
    ['Two medicines have FDA approval for PTSD: MDMA and sertraline.', 'MDMA approved'],
    // Round 3: a request for approval is no approval, but only that phrase is excused.
    ['The company asked for approval, and MDMA was approved.', 'MDMA approved'],
  ])('trips on %j (%s)', (bad, rule) => {
    expect(checkClaims(bad).map((v) => v.rule)).toContain(rule);
  });

  it.each([
    'MDMA-assisted therapy is not approved by the FDA.',
    'It is not FDA-approved for any psychiatric condition.',
    "MDMA isn't approved in the United States.",
    'The FDA declined to approve it.',
    'It is not an approval.',
    'Ketamine has been FDA-approved as an anesthetic since 1970.',
    'Esketamine, a nasal spray sold as Spravato, was approved in 2019 for treatment-resistant depression.',
    'In the United States, MDMA-assisted therapy is available only inside clinical trials.',
    'Since July 1, 2023, specially authorised psychiatrists in Australia may prescribe MDMA for PTSD.',
    'In MAPP2, remission was 46% vs 21%.',
    'About 2 months after treatment, 67% no longer met PTSD criteria.',
    'Its use for depression with MDMA is being explored.',
    // Round 2: the correct negations and the real approvals.
    'No ketamine taken by mouth is FDA-approved for any use.',
    'Racemic ketamine, the kind our clinic offers by mouth, is not FDA-approved for any psychiatric condition.',
    'Ketamine given by injection, into a vein or a muscle, has been FDA-approved as an anesthetic since 1970.',
    'The FDA does not check compounded products for safety, effectiveness or quality.',
    'Ketamine is not an established treatment for PTSD.',
    "Ketamine isn't a proven treatment for PTSD.",
    'Two medicines have FDA approval for PTSD: sertraline and paroxetine.',
    '2019: Spravato was approved for treatment-resistant depression in adults, together with an oral antidepressant.',
    'We cannot promise that any treatment is safe.',
    'Our program is not risk-free.',
    'This lowers some risks. It cannot remove them.',
    'A consult is an assessment, not a promise of treatment.',
    'A consult does not promise that you will feel better.',
    // Round 3.
    'Phase 3 is the last stage before a company can ask for approval.',
    'The sponsor may apply for approval after another trial.',
    'After each Spravato dose you are watched for at least 2 hours.',
  ])('accepts the correct sentence %j', (good) => {
    expect(checkClaims(good)).toEqual([]);
  });

  it('reads html as the reader sees it: inline tags do not split a sentence', () => {
    const html = '<html><head><title>approved</title></head><body><p>MDMA is <strong>approved</strong>.</p><p>It is <em>not</em> approved.</p></body></html>';
    expect(sentences(htmlToReadableText(html))).toEqual(['MDMA is approved.', 'It is not approved.']);
    expect(new Set(checkClaims(htmlToReadableText(html)).map((v) => v.sentence))).toEqual(new Set(['MDMA is approved.']));
  });
});

describe('rendered emails make none of the forbidden claims', () => {
  let samples: Sample[];
  beforeAll(async () => {
    samples = [...(await renderAll()), ...(await renderAll({ firstName: undefined }))];
    // Every paragraph a reader can get: each reader type, every crisis block, the consult and reply lines.
    for (const reader of ['supporter', 'professional']) {
      for (const timezone of ['Europe/London', 'Asia/Tokyo']) {
        samples.push(
          ...(await renderAll({ reader, timezone, bookingUrl: 'https://clinic.example.org/book', replyTo: 'team@example.org', preferencesUrl: 'http://localhost:3000/p/x', privacyContact: 'privacy@example.org' })),
        );
      }
    }
  });

  it('in html, plain text, subject and preheader', () => {
    const found = samples.flatMap((s) =>
      [
        ...checkClaims(htmlToReadableText(s.html)),
        ...checkClaims(s.text),
        ...checkClaims(s.def.subject),
        ...checkClaims(s.def.preheader),
      ].map((v) => ({ template: s.def.id, ...v })),
    );
    expect(found).toEqual([]);
  });

  it('the checker sees the content (it is not vacuous)', () => {
    const all = samples.map((s) => s.text).join('\n');
    expect(all).toMatch(/not approved by the FDA/);
    expect(sentences(all).length).toBeGreaterThan(200);
  });
});
