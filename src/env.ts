import net from 'node:net';
import fs from 'node:fs';
import { z } from 'zod';
import { CLINIC_SESSION_SETTINGS } from '../emails/_components/types.js';
import { normaliseEmail } from './address.js';

/** A configuration error: one line naming the variable and the fix. */
export class ConfigError extends Error {}

export function isValidTimeZone(tz: string): boolean {
  if (!tz || tz.length > 64) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** SECRET_KEY signs every subscriber's link: 32 characters at least, and varied, so it cannot be guessed. */
export const SECRET_KEY_MIN_LENGTH = 32;
/**
 * The bits a key must carry by the count of its characters (length times the
 * entropy of their frequencies): 32 spaces carry none, 32 random hex digits
 * about 117 and 64 about 240. It cannot see a pattern, only repetition.
 */
export const SECRET_KEY_MIN_BITS = 80;
export const SECRET_KEY_HINT = `at least ${SECRET_KEY_MIN_LENGTH} characters, not a few repeated, e.g. from \`openssl rand -hex 32\``;

/** The bits a key carries by the count of its characters (an upper bound: patterns are not seen). */
function estimatedBits(key: string): number {
  const chars = [...key];
  const counts = new Map<string, number>();
  for (const ch of chars) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let bitsPerChar = 0;
  for (const n of counts.values()) bitsPerChar -= (n / chars.length) * Math.log2(n / chars.length);
  return bitsPerChar * chars.length;
}

/** Why a key must not sign links, or null; the key file and SECRET_KEY are held to the same rule. */
export function secretKeyProblem(key: string): 'too_short' | 'too_predictable' | null {
  if ([...key].length < SECRET_KEY_MIN_LENGTH) return 'too_short';
  if (estimatedBits(key) < SECRET_KEY_MIN_BITS) return 'too_predictable';
  return null;
}

// Refused values of these are never printed back: an error line ends up in logs.
const SECRET_VARIABLES = new Set(['SECRET_KEY', 'STAFF_PASSWORD', 'RESEND_API_KEY', 'RESEND_WEBHOOK_SECRET', 'DATABASE_URL']);

const COMPLAINT_PAUSE_HINT = 'a fraction from 0 to 1 of delivered emails, e.g. COMPLAINT_PAUSE=0.003 (0.3 %)';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** The clinic the defaults describe: outbox mode only (Resend mode refuses to send as it). */
export const EXAMPLE_CLINIC_NAME = 'Example Clinic';

/** The footer's stand-in until POSTAL_ADDRESS is set: the configured clinic's name on a made-up street, so no other clinic is named. */
export function postalAddressPlaceholder(clinicName: string): string {
  return `${clinicName}, 123 Example Street, Anytown, ST 00000, USA`;
}


export const DEFAULT_RETENTION_DAYS = 730;

// A display name RFC 5322 lets stand unquoted (atoms and spaces); anything else is quoted.
const PLAIN_DISPLAY_NAME = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~ ]+$/;

/** "Name <address>" with the name quoted when it holds specials such as a comma or a dot. */
export function mailbox(name: string, address: string): string {
  return `${PLAIN_DISPLAY_NAME.test(name) ? name : `"${name.replace(/["\\]/g, '\\$&')}"`} <${address}>`;
}

// Empty strings in .env files mean "unset".
const optionalString = z.preprocess((v) => (v === '' ? undefined : v), z.string().optional());

/** An absolute https URL (no credentials), as links in emails must be. */
function isHttpsUrl(v: string): boolean {
  if (/\s/.test(v)) return false;
  try {
    const url = new URL(v);
    return url.protocol === 'https:' && url.hostname !== '' && !url.username && !url.password;
  } catch {
    return false;
  }
}

