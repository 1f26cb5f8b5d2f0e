// A batch's request body: the bytes persisted, hashed into the idempotency
// key and sent. It must be what the resend SDK writes for the same emails (a
// request persisted by the release that sent through the SDK repeats as the
// identical request), and the same whether the html and text come encoded
// from the render cache or not.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { batchBody, emailsOfBatchBody } from '../src/mail/batch-body.js';
import { renderSequenceEmail, sequenceTemplates } from '../src/mail/render.js';
import type { EncodedBodies, OutgoingEmail } from '../src/mail/transport.js';
import { sequenceEmail } from '../src/nurture/decide.js';

/** The body as the resend SDK 6.x writes it: its parseEmailToApiOptions, then JSON.stringify. */
function sdkBody(emails: OutgoingEmail[]): string {
  return JSON.stringify(
    emails.map((e) => {
      // toApi of the release before, then the SDK's own mapping (undefined fields are left out by JSON).
      const api = { from: e.from, to: [e.to], ...(e.replyTo ? { replyTo: e.replyTo } : {}), subject: e.subject, html: e.html, text: e.text, ...(e.headers ? { headers: e.headers } : {}), ...(e.tags ? { tags: e.tags } : {}) };
      return {
        attachments: undefined,
        bcc: undefined,
        cc: undefined,
        from: api.from,
        headers: api.headers,
        html: api.html,
        reply_to: api.replyTo,
        scheduled_at: undefined,
        subject: api.subject,
        tags: api.tags,
        text: api.text,
        to: api.to,
        template: undefined,
        topic_id: undefined,
      };
    }),
  );
}

const text = fc.string({ unit: fc.constantFrom('a', 'Z', ' ', '"', '\\', '\n', '<', '&', 'é', '\u200b', '😀', '\uD800', '\u0000'), maxLength: 30 });
const emailArb: fc.Arbitrary<OutgoingEmail> = fc.record(
  {
    from: fc.constantFrom('Harbor Clinic <education@example.org>', 'a@b.c'),
    to: fc.constantFrom('person@example.org', 'x"y@example.org'),
    replyTo: fc.constantFrom('care@clinic.example', ''),
    subject: text,
    html: text,
    text,
    headers: fc.dictionary(fc.constantFrom('List-Unsubscribe', 'X-Entity', 'html'), text, { maxKeys: 3 }),
    tags: fc.array(fc.record({ name: fc.constantFrom('category', 'delivery'), value: fc.constantFrom('sequence', '17') }), { maxLength: 3 }),
  },
  { requiredKeys: ['from', 'to', 'subject', 'html', 'text'] },
);

describe('batchBody', () => {
  it('is what the resend SDK writes for the same emails, and reads back as them', () => {
    fc.assert(
      fc.property(fc.array(emailArb, { maxLength: 4 }), (emails) => {
        const body = Buffer.concat(batchBody(emails));
        expect(body.toString()).toBe(sdkBody(emails));
        expect(Buffer.concat(batchBody(emailsOfBatchBody(body)))).toEqual(body);
      }),
      { numRuns: 300 },
    );
  });

  it('reads a body persisted by the release before (the emails as JSON) as those emails', () => {
    const emails: OutgoingEmail[] = [
      { from: 'a@b.c', to: 'x@example.org', replyTo: 'care@clinic.example', subject: 's', html: '<p>h</p>', text: 't', headers: { 'List-Unsubscribe': '<https://u>' }, tags: [{ name: 'delivery', value: '3' }] },
      { from: 'a@b.c', to: 'y@example.org', subject: 's2', html: '<p>2</p>', text: '2' },
    ];
    expect(emailsOfBatchBody(JSON.stringify(emails))).toEqual(emails);
  });

  it('puts html and text encoded by the render cache in as they are: the same bytes', async () => {
    const emails: OutgoingEmail[] = [];
    const encoded: (EncodedBodies | undefined)[] = [];
    for (const [i, firstName] of ['Alex', undefined, 'Zoë "Z" <3'].entries()) {
      const unsubscribeUrl = `https://learn.example.org/u/t${i}`;
      const r = await renderSequenceEmail({ templateId: sequenceTemplates[i]!.id }, { firstName, publicUrl: 'https://learn.example.org', unsubscribeUrl, postalAddress: '1 Main St', clinicName: 'Harbor Clinic' });
      expect(r.json).toBeDefined();
      emails.push(sequenceEmail({ deliveryId: i + 1, subscriberId: i + 1, step: i + 1, to: `p${i}@example.org`, from: 'a@b.c', replyTo: 'care@clinic.example', subject: r.subject, html: r.html, text: r.text, unsubscribeUrl }));
      encoded.push(i === 1 ? undefined : r.json);
    }
    expect(Buffer.concat(batchBody(emails, encoded))).toEqual(Buffer.concat(batchBody(emails)));
    expect(Buffer.concat(batchBody(emails)).toString()).toBe(sdkBody(emails));
  });
});
