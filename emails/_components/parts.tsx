import { Heading, Link, Text } from '@react-email/components';
import type { CSSProperties, ReactNode } from 'react';
import { displayName } from './props';
import { styles } from './theme';

/** "Hi Alex," or "Hi there,": one text node, so the name sits in a single run of text. */
export function Greeting({ firstName }: { firstName?: string }) {
  const name = displayName(firstName);
  return <Text style={styles.p}>{name ? `Hi ${name},` : 'Hi there,'}</Text>;
}

export function P({ children }: { children: ReactNode }) {
  return <Text style={styles.p}>{children}</Text>;
}

export function H2({ children }: { children: ReactNode }) {
  return (
    <Heading as="h2" style={styles.h2}>
      {children}
    </Heading>
  );
}

export function List({ items, ordered = false }: { items: ReactNode[]; ordered?: boolean }) {
  const Tag = ordered ? 'ol' : 'ul';
  return (
    <Tag style={styles.list}>
      {items.map((item, i) => (
        <li key={i} style={styles.li}>
          {item}
        </li>
      ))}
    </Tag>
  );
}

/**
 * A full-width one-cell table with its style on the cell: Outlook ignores
 * padding and backgrounds on <table>, so padded areas are built this way.
 */
export function Box({ style, outerStyle, children }: { style: CSSProperties; outerStyle?: CSSProperties; children: ReactNode }) {
  return (
    <table role="presentation" width="100%" border={0} cellPadding={0} cellSpacing={0} style={outerStyle}>
      <tbody>
        <tr>
          <td style={style}>{children}</td>
        </tr>
      </tbody>
    </table>
  );
}

/** A highlighted paragraph for the one thing the reader must not miss. */
export function Note({ children }: { children: ReactNode }) {
  return (
    <Box style={styles.note} outerStyle={styles.noteOuter}>
      <Text style={styles.noteText}>{children}</Text>
    </Box>
  );
}

export function A({ href, children }: { href: string; children: ReactNode }) {
  return (
    <Link href={href} style={styles.link}>
      {children}
    </Link>
  );
}

/**
 * A two-column table of results: label, then figure. Left out of the plain
 * text, where the paragraph next to it states the same figures in words.
 */
export function Figures({ caption, head, rows }: { caption: string; head: [string, string]; rows: [string, string][] }) {
  return (
    <table cellPadding={0} cellSpacing={0} border={0} width="100%" style={styles.figureTable} summary={caption} data-skip-in-text="true">
      <tbody>
        <tr>
          <th style={styles.figureHead}>{head[0]}</th>
          <th style={styles.figureHead}>{head[1]}</th>
        </tr>
        {rows.map(([label, value], i) => (
          <tr key={i}>
            <td style={styles.figureCell}>{label}</td>
            <td style={{ ...styles.figureCell, fontWeight: 700, whiteSpace: 'nowrap' }}>{value}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function Sources({ children }: { children: ReactNode }) {
  return <Text style={styles.sources}>{children}</Text>;
}

export function SignOff() {
  return (
    <Text style={styles.p}>
      Warmly,
      <br />
      The education team at Isha Health
    </Text>
  );
}
