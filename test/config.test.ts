import { describe, expect, it } from 'vitest';
import { startupWarnings } from '../src/config.js';
import { testConfig } from './helpers/app.js';

describe('startupWarnings', () => {
  it('is quiet for a complete configuration', () => {
    expect(startupWarnings(testConfig())).toEqual([]);
    expect(startupWarnings(testConfig({ resendApiKey: 're_x', mailFrom: 'Clinic <edu@clinic.example>', publicUrl: 'https://clinic.example' }))).toEqual([]);
  });

  it('warns about the placeholder postal address', () => {
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
