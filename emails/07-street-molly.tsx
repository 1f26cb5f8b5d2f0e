import { EmailLayout, kickerFor } from './_components/layout';
import { Greeting, H2, List, Note, P, SignOff } from './_components/parts';
import { sampleProps, type SequenceEmailProps } from './_components/props';

export const subject = 'Why street Molly is not therapy';
export const preheader = 'What is sold as Molly or ecstasy is often something else, and the care around it is missing.';

export default function StreetMollyEmail({ firstName, publicUrl, unsubscribeUrl, postalAddress }: SequenceEmailProps) {
  return (
    <EmailLayout
      title={subject}
      heading="Why street Molly is not therapy"
      preheader={preheader}
      kicker={kickerFor(7)}
      publicUrl={publicUrl}
      unsubscribeUrl={unsubscribeUrl}
      postalAddress={postalAddress}
    >
      <Greeting firstName={firstName} />
      <P>
        After reading about the trials, some people wonder about trying MDMA on their own. That is an understandable thought
        when you are hurting. Here is why it is not the same thing, and why it can be dangerous.
      </P>

      <H2>You cannot know what is in it</H2>
      <P>
        Pills and powders sold as "Molly" or "ecstasy" are often not MDMA, or are mixed with other drugs. They can contain
        synthetic cathinones, methamphetamine or fentanyl. You cannot tell by looking at them.
      </P>

      <H2>The drug is only one part of the treatment</H2>
      <P>In the trials, MDMA was one part of a careful program. Taking it alone has none of the rest:</P>
      <List
        items={[
          'no screening for heart problems, medicines or mental-health history',
          'no preparation sessions',
          'no therapists with you through a long session',
          'no integration sessions afterwards',
        ]}
      />
      <Note>Taking MDMA alone is not therapy.</Note>

      <H2>If you already use drugs</H2>
      <P>
        You can talk to a clinician about it without being judged. Honest information helps them keep you safe. If you ever feel
        unsafe, the crisis line at the bottom of this email is open all day and night.
      </P>
      <P>Next time, in our last email: practical next steps, including treatments that work for PTSD today.</P>
      <SignOff />
    </EmailLayout>
  );
}

StreetMollyEmail.PreviewProps = { ...sampleProps } satisfies SequenceEmailProps;
