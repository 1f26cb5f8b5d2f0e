// The import on PostgreSQL: the same file, checks and report as on SQLite
// (test/staff/import.test.ts), written through the PostgreSQL store in
// chunks, then sent by real ticks: the confirmation alone to the invited at
// once, email 1 to the enrolled in their next window, nothing to the
// suppressed or erased.
import { requestWithout } from '../src/mail/envelope.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PostgresStores } from '../db/postgres/index.js';
import { postgresStores } from '../db/postgres/index.js';
import { fixedClock } from '../src/clock.js';
import { emailHash } from '../src/address.js';
import { renderSequenceEmail } from '../src/mail/render.js';
import { createPacer } from '../src/nurture/pacer.js';
import { SEQUENCES } from '../src/nurture/sequence.js';
import { runTick } from '../src/nurture/tick.js';
import { readImportCsv, runImport } from '../src/subscribers/import.js';
import { captureLogger, TEST_SECRET, testConfig } from './helpers/app.js';
import { memoryTransport } from './helpers/memory-transport.js';
import { createTestDatabase, POSTGRES_SKIP_MESSAGE, TEST_DATABASE_URL } from './helpers/postgres.js';

if (!TEST_DATABASE_URL) console.warn(POSTGRES_SKIP_MESSAGE);

describe.skipIf(!TEST_DATABASE_URL)('import on PostgreSQL', () => {
  let db: { url: string; drop(): Promise<void> };
  let stores: PostgresStores;
  beforeAll(async () => {
    db = await createTestDatabase();
    stores = await postgresStores(db.url, { max: 3 });
  });
  afterAll(async () => {
    await stores?.close();
    await db?.drop();
  });

  it('enrols, invites, merges and skips across chunks; the worker mails exactly the enrolled and the invited', async () => {
    const clock = fixedClock('2026-03-02T14:00:00Z');
    const config = testConfig();
    const { logger } = captureLogger();
    const at = clock.now();
    await stores.subscribers.suppress({ emailHash: emailHash(TEST_SECRET, 'bounced@example.org'), reason: 'bounced', at });
    await stores.pool.query("INSERT INTO subscribers (email, email_hash, timezone, status, created_at, updated_at) VALUES ('known@example.org', $1, 'UTC', 'unsubscribed', $2, $2)", [
      emailHash(TEST_SECRET, 'known@example.org'),
      at,
    ]);
    const gone = (
      await stores.pool.query<{ id: number }>(
        "INSERT INTO subscribers (email, email_hash, timezone, status, created_at, updated_at) VALUES ('gone@example.org', $1, 'UTC', 'active', $2, $2) RETURNING id",
        [emailHash(TEST_SECRET, 'gone@example.org'), at],
      )
    ).rows[0]!.id;
    await stores.subscribers.erase(gone, at, requestWithout);

    const lines = ['email,first_name,consent_source,consent_date,consent_text'];
    for (let i = 0; i < 1200; i++) lines.push(i % 2 ? `c${i}@example.org,C${i},Clinic form,2025-11-20,I agree` : `i${i}@example.org,I${i},,,`);
    lines.push('c1@EXAMPLE.org,,,,', 'bounced@example.org,,,,', 'known@example.org,,,,', 'gone@example.org,,,,', 'nope,,,,');
    async function* body() {
      yield Buffer.from(lines.join('\n'));
    }
    const checked = await readImportCsv(body(), { defaultTimezone: 'UTC', now: at });
    if (!checked.ok) throw new Error(checked.message);
    const report = await runImport({ stores, config, clock, logger }, checked.file, 'staff');
    expect(report.summary).toEqual({ rows: 1205, warnings: 0, enrolled: 600, invited: 600, duplicate: 1, exists: 1, suppressed: 1, erased: 1, invalid: 1 });
    expect(report.rows.at(-4)).toEqual({ row: 1203, email: 'bounced@example.org', outcome: 'suppressed' });
    expect(report.rows.at(-3)).toEqual({ row: 1204, email: 'known@example.org', outcome: 'exists', subscriberId: expect.any(Number), status: 'unsubscribed' });
    const c1 = report.rows[1] as { subscriberId: number };
    expect(await stores.subscribers.byId(c1.subscriberId)).toMatchObject({
      email: 'c1@example.org',
      status: 'active',
      nextStep: 1,
      consentSource: 'Clinic form',
      consentGivenAt: Date.parse('2025-11-20T00:00:00Z'),
    });
    const audit = await stores.staff.auditLog({ page: 1, pageSize: 1 });
    expect(audit.total).toBe(1200 + 1);
    expect(audit.items[0]).toMatchObject({ action: 'subscribers.imported', detail: expect.objectContaining(report.summary) });

    const transport = memoryTransport(() => clock.now());
    const sleep = async (ms: number) => clock.advance(Math.max(0, Math.ceil(ms)));
    const tick = () => runTick({ stores, clock, transport, logger, config, sequences: SEQUENCES, render: renderSequenceEmail, pacer: createPacer({ rate: 1000, clock, sleep }), sleep, realNow: () => clock.now() });
    await tick();
    // 14:00 UTC is past the 09:00-11:00 window: the confirmations go at once, email 1 the next morning.
    expect(transport.sent.map((m) => m.tags?.find((t) => t.name === 'category')?.value)).toEqual(Array(600).fill('confirmation'));
    clock.set('2026-03-03T09:00:00Z');
    await tick();
    const kinds = new Map(transport.sent.map((m) => [m.to, m.tags?.find((t) => t.name === 'category')?.value ?? 'sequence']));
    expect(transport.sent).toHaveLength(1200);
    expect(kinds.get('c1@example.org')).toBe('sequence');
    expect(kinds.get('i0@example.org')).toBe('confirmation');
    expect([...kinds.values()].filter((k) => k === 'sequence')).toHaveLength(600);
    for (const email of ['bounced@example.org', 'known@example.org', 'gone@example.org']) expect(kinds.has(email)).toBe(false);
  }, 120_000);
});
