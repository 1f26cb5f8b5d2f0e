import { SequenceLayout } from './_components/layout.js';
import { Cite, ForReader, Greeting, H2, KETAMINE_NOT_FOR_PTSD, KETAMINE_RISKS, List, Note, P, ReplyInvite, SignOff, Sources } from './_components/parts.js';
import { sampleProps, type SequenceEmailProps } from './_components/props.js';
import { readerOrDefault } from './_components/types.js';

export const subject = "Welcome: what MDMA-assisted therapy is (and isn't)";
export const preheader = 'How MDMA is given with therapy in research trials, and what the next three weeks of emails bring.';

export default function WelcomeEmail(props: SequenceEmailProps) {
  const reader = readerOrDefault(props.reader);
  return (
    <SequenceLayout series="education" step={1} subject={subject} heading="What MDMA-assisted therapy is, and what it isn't" preheader={preheader} props={props}>
      <Greeting firstName={props.firstName} />
      <P>
        Thank you for signing up. Over the next three weeks we will send you eight short emails about MDMA-assisted therapy
        for PTSD. We will tell you what the research shows, and say plainly where it stops.
      </P>
      <P>
        A word about us: we are a mental-health clinic that offers ketamine-assisted therapy. We do not offer MDMA therapy. We
        wrote this series because many people ask us about it. {KETAMINE_NOT_FOR_PTSD} {KETAMINE_RISKS} Email 5 says more.
      </P>

      <H2>What MDMA is</H2>
      <P>
        MDMA is short for 3,4-methylenedioxymethamphetamine. Researchers call it an "entactogen" or "empathogen". It makes the
        brain release more serotonin, dopamine and norepinephrine, and it raises oxytocin. In therapy, this may lower fear and
        make hard memories easier to approach.
      </P>
      <P>
        MDMA is different from classic psychedelics such as psilocybin or LSD. It usually does not cause strong visual changes.
        People describe feeling emotionally open and less afraid. "Ecstasy" and "Molly" are street names for the same compound,
        or for what is sold as it.
      </P>

      <H2>What MDMA-assisted therapy is</H2>
      <P>
        It is a drug and a therapy together. In research, MDMA is given in a clinic, with two therapists in the room. It is
        never taken home. The therapy around the medicine sessions matters as much as the drug itself.
      </P>
      <P>
        It was studied for adults with PTSD, including survivors of childhood abuse, combat veterans and first responders. Its
        use for depression is being explored, but the evidence there is early and small: the large Phase 3 trials tested PTSD,
        not depression.
      </P>

      <H2>What it isn't</H2>
      <Note>
        MDMA-assisted therapy is not approved by the FDA. In the United States, it is available only inside clinical trials
        <Cite ids={['fdaCompleteResponse']} />. We will explain why in email 4.
      </Note>

      <ForReader reader={reader} only="supporter">
        Thank you for learning about this for someone you care about. You can share what you read, but let them set the pace.
        Caring for someone with PTSD is hard, so make room for your own rest and support too.
      </ForReader>

      <H2>What this series covers</H2>
      <P>One email every few days, in the morning:</P>
      <List
        ordered
        items={[
          'What MDMA-assisted therapy is (this email)',
          'How the research treatment works',
          'What the trials found',
          'Where it stands with the FDA and around the world',
          'MDMA and ketamine: how they differ',
          'Safety, side effects and who should not take part',
          'Why street Molly is not therapy',
          'Your next steps',
        ]}
      />
      <P>You can stop at any time with the unsubscribe link at the bottom of every email.</P>
      <ReplyInvite replyTo={props.replyTo} />
      <SignOff clinicName={props.clinicName} />
      <Sources ids={['fdaAdvisoryCommittee', 'clinicalTrialsSearch']} />
    </SequenceLayout>
  );
}

WelcomeEmail.PreviewProps = { ...sampleProps } satisfies SequenceEmailProps;
