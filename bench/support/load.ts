import { fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type autocannon from 'autocannon';

export type LoadResult = { rps: number; total: number; errors: number; failed: number; non2xx: number };

/**
 * Runs autocannon with `opts` in a child process and returns its figures.
 * Sharing the server's event loop, the load generator would take about half
 * of the one core the server runs on, and the figure would be of both.
 */
export function loadFromOwnProcess(opts: autocannon.Options): Promise<LoadResult> {
  const child = fork(path.join(path.dirname(fileURLToPath(import.meta.url)), 'load-process.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('message', (m) => resolve(m as LoadResult));
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`load process exited with ${code} before answering`)));
    child.send(opts);
  });
}
