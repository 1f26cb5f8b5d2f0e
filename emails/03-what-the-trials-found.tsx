import { Figures, Greeting, H2, List, Note, P, SignOff, Sources } from './_components/parts';
import { EmailLayout, kickerFor } from './_components/layout';
import { sampleProps, type SequenceEmailProps } from './_components/props';

export const subject = 'What the trials found';
export const preheader = 'The two large MDMA trials for PTSD in exact numbers, and what they cannot tell us yet.';

export default function WhatTheTrialsFoundEmail({ firstName, publicUrl, unsubscribeUrl, postalAddress }: SequenceEmailProps) {
  return (
    <EmailLayout
      title={subject}
      heading="What the trials found"
      preheader={preheader}
      kicker={kickerFor(3)}
      publicUrl={publicUrl}
      unsubscribeUrl={unsubscribeUrl}
      postalAddress={postalAddress}
    >
      <Greeting firstName={firstName} />
      <P>
        MDMA-assisted therapy for PTSD was tested in two Phase 3 trials. Phase 3 is the last and largest stage of testing of a
        new treatment. Both trials were called MAPP, and both had the same design.
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
        caption="MAPP1 results"
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
      <Note>
        You may see bigger numbers quoted online. Some of them mix different measures. The figures above are the ones the two
        trials reported.
      </Note>

      <H2>What the trials cannot tell us yet</H2>
      <List
        items={[
          'They were small: 90 and 104 participants.',
          'They were hard to blind. MDMA has strong effects, so most participants guessed which group they were in. That can shape the results.',
          'Follow-up was short, so we know little about how long the benefits last.',
          'Participants were carefully selected. Many people with PTSD would not have qualified, for example because of some heart conditions or other mental-health conditions.',
        ]}
      />
      <P>
        These results are promising, and they are also limited. That is one reason the story with the FDA is not simple. It is
        the topic of our next email.
      </P>
      <SignOff />
      <Sources>
        Sources: Mitchell et al., Nature Medicine, 2021 (MAPP1). Mitchell et al., Nature Medicine, 2023 (MAPP2).
      </Sources>
    </EmailLayout>
  );
}

WhatTheTrialsFoundEmail.PreviewProps = { ...sampleProps } satisfies SequenceEmailProps;
