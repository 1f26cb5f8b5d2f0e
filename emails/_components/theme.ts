import type { CSSProperties } from 'react';

/**
 * Colours, type and spacing shared by every email. System fonts only (no
 * remote font files). Two colour schemes: the light one is inline (what every
 * client shows); the dark one is a prefers-color-scheme style built from
 * darkColors below. Every text colour keeps at least 4.5:1 contrast on its
 * background in both (test/emails/contrast.test.ts).
 */
export const colors = {
  page: '#f4f1ec',
  card: '#ffffff',
  text: '#1f2933',
  muted: '#4a5560',
  accent: '#0b5d5e',
  accentSoft: '#e6f0ef',
  border: '#dcd6cc',
  note: '#fbf6e9',
  noteBorder: '#e2c97e',
  buttonBg: '#0b5d5e',
  buttonText: '#ffffff',
};

export type Palette = typeof colors;

export const darkColors: Palette = {
  page: '#121417',
  card: '#1c2126',
  text: '#e9ecef',
  muted: '#b8c0c8',
  accent: '#86d4d1',
  accentSoft: '#213a3b',
  border: '#3a434c',
  note: '#2b2719',
  noteBorder: '#9a8138',
  buttonBg: '#86d4d1',
  buttonText: '#0f1d1d',
};

/** Text (foreground) on background pairs that appear in the emails; the contrast test checks each in both schemes. */
export const CONTRAST_PAIRS: readonly { what: string; fg: keyof Palette; bg: keyof Palette }[] = [
  { what: 'body text on the card', fg: 'text', bg: 'card' },
  { what: 'muted text on the card (sources, small print)', fg: 'muted', bg: 'card' },
  { what: 'links and the kicker on the card', fg: 'accent', bg: 'card' },
  { what: 'footer text on the page', fg: 'muted', bg: 'page' },
  { what: 'crisis line on the page', fg: 'text', bg: 'page' },
  { what: 'brand name and footer links on the page', fg: 'accent', bg: 'page' },
  { what: 'text in a note', fg: 'text', bg: 'note' },
  { what: 'links in a note', fg: 'accent', bg: 'note' },
  { what: 'table header text', fg: 'text', bg: 'accentSoft' },
  { what: 'button label', fg: 'buttonText', bg: 'buttonBg' },
];

/**
 * Class names the dark style targets. Inline styles carry the light scheme;
 * the dark rules use !important because an inline style otherwise wins.
 */
export const dm = {
  page: 'dm-page',
  card: 'dm-card',
  text: 'dm-text',
  muted: 'dm-muted',
  link: 'dm-link',
  note: 'dm-note',
  th: 'dm-th',
  td: 'dm-td',
  button: 'dm-button',
  hr: 'dm-hr',
} as const;

/** The one style block in the emails: the dark scheme, generated from darkColors so the contrast test covers what is sent. */
export function darkModeCss(c: Palette = darkColors): string {
  return [
    '@media (prefers-color-scheme: dark) {',
    `.${dm.page} { background-color: ${c.page} !important; }`,
    // React Email's Body repeats the page colour inline on a cell of its own table, which the class alone does not reach.
    `.${dm.page} > table > tbody > tr > td { background-color: ${c.page} !important; }`,
    `.${dm.card} { background-color: ${c.card} !important; border-color: ${c.border} !important; }`,
    `.${dm.text} { color: ${c.text} !important; }`,
    `.${dm.muted} { color: ${c.muted} !important; }`,
    `.${dm.link} { color: ${c.accent} !important; }`,
    `.${dm.note} { background-color: ${c.note} !important; border-left-color: ${c.noteBorder} !important; }`,
    `.${dm.th} { background-color: ${c.accentSoft} !important; color: ${c.text} !important; border-color: ${c.border} !important; }`,
    `.${dm.td} { color: ${c.text} !important; border-color: ${c.border} !important; }`,
    `.${dm.button} { background-color: ${c.buttonBg} !important; color: ${c.buttonText} !important; }`,
    `.${dm.hr} { border-top-color: ${c.border} !important; }`,
    '}',
  ].join('\n');
}

