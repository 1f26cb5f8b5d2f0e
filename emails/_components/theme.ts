import type { CSSProperties } from 'react';

/**
 * Colours, type and spacing shared by every email. System fonts only (no
 * remote font files), light background, text colours that keep at least
 * 4.5:1 contrast on their background.
 */
export const brand = {
  name: 'Isha Health',
  series: 'MDMA-assisted therapy: the facts',
};

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
};

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
    backgroundColor: colors.accent,
    color: '#ffffff',
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