const EnvVariables = z.object({
  PORT: z.preprocess(
    (v) => (v === '' || v === undefined ? '3000' : v),
    z.string().regex(/^\d{1,5}$/, 'a whole number 0-65535, e.g. PORT=3000').transform(Number).pipe(z.number().max(65535, 'a whole number 0-65535, e.g. PORT=3000')),
  ),
  PUBLIC_URL: optionalString.pipe(
    z
      .string()
      .regex(/^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/, 'an absolute http(s) URL without query, e.g. PUBLIC_URL=https://example.org')
      .optional(),
  ),
  DATABASE_PATH: optionalString.pipe(z.string().default('data/nurture.db')),
  DATABASE_URL: optionalString.pipe(
    z.string().regex(/^postgres(ql)?:\/\/\S+$/, 'a PostgreSQL URL, e.g. DATABASE_URL=postgres://nurture:secret@db.internal:5432/nurture').optional(),
  ),
  RESEND_API_KEY: optionalString.pipe(z.string().regex(/^\S+$/, 'the API key from Resend, e.g. re_123...').optional()),
  RESEND_WEBHOOK_SECRET: optionalString.pipe(
    z.string().regex(/^whsec_[A-Za-z0-9+/=]+$/, "the signing secret from Resend's webhook page, starting with whsec_").optional(),
  ),
  // Unset: the clinic's name at education@localhost; a bare address gets the clinic's name (see loadEnv).
  MAIL_FROM: optionalString.pipe(
    z
      .string()
      .regex(/^([^<>\r\n]+ <[^\s@<>]+@[^\s@<>]+>|[^\s@<>]+@[^\s@<>]+)$/, 'an address, e.g. MAIL_FROM="Your Clinic <education@your-clinic.example>"')
      .optional(),
  ),
  // Printed in pages, emails, the sender name and the consent wording: one line, no markup, no quotes.
  CLINIC_NAME: optionalString.pipe(
    z
      .string()
      .trim()
      .min(1, 'the clinic\'s name, e.g. CLINIC_NAME="Your Clinic"')
      .max(80, 'at most 80 characters, e.g. CLINIC_NAME="Your Clinic"')
      .regex(/^[^\r\n<>"\\]+$/, 'one line without < > " or \\, e.g. CLINIC_NAME="Your Clinic"')
      .optional(),
  ),
  CLINIC_URL: optionalString.pipe(z.string().refine(isHttpsUrl, "an https URL of the clinic's site, e.g. CLINIC_URL=https://your-clinic.example").optional()),
  CLINIC_SESSION_SETTING: optionalString.pipe(
    z.enum(CLINIC_SESSION_SETTINGS, `how the clinic's sessions are supervised: ${CLINIC_SESSION_SETTINGS.join(' or ')}, e.g. CLINIC_SESSION_SETTING=in-clinic`).optional(),
  ),
  RETENTION_DAYS: z.preprocess(
    (v) => (v === '' || v === undefined ? String(DEFAULT_RETENTION_DAYS) : v),
    z
      .string()
      .regex(/^\d{1,5}$/, `a whole number of days from 1 to 3650, e.g. RETENTION_DAYS=${DEFAULT_RETENTION_DAYS}`)
      .transform(Number)
      .pipe(z.number().min(1, 'at least 1 day').max(3650, 'at most 3650 days (10 years)')),
  ),
  POSTAL_ADDRESS: optionalString.pipe(z.string().max(300, 'at most 300 characters').regex(/^[^\r\n<>]*$/, 'one line without < or >').optional()),
  SECRET_KEY: optionalString.pipe(z.string().refine((v) => secretKeyProblem(v) === null, SECRET_KEY_HINT).optional()),
  STAFF_PASSWORD: optionalString.pipe(z.string().min(8, 'at least 8 characters').optional()),
  DEFAULT_TIMEZONE: optionalString.pipe(
    z.string().default('America/New_York').refine(isValidTimeZone, 'an IANA time zone, e.g. DEFAULT_TIMEZONE=America/New_York'),
  ),
  SEND_WINDOW: optionalString.pipe(
    z
      .string()
      .default('09:00-11:00')
      .transform((v, ctx) => {
        const m = /^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]|24):([0-5]\d)$/.exec(v);
        const start = m ? Number(m[1]) * 60 + Number(m[2]) : NaN;
        const end = m ? Number(m[3]) * 60 + Number(m[4]) : NaN;
        if (!m || !(end > start) || end > 24 * 60) {
          ctx.addIssue({ code: 'custom', message: 'HH:MM-HH:MM with the start before the end, e.g. SEND_WINDOW=09:00-11:00' });
          return z.NEVER;
        }
        return { startMinute: start, endMinute: end, text: v };
      }),
  ),
  SEND_RATE: z.preprocess(
    (v) => (v === '' || v === undefined ? '2' : v),
    z.coerce.number('a number of requests per second, e.g. SEND_RATE=2').positive('greater than 0, e.g. SEND_RATE=2').max(1000, 'at most 1000'),
  ),
  TRUSTED_PROXIES: optionalString.pipe(
    z
      .string()
      .transform((v, ctx) => {
        const list = v.split(',').map((s) => s.trim()).filter(Boolean);
        for (const entry of list) {
          const [addr, bits, extra] = entry.split('/');
          const family = net.isIP(addr ?? '');
          const max = family === 6 ? 128 : 32;
          if (!family || extra !== undefined || (bits !== undefined && !(/^\d{1,3}$/.test(bits) && Number(bits) <= max))) {
            ctx.addIssue({ code: 'custom', message: `addresses or CIDRs separated by commas, e.g. TRUSTED_PROXIES=10.0.0.5,10.1.0.0/16 (bad: ${entry})` });
            return z.NEVER;
          }
        }
        return list;
      })
      .optional(),
  ),
  BOOKING_URL: optionalString.pipe(z.string().refine(isHttpsUrl, 'an https URL of the consult booking page, e.g. BOOKING_URL=https://clinic.example/book').optional()),
  // One bare address: it becomes the Reply-To header and is printed in no email.
  REPLY_TO: optionalString.pipe(
    z
      .string()
      .refine((v) => normaliseEmail(v) !== null, 'one email address, e.g. REPLY_TO=care@clinic.example')
      .transform((v) => normaliseEmail(v)!)
      .optional(),
  ),
  PRIVACY_CONTACT: optionalString.pipe(
    z
      .string()
      .refine((v) => normaliseEmail(v) !== null || isHttpsUrl(v), 'an email address or an https URL, e.g. PRIVACY_CONTACT=privacy@clinic.example')
      .transform((v) => normaliseEmail(v) ?? v)
      .optional(),
  ),
  // A share of delivered emails, written as a decimal fraction (0.003 is 0.3 %).
  COMPLAINT_PAUSE: z.preprocess(
    (v) => (v === '' || v === undefined ? '0.003' : v),
    z.string().regex(/^(0|1|0?\.\d+|1\.0+)$/, COMPLAINT_PAUSE_HINT).transform(Number),
  ),
  OUTBOX_DIR: optionalString.pipe(z.string().default('data/outbox')),
  LOG_LEVEL: optionalString.pipe(z.enum(LOG_LEVELS, `one of ${LOG_LEVELS.join(', ')}`).default('info')),
});

