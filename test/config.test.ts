import { describe, expect, it } from 'vitest';
import { startupRefusal, startupWarnings } from '../src/config.js';
import { testConfig } from './helpers/app.js';

describe('startupWarnings', () => {
  it('is quiet for a complete configuration', () => {
    expect(startupWarnings(testConfig())).toEqual([]);
    expect(startupWarnings(testConfig({ resendApiKey: 're_x', mailFrom: 'Clinic <edu@clinic.example>', publicUrl: 'https://clinic.example' }))).toEqual([]);
  });

  it('warns about the placeholder postal address in outbox mode', () => {
    expect(startupWarnings(testConfig({ postalAddressIsPlaceholder: true })).join()).toContain('POSTAL_ADDRESS');
  });

  it('warns when real mail would go from localhost or link to localhost', () => {
    const w = startupWarnings(testConfig({ resendApiKey: 're_x', mailFrom: 'Isha Health <education@localhost>', publicUrl: 'http://localhost:3000' }));
    expect(w).toHaveLength(2);
    expect(w[0]).toContain('MAIL_FROM');
    expect(w[1]).toContain('PUBLIC_URL');
  });

  it('does not warn about localhost links while mail only goes to the outbox', () => {
    expect(startupWarnings(testConfig({ resendApiKey: undefined, publicUrl: 'http://localhost:3000' }))).toEqual([]);
  });
});

describe('startupRefusal', () => {
  it('refuses the placeholder postal address in Resend mode, in one line naming the variable', () => {
    const refusal = startupRefusal(testConfig({ resendApiKey: 're_x', postalAddressIsPlaceholder: true }));
    expect(refusal).toContain('POSTAL_ADDRESS');
    expect(refusal).not.toContain('\n');
    // Refused, so not also warned about.
    expect(startupWarnings(testConfig({ resendApiKey: 're_x', postalAddressIsPlaceholder: true, mailFrom: 'C <e@clinic.example>', publicUrl: 'https://clinic.example' }))).toEqual([]);
  });

  it('only warns in outbox mode, and accepts a real address in Resend mode', () => {
    expect(startupRefusal(testConfig({ resendApiKey: undefined, postalAddressIsPlaceholder: true }))).toBeNull();
    expect(startupRefusal(testConfig({ resendApiKey: 're_x', postalAddressIsPlaceholder: false }))).toBeNull();
  });
});
