import { SequenceLayout } from './_components/layout.js';
import { A, Cite, ConsultButton, ForReader, Greeting, H2, KETAMINE_NOT_FOR_PTSD, KETAMINE_RISKS, List, Note, P, ReplyInvite, SignOff, Sources } from './_components/parts.js';
import { sampleProps, type SequenceEmailProps } from './_components/props.js';
import { SOURCES } from './_components/sources.js';
import { readerOrDefault } from './_components/types.js';

export const subject = 'What a consult is, and what it is not';
export const preheader = 'A consult is an assessment, not a promise: what to have at hand, and who is usually not offered ketamine.';

/** Who is usually not offered ketamine (the Spravato label and common practice); the consult decides, not the email. */
export const USUALLY_NOT_OFFERED = [
  'a history of psychosis',
  'blood pressure that is not under control',
  'aneurysmal vascular disease (a weak, bulging blood vessel) or a past bleed in the brain',
  'pregnancy',
  'active misuse of drugs or alcohol',
] as const;

// Consult follow-up, email 1 of 3: day 2 after the person enters the series.
export default function WhatAConsultIsEmail(props: SequenceEmailProps) {
  const reader = readerOrDefault(props.reader);
  return (
    <SequenceLayout series="consult-follow-up" subject={subject} heading="What a consult is" preheader={preheader} props={props}>
      <Greeting firstName={props.firstName} />
      <P>
        This short series is for people thinking about a consult with our ketamine program. This is the first of three emails.
        They cover what a consult is, what to ask, and the other paths you could take.
      </P>

      <H2>An assessment, not a promise</H2>
      <P>
        A consult is a talk with a clinician about your health. It is an assessment, not a promise of treatment. The clinician
        asks about your health, your history and the medicines you take. Then you talk together about whether any treatment
        could fit you.
      </P>
      <Note>You can decide against treatment at any point: before the consult, after it, or once treatment has begun.</Note>

      <H2>What to have at hand</H2>
      <P>It helps to have these ready:</P>
      <List
        items={[
          'a list of the medicines you take',
          'the treatments you have had before, and how they went',
          'your questions, written down (our next email suggests some)',
        ]}
      />

      <H2>Who is usually not offered ketamine</H2>
      <P>
        Ketamine is not right for everyone. This list comes from the label of Spravato, a nasal spray made from a form of
        ketamine, and from common practice
        <Cite ids={['spravatoLabel']} />. People are usually not offered ketamine if they have:
      </P>
      <List items={[...USUALLY_NOT_OFFERED]} />
      <P>
        This list is a guide, not a decision. The consult decides, not this email. If something on it applies to you, say so at
        the consult, and the clinician can talk it through with you.
      </P>

      <H2>What to weigh</H2>
      <P>{KETAMINE_RISKS}</P>
      <P>
        {KETAMINE_NOT_FOR_PTSD} The ketamine our clinic offers by mouth is used off-label: it is not FDA-approved for any
        psychiatric condition
        <Cite ids={['fdaKetamineWarning']} />.
      </P>
      <ConsultButton bookingUrl={props.bookingUrl} />

      <ForReader reader={reader} only="supporter">
        If you are helping someone get ready, you could help them list their medicines and write down their questions. Ask them
        if they would like you to come along. The choice to go ahead, or not, is theirs. Make time for your own rest too.
      </ForReader>
      <ForReader reader={reader} only="professional">
        The FDA's page for Spravato, linked here, leads to <A href={SOURCES.spravatoLabel.url}>its label</A>. The label lists in
        full who should not take it, and its warnings. The other points above come from common practice, not from a label. A
        short note on your patient's history and medicines helps the clinician who sees them.
      </ForReader>

      <P>Next time: questions to ask any ketamine provider, including us.</P>
      <ReplyInvite replyTo={props.replyTo} />
      <SignOff clinicName={props.clinicName} />
      <Sources ids={['spravatoLabel', 'fdaKetamineWarning']} />
    </SequenceLayout>
  );
}

WhatAConsultIsEmail.PreviewProps = { ...sampleProps } satisfies SequenceEmailProps;
