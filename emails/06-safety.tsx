import { EmailLayout, kickerFor } from './_components/layout';
import { Greeting, H2, List, Note, P, SignOff } from './_components/parts';
import { sampleProps, type SequenceEmailProps } from './_components/props';

export const subject = 'Safety, side effects and who should not take part';
export const preheader = 'What people felt during and after sessions, which medicines matter, and who is screened out of trials.';

export default function SafetyEmail({ firstName, publicUrl, unsubscribeUrl, postalAddress }: SequenceEmailProps) {
  return (
    <EmailLayout
      title={subject}
      heading="Safety, side effects and who should not take part"
      preheader={preheader}
      kicker={kickerFor(6)}
      publicUrl={publicUrl}
      unsubscribeUrl={unsubscribeUrl}
      postalAddress={postalAddress}
    >
      <Greeting firstName={firstName} />
      <P>
        No medicine is free of risk, and MDMA is no exception. This is one reason it is given only in a clinic, with trained
        staff, in research. Here is what the trials reported.
      </P>

      <H2>During a session</H2>
      <List
        items={[
          'Higher blood pressure, heart rate and body temperature',
          'Sweating or chills',
          'Jaw clenching',
          'Nausea and loss of appetite',
          'Anxiety',
        ]}
      />

      <H2>In the days after</H2>
      <P>Some people feel tired or low in mood for a few days after a session.</P>

      <H2>Who may be screened out</H2>
      <P>Trials check each person carefully before they can take part. Screening excludes people with:</P>
      <List
        items={[
          'some heart conditions',
          'high blood pressure that is not under control',
          'pregnancy',
          'some psychiatric histories',
        ]}
      />

      <H2>Medicines matter</H2>
      <P>
        MDMA is dangerous with MAOIs, a type of antidepressant. SSRIs and similar antidepressants can blunt the effects of
        MDMA.
      </P>
      <Note>
        Never stop or change a medicine on your own to join a trial. Only change it together with the clinician who prescribes
        it. Stopping some medicines suddenly can make you unwell.
      </Note>
      <P>Next time: why street "Molly" is not the same as the treatment in the trials.</P>
      <SignOff />
    </EmailLayout>
  );
}

SafetyEmail.PreviewProps = { ...sampleProps } satisfies SequenceEmailProps;
