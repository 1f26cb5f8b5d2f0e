import { z } from 'zod';
import { READERS } from '../../emails/_components/types.js';
import type { ProfileChanges, ProfileOutcome } from '../../db/types.js';
import type { SubscriberDeps } from './deps.js';
import { reschedule } from './preferences.js';
import { CONTROL_CHARACTERS, MAX_FIRST_NAME_LENGTH, resolveTimeZone } from './signup-input.js';

export type { ProfileChanges, ProfileField, ProfileOutcome } from '../../db/types.js';

/**
 * What staff may change for a person, as the API and the staff form send it.
 * An empty first name or reader clears it; a time zone is an IANA name,
 * stored in its usual spelling.
 */
export const ProfileChangesSchema = z
  .strictObject({
    firstName: z
      .string('firstName is text (empty clears it)')
      .max(MAX_FIRST_NAME_LENGTH * 2, `at most ${MAX_FIRST_NAME_LENGTH} characters`)
      .refine((v) => !CONTROL_CHARACTERS.test(v), 'no line breaks or control characters')
      .transform((v) => v.trim())
      .refine((v) => v.length <= MAX_FIRST_NAME_LENGTH, `at most ${MAX_FIRST_NAME_LENGTH} characters`)
      .transform((v) => (v === '' ? null : v))
      .nullable()
      .optional(),
    timezone: z
      .string('timezone is an IANA time zone name, like Europe/Berlin')
      .max(64, 'timezone is an IANA time zone name, like Europe/Berlin')
      .transform((v, ctx) => {
        const zone = resolveTimeZone(v, '');
        if (!zone) ctx.addIssue({ code: 'custom', message: `"${v.slice(0, 64)}" is not an IANA time zone name (like Europe/Berlin)` });
        return zone;
      })
      .optional(),
    reader: z.preprocess((v) => (v === '' ? null : v), z.enum(READERS, `reader is one of ${READERS.join(', ')} (or null: not given)`).nullable().optional()),
  })
  .refine((o) => Object.values(o).some((v) => v !== undefined), 'give at least one of firstName, timezone, reader');

/**
 * Changes a person's first name, time zone or who they read for, on their
 * behalf. A new time zone moves their scheduled email into that zone's send
 * window by the worker's own schedule (an email in flight is not moved).
 * Undefined when they are unknown or erased.
 */
export async function changeProfile(deps: Pick<SubscriberDeps, 'stores' | 'config' | 'clock' | 'logger'>, id: number, changes: ProfileChanges): Promise<ProfileOutcome | undefined> {
  const now = deps.clock.now();
  const outcome = await deps.stores.subscribers.updateProfile(id, { changes, now, nextSendAt: await reschedule(deps, now) });
  if (outcome?.changed.length) deps.logger.info({ subscriberId: id, fields: outcome.changed }, 'subscriber details changed');
  return outcome;
}
