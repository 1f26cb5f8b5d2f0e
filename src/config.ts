import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { tightenToOwner } from '../db/owner-only.js';
import { ConfigError, SECRET_KEY_HINT, SECRET_KEY_MIN_LENGTH, secretKeyProblem, type Env } from './env.js';

/** The environment with its secrets resolved: what the app and worker run on. */
export type Config = Omit<Env, 'secretKey'> & { secretKey: string };

export function dataDir(env: Pick<Env, 'databasePath'>): string {
  return env.databasePath === ':memory:' ? 'data' : path.dirname(env.databasePath);
}

/**
 * SECRET_KEY, when unset, is generated once and kept in the data dir so tokens
 * stay valid across restarts. (STAFF_PASSWORD, when unset, is generated once
 * with the first admin: see ensureFirstAdmin.)
 */
export function resolveConfig(env: Env): Config {
  const secretKey = env.secretKey ? checkedEnvSecret(env.secretKey) : fileSecretKey(path.join(dataDir(env), 'secret.key'));
  return { ...env, secretKey };
}

// loadEnv checks this too; an Env can also be built in code, so check again. The key is never printed.
function checkedEnvSecret(secret: string): string {
  if (secretKeyProblem(secret)) throw new ConfigError(`Invalid SECRET_KEY: expected ${SECRET_KEY_HINT}`);
  return secret;
}

// The generated key is 32 random bytes as hex; anything shorter is guessable.
const KEY_HEX_LENGTH = SECRET_KEY_MIN_LENGTH * 2;

/** Reads the key file, creating it first if missing; a bad file stops start-up rather than sign with it. */
function fileSecretKey(file: string): string {
  let text = readKeyFile(file);
  if (text === undefined) {
    createKeyFile(file);
    text = readKeyFile(file)!;
  }
  // Created owner-only (createKeyFile); one an earlier release made is tightened to match.
  tightenToOwner(file);
  const key = text.trim();
  const problem =
    key === ''
      ? 'is empty'
      : !/^[0-9a-f]+$/i.test(key)
        ? 'holds characters other than hex digits'
        : key.length < KEY_HEX_LENGTH
          ? `is shorter than ${KEY_HEX_LENGTH} hex characters`
          : secretKeyProblem(key)
            ? 'is too predictable (a few characters repeated)'
            : undefined;
  if (problem) {
    throw new ConfigError(
      `${file} ${problem}; delete it to generate a new one (every link already sent stops working) or restore it from a backup`,
    );
  }
  return key;
}

function readKeyFile(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw new ConfigError(`cannot read ${file} (${code ?? (err as Error).message}); check its permissions, or delete it to generate a new one`);
  }
}

/**
 * Writes the whole key to a private temp file, then links it into place: the
 * link either appears complete or fails with EEXIST because another process
 * (server and worker starting together) won, whose key is then the one read.
 */
function createKeyFile(file: string): void {
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true });
  const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.${crypto.randomBytes(6).toString('hex')}.tmp`);
  const fd = fs.openSync(temp, 'wx', 0o600);
  try {
    try {
      fs.writeSync(fd, crypto.randomBytes(SECRET_KEY_MIN_LENGTH).toString('hex') + '\n');
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    try {
      fs.linkSync(temp, file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  } finally {
    fs.rmSync(temp, { force: true });
  }
  syncDir(dir);
}

// Makes the new name survive a power cut; not every platform can open a directory.
function syncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Best effort: the key file itself is already complete on disk.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/**
 * A setting that must not go out in real mail: one line naming the variable,
 * or null. Only Resend mode refuses; the outbox mode sends nothing to anyone.
 */
export function startupRefusal(config: Pick<Config, 'postalAddressIsPlaceholder' | 'resendApiKey' | 'clinicNameIsDefault'>): string | null {
  // The name first: the placeholder address is built from it.
  if (config.resendApiKey && config.clinicNameIsDefault) {
    return 'CLINIC_NAME is not set: real mail must name the clinic that sends it (pages, sender, consent wording). Set CLINIC_NAME="Your Clinic" or unset RESEND_API_KEY to use the outbox.';
  }
  if (config.resendApiKey && config.postalAddressIsPlaceholder) {
    return 'POSTAL_ADDRESS is not set: real mail must carry the sender\'s postal address. Set POSTAL_ADDRESS="Your Clinic, street, city, postcode, country" or unset RESEND_API_KEY to use the outbox.';
  }
  return null;
}

/** Settings that work but are probably a mistake; logged at start-up. */
/** The setting under which the server keeps the PUBLIC_URL it started with, for the workers to compare. */
export const SERVER_PUBLIC_URL = 'server:public-url';

/**
 * A worker or tick builds the links of the emails it sends; when its
 * PUBLIC_URL is not the server's, every link it writes leads elsewhere.
 */
export function publicUrlMismatch(own: string, server: string | null): string | null {
  if (server === null || server === own) return null;
  return `This process builds email links with PUBLIC_URL ${own}, but the server last started with ${server}: links in the emails it sends would lead to the wrong place. Start it with PUBLIC_URL=${server} (the same .env as the server).`;
}

export function startupWarnings(config: Pick<Config, 'postalAddressIsPlaceholder' | 'resendApiKey' | 'mailFrom' | 'publicUrl' | 'clinicNameIsDefault' | 'clinicName'>): string[] {
  const warnings: string[] = [];
  if (config.clinicNameIsDefault && !config.resendApiKey) {
    warnings.push(`CLINIC_NAME is not set: pages and emails name "${config.clinicName}". Set CLINIC_NAME before sending real mail.`);
  }
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
