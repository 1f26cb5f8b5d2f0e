/**
 * The consent a subscriber gives, word for word. The signup page shows this
 * text next to its checkbox and the confirmation stores it with its version,
 * so the record says exactly what the person agreed to, the clinic's name
 * included. Change the wording only together with a new version id.
 */
export function consentFor(clinicName: string): { version: string; text: string } {
  return {
    // v3: the clinic's name comes from CLINIC_NAME. v2: "one click" was not true of our own link, which opens a page with a button.
    version: 'signup-2026-12-v3',
    text: `Yes, send me the eight-email series on MDMA-assisted therapy from ${clinicName} (8 emails over 3 weeks). I can stop them at any time: every email has an unsubscribe link.`,
  };
}

/** Where the consent was given; stored with the subscriber and the consent record. */
export type SignupSource = 'signup-form' | 'api';
