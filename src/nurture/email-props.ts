import type { Reader } from '../../db/types.js';
import type { ClinicProfile, Origin, PlaceInSeries } from '../../emails/_components/props.js';
import type { Config } from '../config.js';
import type { ConfirmationEmailProps, SequenceEmailProps } from '../mail/render.js';
import { IMPORTED_CONSENT_PREFIX } from '../../db/types.js';

/** The configured settings every email reads; each is left out when unset. */
export type EmailSettings = Pick<
  Config,
  'publicUrl' | 'postalAddress' | 'bookingUrl' | 'replyTo' | 'privacyContact' | 'clinicName' | 'clinicUrl' | 'clinicSessionSetting'
>;

/** How a subscriber came, as their row records it (the footer says why they get the email). */
export type ArrivalFacts = {
  source: string | null;
  consentSource: string | null;
  consentVersion: string | null;
  consentGivenAt: number | null;
};

/** What a subscriber brings to an email, as the worker's batch item and the subscriber row both hold it. */
export type Recipient = { firstName: string | null; timezone: string; reader: Reader | null } & ArrivalFacts;

function personal(r: Recipient) {
  return {
    ...(r.firstName ? { firstName: r.firstName } : {}),
    // The crisis block follows the country of this zone.
    timezone: r.timezone,
  };
}

/** The clinic profile as the templates take it. */
export function clinicProfile(config: EmailSettings): ClinicProfile {
  return {
    clinicName: config.clinicName,
    ...(config.clinicUrl ? { clinicUrl: config.clinicUrl } : {}),
    ...(config.clinicSessionSetting ? { sessionSetting: config.clinicSessionSetting } : {}),
  };
}

/** A consent time as the footer prints it: its day in the person's zone (an import stores a bare date as its midnight there). */
function consentDay(at: number, timezone: string): string {
  const options = { year: 'numeric', month: 'long', day: 'numeric' } as const;
  try {
    return new Intl.DateTimeFormat('en-US', { ...options, timeZone: timezone }).format(at);
  } catch {
    return new Intl.DateTimeFormat('en-US', { ...options, timeZone: 'UTC' }).format(at);
  }
}

/**
 * How the person came: an import that carried their recorded consent says
 * where and when they gave it; everyone else signed up (form, API, or an
 * imported invitation they confirmed) at PUBLIC_URL.
 */
export function originOf(config: Pick<Config, 'publicUrl'>, r: ArrivalFacts & { timezone: string }): Origin {
  if (r.source === 'import' && r.consentVersion?.startsWith(IMPORTED_CONSENT_PREFIX) && r.consentSource && r.consentGivenAt !== null) {
    return { via: 'consent', source: r.consentSource, date: consentDay(r.consentGivenAt, r.timezone) };
  }
  return { via: 'signup', site: config.publicUrl };
}

/** The links personal to one subscriber that every email's footer carries. */
export type FooterLinks = { unsubscribeUrl: string; preferencesUrl: string };

/**
 * A sequence email's props for one subscriber: the one place the worker and
 * the staff previews build them, so a preview is what the worker sends.
 * `place`: where the email stands in its series (from the catalog), printed
 * as "Email 2 of 3"; without it the education emails print their step of 8.
 */
export function sequenceProps(config: EmailSettings, r: Recipient, links: FooterLinks, place?: PlaceInSeries): SequenceEmailProps {
  return {
    ...personal(r),
    ...(r.reader ? { reader: r.reader } : {}),
    publicUrl: config.publicUrl,
    ...links,
    postalAddress: config.postalAddress,
    ...clinicProfile(config),
    origin: originOf(config, r),
    ...(config.bookingUrl ? { bookingUrl: config.bookingUrl } : {}),
    ...(config.replyTo ? { replyTo: config.replyTo } : {}),
    ...(config.privacyContact ? { privacyContact: config.privacyContact } : {}),
    ...(place ? { place } : {}),
  };
}

/** The confirmation email's props for one subscriber. */
export function confirmationProps(config: EmailSettings, r: Pick<Recipient, 'firstName' | 'timezone'>, links: FooterLinks & { confirmUrl: string }): ConfirmationEmailProps {
  return {
    ...personal({ ...r, reader: null, source: null, consentSource: null, consentVersion: null, consentGivenAt: null }),
    ...links,
    postalAddress: config.postalAddress,
    ...clinicProfile(config),
    ...(config.privacyContact ? { privacyContact: config.privacyContact } : {}),
  };
}

/** The configured settings laid over a template's sample props, so a sample preview shows what is configured. */
export function withSettings<P extends object>(config: EmailSettings, sample: P, kind: 'sequence' | 'confirmation'): P {
  const settings = kind === 'sequence' ? { bookingUrl: config.bookingUrl, replyTo: config.replyTo, privacyContact: config.privacyContact } : { privacyContact: config.privacyContact };
  const clinic = kind === 'sequence' ? clinicProfile(config) : { clinicName: config.clinicName, ...(config.clinicUrl ? { clinicUrl: config.clinicUrl } : {}) };
  // The sample's postal address names the example clinic; the configured one replaces it.
  return { ...sample, postalAddress: config.postalAddress, ...clinic, ...Object.fromEntries(Object.entries(settings).filter(([, v]) => v)) };
}
