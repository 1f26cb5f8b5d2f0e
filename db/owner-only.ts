import fs from 'node:fs';
import path from 'node:path';

/**
 * Takes the group and other permissions off a file or directory this process
 * owns: new ones are created owner-only, but an install upgraded from a
 * release that created them with the umask's modes (0644, 0755) still has
 * them readable by every account on the machine. Missing, someone else's, or
 * a platform without POSIX modes: left as it is. The working directory is
 * never changed (a database kept beside the app would lock others out of it);
 * its files are tightened one by one.
 */
export function tightenToOwner(target: string): void {
  if (process.platform === 'win32') return;
  const resolved = path.resolve(target);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(resolved);
  } catch {
    return;
  }
  if ((stat.mode & 0o077) === 0 || stat.uid !== process.getuid?.()) return;
  if (stat.isDirectory() && resolved === process.cwd()) return;
  try {
    fs.chmodSync(resolved, stat.mode & 0o700);
  } catch {
    // Best effort: a read-only mount keeps its modes, and start-up goes on.
  }
}
