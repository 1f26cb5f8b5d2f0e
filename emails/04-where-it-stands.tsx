import { SequenceLayout } from './_components/layout.js';
import { Cite, ForReader, Greeting, H2, List, Note, P, ReplyInvite, SignOff, Sources } from './_components/parts.js';
import { sampleProps, type SequenceEmailProps } from './_components/props.js';
import { readerOrDefault } from './_components/types.js';

export const subject = 'Where MDMA therapy stands: the FDA and the world';
export const preheader = 'In the US it is available only in clinical trials. Here are the dates that explain why.';

export default function WhereItStandsEmail(props: SequenceEmailProps) {
  const reader = readerOrDefault(props.reader);
  return (
    <SequenceLayout series="education" step={4} subject={subject} heading="Where it stands: the FDA and the world" preheader={preheader} props={props}>
      <Greeting firstName={props.firstName} />
      <P>
        News stories about MDMA therapy can be confusing, and some are out of date. Here is the short answer, then the record
        with its dates.
      </P>
      <Note>
        In the United States, MDMA-assisted therapy is not approved by the FDA. It is available only inside clinical trials
        <Cite ids={['fdaCompleteResponse']} />.
      </Note>

      <H2>The record in the United States</H2>
      <List
        items={[
          <>
            <strong>August 2017:</strong> the FDA gave MDMA-assisted therapy for PTSD "Breakthrough Therapy" designation. This
            can speed up the development and review of a promising treatment. It is not an approval
            <Cite ids={['breakthrough2017']} />.
          </>,
          <>
            <strong>June 4, 2024:</strong> an FDA advisory committee of outside experts voted against it. The votes were 9-2
            against on whether it works, and 10-1 against on whether its benefits outweigh its risks with the FDA's proposed
            safety program, called REMS
            <Cite ids={['fdaAdvisoryCommittee']} />.
          </>,
          <>
            <strong>August 9, 2024:</strong> the FDA declined to approve it. It sent a "complete response letter" and asked for
            another Phase 3 trial. Phase 3 is the last stage before a company can ask for approval
            <Cite ids={['fdaCompleteResponse']} />.
          </>,
          <>
            <strong>August 10, 2024:</strong> the journal Psychopharmacology retracted three earlier Phase 2 papers on MDMA-assisted
            therapy. It cited protocol violations amounting to unethical conduct at one study site. The notice says the authors
            did not fully declare a competing interest. It also says they knew of the protocol violations at that site when
            they submitted the papers, but neither disclosed them nor removed that site's data
            <Cite ids={['retraction']} />.
          </>,
          <>
            <strong>September 2025:</strong> the FDA published that letter
            <Cite ids={['fdaLettersPublished']} />.
          </>,
        ]}
      />

      <H2>What the advisory committee was worried about</H2>
      <P>
        At the June 4, 2024 meeting, the concerns raised were these
        <Cite ids={['fdaAdvisoryCommittee']} />:
      </P>
      <List
        items={[
          'Most participants could tell which group they were in, so their expectations may have shaped the results.',
          'Many participants had used MDMA before.',
          'Effects such as euphoria were not fully recorded. That matters for judging the risk of misuse.',
          'Effects on the heart, such as higher blood pressure and heart rate, needed more study.',
          'Nobody knows yet how long the benefit lasts.',
        ]}
      />

      <H2>No other way in, for now</H2>
      <P>
        The US also had a small expanded-access program for MDMA therapy, authorised in 2019. It is now closed. Clinical trials
        remain the only route in the United States.
      </P>

      <H2>Around the world</H2>
      <P>
        Australia: since July 1, 2023, specially authorised psychiatrists may prescribe MDMA for PTSD
        <Cite ids={['tgaDecision']} />. This is a tightly controlled exception, and it does not change anything in the United
        States.
      </P>

      <H2>What this means for you</H2>
      <P>
        In the United States, the only way to receive MDMA-assisted therapy is to take part in a clinical trial
        <Cite ids={['fdaCompleteResponse']} />. Our last email
        explains how to look for one. If anyone in the United States offers you MDMA therapy outside a trial, it is not the
        treatment that was studied.
      </P>

      <ForReader reader={reader} only="supporter">
        If someone you care about is hoping for MDMA therapy, the dates in this email can help them plan. You can help them ask
        a clinician about the treatments with good evidence today. Hope that has to wait is hard; be gentle with them and with
        yourself.
      </ForReader>
      <ForReader reader={reader} only="professional">
        The meeting page linked above lists the FDA's briefing documents and the questions put to the committee. The FDA's
        letter, published in September 2025, sets out what it asked the sponsor to study next
        <Cite ids={['fdaLettersPublished']} />.
      </ForReader>

      <P>Next time: how MDMA and ketamine differ, including the risks of each and where each stands with the FDA.</P>
      <ReplyInvite replyTo={props.replyTo} />
      <SignOff clinicName={props.clinicName} />
      <Sources ids={['fdaAdvisoryCommittee', 'fdaCompleteResponse', 'retraction', 'tgaDecision']} />
    </SequenceLayout>
  );
}

WhereItStandsEmail.PreviewProps = { ...sampleProps } satisfies SequenceEmailProps;
