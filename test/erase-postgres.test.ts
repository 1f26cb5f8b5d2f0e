// On PostgreSQL, after an erase no table the service owns holds the address
// (in any spelling) or the name: not the subscriber row, a test email sent
// to their address, the audit's free text, webhook payloads or request
// bodies. (What the engine itself keeps in freed pages and its WAL is for the
// operator: see the README's "Storage".)
import { afterAll, describe, expect, it } from 'vitest';
import { emailHash } from '../src/address.js';
import { resendEnvelope } from '../src/mail/envelope.js';
import { eraseSubscriber } from '../src/subscribers/erase.js';
import { TEST_SECRET } from './helpers/app.js';
import { closePostgresStores, freshPostgresStores, POSTGRES_SKIP_MESSAGE, TEST_DATABASE_URL } from './helpers/postgres.js';

const EMAIL = 'zebediah.quartermaine@example.org';
const NAME = 'Zebediah';
const NOW = Date.parse('2026-03-02T14:00:00Z');

describe.skipIf(!TEST_DATABASE_URL)('erase on PostgreSQL', () => {
  afterAll(closePostgresStores);

  it('leaves the address and the name in no table the service owns', async () => {
    const stores = await freshPostgresStores();
    const signup = await stores.subscribers.signup(
      { email: EMAIL, emailHash: emailHash(TEST_SECRET, EMAIL), firstName: NAME, timezone: 'UTC', reader: 'self', source: 'signup-form', ip: '203.0.113.7', userAgent: 'Agent/1', now: NOW },
      () => ({ kind: 'create' }),
    );
    expect(signup.confirmationDeliveryId).not.toBeNull();
    const id = (await stores.subscribers.list({})).items[0]!.id;
    // A test sent to their address in capitals, with their name in it.
    await stores.sendQueue.enqueueTest(
      {
        templateId: '01-welcome',
        templateVersion: 'v1',
        subject: `[Test] Hello ${NAME}`,
        toAddress: EMAIL.toUpperCase(),
        subscriberId: id,
        email: { from: 'x@clinic.example', to: EMAIL.toUpperCase(), subject: `[Test] Hello ${NAME}`, html: `<p>Hi ${NAME}</p>`, text: `Hi ${NAME}` },
      },
      NOW,
      resendEnvelope,
    );
    await stores.staff.audit({ at: NOW, actor: 'eddie', action: 'subscriber.unsubscribed', subscriberId: id, detail: { reason: `${NAME} Q. Example (${EMAIL}) phoned` } });
    await stores.staff.audit({ at: NOW, actor: 'staff', action: 'template.test_sent', subscriberId: null, detail: { template: '01-welcome', to: EMAIL.toUpperCase() } });

    expect(await eraseSubscriber(stores, id, NOW + 1000)).toMatchObject({ id, alreadyErased: false });

    const tables = (await stores.pool.query<{ name: string }>("SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public'")).rows;
    expect(tables.length).toBeGreaterThan(10);
    for (const { name } of tables) {
      const rows = JSON.stringify((await stores.pool.query(`SELECT * FROM "${name}"`)).rows).toLowerCase();
      expect(rows, name).not.toContain(EMAIL);
      expect(rows, name).not.toContain(NAME.toLowerCase());
    }
    // Who did what stays.
    const audit = (await stores.staff.auditLog({ page: 1, pageSize: 10 })).items;
    expect(audit.map((e) => [e.actor, e.action])).toEqual(expect.arrayContaining([['eddie', 'subscriber.unsubscribed'], ['staff', 'template.test_sent']]));
  });
});

if (!TEST_DATABASE_URL) it.skip(POSTGRES_SKIP_MESSAGE, () => undefined);
