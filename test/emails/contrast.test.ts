import { describe, expect, it } from 'vitest';
import { CONTRAST_PAIRS, colors, darkColors, darkModeCss, dm, type Palette } from '../../emails/_components/theme.js';
import { renderAll } from './rendered.js';

/** WCAG 2.x relative luminance of a #rrggbb colour. */
function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((c) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}

/** WCAG contrast ratio, 1 to 21. */
function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi! + 0.05) / (lo! + 0.05);
}

describe('contrast', () => {
  it('the ratio is computed as WCAG defines it', () => {
    expect(contrast('#000000', '#ffffff')).toBeCloseTo(21, 5);
    expect(contrast('#ffffff', '#ffffff')).toBe(1);
    // Known value: #777777 on white is 4.48:1, just short of AA.
    expect(contrast('#777777', '#ffffff')).toBeCloseTo(4.48, 2);
  });

  const schemes: [string, Palette][] = [
    ['light', colors],
    ['dark', darkColors],
  ];
  it.each(schemes.flatMap(([name, p]) => CONTRAST_PAIRS.map((pair) => [name, pair.what, p[pair.fg], p[pair.bg]] as const)))(
    '%s scheme: %s (%s on %s) is at least 4.5:1',
    (_scheme, _what, fg, bg) => {
      expect(contrast(fg, bg)).toBeGreaterThanOrEqual(4.5);
    },
  );

  it('the dark style sent in every email is the one built from darkColors, and it recolours every class the light scheme uses', async () => {
    const css = darkModeCss();
    for (const value of Object.values(darkColors)) expect(css).toContain(value);
    for (const cls of Object.values(dm)) expect(css).toContain(`.${cls} {`);
    for (const s of await renderAll()) expect(s.html).toContain(`<style>${css}</style>`);
  });

  it('the dark scheme really is dark: its page and card are darker than its text', () => {
    expect(Object.keys(darkColors).sort()).toEqual(Object.keys(colors).sort());
    expect(luminance(darkColors.page)).toBeLessThan(0.05);
    expect(luminance(darkColors.card)).toBeLessThan(0.05);
    expect(luminance(darkColors.text)).toBeGreaterThan(luminance(darkColors.card));
  });
});
