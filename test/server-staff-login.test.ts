// The real server process: the first admin `staff` gets STAFF_PASSWORD (never printed) or a generated password (printed once).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { freePort } from './helpers/process.js';

let dir: string;
const children: ChildProcess[] = [];
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nurture-server-staff-'));
});
afterEach(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
});


/** Starts the server and resolves with everything it printed once it says where the staff area is. */
async function start(extra: Record<string, string>): Promise<{ port: number; output: () => string }> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    DATABASE_PATH: path.join(dir, 'n.db'),
    OUTBOX_DIR: path.join(dir, 'outbox'),
    SECRET_KEY: 'cli-test-secret-0123456789abcdef0123456789abcdef',
    POSTAL_ADDRESS: '1 Test Street, Testville',
    LOG_LEVEL: 'info',
    ...extra,
  };
  delete env.RESEND_API_KEY;
  delete env.DATABASE_URL;
  if (!extra.STAFF_PASSWORD) delete env.STAFF_PASSWORD;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/index.ts'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const end = Date.now() + 30_000;
  while (!/Staff area: .*\n/.test(out)) {
    if (Date.now() > end || child.exitCode !== null) throw new Error(`server did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return { port, output: () => out };
}

/** Stops the servers started so far and waits until they have exited. */
async function stop(): Promise<void> {
  await Promise.all(
    children.filter((c) => c.exitCode === null && c.signalCode === null).map((c) => new Promise((resolve) => {
      c.once('exit', resolve);
      c.kill('SIGTERM');
    })),
  );
}

async function logIn(port: number, name: string, password: string): Promise<number> {
  const base = `http://127.0.0.1:${port}`;
  const page = await (await fetch(`${base}/staff/login`)).text();
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page)![1]!;
  const res = await fetch(`${base}/staff/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: base },
    body: new URLSearchParams({ _csrf: csrf, name, password }).toString(),
  });
  return res.status;
}

it('STAFF_PASSWORD logs in as the admin `staff` and is never printed', async () => {
  const password = 'a-chosen-password-never-printed';
  const { port, output } = await start({ STAFF_PASSWORD: password });
  expect(output()).toContain('user: staff  password: the one in STAFF_PASSWORD');
  expect(await logIn(port, 'staff', password)).toBe(303);
  expect(await logIn(port, 'staff', 'something-else')).toBe(401);
  expect(output()).not.toContain(password);
});

it('without STAFF_PASSWORD a generated password is printed once and logs in', async () => {
  const { port, output } = await start({});
  const m = /user: staff {2}password: (\S+) {2}\(generated/.exec(output());
  expect(m).not.toBeNull();
  expect(await logIn(port, 'staff', m![1]!)).toBe(303);
  expect(output().split(m![1]!)).toHaveLength(2);
});

it('without STAFF_PASSWORD the generated password is kept across restarts, and printed only when it was made', async () => {
  const first = await start({});
  const password = /user: staff {2}password: (\S+) {2}\(generated/.exec(first.output())![1]!;
  await stop();
  const second = await start({});
  expect(second.output()).toContain('password: the one printed at its first start (npm run staff -- passwd staff makes a new one)');
  expect(second.output()).not.toContain(password);
  expect(await logIn(second.port, 'staff', password)).toBe(303);
}, 90_000); // two server starts, each loading TypeScript
