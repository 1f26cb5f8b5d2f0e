/**
 * Types shared by the templates, the signup form, the preference page and
 * the store. Kept free of imports so any layer can use them.
 */

import { READERS, type Reader } from '../../db/enums.js';

export { READERS, type Reader };

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
