import { Hr } from '@react-email/hr';
import { Link } from '@react-email/link';
import { Text } from '@react-email/text';
import { CRISIS_LINES, SAMHSA_HELPLINE, type CrisisRegion } from './crisis-lines.js';
import { A, Box } from './parts.js';
import type { FooterSettings, Origin } from './props.js';
import type { SequenceId } from './series.js';
import { FIND_A_HELPLINE_URL } from './sources.js';
import { dm, styles } from './theme.js';

export const NOT_MEDICAL_ADVICE = 'This email is for education and is not medical advice. Talk to a qualified clinician about your own care.';

export type FooterProps = FooterSettings & {
  unsubscribeUrl: string;
  postalAddress: string;
  /** How the reader came (see Origin); omitted when unknown (the confirmation email, which says it in its body). */
  origin?: Origin;
  /** Which crisis lines to print (see crisisRegion()). */
  crisis: CrisisRegion;
  /** Adds the US drug and alcohol helpline (the email on street drugs). */
  substanceUse?: boolean;
  /** The message carries List-Unsubscribe headers, so the mail program's own button unsubscribes in one click. */
  oneClickHeader?: boolean;
  /** The series the email belongs to; the consult follow-up says why the person gets it in its own words. Default: education. */
  series?: SequenceId;
};

/** The crisis block: the lines of the reader's country, or the international directory. */
export function CrisisBlock({ region, substanceUse = false }: { region: CrisisRegion; substanceUse?: boolean }) {
  const lead = <strong>If you are in crisis or thinking about suicide:</strong>;
  if (region === 'INTL') {
    return (
      <Text style={styles.footerStrong} className={dm.text}>
        {lead} find a free helpline in your country at <A href={FIND_A_HELPLINE_URL}>findahelpline.com</A>. In an emergency, call
        your local emergency number.
      </Text>
    );
  }
  const l = CRISIS_LINES[region];
  return (
    <>
      <Text style={styles.footerStrong} className={dm.text}>
        {lead} {`${l.where}, ${l.call}. In an emergency, call ${l.emergency}.`}
      </Text>
      {substanceUse && region === 'US' ? (
        <Text style={styles.footerStrong} className={dm.text}>
          <strong>For help with drug or alcohol use:</strong> in the US, call the SAMHSA National Helpline on {SAMHSA_HELPLINE}. It
          is free and confidential.
        </Text>
      ) : null}
    </>
  );
}

const EMAIL_ADDRESS = /^[^\s@]+@[^\s@]+$/;

/** PRIVACY_CONTACT as the reader can use it: a link for a URL or an address, plain text otherwise. */
function PrivacyContact({ contact }: { contact: string }) {
  const href = /^https?:\/\//i.test(contact) ? contact : EMAIL_ADDRESS.test(contact) ? `mailto:${contact}` : undefined;
  return (
    <Text style={styles.footerText} className={dm.muted}>
      To ask for a copy of your data or for its deletion, contact{' '}
      {href ? (
        <Link href={href} style={{ ...styles.footerLink, overflowWrap: 'anywhere', wordBreak: 'break-word' }} className={dm.link}>
          {contact}
        </Link>
      ) : (
        contact
      )}
      .
    </Text>
  );
}

/** Printed in every email: crisis lines, not-medical-advice line, postal address, unsubscribe and preference links. */
/** Why this email comes, by how the person came: the site they signed up at, or the consent an import recorded. */
function WhyThisEmail({ origin }: { origin: Origin }) {
  if (origin.via === 'consent') {
    return (
      <Text style={styles.footerText} className={dm.muted}>
        {`You are getting this email because you agreed to receive these emails (${origin.source}, ${origin.date}).`}
      </Text>
    );
  }
  return (
    <Text style={styles.footerText} className={dm.muted}>
      You are getting this email because you signed up at{' '}
      <Link href={origin.site} style={{ ...styles.footerLink, overflowWrap: 'anywhere', wordBreak: 'break-word' }} className={dm.link}>
        {origin.site}
      </Link>{' '}
      to learn about MDMA-assisted therapy.
    </Text>
  );
}

/**
 * Why a consult follow-up email comes: the person clicked the booking link in
 * one of our emails, or staff enrolled them; and how to leave this series
 * alone while keeping the others.
 */
function WhyConsultSeries({ preferencesUrl }: { preferencesUrl?: string }) {
  return (
    <Text style={styles.footerText} className={dm.muted}>
      You are getting this email because you clicked the link to book a consult in one of our emails, or because our staff
      added you to this short series.{' '}
      {preferencesUrl ? (
        <>
          You can leave this series and keep our other emails on{' '}
          <Link href={preferencesUrl} style={styles.footerLink} className={dm.link}>
            your preference page
          </Link>
          .
        </>
      ) : (
        'You can leave this series and keep our other emails on your preference page.'
      )}
    </Text>
  );
}

export function Footer({ unsubscribeUrl, postalAddress, origin, crisis, substanceUse, oneClickHeader = false, preferencesUrl, privacyContact, clinicName, clinicUrl, series = 'education' }: FooterProps) {
  return (
    <Box style={styles.footer}>
      <CrisisBlock region={crisis} substanceUse={substanceUse} />
      <Text style={styles.footerText} className={dm.muted}>
        {NOT_MEDICAL_ADVICE}
      </Text>
      <Hr style={styles.hr} className={dm.hr} />
      {series === 'consult-follow-up' ? <WhyConsultSeries preferencesUrl={preferencesUrl} /> : origin ? <WhyThisEmail origin={origin} /> : null}
      <Text style={styles.footerText} className={dm.muted}>
        {postalAddress}
      </Text>
      {clinicUrl ? (
        <Text style={styles.footerText} className={dm.muted}>
          {clinicName}:{' '}
          <Link href={clinicUrl} style={{ ...styles.footerLink, overflowWrap: 'anywhere', wordBreak: 'break-word' }} className={dm.link}>
            {clinicUrl}
          </Link>
        </Text>
      ) : null}
      {privacyContact ? <PrivacyContact contact={privacyContact} /> : null}
      <Text style={styles.footerText} className={dm.muted}>
        <Link href={unsubscribeUrl} style={styles.footerLink} className={dm.link}>
          Unsubscribe
        </Link>
        : this link opens a page with a button that stops all our emails.
        {oneClickHeader ? " If your mail program shows its own Unsubscribe button, that one works in one click." : ''}
      </Text>
      {preferencesUrl ? (
        <Text style={styles.footerText} className={dm.muted}>
          <Link href={preferencesUrl} style={styles.footerLink} className={dm.link}>
            Manage your email preferences
          </Link>
          : pause the emails, change who you read for, or download or delete your data.
        </Text>
      ) : null}
    </Box>
  );
}
