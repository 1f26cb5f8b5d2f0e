import { SequenceLayout } from './_components/layout.js';
import { Cite, ForReader, Greeting, H2, List, Note, P, ReplyInvite, SignOff, Sources } from './_components/parts.js';
import { sampleProps, type SequenceEmailProps } from './_components/props.js';
import { readerOrDefault } from './_components/types.js';

export const subject = 'How the research treatment works';
export const preheader = 'How the research trials ran: preparation, three long medicine sessions and integration, with two therapists.';

export default function HowTheTreatmentWorksEmail(props: SequenceEmailProps) {
  const reader = readerOrDefault(props.reader);
  return (
    <SequenceLayout series="education" step={2} subject={subject} heading="How the research treatment works" preheader={preheader} props={props}>
      <Greeting firstName={props.firstName} />
      <P>
        Last time we covered what MDMA is. Today we look at what the treatment was like for people in the research trials. The
        trials followed a set plan, called a protocol, from MAPS and Lykos Therapeutics, the groups behind the research.
      </P>

      <H2>Three kinds of sessions</H2>
      <List
        ordered
        items={[
          <>
            <strong>Preparation, about 3 sessions.</strong> You meet your two therapists, talk about your history and your goals,
            and learn what a medicine session will be like. No medicine is given in these sessions.
          </>,
          <>
            <strong>Medicine sessions, 3 in total.</strong> Each lasts about 8 hours, and they are roughly a month apart. You
            take the medicine at the clinic and stay there for the whole session, with both therapists. You do not take any
            medicine home.
          </>,
          <>
            <strong>Integration, about 9 sessions in total.</strong> After each medicine session you meet your therapists again.
            Together you make sense of what came up and how to carry it into daily life.
          </>,
        ]}
      />

      <H2>Two therapists, and trust</H2>
      <P>
        Two therapists work with you through the program. The therapy matters as much as the drug. The trust between you and
        your therapists has a name in research: the therapeutic alliance. It is built in the preparation sessions, and it is
        part of the method, not an extra.
      </P>
      <Note>
        MDMA-assisted therapy is a program of many sessions over a few months. It is not a pill to take on your own. In the
        United States it is only given inside clinical trials, because the FDA has not approved it
        <Cite ids={['fdaCompleteResponse']} />.
      </Note>

      <ForReader reader={reader} only="supporter">
        If someone you care about joins a trial, ask the study team how you can help, and what the days after a long session
        may be like. Being there to listen, without pushing them to share, is often the best help. Look after your own rest too.
      </ForReader>

      <P>Next time: what the two large trials found, with the exact numbers and their limits.</P>
      <ReplyInvite replyTo={props.replyTo} />
      <SignOff clinicName={props.clinicName} />
      <Sources ids={['mapp1']}>The first trial report describes this protocol in full.</Sources>
    </SequenceLayout>
  );
}

HowTheTreatmentWorksEmail.PreviewProps = { ...sampleProps } satisfies SequenceEmailProps;
