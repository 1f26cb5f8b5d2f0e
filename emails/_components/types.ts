/**
 * Types shared by the templates, the signup form, the preference page and
 * the store. Kept free of imports so any layer can use them.
 */

/** Who the reader is reading for; chosen optionally at signup or on the preference page. */
export const READERS = ['self', 'supporter', 'professional'] as const;
export type Reader = (typeof READERS)[number];

/** A reader who picked nothing reads the `self` version. */
export const DEFAULT_READER: Reader = 'self';

export function isReader(value: unknown): value is Reader {
  return typeof value === 'string' && (READERS as readonly string[]).includes(value);
}

/** A stored or submitted value as a reader type: anything unknown or missing is `self`. */
export function readerOrDefault(value: unknown): Reader {
  return isReader(value) ? value : DEFAULT_READER;
}

/** How the clinic's own treatment sessions are supervised (CLINIC_SESSION_SETTING); the emails say only what this states. */
export const CLINIC_SESSION_SETTINGS = ['in-clinic', 'at-home-remote'] as const;
export type ClinicSessionSetting = (typeof CLINIC_SESSION_SETTINGS)[number];
