import { Button, Link, Text } from '@react-email/components';
import { EmailLayout } from './_components/layout';
import { Greeting, P } from './_components/parts';
import { sampleProps } from './_components/props';
import { styles } from './_components/theme';

export type ConfirmationEmailProps = {
  firstName?: string;
  confirmUrl: string;
  unsubscribeUrl: string;
  postalAddress: string;
};

export const confirmationSubject = 'Please confirm your subscription';
export const subject = confirmationSubject;
export const preheader = 'One click to start your eight emails on MDMA-assisted therapy research.';

export default function ConfirmationEmail({ firstName, confirmUrl, unsubscribeUrl, postalAddress }: ConfirmationEmailProps) {
  return (
    <EmailLayout
      title={confirmationSubject}
      heading="Please confirm your email address"
      preheader={preheader}
      unsubscribeUrl={unsubscribeUrl}
      postalAddress={postalAddress}
    >
      <Greeting firstName={firstName} />
      <P>
        Thank you for signing up. Confirm your address to start receiving eight short emails about MDMA-assisted therapy for
        PTSD, one every few days over about three weeks.
      </P>
      <Button href={confirmUrl} style={styles.button}>
        Confirm my subscription
      </Button>
      {/* Left out of the plain text, which already prints the link after the button. */}
      <Text style={styles.small} data-skip-in-text="true">
        If the button does not work, copy this link into your browser:
        <br />
        <Link href={confirmUrl} style={styles.urlLink}>
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
  postalAddress: sampleProps.postalAddress,
} satisfies ConfirmationEmailProps;
