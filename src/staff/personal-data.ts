import type { Subscriber } from '../../db/types.js';
import { maskEmail } from '../logger.js';
import type { Preview } from '../nurture/previews.js';
import { hasRole, type StaffRole } from './roles.js';

/**
 * Who sees who a person is. Editors and admins act for people (unsubscribe,
 * erase, export), so they see the whole record; a viewer reads the numbers
 * and the emails, with each address masked ("j***@example.org") and no IP
 * address or user agent.
 */
export function seesPersonalData(role: StaffRole): boolean {
  return hasRole(role, 'editor');
}

/** An address as this role may see it; null (erased) stays null. */
export function addressFor<T extends string | null>(role: StaffRole, email: T): T {
  return (email === null || seesPersonalData(role) ? email : maskEmail(email)) as T;
}

type Identifying = Pick<Subscriber, 'email'> & Partial<Pick<Subscriber, 'signupIp' | 'signupUserAgent' | 'consentIp' | 'consentUserAgent'>>;

/** A subscriber row (or list item) as this role may see it: the same shape, the address masked and the IPs and user agents null for a viewer. */
export function subscriberFor<T extends Identifying>(role: StaffRole, s: T): T {
  if (seesPersonalData(role)) return s;
  const out = { ...s, email: addressFor(role, s.email) };
  for (const key of ['signupIp', 'signupUserAgent', 'consentIp', 'consentUserAgent'] as const) if (key in out) out[key] = null;
  return out;
}

/** A preview as this role may see it: a subscriber's address masked for a viewer (sample data is nobody's). */
export function previewFor(role: StaffRole, preview: Preview): Preview {
  if (preview.sample || seesPersonalData(role)) return preview;
  return { ...preview, message: { ...preview.message, to: addressFor(role, preview.message.to) } };
}
