import { SequenceLayout } from './_components/layout.js';
import { Cite, ConsultButton, ForReader, Greeting, H2, KETAMINE_NOT_FOR_PTSD, KETAMINE_RISKS, Note, P, ReplyInvite, SignOff, Sources } from './_components/parts.js';
import { sampleProps, type SequenceEmailProps } from './_components/props.js';
import { readerOrDefault } from './_components/types.js';

export const subject = 'Questions to ask any ketamine provider';
export const preheader = 'Five questions for any ketamine provider, us included: who assesses you, supervision, compounding, follow-up and cost.';

/** The five questions, as the headings of the email. */
export const QUESTIONS = [
  'Who assesses me, and how?',
  'How are sessions supervised, and who do I call in an emergency?',
  'Is the ketamine compounded, and where does it come from?',
  'What follow-up and therapy come with it?',
  'What does it cost, and what does insurance cover?',
] as const;

// Consult follow-up, email 2 of 3: day 7 after the person enters the series.
export default function QuestionsToAskEmail(props: SequenceEmailProps) {
  const reader = readerOrDefault(props.reader);
  const [assess, supervise, compounded, followUp, cost] = QUESTIONS;
  return (
    <SequenceLayout series="consult-follow-up" subject={subject} heading="Questions to ask any ketamine provider" preheader={preheader} props={props}>
      <Greeting firstName={props.firstName} />
      <P>
        If you are thinking about ketamine, it is worth asking any provider the same questions. That includes our clinic. Here
        are five to take with you. Write down the answers, so you can compare them.
      </P>

      <H2>{assess}</H2>
      <P>
        Ask who will assess you before any treatment, and what they will check. An assessment should look at your health, your
        history and the medicines you take.
      </P>

      <H2>{supervise}</H2>
      <P>
        Ask who is with you during a session, and who checks how you are doing. Ask who to call if something goes wrong during or
        after a session, and whether someone answers at night.
      </P>
      <P>
        The FDA's 2023 warning says that using ketamine at home, with no one monitoring you, adds risk
        <Cite ids={['fdaKetamineWarning']} />. Spravato is given only in certified settings, and after each Spravato dose you are
        watched for at least 2 hours
        <Cite ids={['spravatoLabel']} />.
      </P>

      <H2>{compounded}</H2>
      <P>
        No ketamine taken by mouth is FDA-approved for any use. It is usually made by a compounding pharmacy. On October 10,
        2023, the FDA warned patients and clinicians about compounded ketamine. It said the FDA does not check compounded
        products for safety, effectiveness or quality
        <Cite ids={['fdaKetamineWarning']} />. So ask whether the ketamine is compounded, and which pharmacy makes it.
      </P>
      <Note>
        The ketamine our clinic offers by mouth is used off-label: it is not FDA-approved for any psychiatric condition
        <Cite ids={['fdaKetamineWarning']} />. {KETAMINE_NOT_FOR_PTSD}
      </Note>

      <H2>{followUp}</H2>
      <P>
        Ask what support you get between sessions and after the last one. Ask whether therapy is part of the program, and who
        gives it. Ask how they will check on you over time.
      </P>

      <H2>{cost}</H2>
      <P>
        Ask for the full cost: the first visit, each session and any follow-up. Spravato may be covered by insurance. Compounded
        ketamine taken by mouth usually is not. Ask your insurer what your plan covers before you start.
      </P>

      <H2>The risks to ask about</H2>
      <P>{KETAMINE_RISKS} Ask any provider how they watch for each of these.</P>

      <P>You can ask us all of these questions at a consult.</P>
      <ConsultButton bookingUrl={props.bookingUrl} />

      <ForReader reader={reader} only="supporter">
        You could ask these questions together, or write down the answers while they talk. Money can be a worry, so it may help
        to look at the costs side by side. Caring for someone is hard work; make time for your own support too.
      </ForReader>

      <P>Next time, in the last email of this series: other paths for PTSD, and how to choose.</P>
      <ReplyInvite replyTo={props.replyTo} />
      <SignOff clinicName={props.clinicName} />
      <Sources ids={['fdaKetamineWarning', 'spravatoLabel']} />
    </SequenceLayout>
  );
}

QuestionsToAskEmail.PreviewProps = { ...sampleProps } satisfies SequenceEmailProps;
