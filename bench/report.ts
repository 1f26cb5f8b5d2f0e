/** One measured figure: a value, the baseline measured in the same run, and their ratio. */
export type Figure = { name: string; value: number; unit: string; baseline: number; ratio: number; goal?: string; note?: string };

export function printFigures(figures: Figure[]): void {
  const rows = figures.map((f) => [f.name, fmt(f.value), f.unit, fmt(f.baseline), fmt(f.ratio), f.goal ?? '']);
  const head = ['figure', 'value', 'unit', 'baseline', 'ratio', 'goal'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
  console.log('');
  for (const f of figures) if (f.note) console.log(`${f.name}: ${f.note}`);
  console.log('');
  for (const f of figures) console.log(JSON.stringify({ name: f.name, value: f.value, unit: f.unit, baseline: f.baseline, ratio: f.ratio }));
}

function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  return Math.abs(n) >= 100 ? n.toFixed(0) : n.toPrecision(3);
}
