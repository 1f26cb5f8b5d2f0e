import { EmailLayout, kickerFor } from './_components/layout';
import { Greeting, H2, List, Note, P, SignOff } from './_components/parts';
import { sampleProps, type SequenceEmailProps } from './_components/props';

export const subject = 'How the research treatment works';
export const preheader = 'Preparation, three long medicine sessions and integration, with two therapists the whole way.';

export default function HowTheTreatmentWorksEmail({ firstName, publicUrl, unsubscribeUrl, postalAddress }: SequenceEmailProps) {
  return (
    <EmailLayout
      title={subject}
      heading="How the research treatment works"
      preheader={preheader}
      kicker={kickerFor(2)}
      publicUrl={publicUrl}
      unsubscribeUrl={unsubscribeUrl}
      postalAddress={postalAddress}
    >
      <Greeting firstName={firstName} />
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
        Two therapists work with you through the program. The therapy matters as much as the drug. The trust between
        you and your therapists has a name in research: the therapeutic alliance. It is built in the preparation sessions, and
        it is part of the method, not an extra.
      </P>
      <Note>
        MDMA-assisted therapy is a program of many sessions over a few months. It is not a pill to take on your own.
      </Note>
      <P>Next time: what the two large trials found, with the exact numbers and their limits.</P>
      <SignOff />
    </EmailLayout>
  );
}

HowTheTreatmentWorksEmail.PreviewProps = { ...sampleProps } satisfies SequenceEmailProps;
