/** Arguments of `npm run tick`: `--now <ISO date-time>` (or `--now=<ISO>`), optional. */
export function parseTickArgs(argv: string[]): { now?: number } | { error: string } {
  let now: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const inline = arg.startsWith('--now=') ? arg.slice(6) : undefined;
    if (arg !== '--now' && inline === undefined) return { error: `Unknown argument ${JSON.stringify(arg)}. Usage: npm run tick -- --now 2026-03-02T14:00:00Z` };
    const value = inline ?? argv[++i];
    // An ISO 8601 date-time with an explicit zone, so the time is not read in the machine's zone.
    const iso = value !== undefined && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/.test(value);
    const ms = iso && realDate(value!) ? Date.parse(value!) : NaN;
    if (!Number.isFinite(ms)) {
      return { error: `Invalid --now ${JSON.stringify(value ?? '')}: expected an ISO date-time with a zone, e.g. --now 2026-03-02T14:00:00Z` };
    }
    now = ms;
  }
  return now === undefined ? {} : { now };
}

/** The calendar date exists (Date.parse would roll 2026-02-30 over into March). */
function realDate(value: string): boolean {
  const [y, m, d] = value.slice(0, 10).split('-').map(Number) as [number, number, number];
  const probe = new Date(Date.UTC(y, m - 1, d));
  return probe.getUTCFullYear() === y && probe.getUTCMonth() === m - 1 && probe.getUTCDate() === d;
}