export const fontFamily = "-apple-system, BlinkMacSystemFont, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif";

export const styles = {
  body: { backgroundColor: colors.page, margin: 0, padding: '24px 12px', fontFamily },
  container: { maxWidth: '600px', width: '100%', margin: '0 auto' },
  card: { backgroundColor: colors.card, border: `1px solid ${colors.border}`, borderRadius: '8px', padding: '28px 24px' },
  masthead: { padding: '0 24px 12px', fontFamily },
  brand: { margin: 0, fontSize: '15px', lineHeight: '22px', fontWeight: 700, color: colors.accent, fontFamily },
  series: { margin: 0, fontSize: '13px', lineHeight: '20px', color: colors.muted, fontFamily },
  kicker: { margin: '0 0 6px', fontSize: '13px', lineHeight: '20px', fontWeight: 600, color: colors.accent, fontFamily },
  h1: { margin: '0 0 16px', fontSize: '26px', lineHeight: '32px', fontWeight: 700, color: colors.text, fontFamily },
  h2: { margin: '28px 0 8px', fontSize: '19px', lineHeight: '26px', fontWeight: 700, color: colors.text, fontFamily },
  p: { margin: '0 0 16px', fontSize: '16px', lineHeight: '26px', color: colors.text, fontFamily },
  list: { margin: '0 0 16px', padding: '0 0 0 22px', fontSize: '16px', lineHeight: '26px', color: colors.text, fontFamily },
  li: { margin: '0 0 8px' },
  link: { color: colors.accent, textDecoration: 'underline' },
  urlLink: { color: colors.accent, textDecoration: 'underline', overflowWrap: 'anywhere', wordBreak: 'break-word' },
  small: { margin: '16px 0 20px', fontSize: '14px', lineHeight: '22px', color: colors.muted, fontFamily },
  button: {
    backgroundColor: colors.buttonBg,
    color: colors.buttonText,
    fontSize: '16px',
    fontWeight: 700,
    lineHeight: '24px',
    textDecoration: 'none',
    borderRadius: '6px',
    padding: '12px 22px',
    fontFamily,
  },
  note: { backgroundColor: colors.note, borderLeft: `4px solid ${colors.noteBorder}`, padding: '14px 16px' },
  noteOuter: { margin: '4px 0 20px' },
  noteText: { margin: 0, fontSize: '16px', lineHeight: '26px', color: colors.text, fontFamily },
  figureCaption: { captionSide: 'top', textAlign: 'left', padding: '0 0 6px', fontSize: '14px', lineHeight: '20px', fontWeight: 700, color: colors.muted, fontFamily },
  figureTable: { margin: '0 0 16px', borderCollapse: 'collapse', width: '100%' },
  figureCell: { padding: '10px 12px', border: `1px solid ${colors.border}`, fontSize: '15px', lineHeight: '22px', color: colors.text, fontFamily, verticalAlign: 'top' },
  figureHead: { padding: '10px 12px', border: `1px solid ${colors.border}`, backgroundColor: colors.accentSoft, fontSize: '15px', lineHeight: '22px', fontWeight: 700, color: colors.text, fontFamily, textAlign: 'left', verticalAlign: 'top' },
  sources: { margin: '24px 0 0', fontSize: '14px', lineHeight: '22px', color: colors.muted, fontFamily },
  hr: { borderTop: `1px solid ${colors.border}`, margin: '24px 0' },
  footer: { padding: '20px 24px 0' },
  footerText: { margin: '0 0 12px', fontSize: '13px', lineHeight: '20px', color: colors.muted, fontFamily },
  footerStrong: { margin: '0 0 12px', fontSize: '14px', lineHeight: '21px', color: colors.text, fontFamily },
  footerLink: { color: colors.accent, textDecoration: 'underline' },
} satisfies Record<string, CSSProperties>;
