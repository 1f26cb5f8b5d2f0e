import { SequenceLayout } from './_components/layout.js';
import {
  A,
  Cite,
  ClinicSessions,
  ConsultButton,
  ForReader,
  Greeting,
  H2,
  KETAMINE_NOT_FOR_PTSD,
  KETAMINE_RISKS,
  P,
  ReplyInvite,
  SignOff,
  Sources,
  TraumaFocusedTherapies,
} from './_components/parts.js';
import { sampleProps, type SequenceEmailProps } from './_components/props.js';
import { SOURCES } from './_components/sources.js';
import { readerOrDefault } from './_components/types.js';

export const subject = 'Your next steps';
export const preheader = 'How to search for a trial, the PTSD treatments with strong evidence today, and where to find help.';

export default function NextStepsEmail(props: SequenceEmailProps) {
  const reader = readerOrDefault(props.reader);
  return (
    <SequenceLayout series="education" step={8} subject={subject} heading="Your next steps" preheader={preheader} props={props}>
      <Greeting firstName={props.firstName} />
      <P>This is the last email in the series. Thank you for reading. Here are some practical next steps.</P>

      <H2>If you want to join a clinical trial</H2>
      <P>
        ClinicalTrials.gov is the US public list of clinical studies. This link opens its{' '}
        <A href={SOURCES.clinicalTrialsSearch.url}>list of MDMA trials for PTSD that are recruiting</A>. Each listing says who
        can take part and who to contact. Talk with your own clinician before you apply.
      </P>
      <P>
        The small US expanded-access program for MDMA therapy is closed, so in the United States trials are the only route.
      </P>

      <H2>Treatments with strong evidence for PTSD today</H2>
      <P>Trauma-focused therapies have strong evidence for PTSD, and you do not need to wait for a trial to get them:</P>
      <TraumaFocusedTherapies />
      <P>
        Two medicines have FDA approval for PTSD: sertraline and paroxetine
        <Cite ids={['sertralineLabel', 'paroxetineLabel']} />. Both are antidepressants of the SSRI type. Ask a qualified
        clinician which treatment fits you.
      </P>

      <H2>If you need help now</H2>
      <P>The crisis lines at the bottom of this email are there for you.</P>

      <H2>About our clinic</H2>
      <P>
        Our clinic offers ketamine-assisted therapy. It can be an option today for some people with depression.{' '}
        {KETAMINE_NOT_FOR_PTSD} The ketamine we offer by mouth is used off-label: it is not FDA-approved for any psychiatric
        condition. In October 2023 the FDA{' '}
        <A href={SOURCES.fdaKetamineWarning.url}>warned about compounded ketamine</A>, including forms taken by mouth.
      </P>
      <P>{KETAMINE_RISKS}</P>
      <ClinicSessions setting={props.sessionSetting} />
      <ConsultButton bookingUrl={props.bookingUrl} />

      <ForReader reader={reader} only="supporter">
        You can help someone look for a trial or a trauma-focused therapist, and go with them to appointments if they want.
        Caring for someone with PTSD is hard work, and support for you matters too.
      </ForReader>

      <P>
        If someone you know might find this series useful, they can sign up at <A href={props.publicUrl}>{props.publicUrl}</A>.
      </P>
      <ReplyInvite replyTo={props.replyTo} />
      <SignOff clinicName={props.clinicName} />
      <Sources ids={['clinicalTrialsSearch', 'sertralineLabel', 'paroxetineLabel', 'fdaKetamineWarning']} />
    </SequenceLayout>
  );
}

NextStepsEmail.PreviewProps = { ...sampleProps } satisfies SequenceEmailProps;
