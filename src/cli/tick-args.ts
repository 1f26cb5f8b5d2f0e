/**
 * Arguments of `npm run tick`: `--now <ISO date-time>` (or `--now=<ISO>`)
 * and `--advance <span>` (or `--advance=<span>`), both optional. A span is a
 * whole number of days or hours: `21d`, `36h`.
 */
export type TickArgs = { now?: number; advanceMs?: number };

const USAGE = 'Usage: npm run tick -- [--now 2026-03-02T14:00:00Z] [--advance 21d]';
const HOUR_MS = 60 * 60 * 1000;
/** A year of hourly ticks at the most: a walk through the sequences, not a load test. */
export const MAX_ADVANCE_MS = 366 * 24 * HOUR_MS;

export function parseTickArgs(argv: string[]): TickArgs | { error: string } {
  const out: TickArgs = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [name, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    if (name !== '--now' && name !== '--advance') return { error: `Unknown argument ${JSON.stringify(arg)}. ${USAGE}` };
    const value = inline ?? argv[++i];
    if (name === '--now') {
      // An ISO 8601 date-time with an explicit zone, so the time is not read in the machine's zone.
      const iso = value !== undefined && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/.test(value);
      const ms = iso && realDate(value!) ? Date.parse(value!) : NaN;
      if (!Number.isFinite(ms)) return { error: `Invalid --now ${JSON.stringify(value ?? '')}: expected an ISO date-time with a zone, e.g. --now 2026-03-02T14:00:00Z` };
      out.now = ms;
    } else {
      const span = value === undefined ? null : /^([1-9]\d{0,4})([dh])$/.exec(value);
      const ms = span ? Number(span[1]) * (span[2] === 'd' ? 24 : 1) * HOUR_MS : NaN;
      if (!(ms <= MAX_ADVANCE_MS)) return { error: `Invalid --advance ${JSON.stringify(value ?? '')}: expected days or hours up to a year, e.g. --advance 21d or --advance 36h` };
      out.advanceMs = ms;
    }
  }
  return out;
}

/** The calendar date exists (Date.parse would roll 2026-02-30 over into March). */
function realDate(value: string): boolean {
  const [y, m, d] = value.slice(0, 10).split('-').map(Number) as [number, number, number];
  const probe = new Date(Date.UTC(y, m - 1, d));
  return probe.getUTCFullYear() === y && probe.getUTCMonth() === m - 1 && probe.getUTCDate() === d;
}
