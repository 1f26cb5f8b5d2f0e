import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Figure } from '../report.js';

// Cold start of the compiled processes, as `npm run tick` and `npm start` run
// them, against `node -e 0` measured in the same run: a tick on an empty
// database, and the server from spawn to its first 200 on /healthz. Every run
// gets a fresh temporary data directory, so each one creates, migrates and
// keys its database as a first start does. Runs alternate with the baseline so
// both see the same load; each figure is the median of RUNS.
const RUNS = 5;
const ROOT = process.cwd();
const TICK = path.join(ROOT, 'dist', 'src', 'cli', 'tick.js');
const SERVER = path.join(ROOT, 'dist', 'src', 'index.js');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function ensureBuilt(): void {
  if (fs.existsSync(TICK) && fs.existsSync(SERVER)) return;
  console.error('cold start: dist/ is missing, running npm run build ...');
  const r = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('cold start: npm run build failed');
}

function freshEnv(dir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_PATH: path.join(dir, 'nurture.db'),
    OUTBOX_DIR: path.join(dir, 'outbox'),
    POSTAL_ADDRESS: '1 Bench Street, Benchville',
    LOG_LEVEL: 'warn',
    ...extra,
  };
  delete env.RESEND_API_KEY;
  delete env.DATABASE_URL;
  delete env.SECRET_KEY;
  return env;
}

async function inTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nurture-cold-'));
  try {
    return await fn(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Milliseconds from spawn to exit; throws unless the process exits 0. */
function timeExit(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(performance.now() - start) : reject(new Error(`node ${args.join(' ')} exited ${code}: ${stderr}`))));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Milliseconds from spawn to the first 200 on /healthz; the server is then stopped. */
async function timeServerStart(dir: string): Promise<number> {
  const port = await freePort();
  const start = performance.now();
  const child = spawn(process.execPath, [SERVER], { cwd: ROOT, env: freshEnv(dir, { PORT: String(port) }), stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`server exited ${child.exitCode} before answering: ${stderr}`);
      const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.status === 200, () => false);
      if (ok) return performance.now() - start;
      if (performance.now() - start > 30_000) throw new Error(`server did not answer /healthz in 30 s: ${stderr}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

export async function run(): Promise<Figure[]> {
  ensureBuilt();
  const now = '2026-03-02T14:00:00Z';
  const bare: number[] = [];
  const tick: number[] = [];
  const server: number[] = [];
  // One unmeasured round first, so the files are in the page cache for every measured one.
  await timeExit(['-e', '0']);
  await inTempDir((dir) => timeExit([TICK, '--now', now], freshEnv(dir)));
  for (let i = 0; i < RUNS; i++) {
    bare.push(await timeExit(['-e', '0']));
    tick.push(await inTempDir((dir) => timeExit([TICK, '--now', now], freshEnv(dir))));
    server.push(await inTempDir((dir) => timeServerStart(dir)));
  }
  const baseline = median(bare);
  const tickMs = median(tick);
  const serverMs = median(server);
  return [
    {
      name: 'cold start: npm run tick on an empty db',
      value: tickMs,
      unit: 'ms',
      baseline,
      ratio: tickMs / baseline,
      goal: 'well under 1 s',
      note: `node dist/src/cli/tick.js --now ${now} on a new database (created, migrated, keyed) vs node -e 0, wall time, median of ${RUNS}`,
    },
    {
      name: 'cold start: npm start to /healthz 200',
      value: serverMs,
      unit: 'ms',
      baseline,
      ratio: serverMs / baseline,
      note: `node dist/src/index.js on a new database, from spawn to the first 200 on /healthz, vs node -e 0, median of ${RUNS}`,
    },
  ];
}
