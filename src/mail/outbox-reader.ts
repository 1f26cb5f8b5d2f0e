import fs from 'node:fs/promises';
import path from 'node:path';
import PostalMime, { type Address } from 'postal-mime';
import { canonicalEmail } from '../address.js';

/**
 * The names the outbox transport writes: `<UTC stamp>-<uuid>.eml`, or
 * `k-<32 hex>.eml` for a request with an idempotency key. Anything else in the
 * directory (temp files, a path with a slash or dots) is never read.
 */
export const OUTBOX_ID = /^(\d{8}T\d{9}Z-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|k-[0-9a-f]{32})$/;

export function isOutboxId(id: string): boolean {
  return OUTBOX_ID.test(id);
}

export type OutboxSummary = { id: string; from: string; to: string; subject: string; date: string | null; writtenAt: number };
export type OutboxMessage = OutboxSummary & { html: string | null; text: string | null; headers: { name: string; value: string }[]; raw: Buffer };

function formatAddresses(list: Address[] | Address | undefined): string {
  const all = Array.isArray(list) ? list : list ? [list] : [];
  return all
    .flatMap((a) => (a.group ? a.group : [a]))
    .map((m) => (m.name ? `${m.name} <${m.address}>` : (m.address ?? '')))
    .join(', ');
}

/** Headers are all a list needs: parse only up to the blank line that ends them. */
function headerBlock(raw: Buffer): Buffer {
  const end = raw.indexOf('\r\n\r\n');
  return end < 0 ? raw : raw.subarray(0, end + 4);
}

async function summarise(id: string, raw: Buffer, writtenAt: number): Promise<OutboxSummary> {
  const mail = await PostalMime.parse(headerBlock(raw));
  return { id, from: formatAddresses(mail.from), to: formatAddresses(mail.to), subject: mail.subject ?? '', date: mail.date ?? null, writtenAt };
}

/** The newest `limit` messages in the outbox, newest first (by file time, then name). */
export async function listOutbox(dir: string, limit = 50): Promise<{ messages: OutboxSummary[]; total: number }> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { messages: [], total: 0 };
    throw err;
  }
  const ids = names.filter((n) => n.endsWith('.eml')).map((n) => n.slice(0, -4)).filter(isOutboxId);
  const stats = await Promise.all(
    ids.map(async (id) => {
      try {
        return { id, mtime: (await fs.stat(path.join(dir, `${id}.eml`))).mtimeMs };
      } catch {
        return null;
      }
    }),
  );
  const newest = stats
    .filter((s): s is { id: string; mtime: number } => s !== null)
    .sort((a, b) => b.mtime - a.mtime || (a.id < b.id ? 1 : -1))
    .slice(0, limit);
  const messages = await Promise.all(newest.map(async (s) => summarise(s.id, await fs.readFile(path.join(dir, `${s.id}.eml`)), s.mtime)));
  return { messages, total: stats.length };
}

/** One message, parsed, or null when the id is not an outbox name or the file is gone. */
export async function readOutboxMessage(dir: string, id: string): Promise<OutboxMessage | null> {
  if (!isOutboxId(id)) return null;
  const file = path.join(dir, `${id}.eml`);
  let raw: Buffer;
  let writtenAt: number;
  try {
    [raw, writtenAt] = await Promise.all([fs.readFile(file), fs.stat(file).then((s) => s.mtimeMs)]);
  } catch {
    return null;
  }
  const mail = await PostalMime.parse(raw);
  return {
    id,
    from: formatAddresses(mail.from),
    to: formatAddresses(mail.to),
    subject: mail.subject ?? '',
    date: mail.date ?? null,
    writtenAt,
    html: mail.html ?? null,
    text: mail.text ?? null,
    headers: mail.headers.map((h) => ({ name: h.originalKey, value: h.value })),
    raw,
  };
}

/**
 * Deletes every outbox message addressed to `email` (in any spelling) and
 * those with the given ids (for an erasure: the outbox is a copy of mail we
 * hold, tests rendered with the person's data included). Returns how many
 * were removed.
 */
export async function removeOutboxMessagesTo(dir: string, email: string, ids: readonly string[] = []): Promise<number> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return 0;
  }
  const target = canonicalEmail(email);
  const known = new Set(ids);
  let removed = 0;
  for (const name of names) {
    const id = name.endsWith('.eml') ? name.slice(0, -4) : '';
    if (!isOutboxId(id)) continue;
    const file = path.join(dir, name);
    if (known.has(id)) {
      await fs.unlink(file).then(
        () => removed++,
        () => undefined,
      );
      continue;
    }
    try {
      const mail = await PostalMime.parse(headerBlock(await fs.readFile(file)));
      const to = (mail.to ?? []).flatMap((a) => (a.group ? a.group : [a])).map((m) => (m.address ? canonicalEmail(m.address) : undefined));
      if (to.includes(target)) {
        await fs.unlink(file);
        removed++;
      }
    } catch {
      // gone or unreadable: nothing to remove
    }
  }
  return removed;
}
