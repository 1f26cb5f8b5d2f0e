// Each component from its own package, not the @react-email/components barrel: the barrel
// also loads code-block (prismjs), tailwind and markdown, about 0.7 s at every process start.
import { Body } from '@react-email/body';
import { Container } from '@react-email/container';
import { Head } from '@react-email/head';
import { Heading } from '@react-email/heading';
import { Html } from '@react-email/html';
import { Preview } from '@react-email/preview';
import { Text } from '@react-email/text';
import type { ReactNode } from 'react';
import { crisisRegion } from './crisis-lines.js';
import { Footer, type FooterProps } from './footer.js';
import { Box } from './parts.js';
import { isPlaceInSeries, type PlaceInSeries, type SequenceEmailProps } from './props.js';
import { SERIES_NAMES, type SequenceId } from './series.js';
import { darkModeCss, dm, styles } from './theme.js';

export type EmailLayoutProps = FooterProps & {
  /** The subject line, also the document title. */
  title: string;
  heading: string;
  /** The preview line shown after the subject in the inbox. */
  preheader: string;
  /** Small line above the heading, e.g. "Email 3 of 8". */
  kicker?: string;
  /** The series the email belongs to: names it in the masthead and picks the footer's "why you get this". Default: education. */
  series?: SequenceId;
  children: ReactNode;
};

/**
 * One column, at most 600px wide and fluid below that, built from tables so
 * Outlook lays it out too. Inline styles for the light scheme, one style
 * block for the dark one, system fonts, no images.
 */
export function EmailLayout({ title, heading, preheader, kicker, series = 'education', children, ...footer }: EmailLayoutProps) {
  return (
    <Html lang="en" dir="ltr">
      <Head>
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        <meta name="supported-color-schemes" content="light dark" />
        <title>{title}</title>
        <style dangerouslySetInnerHTML={{ __html: darkModeCss() }} />
      </Head>
      <Preview>{preheader}</Preview>
      <Body style={styles.body} className={dm.page}>
        <Container style={styles.container}>
          <Box style={styles.masthead}>
            <Text style={styles.brand} className={dm.link}>
              {footer.clinicName}
            </Text>
            <Text style={styles.series} className={dm.muted}>
              {SERIES_NAMES[series]}
            </Text>
          </Box>
          <Box style={styles.card} className={dm.card}>
            {kicker ? (
              <Text style={styles.kicker} className={dm.link}>
                {kicker}
              </Text>
            ) : null}
            <Heading as="h1" style={styles.h1} className={dm.text}>
              {heading}
            </Heading>
            {children}
          </Box>
          <Footer {...footer} series={series} />
        </Container>
      </Body>
    </Html>
  );
}

/** The education series' length: its emails' kicker when no place is given (see SequenceEmailProps.place). */
export const SEQUENCE_LENGTH = 8;

/** "Email 2 of 3". */
export const kickerFor = ({ position, total }: PlaceInSeries) => `Email ${position} of ${total}`;

/** The kicker of a sequence email: its place when given, else its step of the education series' eight, else none. */
export function sequenceKicker(place: unknown, step: number | undefined): string | undefined {
  if (isPlaceInSeries(place)) return kickerFor(place);
  return step === undefined ? undefined : kickerFor({ position: step, total: SEQUENCE_LENGTH });
}

/**
 * The frame of a sequence email: kicker, footer with the reader's crisis
 * lines, the preference and privacy links, and the one-click note (sequence
 * emails carry List-Unsubscribe headers).
 */
export function SequenceLayout({
  series,
  step,
  subject,
  heading,
  preheader,
  props,
  substanceUse,
  children,
}: {
  /** The series this email belongs to (masthead line, footer's "why you get this"). */
  series: SequenceId;
  /** The education emails' step (1 to 8), for their kicker when props.place is absent; other series leave it out. */
  step?: number;
  subject: string;
  heading: string;
  preheader: string;
  props: SequenceEmailProps;
  substanceUse?: boolean;
  children: ReactNode;
}) {
  return (
    <EmailLayout
      title={subject}
      heading={heading}
      preheader={preheader}
      kicker={sequenceKicker(props.place, step)}
      series={series}
      origin={props.origin ?? { via: 'signup', site: props.publicUrl }}
      clinicName={props.clinicName}
      clinicUrl={props.clinicUrl}
      unsubscribeUrl={props.unsubscribeUrl}
      postalAddress={props.postalAddress}
      preferencesUrl={props.preferencesUrl}
      privacyContact={props.privacyContact}
      crisis={crisisRegion(props)}
      substanceUse={substanceUse}
      oneClickHeader
    >
      {children}
    </EmailLayout>
  );
}
