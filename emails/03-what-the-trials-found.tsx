import { SequenceLayout } from './_components/layout.js';
import { Figures, ForReader, Greeting, H2, List, Note, P, ReplyInvite, SignOff, Sources } from './_components/parts.js';
import { sampleProps, type SequenceEmailProps } from './_components/props.js';
import { readerOrDefault } from './_components/types.js';

export const subject = 'What the trials found';
export const preheader = 'The two large MDMA trials for PTSD in exact numbers, their side effects, and what they cannot tell us yet.';

/** The common side effects seen in the trials: said beside the benefit figures, which never stand alone. */
export const TRIAL_SIDE_EFFECTS =
  'The trials also found side effects. The common ones were jaw clenching, nausea, muscle tightness, reduced appetite and sweating. Heart rate and blood pressure went up during sessions.';

export default function WhatTheTrialsFoundEmail(props: SequenceEmailProps) {
  const reader = readerOrDefault(props.reader);
  return (
    <SequenceLayout series="education" step={3} subject={subject} heading="What the trials found" preheader={preheader} props={props}>
      <Greeting firstName={props.firstName} />
      <P>
        MDMA-assisted therapy for PTSD was tested in two Phase 3 trials. Phase 3 is the last stage before a company can ask for
        approval. Both trials were called MAPP, and both had the same design.
      </P>
      <P>
        Everyone got the same therapy. One group also got MDMA in the medicine sessions. The other group got a placebo, a pill
        with no drug in it. Then the researchers compared the two groups.
      </P>

      <H2>The first trial (MAPP1)</H2>
      <P>
        This trial included 90 participants with severe PTSD (Mitchell et al., Nature Medicine, 2021). About 2 months after
        treatment, 67% of people in the MDMA group no longer met PTSD criteria. In the placebo group, who had the same therapy,
        32% no longer met PTSD criteria.
      </P>
      <Figures
        caption="MAPP1 results, about 2 months after treatment"
        head={['MAPP1: 90 participants', 'No longer met PTSD criteria']}
        rows={[
          ['MDMA plus therapy', '67%'],
          ['Placebo plus the same therapy', '32%'],
        ]}
      />
      <P>
        The effect size was d = 0.91. An effect size tells you how big the difference between the groups was. Researchers
        usually call 0.8 or more a large effect.
      </P>

      <H2>The second trial (MAPP2)</H2>
      <P>
        This trial included 104 participants with moderate to severe PTSD (Mitchell et al., Nature Medicine, 2023). The group
        of people in it was more diverse than in the first trial.
      </P>
      <Figures
        caption="MAPP2 results"
        head={['MAPP2: 104 participants', 'MDMA vs placebo']}
        rows={[
          ['No longer met PTSD criteria', '71% vs 48%'],
          ['Remission (very few symptoms left)', '46% vs 21%'],
        ]}
      />
      <P>
        In the MDMA group, 71% no longer met PTSD criteria, against 48% in the placebo group. Remission is a stricter measure:
        it means very few symptoms were left. Remission was reached by 46% in the MDMA group and 21% in the placebo group. The
        effect size was d = 0.7.
      </P>

      <H2>Side effects in the trials</H2>
      <Note>
        {TRIAL_SIDE_EFFECTS} Email 6 covers safety in full, including who should not take part.
      </Note>
      <P>
        You may see bigger numbers quoted online. Some of them mix different measures. The figures above are the ones the two
        trials reported.
      </P>

      <H2>What the trials cannot tell us yet</H2>
      <List
        items={[
          'They were small: 90 and 104 participants.',
          'They were hard to blind. MDMA has strong effects, so most participants guessed which group they were in. That can shape the results.',
          'Many participants had taken MDMA before the trials, so some may have known what to expect.',
          'The way side effects were recorded has been questioned.',
          'Follow-up was short, so we know little about how long the benefits last.',
          'Participants were carefully selected. Many people with PTSD would not have qualified, for example because of some heart conditions or other mental-health conditions.',
        ]}
      />
      <P>
        These results are promising, and they are also limited. That is one reason the story does not end with these trials.
        Where MDMA therapy stands today is the topic of our next email.
      </P>

      <ForReader reader={reader} only="supporter">
        These numbers describe groups, not any one person. If someone you care about feels hopeful, you can help them ask a
        clinician what the results mean for them. It is normal to feel hope and worry at once; talk to someone you trust about it.
      </ForReader>
      <ForReader reader={reader} only="professional">
        Both papers are open access: the links below lead to their full methods, outcome measures, adverse events and exclusion
        criteria. Screening left out people with some heart conditions, high blood pressure that was not under control,
        pregnancy and some psychiatric histories, so many of your patients would not have been eligible.
      </ForReader>

      <ReplyInvite replyTo={props.replyTo} />
      <SignOff clinicName={props.clinicName} />
      <Sources ids={['mapp1', 'mapp2']} />
    </SequenceLayout>
  );
}

WhatTheTrialsFoundEmail.PreviewProps = { ...sampleProps } satisfies SequenceEmailProps;
