import { crisisRegion } from './_components/crisis-lines.js';
import { SequenceLayout } from './_components/layout.js';
import { ForReader, Greeting, H2, List, Note, P, ReplyInvite, SignOff } from './_components/parts.js';
import { sampleProps, type SequenceEmailProps } from './_components/props.js';
import { readerOrDefault } from './_components/types.js';

export const subject = 'Why street Molly is not therapy';
export const preheader = 'What is sold as Molly or ecstasy is often something else, and the care around it is missing.';

export default function StreetMollyEmail(props: SequenceEmailProps) {
  const reader = readerOrDefault(props.reader);
  return (
    <SequenceLayout series="education" step={7} subject={subject} heading="Why street Molly is not therapy" preheader={preheader} props={props} substanceUse>
      <Greeting firstName={props.firstName} />
      <P>
        After reading about the trials, some people wonder about trying MDMA on their own. That is an understandable thought
        when you are hurting. Here is why it is not the same thing, and why it can be dangerous.
      </P>

      <H2>You cannot know what is in it</H2>
      <P>
        Pills and powders sold as "Molly" or "ecstasy" are often not MDMA, or are mixed with other drugs. The most common
        substitutes are synthetic cathinones (sometimes sold as "bath salts") and methamphetamine. Fentanyl is rare in tested
        Molly, but it has been found. You cannot tell by looking at them.
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
        You can talk to a clinician about it. Their job is your health, not judging you. Honest information helps them care for
        you well.{' '}
        {crisisRegion(props) === 'US'
          ? 'For help with drug or alcohol use, the SAMHSA National Helpline is at the bottom of this email. If you ever feel unsafe, use the crisis line there too.'
          : 'If you ever feel unsafe, use the crisis line at the bottom of this email.'}
      </P>

      <ForReader reader={reader} only="supporter">
        If someone you love is thinking about street MDMA, listen first and try not to shame them. Share what you have learned,
        and suggest they talk with a clinician. Worry for someone is heavy, so find support for yourself too.
      </ForReader>

      <P>Next time, in our last email: practical next steps, including treatments with strong evidence for PTSD today.</P>
      <ReplyInvite replyTo={props.replyTo} />
      <SignOff clinicName={props.clinicName} />
    </SequenceLayout>
  );
}

StreetMollyEmail.PreviewProps = { ...sampleProps } satisfies SequenceEmailProps;
