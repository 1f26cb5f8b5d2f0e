import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Env } from './env.js';

/** The environment with its secrets resolved: what the app and worker run on. */
export type Config = Omit<Env, 'secretKey' | 'staffPassword'> & {
  secretKey: string;
  staffPassword: string;
  staffPasswordGenerated: boolean;
};

export function dataDir(env: Pick<Env, 'databasePath'>): string {
  return env.databasePath === ':memory:' ? 'data' : path.dirname(env.databasePath);
}

/**
 * SECRET_KEY, when unset, is generated once and kept in the data dir so tokens
 * stay valid across restarts. STAFF_PASSWORD, when unset, is generated per start.
 */
export function resolveConfig(env: Env): Config {
  let secretKey = env.secretKey;
  if (!secretKey) {
    const file = path.join(dataDir(env), 'secret.key');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    try {
      // 'wx' fails if the file exists, so two processes starting at once agree on one key.
      fs.writeFileSync(file, crypto.randomBytes(32).toString('hex') + '\n', { flag: 'wx', mode: 0o600 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    secretKey = fs.readFileSync(file, 'utf8').trim();
  }
  const staffPassword = env.staffPassword ?? crypto.randomBytes(12).toString('base64url');
  return { ...env, secretKey, staffPassword, staffPasswordGenerated: !env.staffPassword };
}

/**
 * A setting that must not go out in real mail: one line naming the variable,
 * or null. Only Resend mode refuses; the outbox mode sends nothing to anyone.
 */
export function startupRefusal(config: Pick<Config, 'postalAddressIsPlaceholder' | 'resendApiKey'>): string | null {
  if (config.resendApiKey && config.postalAddressIsPlaceholder) {
    return 'POSTAL_ADDRESS is not set: real mail must carry the sender\'s postal address. Set POSTAL_ADDRESS="Your Clinic, street, city, postcode, country" or unset RESEND_API_KEY to use the outbox.';
  }
  return null;
}

/** Settings that work but are probably a mistake; logged at start-up. */
export function startupWarnings(config: Pick<Config, 'postalAddressIsPlaceholder' | 'resendApiKey' | 'mailFrom' | 'publicUrl'>): string[] {
  const warnings: string[] = [];
  // In Resend mode the placeholder is refused (startupRefusal), not warned about.
  if (config.postalAddressIsPlaceholder && !config.resendApiKey) {
    warnings.push('POSTAL_ADDRESS is not set: emails carry a placeholder postal address. Set POSTAL_ADDRESS before sending real mail.');
  }
  if (config.resendApiKey) {
    if (/@localhost>?$/i.test(config.mailFrom)) {
      warnings.push('MAIL_FROM is at localhost: Resend will refuse it. Set MAIL_FROM to an address on your verified domain.');
    }
    if (/^https?:\/\/(localhost|127\.|\[::1\])/i.test(config.publicUrl)) {
      warnings.push('PUBLIC_URL points at this machine: links in real emails (confirm, unsubscribe) will not work for readers. Set PUBLIC_URL to the public address.');
    }
  }
  return warnings;
}
