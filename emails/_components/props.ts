import { crisisRegion } from './crisis-lines.js';
import { readerOrDefault, type ClinicSessionSetting, type Reader } from './types.js';

/** Where the reader lives, for the crisis block: a country code wins over a time zone; neither gives the US lines. */
export type ReaderPlace = {
  /** The subscriber's IANA time zone, e.g. Europe/Dublin. */
  timezone?: string;
  /** ISO 3166 country code, when known; overrides the time zone. */
  country?: string;
};

/** The clinic that sends the emails, from its profile (CLINIC_NAME, CLINIC_URL, CLINIC_SESSION_SETTING). */
export type ClinicProfile = {
  /** In the masthead, the sign-off and the footer. */
  clinicName: string;
  /** The clinic's site, linked from the footer; left out when unset. */
  clinicUrl?: string;
  /** How the clinic's sessions are supervised; unset: the emails say nothing about it. */
  sessionSetting?: ClinicSessionSetting;
};

/**
 * How the person came to the series, for the footer's "why you get this":
 * through the signup form (or the API behind a form) at a site, or in an
 * import that carried a consent they gave elsewhere.
 */
export type Origin = { via: 'signup'; site: string } | { via: 'consent'; source: string; date: string };

/** Footer settings that come from configuration; each is left out when unset. */
export type FooterSettings = ClinicProfile & {
  /** This subscriber's preference page (PUBLIC_URL/p/TOKEN). */
  preferencesUrl?: string;
  /** PRIVACY_CONTACT: an email address or a URL for data requests. */
  privacyContact?: string;
};

/** Where an email stands in its series (the catalog's step position and step count), for the "Email 2 of 3" line. */
export type PlaceInSeries = { position: number; total: number };

/** A place the kicker can print: whole numbers, 1 <= position <= total. */
export function isPlaceInSeries(place: unknown): place is PlaceInSeries {
  if (typeof place !== 'object' || place === null) return false;
  const { position, total } = place as Record<string, unknown>;
  return Number.isInteger(position) && Number.isInteger(total) && (position as number) >= 1 && (position as number) <= (total as number);
}

/** What every sequence email needs to render; nothing here knows about the database. */
export type SequenceEmailProps = ReaderPlace &
  FooterSettings & {
    /** Printed as "Hi Alex,"; absent or blank prints "Hi there,". */
    firstName?: string;
    /** Base of links to our own site (PUBLIC_URL), absolute, e.g. https://learn.example.org */
    publicUrl: string;
    /** Absolute unsubscribe page link for this subscriber (the List-Unsubscribe header is the one-click path). */
    unsubscribeUrl: string;
    /** The sender's postal address, printed in the footer. */
    postalAddress: string;
    /** Who they read for; absent reads the `self` version. */
    reader?: Reader;
    /** BOOKING_URL: emails 5 and 8 show a consult button when set. */
    bookingUrl?: string;
    /** REPLY_TO: when set, the emails invite replies (and say not to send health details). */
    replyTo?: string;
    /** How they came; absent: they signed up at publicUrl. */
    origin?: Origin;
    /**
     * Where this email stands in its series, printed as "Email 2 of 3".
     * Absent (or not a valid place): the education emails print their step
     * of the eight, the other series print no such line.
     */
    place?: PlaceInSeries;
  };

/** Sample data for previews: the preview server, the staff pages and the tests. */
export const sampleProps = {
  firstName: 'Alex',
  publicUrl: 'http://localhost:3000',
  unsubscribeUrl: 'http://localhost:3000/u/sample-token',
  preferencesUrl: 'http://localhost:3000/p/sample-token',
  postalAddress: 'Example Clinic, 123 Example Street, Anytown, ST 00000, USA',
  timezone: 'America/New_York',
  clinicName: 'Example Clinic',
} satisfies SequenceEmailProps;

/**
 * The same props as a template sees them: reader defaulted, the place reduced
 * to the crisis block it selects, REPLY_TO reduced to whether it is set (the
 * templates never print it). Rendering these gives the same email as the
 * original props, and equal results here mean the same structure, so the
 * render cache keys on them.
 */
export function structuralProps<P>(props: P): P {
  const given = props as ReaderPlace & { reader?: unknown; replyTo?: unknown };
  const out: Record<string, unknown> = { ...given };
  out.reader = readerOrDefault(given.reader);
  delete out.timezone;
  out.country = crisisRegion(given);
  if (given.replyTo !== undefined) out.replyTo = given.replyTo ? 'set' : '';
  return out as P;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
// Control characters, and every space the plain-text converter would collapse
// (it also treats U+200B as a space).
// eslint-disable-next-line no-control-regex -- control characters are what it finds
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
const SPACES = /[\s\u200b]+/g;

/**
 * The first name as the emails print it: lone surrogates replaced, control
 * characters and runs of spaces turned into one space, trimmed; '' when
 * nothing is left. The render cache applies this same function, which is what
 * keeps a cached render equal to a direct one.
 */
export function displayName(firstName: string | undefined | null): string {
  if (!firstName) return '';
  return firstName.replace(LONE_SURROGATE, '\uFFFD').replace(CONTROL, ' ').replace(SPACES, ' ').trim();
}
