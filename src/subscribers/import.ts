import type { ImportAction, Subscriber } from '../../db/types.js';

/**
 * What an import does with one address, by its state. Staff import people
 * who gave their address elsewhere, so an import never overrides what the
 * person did here: an existing subscriber (pending, active, unsubscribed...)
 * is left as it is and not mailed again, and a suppressed or erased address
 * is never created or mailed. A new address is enrolled when its row carries
 * a recorded consent, else invited (the double opt-in email only).
 */
export function decideImport(existing: Pick<Subscriber, 'status'> | undefined, suppression: string | null, hasConsent: boolean): ImportAction {
  if (suppression === 'erased' || existing?.status === 'erased') return { kind: 'none', reason: 'erased' };
  if (suppression !== null || existing?.status === 'suppressed') return { kind: 'none', reason: 'suppressed' };
  if (existing) return { kind: 'none', reason: 'exists' };
  return hasConsent ? { kind: 'enrol' } : { kind: 'invite' };
}
