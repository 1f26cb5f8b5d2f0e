/**
 * Every outside address the emails may link to. A test checks each link in
 * each rendered email against this list (or is one of our own links), so no
 * template can carry an address that nobody checked.
 */
export const SOURCES = {
  mapp1: {
    label: 'Mitchell et al., Nature Medicine, 2021 (MAPP1)',
    url: 'https://doi.org/10.1038/s41591-021-01336-3',
  },
  mapp2: {
    label: 'Mitchell et al., Nature Medicine, 2023 (MAPP2)',
    url: 'https://doi.org/10.1038/s41591-023-02565-4',
  },
  fdaKetamineWarning: {
    label: 'FDA warning on compounded ketamine, October 10, 2023',
    url: 'https://www.fda.gov/drugs/human-drug-compounding/fda-warns-patients-and-health-care-providers-about-potential-risks-associated-compounded-ketamine',
  },
  fdaAdvisoryCommittee: {
    label: 'FDA advisory committee meeting, June 4, 2024',
    url: 'https://www.fda.gov/advisory-committees/advisory-committee-calendar/june-4-2024-meeting-psychopharmacologic-drugs-advisory-committee-meeting-announcement-06042024',
  },
  tgaDecision: {
    label: "Australia's Therapeutic Goods Administration (TGA) decision",
    url: 'https://www.tga.gov.au/news/media-releases/change-classification-psilocybin-and-mdma-enable-prescribing-authorised-psychiatrists',
  },
  breakthrough2017: {
    label: 'MAPS announcement of the FDA Breakthrough Therapy designation, August 26, 2017',
    url: 'https://maps.org/news/media/6786-press-release-fda-grants-breakthrough-therapy-designation-for-mdma-assisted-psychotherapy-for-ptsd,-agrees-on-special-protocol-assessment-for-phase-3-trials',
  },
  fdaCompleteResponse: {
    label: "Lykos Therapeutics on the FDA's complete response letter, August 9, 2024",
    url: 'https://news.lykospbc.com/2024-08-09-Lykos-Therapeutics-Announces-Complete-Response-Letter-for-Midomafetamine-Capsules-for-PTSD',
  },
  fdaLettersPublished: {
    label: "The FDA's published complete response letters (openFDA)",
    url: 'https://open.fda.gov/crltable/',
  },
  retraction: {
    label: 'Psychopharmacology retraction notice, August 10, 2024, shown with one of the retracted papers',
    url: 'https://doi.org/10.1007/s00213-019-05249-5',
  },
  spravatoLabel: {
    label: 'Spravato (esketamine) FDA label',
    url: 'https://www.accessdata.fda.gov/scripts/cder/daf/index.cfm?event=overview.process&ApplNo=211243',
  },
  ketalarLabel: {
    label: 'Ketalar (ketamine injection) FDA label',
    url: 'https://www.accessdata.fda.gov/scripts/cder/daf/index.cfm?event=overview.process&ApplNo=016812',
  },
  sertralineLabel: {
    label: 'Zoloft (sertraline) FDA label',
    url: 'https://www.accessdata.fda.gov/scripts/cder/daf/index.cfm?event=overview.process&ApplNo=019839',
  },
  paroxetineLabel: {
    label: 'Paxil (paroxetine) FDA label',
    url: 'https://www.accessdata.fda.gov/scripts/cder/daf/index.cfm?event=overview.process&ApplNo=020031',
  },
  clinicalTrialsSearch: {
    label: 'ClinicalTrials.gov: recruiting MDMA trials for PTSD',
    url: 'https://clinicaltrials.gov/search?cond=PTSD&intr=MDMA&aggFilters=status:rec',
  },
} as const;

export type SourceId = keyof typeof SOURCES;

/** Crisis-line directory for readers outside the countries the crisis block lists by name. */
export const FIND_A_HELPLINE_URL = 'https://findahelpline.com';

export const ALLOWED_OUTSIDE_URLS: readonly string[] = [...Object.values(SOURCES).map((s) => s.url), FIND_A_HELPLINE_URL];
