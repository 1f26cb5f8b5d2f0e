import { fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export type FakeStats = { accepted: number; unique: number; duplicates: number; statuses: Record<string, number>; firstAt: number; lastAt: number };

/** Starts the fake Resend in a child process (its own core) and talks to it over IPC. */
export async function startFakeProcess() {
  const child = fork(path.join(path.dirname(fileURLToPath(import.meta.url)), 'fake-process.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const hello = await new Promise<{ url: string; apiKey: string }>((resolve) => child.once('message', (m) => resolve(m as { url: string; apiKey: string })));
  let next = 0;
  function call<T>(cmd: string, extra: object = {}): Promise<T> {
    const id = ++next;
    return new Promise((resolve) => {
      const on = (m: { id?: number }) => {
        if (m.id !== id) return;
        child.off('message', on);
        resolve(m as T);
      };
      child.on('message', on);
      child.send({ id, cmd, ...extra });
    });
  }
  return {
    url: hello.url,
    apiKey: hello.apiKey,
    stats: () => call<FakeStats>('stats'),
    reset: () => call('reset'),
    setRateLimit: (limit: number | undefined) => call('rateLimit', { limit }),
    /** Milliseconds before each answer. */
    setLatency: (ms: number) => call('latency', { ms }),
    close: () => call('close'),
  };
}
