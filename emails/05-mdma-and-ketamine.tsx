import { EmailLayout, kickerFor } from './_components/layout';
import { Figures, Greeting, H2, Note, P, SignOff, Sources } from './_components/parts';
import { sampleProps, type SequenceEmailProps } from './_components/props';

export const subject = 'MDMA and ketamine: how they differ';
export const preheader = 'How each one works, how long a session takes, where each stands with the FDA, and what "off-label" means.';

export default function MdmaAndKetamineEmail({ firstName, publicUrl, unsubscribeUrl, postalAddress }: SequenceEmailProps) {
  return (
    <EmailLayout
      title={subject}
      heading="MDMA and ketamine: how they differ"
      preheader={preheader}
      kicker={kickerFor(5)}
      publicUrl={publicUrl}
      unsubscribeUrl={unsubscribeUrl}
      postalAddress={postalAddress}
    >
      <Greeting firstName={firstName} />
      <P>
        Our clinic offers ketamine-assisted therapy, so people often ask us how it compares with MDMA-assisted therapy. Here is
        a plain comparison.
      </P>

      <H2>How they work</H2>
      <P>
        MDMA makes the brain release more serotonin, dopamine and norepinephrine, and it raises oxytocin. Ketamine works in a
        different way: it acts quickly on glutamate, through what are called NMDA receptors.
      </P>

      <H2>How long a session takes</H2>
      <P>
        In the MDMA trials, each medicine session lasted about 8 hours. Ketamine sessions are shorter, about 1 to 2 hours.
      </P>
      <Figures
        caption="MDMA and ketamine compared"
        head={['', 'Session length']}
        rows={[
          ['MDMA (in trials)', 'about 8 hours'],
          ['Ketamine', 'about 1-2 hours'],
        ]}
      />

      <H2>Where each stands with the FDA</H2>
      <P>
        Ketamine has been FDA-approved as an anesthetic since 1970. Esketamine, a nasal spray sold as Spravato, was approved in
        2019 for treatment-resistant depression. In 2020 its use was extended to depressive symptoms in adults with suicidal
        thoughts, and in 2025 to use on its own, as monotherapy. Spravato is given only in certified settings, under a safety
        program called REMS.
      </P>
      <Note>
        <strong>Our ketamine is used off-label.</strong> Racemic ketamine, the kind our clinic offers by mouth, is not
        FDA-approved for any psychiatric condition. "Off-label" means a doctor prescribes a medicine for a use that the FDA has
        not approved. Ask us about what this means before you decide on any treatment.
      </Note>
      <P>
        MDMA-assisted therapy is not approved by the FDA for any use. In the United States, it is available only inside
        clinical trials.
      </P>

      <H2>What this means today</H2>
      <P>
        Ketamine can be an option today for some people with depression. MDMA is not an option today outside a clinical trial
        in the United States. Whether either one fits you is a question for a qualified clinician who knows your history.
      </P>
      <P>Next time: the side effects of MDMA, and who should not take part in a trial.</P>
      <SignOff />
      <Sources>
        Sources: US Food and Drug Administration (FDA) records for ketamine and for esketamine (Spravato).
      </Sources>
    </EmailLayout>
  );
}

MdmaAndKetamineEmail.PreviewProps = { ...sampleProps } satisfies SequenceEmailProps;
