import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadEnv } from '../src/env.js';

describe('loadEnv', () => {
  it('has working defaults for an empty environment', () => {
    const env = loadEnv({});
    expect(env).toMatchObject({
      port: 3000,
      publicUrl: 'http://localhost:3000',
      databasePath: 'data/nurture.db',
      resendApiKey: undefined,
      mailFrom: 'Example Clinic <education@localhost>',
      clinicName: 'Example Clinic',
      clinicNameIsDefault: true,
      clinicUrl: undefined,
      clinicSessionSetting: undefined,
      retentionDays: 730,
      postalAddress: 'Example Clinic, 123 Example Street, Anytown, ST 00000, USA',
      postalAddressIsPlaceholder: true,
      defaultTimezone: 'America/New_York',
      sendWindow: { startMinute: 540, endMinute: 660 },
      sendRate: 2,
      complaintPause: 0.003,
      outboxDir: 'data/outbox',
      logLevel: 'info',
    });
  });

  it('derives PUBLIC_URL from PORT and strips a trailing slash from a given one', () => {
    expect(loadEnv({ PORT: '8080' }).publicUrl).toBe('http://localhost:8080');
    expect(loadEnv({ PUBLIC_URL: 'https://news.example.org/' }).publicUrl).toBe('https://news.example.org');
  });

  it('treats empty strings as unset', () => {
    expect(loadEnv({ RESEND_API_KEY: '', PORT: '', SEND_RATE: '' })).toMatchObject({ resendApiKey: undefined, port: 3000, sendRate: 2 });
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PUBLIC_URL', 'not a url'],
    ['SEND_WINDOW', '11:00-09:00'],
    ['SEND_WINDOW', '9-11'],
    ['SEND_RATE', '0'],
    ['SEND_RATE', 'fast'],
    ['DEFAULT_TIMEZONE', 'Mars/Olympus'],
    ['RESEND_WEBHOOK_SECRET', 'nope'],
    ['SECRET_KEY', 'short'],
    ['LOG_LEVEL', 'loud'],
    ['MAIL_FROM', 'no address here'],
    ['BOOKING_URL', 'http://clinic.example/book'],
    ['BOOKING_URL', 'clinic.example/book'],
    ['BOOKING_URL', 'https://user:pw@clinic.example/book'],
    ['REPLY_TO', 'care@clinic.example, other@clinic.example'],
    ['REPLY_TO', 'Care <care@clinic.example>'],
    ['REPLY_TO', 'nobody'],
    ['PRIVACY_CONTACT', 'write to us'],
    ['PRIVACY_CONTACT', 'javascript:alert(1)'],
    ['COMPLAINT_PAUSE', '1.5'],
    ['COMPLAINT_PAUSE', '-0.1'],
    ['COMPLAINT_PAUSE', '0.3%'],
    ['COMPLAINT_PAUSE', 'high'],
  ])('rejects %s=%s with one line naming the variable', (name, value) => {
    let error: unknown;
    try {
      loadEnv({ [name]: value });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain(name);
    expect(message).not.toContain('\n');
  });

  it.each([
    ['32 spaces', ' '.repeat(32)],
    ['one character repeated', 'k'.repeat(40)],
    ['two characters repeated', 'Qz'.repeat(32)],
    ['31 characters', 'x8Fq2LmZ0pR7vWc4Yt1NbK6sD9hJ3aE'],
  ])('refuses a SECRET_KEY of %s, and never prints it back', (_, value) => {
    let error: unknown;
    try {
      loadEnv({ SECRET_KEY: value });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain('SECRET_KEY');
    expect(message).not.toContain(value);
    expect(message).not.toContain(value.slice(0, 8));
    expect(message).not.toContain('\n');
  });

  it('prints back no secret variable it refuses', () => {
    for (const [name, value] of [
      ['SECRET_KEY', 'Zq9-my-private-value'],
      ['STAFF_PASSWORD', 'Zq9-pw'],
      ['RESEND_WEBHOOK_SECRET', 'Zq9-not-whsec'],
      ['RESEND_API_KEY', 'Zq9 with space'],
      ['DATABASE_URL', 'mysql://user:Zq9-pw@db/x'],
    ]) {
      expect(() => loadEnv({ [name!]: value })).toThrow(ConfigError);
      try {
        loadEnv({ [name!]: value });
      } catch (err) {
        expect((err as Error).message, name).toContain(name!);
        expect((err as Error).message, name).not.toContain('Zq9');
      }
    }
  });

  it('accepts SECRET_KEYs made the usual ways', () => {
    for (let i = 0; i < 200; i++) {
      for (const key of [crypto.randomBytes(32).toString('hex'), crypto.randomBytes(16).toString('hex'), crypto.randomBytes(32).toString('base64'), crypto.randomBytes(24).toString('base64url')]) {
        expect(loadEnv({ SECRET_KEY: key }).secretKey).toBe(key);
      }
    }
  });

  it('reads COMPLAINT_PAUSE as a fraction from 0 to 1', () => {
    expect(loadEnv({ COMPLAINT_PAUSE: '0.001' }).complaintPause).toBe(0.001);
    expect(loadEnv({ COMPLAINT_PAUSE: '.01' }).complaintPause).toBe(0.01);
    expect(loadEnv({ COMPLAINT_PAUSE: '0' }).complaintPause).toBe(0);
    expect(loadEnv({ COMPLAINT_PAUSE: '1' }).complaintPause).toBe(1);
    expect(loadEnv({ COMPLAINT_PAUSE: '' }).complaintPause).toBe(0.003);
  });

  it('reads the clinic profile: the name in the sender, the placeholder address and nowhere else by default', () => {
    const env = loadEnv({ CLINIC_NAME: ' Harbor Clinic ', CLINIC_URL: 'https://harborclinic.example', CLINIC_SESSION_SETTING: 'in-clinic', RETENTION_DAYS: '365' });
    expect(env).toMatchObject({
      clinicName: 'Harbor Clinic',
      clinicNameIsDefault: false,
      clinicUrl: 'https://harborclinic.example',
      clinicSessionSetting: 'in-clinic',
      retentionDays: 365,
      mailFrom: 'Harbor Clinic <education@localhost>',
      postalAddress: 'Harbor Clinic, 123 Example Street, Anytown, ST 00000, USA',
    });
    // A bare MAIL_FROM gets the clinic's name; a named one keeps its own; a name with specials is quoted.
    expect(loadEnv({ CLINIC_NAME: 'Harbor Clinic', MAIL_FROM: 'edu@harborclinic.example' }).mailFrom).toBe('Harbor Clinic <edu@harborclinic.example>');
    expect(loadEnv({ CLINIC_NAME: 'Harbor Clinic', MAIL_FROM: 'Harbor Education <edu@harborclinic.example>' }).mailFrom).toBe('Harbor Education <edu@harborclinic.example>');
    expect(loadEnv({ CLINIC_NAME: 'Harbor Clinic, Inc.' }).mailFrom).toBe('"Harbor Clinic, Inc." <education@localhost>');
    expect(loadEnv({ CLINIC_SESSION_SETTING: 'at-home-remote' }).clinicSessionSetting).toBe('at-home-remote');
  });

  it.each([
    ['CLINIC_NAME', 'A <b>Clinic</b>'],
    ['CLINIC_NAME', 'Two\nLines'],
    ['CLINIC_NAME', '   '],
    ['CLINIC_NAME', 'x'.repeat(81)],
    ['CLINIC_URL', 'http://harborclinic.example'],
    ['CLINIC_URL', 'harborclinic.example'],
    ['CLINIC_SESSION_SETTING', 'at-home'],
    ['RETENTION_DAYS', '0'],
    ['RETENTION_DAYS', '3651'],
    ['RETENTION_DAYS', '2 years'],
    ['RETENTION_DAYS', '-5'],
  ])('refuses %s=%j in one line naming it', (name, value) => {
    expect(() => loadEnv({ [name]: value })).toThrow(ConfigError);
    try {
      loadEnv({ [name]: value });
    } catch (err) {
      expect((err as Error).message).toMatch(new RegExp(`^Invalid ${name}=`));
      expect((err as Error).message).not.toContain('\n');
    }
  });

  it('reads the booking page, reply address and privacy contact, all unset by default', () => {
    expect(loadEnv({})).toMatchObject({ bookingUrl: undefined, replyTo: undefined, privacyContact: undefined });
    expect(
      loadEnv({ BOOKING_URL: 'https://clinic.example/book?from=email', REPLY_TO: ' Care@Clinic.Example ', PRIVACY_CONTACT: 'Privacy@Clinic.Example' }),
    ).toMatchObject({ bookingUrl: 'https://clinic.example/book?from=email', replyTo: 'Care@clinic.example', privacyContact: 'Privacy@clinic.example' });
    expect(loadEnv({ PRIVACY_CONTACT: 'https://clinic.example/privacy' }).privacyContact).toBe('https://clinic.example/privacy');
  });
});
