import { EmailLayout, kickerFor } from './_components/layout';
import { A, Greeting, H2, List, Note, P, SignOff } from './_components/parts';
import { sampleProps, type SequenceEmailProps } from './_components/props';

export const subject = 'Your next steps';
export const preheader = 'How to look for a trial, treatments for PTSD you can get today, and where to find help.';

export const CLINICAL_TRIALS_URL = 'https://clinicaltrials.gov/';

export default function NextStepsEmail({ firstName, publicUrl, unsubscribeUrl, postalAddress }: SequenceEmailProps) {
  return (
    <EmailLayout
      title={subject}
      heading="Your next steps"
      preheader={preheader}
      kicker={kickerFor(8)}
      publicUrl={publicUrl}
      unsubscribeUrl={unsubscribeUrl}
      postalAddress={postalAddress}
    >
      <Greeting firstName={firstName} />
      <P>This is the last email in the series. Thank you for reading. Here are some practical next steps.</P>

      <H2>If you want to join a clinical trial</H2>
      <P>
        Search <A href={CLINICAL_TRIALS_URL}>ClinicalTrials.gov</A>, the US public list of clinical studies. Search for "MDMA"
        and "PTSD" and choose studies that are recruiting. Each listing says who can take part and who to contact. Talk with
        your own clinician before you apply.
      </P>

      <H2>Treatments with strong evidence for PTSD today</H2>
      <P>Trauma-focused therapies have strong evidence for PTSD, and you do not need to wait for a trial to get them:</P>
      <List
        items={[
          <>
            <strong>Prolonged exposure (PE):</strong> step by step, you face the memories and places you have been avoiding,
            with a therapist's support.
          </>,
          <>
            <strong>Cognitive processing therapy (CPT):</strong> you look at the beliefs the trauma left you with, and change
            the ones that keep you stuck.
          </>,
          <>
            <strong>EMDR (eye movement desensitization and reprocessing):</strong> you recall the trauma while following guided
            eye movements.
          </>,
        ]}
      />
      <P>Ask a qualified clinician which one fits you.</P>

      <H2>If you need help now</H2>
      <P>
        In the US, call or text 988 at any time. Veterans can dial 988 then press 1, or text 838255. In an emergency, call 911.
      </P>

      <H2>Talk with us</H2>
      <P>
        Our clinic offers ketamine-assisted therapy. It can be an option today for some people with depression. The ketamine we
        offer by mouth is used off-label: it is not FDA-approved for any psychiatric condition.
      </P>
      <Note>
        If you would like a consult with our ketamine program, reply to this email and our team will get in touch.
      </Note>
      <P>
        If someone you know might find this series useful, they can sign up at <A href={publicUrl}>{publicUrl}</A>.
      </P>
      <SignOff />
    </EmailLayout>
  );
}

NextStepsEmail.PreviewProps = { ...sampleProps } satisfies SequenceEmailProps;
