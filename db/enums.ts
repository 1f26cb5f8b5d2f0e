/**
 * The values the stores keep in enum-like columns, defined here, beside the
 * store types and apart from either engine's schema: both schemas, the
 * stores, the services and the templates read them from this one place.
 */

/** Who the reader is reading for; chosen optionally at signup or on the preference page. */
export const READERS = ['self', 'supporter', 'professional'] as const;
export type Reader = (typeof READERS)[number];

export const SUBSCRIBER_STATUSES = [
  'pending', // signed up, not confirmed yet
  'active', // confirmed, receiving the sequence
  'completed', // received every step
  'converted', // booked a consult; the sequence ends
  'unsubscribed',
  'suppressed', // hard bounce, complaint or provider suppression
  'erased', // personal data removed (GDPR)
] as const;
export type SubscriberStatus = (typeof SUBSCRIBER_STATUSES)[number];

/** The sequences the code defines (src/nurture/sequence.ts); a person is enrolled in each at most once. */
export const SEQUENCE_IDS = ['education', 'consult-follow-up'] as const;
export type SequenceId = (typeof SEQUENCE_IDS)[number];

/** Why an enrolment ended. */
export const ENROLMENT_END_REASONS = [
  'completed', // every step went
  'unsubscribed', // the person left every sequence
  'left', // the person left this sequence and kept the others
  'converted', // booked: the follow-up reached its goal
  'suppressed', // bounce, complaint or provider suppression
  'erased', // personal data removed
  'staff', // ended by staff
] as const;
export type EnrolmentEndReason = (typeof ENROLMENT_END_REASONS)[number];

export const BATCH_STATUSES = ['ready', 'sent', 'failed', 'held'] as const;
export type BatchStatus = (typeof BATCH_STATUSES)[number];

export const DELIVERY_KINDS = ['confirmation', 'sequence', 'test', 'resend'] as const;
export type DeliveryKind = (typeof DELIVERY_KINDS)[number];

export const DELIVERY_STATUSES = ['queued', 'sent', 'failed', 'dropped'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export const EVENT_FLAGS = ['link_scanner', 'privacy_proxy'] as const;
export type EventFlag = (typeof EVENT_FLAGS)[number];

export const EVENT_FLAG_REASONS = ['scanner_user_agent', 'proxy_user_agent', 'soon_after_delivery', 'all_links_at_once'] as const;
export type EventFlagReason = (typeof EVENT_FLAG_REASONS)[number];

export const ACTIVITY_TYPES = [
  'signup',
  'confirmation_sent',
  'confirmed',
  'unsubscribed',
  'bounced',
  'complained',
  'suppressed',
  'converted',
  'completed',
  'erased',
  'paused',
  'resumed',
  'reader_changed',
  'enrolled',
  'left_sequence',
  'address_corrected', // staff put in the address they meant; pending until they confirm it
] as const;
export type ActivityType = (typeof ACTIVITY_TYPES)[number];

/**
 * Why a person unsubscribed, as the unsubscribe page offers it (optional);
 * counted without anything that names them.
 */
export const UNSUBSCRIBE_REASONS = [
  'too-many', // too many emails
  'not-relevant', // not what they are looking for now
  'too-hard', // the subject is hard to read about now
  'not-signed-up', // never signed up (someone else typed the address)
  'other',
] as const;
export type UnsubscribeReason = (typeof UNSUBSCRIBE_REASONS)[number];

export const STAFF_ROLES = ['viewer', 'editor', 'admin'] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];

/** The start of the consent version an imported consent is recorded under (the wording the clinic gathered elsewhere). */
export const IMPORTED_CONSENT_PREFIX = 'import-';
