import { getCountryForTimezone } from 'countries-and-timezones';

/** Countries with their own crisis lines in the emails; everyone else gets the international block. */
export const CRISIS_REGIONS = ['US', 'CA', 'GB', 'IE', 'AU', 'NZ', 'DE', 'INTL'] as const;
export type CrisisRegion = (typeof CRISIS_REGIONS)[number];

/**
 * Without a time zone or country the reader gets the US lines: the service's
 * default time zone (DEFAULT_TIMEZONE) is in the US.
 */
export const DEFAULT_CRISIS_REGION: CrisisRegion = 'US';

/** ISO 3166 country of an IANA time zone (e.g. Europe/Dublin -> IE); undefined for zones with no country (UTC, Etc/...) or unknown names. */
export function countryForTimezone(timezone: string): string | undefined {
  return getCountryForTimezone(timezone)?.id;
}

/**
 * Places whose people reach another country's lines: 988 answers in Puerto
 * Rico, Guam and the US Virgin Islands; Samaritans' 116 123 in Jersey,
 * Guernsey and the Isle of Man. The block names them (CRISIS_LINES).
 */
const SHARED_LINES: Readonly<Record<string, CrisisRegion>> = { PR: 'US', GU: 'US', VI: 'US', JE: 'GB', GG: 'GB', IM: 'GB' };

/**
 * Which crisis block a reader gets: an explicit country wins, then the
 * country of their time zone. The emails and the public pages both use it.
 */
export function crisisRegion({ country, timezone }: { country?: string; timezone?: string }): CrisisRegion {
  const given = country ? country.trim().toUpperCase() : timezone ? countryForTimezone(timezone) : undefined;
  if (given === undefined) return country || timezone ? 'INTL' : DEFAULT_CRISIS_REGION;
  const code = SHARED_LINES[given] ?? given;
  return (CRISIS_REGIONS as readonly string[]).includes(code) && code !== 'INTL' ? (code as CrisisRegion) : 'INTL';
}

type Lines = { where: string; call: string; emergency: string };

/** Day-or-night, free crisis lines by country, as the content brief lists them. */
export const CRISIS_LINES: Record<Exclude<CrisisRegion, 'INTL'>, Lines> = {
  US: { where: 'in the US, Puerto Rico, Guam and the US Virgin Islands', call: 'call or text 988 (Veterans: dial 988 then press 1, or text 838255)', emergency: '911' },
  CA: { where: 'in Canada', call: 'call or text 988', emergency: '911' },
  GB: { where: 'in the UK, Jersey, Guernsey and the Isle of Man', call: 'call Samaritans free on 116 123', emergency: '999' },
  IE: { where: 'in Ireland', call: 'call Samaritans free on 116 123', emergency: '112 or 999' },
  AU: { where: 'in Australia', call: 'call Lifeline on 13 11 14', emergency: '000' },
  NZ: { where: 'in New Zealand', call: 'call or text 1737', emergency: '111' },
  DE: { where: 'in Germany', call: 'call TelefonSeelsorge free on 0800 111 0 111', emergency: '112' },
};

export const SAMHSA_HELPLINE = '1-800-662-4357';
