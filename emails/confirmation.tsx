import { Body, Button, Container, Head, Heading, Html, Link, Preview, Text } from '@react-email/components';

export type ConfirmationEmailProps = {
  firstName?: string;
  confirmUrl: string;
  unsubscribeUrl: string;
  postalAddress: string;
};

export const confirmationSubject = 'Please confirm your subscription';

export default function ConfirmationEmail({ firstName, confirmUrl, unsubscribeUrl, postalAddress }: ConfirmationEmailProps) {
  return (
    <Html lang="en">
      <Head />
      <Preview>One click to start your eight emails on MDMA-assisted therapy research.</Preview>
      <Body>
        <Container>
          <Heading as="h1">{firstName ? `Hi ${firstName}, please confirm` : 'Please confirm'}</Heading>
          <Text>Confirm your address to start receiving eight short emails about MDMA-assisted therapy over three weeks.</Text>
          <Button href={confirmUrl}>Confirm my subscription</Button>
          <Text>If you did not sign up, ignore this email and you will hear nothing more.</Text>
          <Text>
            {postalAddress} · <Link href={unsubscribeUrl}>Unsubscribe</Link>
          </Text>
        </Container>
      </Body>
    </Html>
  );
}

ConfirmationEmail.PreviewProps = {
  firstName: 'Alex',
  confirmUrl: 'http://localhost:3000/confirm/sample-token',
  unsubscribeUrl: 'http://localhost:3000/u/sample-token',
  postalAddress: 'Isha Health, 123 Example Street, Anytown, ST 00000, USA',
} satisfies ConfirmationEmailProps;
