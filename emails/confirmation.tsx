import { Button } from '@react-email/button';
import { Link } from '@react-email/link';
import { Text } from '@react-email/text';
import { crisisRegion } from './_components/crisis-lines.js';
import { EmailLayout } from './_components/layout.js';
import { Greeting, P } from './_components/parts.js';
import { sampleProps, type FooterSettings, type ReaderPlace } from './_components/props.js';
import { dm, styles } from './_components/theme.js';

export type ConfirmationEmailProps = ReaderPlace &
  FooterSettings & {
    firstName?: string;
    confirmUrl: string;
    unsubscribeUrl: string;
    postalAddress: string;
  };

export const confirmationSubject = 'Please confirm your subscription';
export const subject = confirmationSubject;
export const preheader = 'Confirm your address to start eight short emails about MDMA-assisted therapy research.';

export default function ConfirmationEmail({ firstName, confirmUrl, unsubscribeUrl, preferencesUrl, postalAddress, privacyContact, clinicName, clinicUrl, ...place }: ConfirmationEmailProps) {
  return (
    <EmailLayout
      title={confirmationSubject}
      heading="Please confirm your email address"
      preheader={preheader}
      unsubscribeUrl={unsubscribeUrl}
      preferencesUrl={preferencesUrl}
      postalAddress={postalAddress}
      privacyContact={privacyContact}
      clinicName={clinicName}
      clinicUrl={clinicUrl}
      crisis={crisisRegion(place)}
    >
      <Greeting firstName={firstName} />
      <P>
        Thank you for signing up. Confirm your address to start receiving eight short emails about MDMA-assisted therapy for
        PTSD, one every few days over about three weeks. The button opens a page where you confirm.
      </P>
      <Button href={confirmUrl} style={styles.button} className={dm.button}>
        Confirm my subscription
      </Button>
      {/* Left out of the plain text, which already prints the link after the button. */}
      <Text style={styles.small} className={dm.muted} data-skip-in-text="true">
        If the button does not work, copy this link into your browser:
        <br />
        <Link href={confirmUrl} style={styles.urlLink} className={dm.link}>
          {confirmUrl}
        </Link>
      </Text>
      <P>If you did not sign up, ignore this email and you will hear nothing more from us.</P>
    </EmailLayout>
  );
}

ConfirmationEmail.PreviewProps = {
  firstName: sampleProps.firstName,
  confirmUrl: 'http://localhost:3000/confirm/sample-token',
  unsubscribeUrl: sampleProps.unsubscribeUrl,
  preferencesUrl: sampleProps.preferencesUrl,
  postalAddress: sampleProps.postalAddress,
  timezone: sampleProps.timezone,
  clinicName: sampleProps.clinicName,
} satisfies ConfirmationEmailProps;
