import crypto from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { allTemplates, createRenderCache, renderDirect, type TemplateDef } from '../../src/mail/render.js';
import type { Figure } from '../report.js';

// Cached personalised render vs a direct React Email render (html + text), per
// email, both measured here in the same run. Every call gets another name and
// token, so the cached path really personalises.
const NAMES = ['Alex', 'María José', `O'Brien & <Co>`, '', 'Zoë', '李小龙', undefined, 'Sam'];
const PUBLIC_URL = 'https://learn.example.org';
// Rounds alternate the two paths so both see the same load on a shared machine;
// each figure is the median round.
const ROUNDS = 5;
const DIRECT_RUNS = 6;
const CACHED_MIN_MS = 60;

function propsFor(def: TemplateDef<any>, i: number): Record<string, unknown> {
  const token = crypto.createHash('sha256').update(String(i)).digest('base64url').slice(0, 40);
  const props: Record<string, unknown> = {
    ...def.previewProps,
    firstName: NAMES[i % NAMES.length],
    unsubscribeUrl: `${PUBLIC_URL}/u/${token}`,
  };
  if ('publicUrl' in def.previewProps) props.publicUrl = PUBLIC_URL;
  if ('confirmUrl' in def.previewProps) props.confirmUrl = `${PUBLIC_URL}/confirm/${token}`;
  return props;
}

async function perCallMs(fn: (i: number) => Promise<unknown>, minRuns: number, minMs: number): Promise<number> {
  let runs = 0;
  const start = performance.now();
  while (runs < minRuns || performance.now() - start < minMs) await fn(runs++);
  return (performance.now() - start) / runs;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export async function run(): Promise<Figure[]> {
  const cache = createRenderCache();
  const figures: Figure[] = [];
  let directTotal = 0;
  let cachedTotal = 0;
  for (const d of allTemplates) {
    const def = d as TemplateDef<any>;
    // Warm up both paths (module loading, JIT, the two skeletons), and check
    // that what is timed is the same output.
    for (let i = 0; i < 8; i++) {
      const [direct, cached] = [await renderDirect(def, propsFor(def, i)), await cache.render(def, propsFor(def, i))];
      if (direct.html !== cached.html || direct.text !== cached.text) throw new Error(`render bench: cached ${def.id} differs from a direct render`);
    }
    const directRounds: number[] = [];
    const cachedRounds: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      directRounds.push(await perCallMs((i) => renderDirect(def, propsFor(def, i)), DIRECT_RUNS, 0));
      cachedRounds.push(await perCallMs((i) => cache.render(def, propsFor(def, i)), 300, CACHED_MIN_MS));
    }
    const direct = median(directRounds);
    const cached = median(cachedRounds);
    directTotal += direct;
    cachedTotal += cached;
    figures.push({
      name: `render ${def.id}`,
      value: cached * 1000,
      unit: 'µs/email',
      baseline: direct * 1000,
      ratio: direct / cached,
      goal: '≥ 100x',
    });
  }
  figures.push({
    name: 'render all emails',
    value: cachedTotal * 1000,
    unit: 'µs/set',
    baseline: directTotal * 1000,
    ratio: directTotal / cachedTotal,
    goal: '≥ 100x',
    note: 'cached personalised render vs direct render(), html + text',
  });
  return figures;
}
