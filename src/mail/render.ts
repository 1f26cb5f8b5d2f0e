import { render } from '@react-email/render';
import ConfirmationEmail, { confirmationSubject, type ConfirmationEmailProps } from '../../emails/confirmation.js';

export type RenderedEmail = { subject: string; html: string; text: string };

/** The confirmation email, rendered as html and plain text. */
export async function renderConfirmationEmail(props: ConfirmationEmailProps): Promise<RenderedEmail> {
  const element = ConfirmationEmail(props);
  const [html, text] = await Promise.all([render(element), render(element, { plainText: true })]);
  return { subject: confirmationSubject, html, text };
}
