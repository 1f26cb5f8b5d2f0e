import { Button } from '@react-email/button';
import { Heading } from '@react-email/heading';
import { Link } from '@react-email/link';
import { Text } from '@react-email/text';
import type { CSSProperties, ReactNode } from 'react';
import { displayName } from './props.js';
import { SOURCES, type SourceId } from './sources.js';
import type { ClinicSessionSetting, Reader } from './types.js';
import { dm, styles } from './theme.js';

/** "Hi Alex," or "Hi there,": one text node, so the name sits in a single run of text. */
export function Greeting({ firstName }: { firstName?: string }) {
  const name = displayName(firstName);
  return (
    <Text style={styles.p} className={dm.text}>
      {name ? `Hi ${name},` : 'Hi there,'}
    </Text>
  );
}

export function P({ children }: { children: ReactNode }) {
  return (
    <Text style={styles.p} className={dm.text}>
      {children}
    </Text>
  );
}

export function H2({ children }: { children: ReactNode }) {
  return (
    <Heading as="h2" style={styles.h2} className={dm.text}>
      {children}
    </Heading>
  );
}

export function List({ items, ordered = false }: { items: ReactNode[]; ordered?: boolean }) {
  const Tag = ordered ? 'ol' : 'ul';
  return (
    <Tag style={styles.list} className={dm.text}>
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
/** The three trauma-focused therapies with strong evidence for PTSD, each in a reader's words. */
export function TraumaFocusedTherapies() {
  return (
    <List
      items={[
        <>
          <strong>Prolonged exposure (PE):</strong> step by step, you face the memories and places you have been avoiding,
          with a therapist's support.
        </>,
        <>
          <strong>Cognitive processing therapy (CPT):</strong> you look at the beliefs the trauma left you with, and change the
          ones that keep you stuck.
        </>,
        <>
          <strong>EMDR (eye movement desensitization and reprocessing):</strong> you recall the trauma while following guided eye
          movements.
        </>,
      ]}
    />
  );
}

export function Box({ style, outerStyle, className, children }: { style: CSSProperties; outerStyle?: CSSProperties; className?: string; children: ReactNode }) {
  return (
    <table role="presentation" width="100%" border={0} cellPadding={0} cellSpacing={0} style={outerStyle}>
      <tbody>
        <tr>
          <td style={style} className={className}>
            {children}
          </td>
        </tr>
      </tbody>
    </table>
  );
}

/** A highlighted paragraph for the one thing the reader must not miss. */
export function Note({ children }: { children: ReactNode }) {
  return (
    <Box style={styles.note} outerStyle={styles.noteOuter} className={dm.note}>
      <Text style={styles.noteText} className={dm.text}>
        {children}
      </Text>
    </Box>
  );
}

/** A link in running text. The plain text prints its address after the words, so nothing is lost there. */
export function A({ href, children }: { href: string; children: ReactNode }) {
  return (
    <Link href={href} style={styles.link} className={dm.link}>
      {children}
    </Link>
  );
}

/**
 * A small data table: a caption, a header row with column scope and a row
 * header per row. Left out of the plain text, where the paragraph next to it
 * states the same figures in words (a test checks every figure is there).
 */
export function Figures({ caption, head, rows }: { caption: string; head: [string, string]; rows: [string, string][] }) {
  return (
    <table cellPadding={0} cellSpacing={0} border={0} width="100%" style={styles.figureTable} data-skip-in-text="true">
      <caption style={styles.figureCaption} className={dm.muted}>
        {caption}
      </caption>
      <thead>
        <tr>
          <th scope="col" style={styles.figureHead} className={dm.th}>
            {head[0]}
          </th>
          <th scope="col" style={styles.figureHead} className={dm.th}>
            {head[1]}
          </th>
        </tr>
      </thead>
      <tbody>
        {rows.map(([label, value], i) => (
          <tr key={i}>
            <th scope="row" style={{ ...styles.figureCell, fontWeight: 400, textAlign: 'left' }} className={dm.td}>
              {label}
            </th>
            <td style={{ ...styles.figureCell, fontWeight: 700, whiteSpace: 'nowrap' }} className={dm.td}>
              {value}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The sources of the figures and dates in an email, each a link readers can open (the plain text shows each address). */
export function Sources({ ids, children }: { ids: SourceId[]; children?: ReactNode }) {
  return (
    <Text style={styles.sources} className={dm.muted}>
      Sources:{' '}
      {ids.map((id, i) => (
        <span key={id}>
          {i > 0 ? '; ' : ''}
          <A href={SOURCES[id].url}>{SOURCES[id].label}</A>
        </span>
      ))}
      .{children ? <> {children}</> : null}
    </Text>
  );
}

/** A paragraph only one kind of reader sees: a heading that says who it is for, then the text. */
export function ForReader({ reader, only, children }: { reader: Reader; only: Exclude<Reader, 'self'>; children: ReactNode }) {
  if (reader !== only) return null;
  return (
    <>
      <H2>{only === 'supporter' ? 'If you support someone with PTSD' : 'For professionals'}</H2>
      <P>{children}</P>
    </>
  );
}

/**
 * The invitation to the clinic (emails 5 and 8 only, and only when the
 * booking link is set): one button, and the line that keeps it honest.
 */
export function ConsultButton({ bookingUrl }: { bookingUrl?: string }) {
  if (!bookingUrl) return null;
  return (
    <>
      <Button href={bookingUrl} style={styles.button} className={dm.button}>
        Book a consult with our ketamine program
      </Button>
      <Text style={styles.small} className={dm.muted}>
        A consult is an assessment, not a promise of treatment. A clinician talks with you about your health and history, and
        you decide together whether any treatment fits.
      </Text>
    </>
  );
}

/** Shown only when replies reach someone (REPLY_TO is set). */
export function ReplyInvite({ replyTo }: { replyTo?: string }) {
  if (!replyTo) return null;
  return (
    <P>
      You can reply to this email with questions about the series. Please do not send health details by email: email is not a
      private place for them.
    </P>
  );
}

export function SignOff({ clinicName }: { clinicName: string }) {
  return (
    <Text style={styles.p} className={dm.text}>
      Warmly,
      <br />
      {`The education team at ${clinicName}`}
    </Text>
  );
}

/**
 * The sources beside the sentence they back: "(source: label)" with each
 * label linked; the plain text prints each address after its label.
 */
export function Cite({ ids }: { ids: SourceId[] }) {
  return (
    <>
      {ids.length > 1 ? ' (sources: ' : ' (source: '}
      {ids.map((id, i) => (
        <span key={id}>
          {i > 0 ? '; ' : ''}
          <A href={SOURCES[id].url}>{SOURCES[id].label}</A>
        </span>
      ))}
      )
    </>
  );
}

/** Said wherever the clinic's ketamine program comes up in this PTSD series. */
export const KETAMINE_NOT_FOR_PTSD = 'Ketamine is not an established treatment for PTSD.';

/** Ketamine's known risks, named wherever ketamine is offered or compared. */
export const KETAMINE_RISKS =
  'Ketamine has known risks: feeling detached or unreal (dissociation), sedation, raised blood pressure, slowed breathing, misuse and dependence, and bladder and urinary problems with heavy use.';

/**
 * How the clinic's own sessions are supervised, only as CLINIC_SESSION_SETTING
 * states it, and nothing when it is unset. At home, the FDA's warning is said
 * plainly and left to stand: no reassurance answers it.
 */
export function ClinicSessions({ setting }: { setting?: ClinicSessionSetting }) {
  if (setting === 'in-clinic') return <P>{CLINIC_SESSIONS_IN_CLINIC}</P>;
  if (setting === 'at-home-remote') {
    return (
      <P>
        {CLINIC_SESSIONS_AT_HOME} The FDA's 2023 warning says that taking ketamine at home, without a clinician there to monitor you,
        adds risk
        <Cite ids={['fdaKetamineWarning']} />. In our program the clinician is on video, not in the room.
      </P>
    );
  }
  return null;
}

export const CLINIC_SESSIONS_IN_CLINIC =
  'In our program, a clinician assesses you first, and staff monitor you during each session. This lowers some risks. It cannot remove them.';
export const CLINIC_SESSIONS_AT_HOME =
  'In our program, a clinician assesses you first. Sessions happen at home, with a clinician on video and a support person with you, as the program requires.';
