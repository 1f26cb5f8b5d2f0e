import type { Reader } from '../../db/types.js';
import type { Config } from '../config.js';
import type { ConfirmationEmailProps, SequenceEmailProps } from '../mail/render.js';

/** The configured settings every email reads; each is left out when unset. */
export type EmailSettings = Pick<Config, 'publicUrl' | 'postalAddress' | 'bookingUrl' | 'replyTo' | 'privacyContact'>;

/** What a subscriber brings to an email, as the worker's batch item and the subscriber row both hold it. */
export type Recipient = { firstName: string | null; timezone: string; reader: Reader | null };

function personal(r: Recipient) {
  return {
    ...(r.firstName ? { firstName: r.firstName } : {}),
    // The crisis block follows the country of this zone.
    timezone: r.timezone,
  };
}

/** The links personal to one subscriber that every email's footer carries. */
export type FooterLinks = { unsubscribeUrl: string; preferencesUrl: string };

/**
 * A sequence email's props for one subscriber: the one place the worker and
 * the staff previews build them, so a preview is what the worker sends.
 */
export function sequenceProps(config: EmailSettings, r: Recipient, links: FooterLinks): SequenceEmailProps {
  return {
    ...personal(r),
    ...(r.reader ? { reader: r.reader } : {}),
    publicUrl: config.publicUrl,
    ...links,
    postalAddress: config.postalAddress,
    ...(config.bookingUrl ? { bookingUrl: config.bookingUrl } : {}),
    ...(config.replyTo ? { replyTo: config.replyTo } : {}),
    ...(config.privacyContact ? { privacyContact: config.privacyContact } : {}),
  };
}

/** The confirmation email's props for one subscriber. */
export function confirmationProps(config: EmailSettings, r: Recipient, links: FooterLinks & { confirmUrl: string }): ConfirmationEmailProps {
  return {
    ...personal(r),
    ...links,
    postalAddress: config.postalAddress,
    ...(config.privacyContact ? { privacyContact: config.privacyContact } : {}),
  };
}

/** The configured settings laid over a template's sample props, so a sample preview shows what is configured. */
export function withSettings<P extends object>(config: EmailSettings, sample: P, kind: 'sequence' | 'confirmation'): P {
  const settings = kind === 'sequence' ? { bookingUrl: config.bookingUrl, replyTo: config.replyTo, privacyContact: config.privacyContact } : { privacyContact: config.privacyContact };
  return { ...sample, ...Object.fromEntries(Object.entries(settings).filter(([, v]) => v)) };
}
