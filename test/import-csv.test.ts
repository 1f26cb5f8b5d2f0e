// Reading an import file: csv-parse on the body as it arrives, each row
// checked, duplicates merged into their first row, and a file that cannot be
// read refused as a whole with a message that says what to fix.
import { describe, expect, it } from 'vitest';
import { checkImportRow, columnName, decideImport, parseConsentDate, readImportCsv, type CheckedImport } from '../src/subscribers/import.js';

const NOW = Date.parse('2026-03-02T14:00:00Z');
const OPTIONS = { defaultTimezone: 'America/New_York', now: NOW };

/** The text as a body arriving in pieces of `size` bytes (splitting characters too). */
async function* pieces(text: string | Uint8Array, size = 7): AsyncGenerator<Uint8Array> {
  const bytes = typeof text === 'string' ? Buffer.from(text) : text;
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function read(text: string | Uint8Array, options: Partial<Parameters<typeof readImportCsv>[1]> = {}) {
  return readImportCsv(pieces(text), { ...OPTIONS, ...options });
}

async function file(text: string): Promise<CheckedImport> {
  const r = await read(text);
  if (!r.ok) throw new Error(`refused: ${r.message}`);
  return r.file;
}

const outcomes = (f: CheckedImport) => f.rows.map((r) => (r.kind === 'write' ? { row: r.row, write: r.value } : r.report));

describe('readImportCsv', () => {
  it('reads the columns whatever their case, order and spacing, notes the ones it ignores, and numbers rows by their line', async () => {
    const f = await file(
      '\ufeffPhone,Consent Text, EMAIL ,First-Name,TimeZone,Reader,consent_source,CONSENT_DATE\r\n' +
        '555,"I agree, by paper",Zoë@Example.ORG,Zoë,europe/berlin,Supporter,Clinic form,2025-11-20\r\n' +
        '\r\n' +
        '556,,ann@example.org,"Ann\r\nMarie",,,,\r\n' +
        ',,,,,,,\r\n' +
        '557,,bob@example.org,,,,,\r\n',
    );
    expect(f.notes).toEqual(['Ignored a column the import does not read: Phone.']);
    expect(outcomes(f)).toEqual([
      {
        row: 2,
        write: {
          email: 'Zoë@example.org',
          firstName: 'Zoë',
          timezone: 'Europe/Berlin',
          reader: 'supporter',
          consent: { source: 'Clinic form', givenAt: Date.parse('2025-11-20T00:00:00+01:00'), text: 'I agree, by paper' },
          warnings: [],
        },
      },
      // A blank line (3) and a cell over two lines (4-5); the row of empty cells (6) is skipped.
      {
        row: 2 + 2,
        write: { email: 'ann@example.org', firstName: null, timezone: 'America/New_York', reader: null, consent: null, warnings: [expect.stringMatching(/^first_name: .*line breaks.* Left empty\.$/)] },
      },
      { row: 7, write: { email: 'bob@example.org', firstName: null, timezone: 'America/New_York', reader: null, consent: null, warnings: [] } },
    ]);
  });

  it('refuses only a row without a usable address, with every problem of the row in its reason', async () => {
    const f = await file(['email,first_name,timezone,reader', ',Nobody,,', 'not-an-address,,EST,patient', 'ok@example.org,,,'].join('\n'));
    expect(outcomes(f).map((r) => ('reason' in r ? r.reason : 'written'))).toEqual([
      'email: empty.',
      expect.stringMatching(/^email: That does not look like an email address.* reader: .* Left empty\. timezone: "EST" is an abbreviation/),
      'written',
    ]);
  });

  it('a wrong optional field is a warning that leaves it empty, not a refused row', async () => {
    const f = await file(
      [
        'email,first_name,timezone,reader,consent_source,consent_date,consent_text',
        'tz@example.org,,Mars/Olympus,,,,',
        'reader@example.org,,,patient,,,',
        'part@example.org,,,,Clinic form,,I agree',
        'us-date@example.org,,,,Clinic form,11/25/2025,I agree',
        'feb@example.org,,,,Clinic form,2025-02-30,I agree',
        'future@example.org,,,,Clinic form,2026-03-03,I agree',
        'local@example.org,,,,Clinic form,2025-11-20T10:00:00,I agree',
        `long@example.org,,,,Clinic form,2025-11-20,${'x'.repeat(2001)}`,
        `name@example.org,${'n'.repeat(61)},Europe/Berlin,supporter,,,`,
        'ok@example.org,,,,Clinic form,2025-11-20T10:00:00+01:00,I agree',
      ].join('\n'),
    );
    const rows = f.rows.map((r) => (r.kind === 'write' ? r.value : null));
    expect(rows.every((r) => r !== null)).toBe(true);
    const notRecorded = ' The consent was not recorded: they are invited to confirm by email instead.';
    expect(rows.map((r) => r!.warnings)).toEqual([
      ['timezone: "Mars/Olympus" is not an IANA time zone (like Europe/Berlin); left empty, so America/New_York applies.'],
      [expect.stringMatching(/^reader: .*self, supporter, professional.* Left empty\.$/)],
      [`consent: a recorded consent needs consent_source, consent_date and consent_text; consent_date is empty.${notRecorded}`],
      [`consent_date: "11/25/2025" is not an ISO date (2025-11-20, or 2025-11-20T14:30:00Z); left empty.${notRecorded}`],
      [expect.stringMatching(/^consent_date: "2025-02-30" is not an ISO date/)],
      [`consent_date: the date is in the future; left empty.${notRecorded}`],
      [expect.stringMatching(/^consent_date: "2025-11-20T10:00:00" is not an ISO date/)],
      [`consent_text: at most 2000 characters; left empty.${notRecorded}`],
      [expect.stringMatching(/^first_name: .*60 characters.* Left empty\.$/)],
      [],
    ]);
    expect(rows[0]).toMatchObject({ timezone: 'America/New_York' });
    expect(rows[1]).toMatchObject({ reader: null });
    for (const r of rows.slice(2, 8)) expect(r).toMatchObject({ consent: null });
    expect(rows[8]).toMatchObject({ firstName: null, timezone: 'Europe/Berlin', reader: 'supporter' });
    expect(rows[9]!.consent).toEqual({ source: 'Clinic form', givenAt: Date.parse('2025-11-20T09:00:00Z'), text: 'I agree' });
  });

  it('flags abbreviations and fixed offsets (EST is America/Panama, without daylight saving) and leaves the default zone', async () => {
    const zones = ['EST', 'pst', 'EST5EDT', 'UTC', 'GMT', 'Etc/GMT+5', 'CET', 'US/Eastern', 'america/chicago', 'Asia/Kolkata'];
    const f = await file(['email,timezone', ...zones.map((z, i) => `p${i}@example.org,${z}`)].join('\n'));
    const rows = f.rows.map((r) => (r.kind === 'write' ? { timezone: r.value.timezone, warned: r.value.warnings.length > 0 } : null));
    expect(rows).toEqual([
      ...zones.slice(0, 7).map(() => ({ timezone: 'America/New_York', warned: true })),
      { timezone: 'US/Eastern', warned: false },
      { timezone: 'America/Chicago', warned: false },
      { timezone: expect.stringMatching(/^Asia\/(Kolkata|Calcutta)$/), warned: false },
    ]);
    const est = f.rows[0]!;
    expect(est.kind === 'write' && est.value.warnings[0]).toMatch(/^timezone: "EST" is an abbreviation or a fixed offset.*America\/New_York applies\.$/);
  });

  it('flags a mistyped common domain as the signup form does, and imports the address as given', async () => {
    const f = await file(['email', 'ann@gmial.com', 'bob@hotmail.com', 'cy@example.org'].join('\n'));
    const rows = f.rows.map((r) => (r.kind === 'write' ? { email: r.value.email, warnings: r.value.warnings } : null));
    expect(rows).toEqual([
      { email: 'ann@gmial.com', warnings: [expect.stringMatching(/^email: did you mean ann@gmail\.com\? Imported as given/)] },
      { email: 'bob@hotmail.com', warnings: [] },
      { email: 'cy@example.org', warnings: [] },
    ]);
  });

  it('merges a repeated address into its first good row, saying which and what differed', async () => {
    const f = await file(
      [
        'email,first_name,consent_source,consent_date,consent_text',
        'bad@@example.org,Bea,,,', // invalid: not an address, so not a first row of anyone
        'bad@example.org,,Form,yesterday,I agree', // written without its undated consent
        'bad@example.org,Bea,,,',
        'ann@example.org,Ann,,,',
        'ann@EXAMPLE.org,Ann,,,',
        ' ann@example.org ,Annie,Form,2025-11-20,I agree',
        'bad@example.org,Bea,,,',
      ].join('\n'),
    );
    expect(outcomes(f)).toEqual([
      expect.objectContaining({ row: 2, outcome: 'invalid' }),
      expect.objectContaining({ row: 3, write: expect.objectContaining({ email: 'bad@example.org', consent: null }) }),
      { row: 4, email: 'bad@example.org', outcome: 'duplicate', of: 3, note: 'Differs from row 3 in first_name; row 3 was used.' },
      expect.objectContaining({ row: 5, write: expect.objectContaining({ email: 'ann@example.org' }) }),
      { row: 6, email: 'ann@EXAMPLE.org', outcome: 'duplicate', of: 5 },
      { row: 7, email: 'ann@example.org', outcome: 'duplicate', of: 5, note: 'Differs from row 5 in first_name, consent; row 5 was used.' },
      { row: 8, email: 'bad@example.org', outcome: 'duplicate', of: 3, note: 'Differs from row 3 in first_name; row 3 was used.' },
    ]);
  });

  it('refuses a file it cannot read as a whole, saying what to fix', async () => {
    const cases: [string | Uint8Array, number, string, RegExp][] = [
      ['', 400, 'empty_file', /empty/],
      ['\n\n', 400, 'empty_file', /empty/],
      ['name,phone\nAnn,555\n', 400, 'no_email_column', /email.*found: name, phone/],
      ['email,Email\na@example.org,b@example.org\n', 400, 'bad_header', /email twice/],
      ['email,first_name\na@example.org,"Ann\nb@example.org,Bob\n', 400, 'malformed_csv', /never closed/],
      ['email,first_name\na@example.org,Ann,extra\n', 400, 'malformed_csv', /^Line 2 has a different number of values/],
      ['email,first_name\na@example.org,"Ann"x\n', 400, 'malformed_csv', /^Line 2: a quoted value must end/],
      [Buffer.concat([Buffer.from('email,first_name\na@example.org,'), Buffer.from([0xff, 0xfe, 0x41]), Buffer.from('\n')]), 400, 'not_utf8', /UTF-8/],
      ['email\n' + 'a@example.org\n'.repeat(100), 413, 'payload_too_large', /larger than/],
    ];
    for (const [text, status, code, message] of cases) {
      const r = await read(text, { maxBytes: 1000 });
      expect(r, String(text).slice(0, 40)).toEqual({ ok: false, status, code, message: expect.stringMatching(message) });
    }
    expect(await read('email\n' + 'a@example.org\n'.repeat(11), { maxRows: 10 })).toEqual({
      ok: false,
      status: 413,
      code: 'too_many_rows',
      message: 'The file has more than 10 rows. Split it into smaller files.',
    });
    expect((await read('email\n' + 'a@example.org\n'.repeat(10), { maxRows: 10 })).ok).toBe(true);
    // A header and nothing else is an empty import, not an error.
    expect(await read('email,first_name\r\n')).toEqual({ ok: true, file: { notes: [], rows: [] } });
  });

  it('a refusal early in a long body is that refusal, not the abort of the rest', async () => {
    const r = await readImportCsv(pieces(`name,phone\n${'Ann,555\n'.repeat(20_000)}`, 512), OPTIONS);
    expect(r).toMatchObject({ ok: false, status: 400, code: 'no_email_column' });
  });

  it('a body that breaks off is refused, not half read', async () => {
    async function* broken() {
      yield Buffer.from('email\na@example.org\n');
      throw new Error('aborted');
    }
    expect(await readImportCsv(broken(), OPTIONS)).toEqual({ ok: false, status: 400, code: 'upload_incomplete', message: expect.any(String) });
  });
});

describe('the pieces', () => {
  it('column names ignore case, spaces and hyphens', () => {
    expect(['Email', ' FIRST NAME ', 'first-name', 'Consent_Date'].map(columnName)).toEqual(['email', 'first_name', 'first_name', 'consent_date']);
  });

  it("a consent date is a real calendar date (its midnight in the row's zone) or a date-time with its offset", () => {
    expect(parseConsentDate('2024-02-29', 'UTC')).toBe(Date.parse('2024-02-29T00:00:00Z'));
    expect(parseConsentDate('2025-07-01', 'America/New_York')).toBe(Date.parse('2025-07-01T00:00:00-04:00'));
    expect(parseConsentDate('2025-11-20T14:30:00+02:00', 'UTC')).toBe(Date.parse('2025-11-20T12:30:00Z'));
    expect(parseConsentDate('2025-11-20t14:30z', 'UTC')).toBe(Date.parse('2025-11-20T14:30:00Z'));
    for (const bad of ['2023-02-29', '2025-13-01', '20/11/2025', '2025-11-20 14:30', '2025-11-20T14:30:00', 'soon']) expect(parseConsentDate(bad, 'UTC'), bad).toBeNull();
  });

  it('a row with every consent column empty has no consent; one with all three has it', () => {
    expect(checkImportRow({ email: 'a@example.org', consent_source: ' ', consent_date: '', consent_text: '' }, 'UTC', NOW)).toMatchObject({ ok: true, value: { consent: null } });
    expect(checkImportRow({ email: 'a@example.org', consent_source: 'Form', consent_date: '2026-03-02', consent_text: 'Yes' }, 'UTC', NOW)).toMatchObject({
      ok: true,
      value: { consent: { source: 'Form', givenAt: Date.parse('2026-03-02T00:00:00Z'), text: 'Yes' } },
    });
  });

  it('an import never overrides what the person did here', () => {
    expect(decideImport(undefined, null, true)).toEqual({ kind: 'enrol' });
    expect(decideImport(undefined, null, false)).toEqual({ kind: 'invite' });
    for (const status of ['pending', 'active', 'completed', 'converted', 'unsubscribed'] as const) expect(decideImport({ status }, null, true)).toEqual({ kind: 'none', reason: 'exists' });
    expect(decideImport({ status: 'suppressed' }, 'bounced', true)).toEqual({ kind: 'none', reason: 'suppressed' });
    expect(decideImport({ status: 'unsubscribed' }, 'complained', false)).toEqual({ kind: 'none', reason: 'suppressed' });
    expect(decideImport(undefined, 'suppressed', true)).toEqual({ kind: 'none', reason: 'suppressed' });
    expect(decideImport(undefined, 'erased', true)).toEqual({ kind: 'none', reason: 'erased' });
  });
});
