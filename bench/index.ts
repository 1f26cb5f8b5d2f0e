import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { printFigures, type Figure } from './report.js';

// Every module in bench/figures/ exports `run(): Promise<Figure[]>`; `npm run bench -- render`
// runs only the modules whose file name contains "render".
const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'figures');
const only = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const files = fs
  .readdirSync(dir)
  .filter((f) => f.endsWith('.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();

console.log(`machine: ${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}\n`);
const figures: Figure[] = [];
for (const f of files) {
  const mod = (await import(pathToFileURL(path.join(dir, f)).href)) as { run(): Promise<Figure[]> };
  console.error(`running ${f} ...`);
  figures.push(...(await mod.run()));
}
printFigures(figures);
