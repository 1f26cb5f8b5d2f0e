/** @jsxImportSource hono/jsx */

export type Series = { label: string; color: string; points: { date: string; value: number }[] };

const W = 320;
const H = 130;
const PAD = { left: 34, right: 8, top: 12, bottom: 24 };

/** A nice ceiling for the y axis (1, 2, 5 × 10^n), so the top label is a round number. */
export function niceMax(max: number): number {
  if (max <= 1) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 5, 10]) if (m * p >= max) return m * p;
  return 10 * p;
}

/**
 * One day-by-day bar chart drawn on the server: an SVG with a title and a
 * description that says what it shows in words (the same numbers are in the
 * table below it), no script and no styles beyond presentation attributes.
 */
export function BarChart({ id, series }: { id: string; series: Series }) {
  const values = series.points.map((p) => p.value);
  const total = values.reduce((a, b) => a + b, 0);
  const peak = Math.max(0, ...values);
  const peakDay = series.points.find((p) => p.value === peak)?.date;
  const top = niceMax(peak);
  const n = series.points.length;
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const slot = plotW / Math.max(1, n);
  const barW = Math.max(1, slot * 0.7);
  const first = series.points[0]?.date ?? '';
  const last = series.points[n - 1]?.date ?? '';
  const desc =
    total === 0
      ? `No ${series.label.toLowerCase()} from ${first} to ${last}.`
      : `${total} in total from ${first} to ${last}; the busiest day was ${peakDay} with ${peak}.`;
  return (
    <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-labelledby={`${id}-title ${id}-desc`} xmlns="http://www.w3.org/2000/svg">
      <title id={`${id}-title`}>{`${series.label} per day`}</title>
      <desc id={`${id}-desc`}>{desc}</desc>
      <g font-family="system-ui, sans-serif" font-size="12" fill="#4e5668">
        <text x={PAD.left - 4} y={PAD.top + 5} text-anchor="end">
          {String(top)}
        </text>
        <text x={PAD.left - 4} y={PAD.top + plotH} text-anchor="end">
          0
        </text>
        <text x={PAD.left} y={H - 6}>
          {first.slice(5)}
        </text>
        <text x={W - PAD.right} y={H - 6} text-anchor="end">
          {last.slice(5)}
        </text>
      </g>
      <line x1={PAD.left} y1={PAD.top} x2={W - PAD.right} y2={PAD.top} stroke="#e2e5ec" />
      <line x1={PAD.left} y1={PAD.top + plotH} x2={W - PAD.right} y2={PAD.top + plotH} stroke="#8a93a6" />
      {series.points.map((p, i) => {
        const h = (p.value / top) * plotH;
        return p.value > 0 ? (
          <rect x={(PAD.left + i * slot + (slot - barW) / 2).toFixed(1)} y={(PAD.top + plotH - h).toFixed(1)} width={barW.toFixed(1)} height={h.toFixed(1)} fill={series.color}>
            <title>{`${p.date}: ${p.value}`}</title>
          </rect>
        ) : null;
      })}
    </svg>
  );
}
