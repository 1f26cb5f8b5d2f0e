import { SequenceLayout } from './_components/layout.js';
import { ForReader, Greeting, H2, List, Note, P, ReplyInvite, SignOff, Sources } from './_components/parts.js';
import { sampleProps, type SequenceEmailProps } from './_components/props.js';
import { readerOrDefault } from './_components/types.js';

export const subject = 'Safety, side effects and who should not take part';
export const preheader = 'What people in the trials felt during and after sessions, which medicines matter, and who is screened out.';

export default function SafetyEmail(props: SequenceEmailProps) {
  const reader = readerOrDefault(props.reader);
  return (
    <SequenceLayout series="education" step={6} subject={subject} heading="Safety, side effects and who should not take part" preheader={preheader} props={props}>
      <Greeting firstName={props.firstName} />
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
      <List items={['some heart conditions', 'high blood pressure that is not under control', 'pregnancy', 'some psychiatric histories']} />

      <H2>Medicines matter</H2>
      <P>MDMA is dangerous with MAOIs, a type of antidepressant. SSRIs and similar antidepressants can blunt the effects of MDMA.</P>
      <Note>
        Never stop or change a medicine on your own to join a trial. Only change it together with the clinician who prescribes
        it. Stopping some medicines suddenly can make you unwell.
      </Note>

      <ForReader reader={reader} only="supporter">
        If someone you care about is in a trial, they may feel tired or low for a few days after a session. Check in gently,
        and remind them that any change to their medicines goes through their prescriber. Your own rest matters too.
      </ForReader>
      <ForReader reader={reader} only="professional">
        Each study sets its own entry rules. You can read them in each trial's listing on ClinicalTrials.gov, and in the
        methods of the two trial papers linked below. Ask the study team about drug interactions before any change to a
        patient's medicines.
      </ForReader>

      <P>Next time: why street "Molly" is not the same as the treatment in the trials.</P>
      <ReplyInvite replyTo={props.replyTo} />
      <SignOff clinicName={props.clinicName} />
      <Sources ids={['mapp1', 'mapp2', 'clinicalTrialsSearch']} />
    </SequenceLayout>
  );
}

SafetyEmail.PreviewProps = { ...sampleProps } satisfies SequenceEmailProps;
