import { z } from 'zod';
import { READERS, type Reader } from '../../emails/_components/types.js';
import { isValidTimeZone } from '../env.js';
import { MAX_EMAIL_LENGTH, normaliseEmail } from '../address.js';

export const MAX_FIRST_NAME_LENGTH = 60;

export type SignupInput = { email: string; firstName: string | null; timezone: string; reader: Reader | null };
export type SignupField = 'email' | 'firstName' | 'reader' | 'consent';
const FIELDS: readonly SignupField[] = ['email', 'firstName', 'reader', 'consent'];
export type SignupErrors = Partial<Record<SignupField, string>>;
export type SignupParse = { ok: true; value: SignupInput } | { ok: false; errors: SignupErrors };

// Control characters (CR/LF included) and line/paragraph separators have no
// place in a name that goes into an email greeting.
export const CONTROL_CHARACTERS = /[\p{Cc}\u2028\u2029]/u;

const EMAIL_MESSAGE = 'Enter your email address, like name@example.org.';

/**
 * An address as the signup form takes it: normalised for storing (NFC,
 * trimmed, the domain lower-cased), refused when it holds a control or
 * invisible character or is not one plausible address. Staff correcting an
 * address go by the same rules.
 */
export const EmailAddressSchema = z
  .string(EMAIL_MESSAGE)
  .max(MAX_EMAIL_LENGTH + 20, `An email address has at most ${MAX_EMAIL_LENGTH} characters.`)
  .transform((v, ctx) => {
    const email = normaliseEmail(v);
    if (email === null) {
      ctx.addIssue({ code: 'custom', message: v.trim() === '' ? EMAIL_MESSAGE : 'That does not look like an email address. Check it for typos.' });
      return z.NEVER;
    }
    return email;
  });

const SignupSchema = z.object({
  email: EmailAddressSchema,
  firstName: z
    .string('Your first name must be text.')
    .max(MAX_FIRST_NAME_LENGTH * 2, `Keep your first name to ${MAX_FIRST_NAME_LENGTH} characters or fewer.`)
    .refine((v) => !CONTROL_CHARACTERS.test(v), 'Your first name cannot contain line breaks or control characters.')
    .transform((v) => v.trim())
    .refine((v) => v.length <= MAX_FIRST_NAME_LENGTH, `Keep your first name to ${MAX_FIRST_NAME_LENGTH} characters or fewer.`)
    .optional()
    .nullable(),
  // Optional: no choice (absent, null, or the form's empty value) reads the 'self' version.
  reader: z.preprocess((v) => (v === '' ? null : v), z.enum(READERS, `Who you read for must be one of: ${READERS.join(', ')}.`).nullable().optional()),
  // The form sends "yes"; a JSON client sends true.
  consent: z.union([z.literal(true), z.literal('yes'), z.literal('on'), z.literal('true')], 'Tick the box to agree to receive the emails.'),
  // Never an error: a missing or unknown zone falls back to the default.
  timezone: z.unknown().optional(),
});

// Lower-cased zone -> its usual spelling, from the runtime's list: a lookup
// here is far cheaper than building an Intl.DateTimeFormat per signup. Aliases
// the runtime accepts but does not list ("US/Eastern", "Asia/Kolkata" on some
// ICU versions) are validated and remembered as typed, up to a bound, since
// their case variants are endless.
let zoneSpellings: Map<string, string> | undefined;
const validAliases = new Set<string>();
const MAX_REMEMBERED_ALIASES = 1000;

/**
 * A valid IANA zone in its usual spelling ("europe/berlin" -> "Europe/Berlin"),
 * else the fallback. Aliases are kept as given.
 */
export function resolveTimeZone(input: unknown, fallback: string): string {
  if (typeof input !== 'string') return fallback;
  const tz = input.trim();
  zoneSpellings ??= new Map(Intl.supportedValuesOf('timeZone').map((z) => [z.toLowerCase(), z]));
  const listed = zoneSpellings.get(tz.toLowerCase());
  if (listed) return listed;
  if (validAliases.has(tz)) return tz;
  if (!isValidTimeZone(tz)) return fallback;
  if (validAliases.size < MAX_REMEMBERED_ALIASES) validAliases.add(tz);
  return tz;
}

/** Validates a signup from the form or JSON: one message per field that is wrong. */
export function parseSignup(body: unknown, defaultTimezone: string): SignupParse {
  const parsed = SignupSchema.safeParse(typeof body === 'object' && body !== null && !Array.isArray(body) ? body : {});
  if (!parsed.success) {
    const errors: SignupErrors = {};
    for (const issue of parsed.error.issues) {
      const field = issue.path[0];
      if (FIELDS.includes(field as SignupField) && !errors[field as SignupField]) errors[field as SignupField] = issue.message;
    }
    return { ok: false, errors };
  }
  const { email, firstName, timezone, reader } = parsed.data;
  return { ok: true, value: { email, firstName: firstName ? firstName : null, timezone: resolveTimeZone(timezone, defaultTimezone), reader: reader ?? null } };
}