export type SendWindow = { startMinute: number; endMinute: number; text: string };

/** Each variable as the rest of the code reads it. */
function toEnv(e: z.output<typeof EnvVariables>) {
  const clinicName = e.CLINIC_NAME ?? EXAMPLE_CLINIC_NAME;
  return {
    port: e.PORT,
    publicUrl: (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, ''),
    databasePath: e.DATABASE_PATH,
    databaseUrl: e.DATABASE_URL,
    resendApiKey: e.RESEND_API_KEY,
    resendWebhookSecret: e.RESEND_WEBHOOK_SECRET,
    // The sender name is the clinic's unless MAIL_FROM names another (a department, say).
    mailFrom: e.MAIL_FROM === undefined ? mailbox(clinicName, 'education@localhost') : e.MAIL_FROM.includes('<') ? e.MAIL_FROM : mailbox(clinicName, e.MAIL_FROM),
    postalAddress: e.POSTAL_ADDRESS ?? postalAddressPlaceholder(clinicName),
    postalAddressIsPlaceholder: e.POSTAL_ADDRESS === undefined,
    clinicName,
    /** CLINIC_NAME is unset: the example clinic's name stands in (outbox mode only). */
    clinicNameIsDefault: e.CLINIC_NAME === undefined,
    clinicUrl: e.CLINIC_URL,
    clinicSessionSetting: e.CLINIC_SESSION_SETTING,
    retentionDays: e.RETENTION_DAYS,
    secretKey: e.SECRET_KEY,
    staffPassword: e.STAFF_PASSWORD,
    defaultTimezone: e.DEFAULT_TIMEZONE,
    sendWindow: e.SEND_WINDOW satisfies SendWindow,
    sendRate: e.SEND_RATE,
    /** Complaint rate (of delivered, 7 days) above which sequence sending pauses until an admin resumes it. */
    complaintPause: e.COMPLAINT_PAUSE,
    outboxDir: e.OUTBOX_DIR,
    bookingUrl: e.BOOKING_URL,
    /** Reverse proxies whose X-Forwarded-For is believed (addresses or CIDRs). */
    trustedProxies: e.TRUSTED_PROXIES ?? [],
    replyTo: e.REPLY_TO,
    privacyContact: e.PRIVACY_CONTACT,
    logLevel: e.LOG_LEVEL,
  };
}

/** The one schema of the environment: the variables, checked, then named as the code reads them. */
const EnvSchema = EnvVariables.transform(toEnv);

/** The validated environment: the schema's output, never written by hand. */
export type Env = z.output<typeof EnvSchema>;

/** Reads `.env` in the working directory, if present, without overriding set variables. */
export function readDotEnv(file = '.env'): void {
  if (fs.existsSync(file)) process.loadEnvFile(file);
}

/** Validates the environment once; throws ConfigError with one line per the first bad variable. */
export function loadEnv(source: Record<string, string | undefined> = process.env): Env {
  const parsed = EnvSchema.safeParse(source);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = String(issue.path[0] ?? 'environment');
    const value = SECRET_VARIABLES.has(name) ? '' : `=${JSON.stringify(source[name] ?? '')}`;
    throw new ConfigError(`Invalid ${name}${value}: expected ${issue.message}`);
  }
  const e = parsed.data;
  // Several servers share one database: each must sign links and accept staff with the same secrets.
  if (e.databaseUrl && !e.secretKey) throw new ConfigError('SECRET_KEY is required with DATABASE_URL: every server and worker must sign links with the same key, e.g. SECRET_KEY=$(openssl rand -hex 32)');
  if (e.databaseUrl && !e.staffPassword) throw new ConfigError('STAFF_PASSWORD is required with DATABASE_URL: every server must accept the same staff login');
  return e;
}
