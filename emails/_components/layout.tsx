import { Body, Container, Head, Heading, Html, Preview, Text } from '@react-email/components';
import type { ReactNode } from 'react';
import { Footer, type FooterProps } from './footer';
import { Box } from './parts';
import { brand, styles } from './theme';

export type EmailLayoutProps = FooterProps & {
  /** The subject line, also the document title. */
  title: string;
  heading: string;
  /** The preview line shown after the subject in the inbox. */
  preheader: string;
  /** Small line above the heading, e.g. "Email 3 of 8". */
  kicker?: string;
  children: ReactNode;
};

/**
 * One column, at most 600px wide and fluid below that, built from tables so
 * Outlook lays it out too. Inline styles only, system fonts, no images.
 */
export function EmailLayout({ title, heading, preheader, kicker, children, ...footer }: EmailLayoutProps) {
  return (
    <Html lang="en" dir="ltr">
      <Head>
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light" />
        <meta name="supported-color-schemes" content="light" />
        <title>{title}</title>
      </Head>
      <Preview>{preheader}</Preview>
      <Body style={styles.body}>
        <Container style={styles.container}>
          <Box style={styles.masthead}>
            <Text style={styles.brand}>{brand.name}</Text>
            <Text style={styles.series}>{brand.series}</Text>
          </Box>
          <Box style={styles.card}>
            {kicker ? <Text style={styles.kicker}>{kicker}</Text> : null}
            <Heading as="h1" style={styles.h1}>
              {heading}
            </Heading>
            {children}
          </Box>
          <Footer {...footer} />
        </Container>
      </Body>
    </Html>
  );
}

export const SEQUENCE_LENGTH = 8;
export const kickerFor = (step: number) => `Email ${step} of ${SEQUENCE_LENGTH}`;
