import { EmailLayout, kickerFor } from './_components/layout';
import { Greeting, H2, List, Note, P, SignOff, Sources } from './_components/parts';
import { sampleProps, type SequenceEmailProps } from './_components/props';

export const subject = 'Where MDMA therapy stands: the FDA and the world';
export const preheader = 'In the US it is available only in clinical trials. Here are the dates that explain why.';

export default function WhereItStandsEmail({ firstName, publicUrl, unsubscribeUrl, postalAddress }: SequenceEmailProps) {
  return (
    <EmailLayout
      title={subject}
      heading="Where it stands: the FDA and the world"
      preheader={preheader}
      kicker={kickerFor(4)}
      publicUrl={publicUrl}
      unsubscribeUrl={unsubscribeUrl}
      postalAddress={postalAddress}
    >
      <Greeting firstName={firstName} />
      <P>
        News stories about MDMA therapy can be confusing, and some are out of date. Here is the short answer, then the record
        with its dates.
      </P>
      <Note>
        In the United States, MDMA-assisted therapy is not approved by the FDA. It is available only inside clinical trials.
      </Note>

      <H2>The record in the United States</H2>
      <List
        items={[
          <>
            <strong>August 2017:</strong> the FDA gave MDMA-assisted therapy for PTSD "Breakthrough Therapy" designation. This
            can speed up the development and review of a promising treatment. It is not an approval.
          </>,
          <>
            <strong>June 4, 2024:</strong> an FDA advisory committee of outside experts voted against it. The votes were 9-2
            against on whether it works, and 10-1 against on whether its benefits outweigh its risks.
          </>,
          <>
            <strong>August 9, 2024:</strong> the FDA declined to approve it. It sent a "complete response letter" and asked for
            another Phase 3 trial. In the same month, a journal retracted three earlier Phase 2 papers over concerns about how
            the protocol was followed at one study site.
          </>,
          <>
            <strong>September 2025:</strong> the FDA published that letter.
          </>,
        ]}
      />

      <H2>Around the world</H2>
      <P>
        Australia: since July 1, 2023, specially authorised psychiatrists may prescribe MDMA for PTSD. This is a tightly
        controlled exception, and it does not change anything in the United States.
      </P>

      <H2>What this means for you</H2>
      <P>
        In the United States, the only way to receive MDMA-assisted therapy is to take part in a clinical trial. Our last email
        explains how to look for one. If anyone offers you MDMA therapy outside a trial, it is not the treatment that was
        studied.
      </P>
      <P>Next time: how MDMA and ketamine differ, including where each stands with the FDA.</P>
      <SignOff />
      <Sources>
        Sources: announcements and letters of the US Food and Drug Administration (FDA); Australia's Therapeutic Goods
        Administration (TGA).
      </Sources>
    </EmailLayout>
  );
}

WhereItStandsEmail.PreviewProps = { ...sampleProps } satisfies SequenceEmailProps;
