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
  clinicalTrialsSearch: {
    label: 'ClinicalTrials.gov: recruiting MDMA trials for PTSD',
    url: 'https://clinicaltrials.gov/search?cond=PTSD&intr=MDMA&aggFilters=status:rec',
  },
} as const;

export type SourceId = keyof typeof SOURCES;

/** Crisis-line directory for readers outside the countries the crisis block lists by name. */
export const FIND_A_HELPLINE_URL = 'https://findahelpline.com';

export const ALLOWED_OUTSIDE_URLS: readonly string[] = [...Object.values(SOURCES).map((s) => s.url), FIND_A_HELPLINE_URL];
