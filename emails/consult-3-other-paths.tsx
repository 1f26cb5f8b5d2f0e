import { SequenceLayout } from './_components/layout.js';
import { A, Cite, ForReader, Greeting, H2, KETAMINE_NOT_FOR_PTSD, KETAMINE_RISKS, Note, P, ReplyInvite, SignOff, Sources, TraumaFocusedTherapies } from './_components/parts.js';
import { sampleProps, type SequenceEmailProps } from './_components/props.js';
import { SOURCES } from './_components/sources.js';
import { readerOrDefault } from './_components/types.js';

export const subject = 'Other paths, and how to choose';
export const preheader = 'PTSD treatments with strong evidence, two medicines for PTSD, trials, and how to weigh your choices.';

/** Said where the series ends: this series stops here, the education series carries on for those in it. */
export const LAST_OF_SERIES =
  'This is the last email of this short series. If you also get our education series about MDMA-assisted therapy, those emails carry on as before.';

// Consult follow-up, email 3 of 3: day 14 after the person enters the series.
export default function OtherPathsEmail(props: SequenceEmailProps) {
  const reader = readerOrDefault(props.reader);
  return (
    <SequenceLayout series="consult-follow-up" subject={subject} heading="Other paths, and how to choose" preheader={preheader} props={props}>
      <Greeting firstName={props.firstName} />
      <P>
        Ketamine is one option among several, and for PTSD other paths come first. Here they are, so you can weigh them with a
        clinician.
      </P>

      <H2>Trauma-focused therapies come first</H2>
      <P>
        For PTSD, trauma-focused therapies are the first-line treatments. First-line means they are what is usually tried first.
        You do not need to wait for a trial to get them:
      </P>
      <TraumaFocusedTherapies />

      <H2>Two medicines for PTSD</H2>
      <P>
        Two medicines have FDA approval for PTSD: sertraline and paroxetine
        <Cite ids={['sertralineLabel', 'paroxetineLabel']} />. Both are antidepressants of the SSRI type. Never start, stop or
        change a medicine without the clinician who prescribes it.
      </P>

      <H2>MDMA: only in trials</H2>
      <P>
        MDMA-assisted therapy is not approved by the FDA. In the United States, it is available only inside clinical trials
        <Cite ids={['fdaCompleteResponse']} />. ClinicalTrials.gov is the US public list of clinical studies. This link opens
        its <A href={SOURCES.clinicalTrialsSearch.url}>list of MDMA trials for PTSD that are recruiting</A>.
      </P>

      <H2>Where ketamine fits</H2>
      <Note>
        {KETAMINE_NOT_FOR_PTSD} It can be an option today for some people with depression. The ketamine our clinic offers by
        mouth is used off-label: it is not FDA-approved for any psychiatric condition
        <Cite ids={['fdaKetamineWarning']} />.
      </Note>
      <P>{KETAMINE_RISKS}</P>

      <H2>How to choose</H2>
      <P>
        Start with a clinician you trust who knows your history. Ask what each path involves, how long it takes, and what its
        risks are. Ask what the evidence says for someone like you. You can take your time, and you can change your mind.
      </P>

      <ForReader reader={reader} only="supporter">
        You can help someone compare these paths, and go with them to appointments if they want. The choice is theirs. Caring for
        someone with PTSD is hard work, so support for you matters too.
      </ForReader>
      <ForReader reader={reader} only="professional">
        The FDA pages for <A href={SOURCES.sertralineLabel.url}>sertraline</A> and{' '}
        <A href={SOURCES.paroxetineLabel.url}>paroxetine</A>, linked here, lead to their labels with the PTSD indication. Each
        trial's listing on ClinicalTrials.gov says who can take part and who to contact.
      </ForReader>

      <H2>What happens next</H2>
      <P>{LAST_OF_SERIES}</P>
      <P>If you need help now, the crisis lines at the bottom of this email are there for you.</P>
      <ReplyInvite replyTo={props.replyTo} />
      <SignOff clinicName={props.clinicName} />
      <Sources ids={['sertralineLabel', 'paroxetineLabel', 'fdaCompleteResponse', 'clinicalTrialsSearch', 'fdaKetamineWarning']} />
    </SequenceLayout>
  );
}

OtherPathsEmail.PreviewProps = { ...sampleProps } satisfies SequenceEmailProps;
