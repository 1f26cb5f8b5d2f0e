/** What every sequence email needs to render; nothing here knows about the database. */
export type SequenceEmailProps = {
  /** Printed as "Hi Alex,"; absent or blank prints "Hi there,". */
  firstName?: string;
  /** Base of links to our own site (PUBLIC_URL), absolute, e.g. https://learn.example.org */
  publicUrl: string;
  /** Absolute one-click unsubscribe link for this subscriber. */
  unsubscribeUrl: string;
  /** The sender's postal address, printed in the footer. */
  postalAddress: string;
};

/** Sample data for previews: the preview server, the staff pages and the tests. */
export const sampleProps = {
  firstName: 'Alex',
  publicUrl: 'http://localhost:3000',
  unsubscribeUrl: 'http://localhost:3000/u/sample-token',
  postalAddress: 'Isha Health, 123 Example Street, Anytown, ST 00000, USA',
} satisfies SequenceEmailProps;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
// Control characters, and every space the plain-text converter would collapse
// (it also treats U+200B as a space).
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
const SPACES = /[\s\u200b]+/g;

/**
 * The first name as the emails print it: lone surrogates replaced, control
 * characters and runs of spaces turned into one space, trimmed; '' when
 * nothing is left. The render cache applies this same function, which is what
 * keeps a cached render equal to a direct one.
 */
export function displayName(firstName: string | undefined | null): string {
  if (!firstName) return '';
  return firstName.replace(LONE_SURROGATE, '\uFFFD').replace(CONTROL, ' ').replace(SPACES, ' ').trim();
}
