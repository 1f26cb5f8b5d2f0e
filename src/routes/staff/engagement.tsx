/** @jsxImportSource hono/jsx */
import { leftOutSentence, type EngagementSummary } from '../../nurture/engagement.js';

/** " (25% of sent)": a share of the emails sent, its base named; nothing when none went. */
export const pct = (n: number, of: number) => (of === 0 ? '' : ` (${Math.round((n / of) * 100)}% of sent)`);

/** A provider-reported figure with its share of `of`, "not tracked" when null, and what was left out of it. */
export function Reported({ n, of, leftOut, by }: { n: number | null; of: number; leftOut?: number | null; by?: 'proxies' | 'scanners' }) {
  if (n === null) return <>not tracked</>;
  return (
    <>
      {n}
      {pct(n, of)}
      {leftOut ? (
        <>
          <br />
          <span class="muted">
            {leftOut} by {by} left out
          </span>
        </>
      ) : null}
    </>
  );
}

/** Why delivered, opens and clicks are not tracked, or how many opens and clicks by machines the rates leave out. */
export function LeftOutNotes({ summary }: { summary: EngagementSummary }) {
  const { tracking, leftOut } = summary;
  if (!tracking.tracked || !leftOut) {
    return (
      <p class="notice" role="status">
        Delivered, opened and clicked are not tracked: {tracking.note}
      </p>
    );
  }
  const parts = [leftOut.opens.total ? leftOutSentence(leftOut.opens, 'opens') : null, leftOut.clicks.total ? leftOutSentence(leftOut.clicks, 'clicks') : null].filter((p) => p !== null);
  return (
    <p>
      Delivered, opened and clicked: {tracking.note}{' '}
      {parts.length
        ? `Left out of the open and click rates: ${parts.join('; ')}.`
        : 'No opens by mail-privacy proxies or clicks by link scanners so far.'}
    </p>
  );
}

/** The dashboard's panel: every sequence email so far, what people did with them, and what was left out. */
export function EngagementPanel({ summary }: { summary: EngagementSummary }) {
  const share = (n: number) => (summary.sent === 0 ? '— of sent' : `${Math.round((n / summary.sent) * 100)}% of sent`);
  const items: { n: string; label: string; note: string | null }[] = [
    { n: String(summary.sent), label: 'Sequence emails sent', note: null },
    ...(['delivered', 'opened', 'clicked'] as const).map((k) => {
      const n = summary[k];
      return { n: n === null ? '—' : String(n), label: k[0]!.toUpperCase() + k.slice(1), note: n === null ? 'not tracked' : share(n) };
    }),
  ];
  return (
    <section aria-labelledby="engagement">
      <h2 id="engagement">Sequence emails, all time</h2>
      <ul class="totals" aria-labelledby="engagement">
        {items.map((i) => (
          <li>
            <span class="n">{i.n}</span>
            <span class="l">{i.label}</span>
            {i.note ? <span class="l">{i.note}</span> : null}
          </li>
        ))}
      </ul>
      <LeftOutNotes summary={summary} />
      <p class="muted">
        Per step, and which email people unsubscribed after, on the <a href="/staff/sequence">sequence page</a>. Unsubscribed on this page counts people who left, as a share of confirmed, in the funnel below.
      </p>
    </section>
  );
}
