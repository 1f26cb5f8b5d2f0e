import { SequenceLayout } from './_components/layout.js';
import {
  A,
  Cite,
  ClinicSessions,
  ConsultButton,
  Figures,
  ForReader,
  Greeting,
  H2,
  KETAMINE_NOT_FOR_PTSD,
  KETAMINE_RISKS,
  List,
  Note,
  P,
  ReplyInvite,
  SignOff,
  Sources,
} from './_components/parts.js';
import { sampleProps, type SequenceEmailProps } from './_components/props.js';
import { SOURCES } from './_components/sources.js';
import { readerOrDefault } from './_components/types.js';

export const subject = 'MDMA and ketamine: how they differ';
export const preheader = 'How MDMA, tested in research trials, and ketamine differ: how each feels, session length, risks and FDA status.';

// Written for reading grade 8 or below (test/emails/readability.test.ts measures its prose).
export default function MdmaAndKetamineEmail(props: SequenceEmailProps) {
  const reader = readerOrDefault(props.reader);
  return (
    <SequenceLayout series="education" step={5} subject={subject} heading="MDMA and ketamine: how they differ" preheader={preheader} props={props}>
      <Greeting firstName={props.firstName} />
      <P>
        Our clinic offers ketamine-assisted therapy. So people often ask us how it compares with MDMA-assisted therapy. Here is
        a plain comparison, with the risks of each.
      </P>

      <H2>How they work, and how they feel</H2>
      <P>
        MDMA makes the brain release more serotonin, dopamine and norepinephrine. It also raises oxytocin. Ketamine works in a
        different way: it acts quickly on glutamate, through what are called NMDA receptors.
      </P>
      <P>
        They also feel different. Ketamine tends to make people feel detached from their body or the room. This is called
        dissociation. MDMA tends to bring a sense of emotional closeness and openness, which is why it is called an empathogen.
        That is one reason the MDMA research method leans on trust with the therapists.
      </P>

      <H2>How long a session takes</H2>
      <P>
        In the MDMA trials, each medicine session lasted about 8 hours. Ketamine sessions take a few hours. After each Spravato
        dose you are watched for at least 2 hours
        <Cite ids={['spravatoLabel']} />.
      </P>
      <Figures
        caption="Session length: MDMA and ketamine compared"
        head={['Medicine', 'Session length']}
        rows={[
          ['MDMA (in trials)', 'about 8 hours'],
          ['Ketamine', 'a few hours'],
          ['Spravato (after each dose)', 'watched for 2 hours or more'],
        ]}
      />

      <H2>Where ketamine stands with the FDA</H2>
      <P>
        Ketamine given by injection, into a vein or a muscle, has been FDA-approved as an anesthetic since 1970
        <Cite ids={['ketalarLabel']} />. No ketamine taken by mouth is FDA-approved for any use. Ketamine taken by mouth is
        usually made by a compounding pharmacy.
      </P>
      <P>
        Esketamine is one form of ketamine. It is sold as a nasal spray called Spravato. Here is what the FDA has approved it
        for
        <Cite ids={['spravatoLabel']} />:
      </P>
      <List
        items={[
          <>
            <strong>2019:</strong> Spravato was approved for treatment-resistant depression in adults, together with an oral
            antidepressant.
          </>,
          <>
            <strong>2020:</strong> Spravato was approved for depressive symptoms in adults with major depressive disorder with
            acute suicidal thoughts or behaviour, also together with an oral antidepressant. Its label says it has not been
            shown to prevent suicide or to reduce suicidal thoughts or behaviour. It does not replace hospital care when that
            is needed.
          </>,
          <>
            <strong>2025:</strong> Spravato was approved on its own, as monotherapy, for treatment-resistant depression in
            adults.
          </>,
        ]}
      />
      <P>
        Spravato is given only in certified settings, under a safety program called REMS
        <Cite ids={['spravatoLabel']} />.
      </P>
      <Note>
        <strong>Our ketamine is used off-label.</strong> Racemic ketamine, the kind our clinic offers by mouth, is not
        FDA-approved for any psychiatric condition
        <Cite ids={['fdaKetamineWarning']} />. "Off-label" means a doctor uses a medicine for something the FDA has not approved
        it for. {KETAMINE_NOT_FOR_PTSD}
      </Note>

      <H2>The FDA's warning about compounded ketamine</H2>
      <P>
        On October 10, 2023, the FDA{' '}
        <A href={SOURCES.fdaKetamineWarning.url}>warned patients and clinicians about compounded ketamine</A>, including forms
        taken by mouth, for mental-health conditions. It said:
      </P>
      <List
        items={[
          'Ketamine is not FDA-approved for any psychiatric disorder.',
          'The FDA does not check compounded products for safety, effectiveness or quality.',
          'Using ketamine at home, with no one monitoring you, adds risk.',
        ]}
      />
      <ClinicSessions setting={props.sessionSetting} />

      <H2>The risks of ketamine</H2>
      <P>{KETAMINE_RISKS}</P>

      <H2>Where MDMA stands</H2>
      <P>
        MDMA-assisted therapy is not approved by the FDA for any use. In the United States, it is available only inside
        clinical trials
        <Cite ids={['fdaCompleteResponse']} />.
      </P>

      <H2>What this means today</H2>
      <P>
        Ketamine can be an option today for some people with depression. In the United States, MDMA is not an option today
        outside a clinical trial. Is either one right for you? That is a question for a qualified clinician who knows your
        history.
      </P>
      <ConsultButton bookingUrl={props.bookingUrl} />

      <ForReader reader={reader} only="supporter">
        If you are helping someone think about ketamine, you could ask the clinician together. What are the risks for this
        person? How will they be watched during sessions? What else could help? You can offer to go with them, if they want you
        there.
      </ForReader>

      <P>Next time: the side effects of MDMA, and who should not take part in a trial.</P>
      <ReplyInvite replyTo={props.replyTo} />
      <SignOff clinicName={props.clinicName} />
      <Sources ids={['fdaKetamineWarning', 'ketalarLabel', 'spravatoLabel']} />
    </SequenceLayout>
  );
}

MdmaAndKetamineEmail.PreviewProps = { ...sampleProps } satisfies SequenceEmailProps;
