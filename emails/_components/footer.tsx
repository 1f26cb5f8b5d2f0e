import { Hr, Link, Text } from '@react-email/components';
import { Box } from './parts';
import { styles } from './theme';

export const NOT_MEDICAL_ADVICE = 'This email is for education and is not medical advice. Talk to a qualified clinician about your own care.';

export type FooterProps = {
  unsubscribeUrl: string;
  postalAddress: string;
  /** Where the reader signed up; omitted when unknown. */
  publicUrl?: string;
};

/** Printed in every email: crisis line, not-medical-advice line, postal address, unsubscribe link. */
export function Footer({ unsubscribeUrl, postalAddress, publicUrl }: FooterProps) {
  return (
    <Box style={styles.footer}>
      <Text style={styles.footerStrong}>
        <strong>If you are in crisis or thinking about suicide:</strong> in the US, call or text 988 (Veterans: dial 988 then press
        1, or text 838255). In an emergency, call 911.
      </Text>
      <Text style={styles.footerText}>{NOT_MEDICAL_ADVICE}</Text>
      <Hr style={styles.hr} />
      {publicUrl ? (
        <Text style={styles.footerText}>
          You are getting this email because you signed up to learn about MDMA-assisted therapy at{' '}
          <Link href={publicUrl} style={{ ...styles.footerLink, overflowWrap: 'anywhere', wordBreak: 'break-word' }}>
            {publicUrl}
          </Link>
          .
        </Text>
      ) : null}
      <Text style={styles.footerText}>{postalAddress}</Text>
      <Text style={styles.footerText}>
        <Link href={unsubscribeUrl} style={styles.footerLink}>
          Unsubscribe
        </Link>{' '}
        with one click. You will get no more emails from us.
      </Text>
    </Box>
  );
}
