import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveConfig, startupRefusal, startupWarnings } from '../src/config.js';
import { ConfigError, loadEnv } from '../src/env.js';
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
    const w = startupWarnings(testConfig({ resendApiKey: 're_x', mailFrom: 'Harbor Clinic <education@localhost>', publicUrl: 'http://localhost:3000' }));
    expect(w).toHaveLength(2);
    expect(w[0]).toContain('MAIL_FROM');
    expect(w[1]).toContain('PUBLIC_URL');
  });

  it('does not warn about localhost links while mail only goes to the outbox', () => {
    expect(startupWarnings(testConfig({ resendApiKey: undefined, publicUrl: 'http://localhost:3000' }))).toEqual([]);
  });
});

describe('resolveConfig: the secret key', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nurture-key-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const keyFile = () => path.join(dir, 'secret.key');
  const resolve = (vars: Record<string, string> = {}) => resolveConfig(loadEnv({ DATABASE_PATH: path.join(dir, 'nurture.db'), ...vars }));

  function configError(fn: () => unknown): string {
    try {
      fn();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const message = (err as Error).message;
      expect(message).not.toContain('\n');
      return message;
    }
    throw new Error('expected a ConfigError');
  }

  it('generates 64 hex characters readable only by the owner, and keeps them across starts', () => {
    const key = resolve().secretKey;
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(fs.readFileSync(keyFile(), 'utf8').trim()).toBe(key);
    if (process.platform !== 'win32') expect(fs.statSync(keyFile()).mode & 0o777).toBe(0o600);
    expect(fs.readdirSync(dir)).toEqual(['secret.key']);
    expect(resolve().secretKey).toBe(key);
  });

  it('reads a valid secret.key as it is', () => {
    const key = 'c3f1a9e07b5d2846f0e9a1b3c5d7e9f1a2b4c6d8e0f1a3b5c7d9e1f3a5b7c9d1';
    fs.writeFileSync(keyFile(), `${key}\n`);
    expect(resolve().secretKey).toBe(key);
  });

  it('refuses an empty secret.key with one line naming the file and the fix', () => {
    fs.writeFileSync(keyFile(), '');
    const message = configError(() => resolve());
    expect(message).toBe(
      `${keyFile()} is empty; delete it to generate a new one (every link already sent stops working) or restore it from a backup`,
    );
    // Refusing must not replace the file: a backup may still be restored over it.
    expect(fs.readFileSync(keyFile(), 'utf8')).toBe('');
  });

  it.each([
    ['is shorter than 64 hex characters', 'ab'.repeat(31) + 'a'],
    ['holds characters other than hex digits', 'z'.repeat(64)],
    ['is empty', ' \n'],
    ['is too predictable', 'ab'.repeat(32)],
    ['is too predictable', '0'.repeat(64)],
  ])('refuses a secret.key that %s', (problem, content) => {
    fs.writeFileSync(keyFile(), content);
    const message = configError(() => resolve());
    expect(message).toContain(keyFile());
    expect(message).toContain(problem);
    expect(message).toContain('delete it to generate a new one');
  });

  it('refuses a secret.key it cannot read with one line naming the file', () => {
    fs.mkdirSync(keyFile());
    expect(configError(() => resolve())).toContain(`cannot read ${keyFile()}`);
  });

  it('refuses a SECRET_KEY shorter than 32 characters or too predictable, however the environment was built, without printing it', () => {
    const good = 'x8Fq2LmZ0pR7vWc4Yt1NbK6sD9hJ3aEu';
    expect(configError(() => resolve({ SECRET_KEY: good.slice(1) }))).toContain('SECRET_KEY');
    const env = loadEnv({ DATABASE_PATH: path.join(dir, 'nurture.db') });
    for (const bad of [good.slice(1), ' '.repeat(32), 'k'.repeat(32), 'Qz'.repeat(20)]) {
      const message = configError(() => resolveConfig({ ...env, secretKey: bad }));
      expect(message).toContain('SECRET_KEY');
      expect(message).not.toContain(bad.slice(0, 8));
    }
    expect(resolveConfig({ ...env, secretKey: good }).secretKey).toBe(good);
    // A key from the environment never creates or reads the file.
    expect(fs.existsSync(keyFile())).toBe(false);
  });

  it('gives processes started together on a fresh data dir one and the same key', async () => {
    const fixture = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'secret-key-child.ts');
    const children = Array.from({ length: 6 }, () => {
      const child = spawn(process.execPath, ['--import', 'tsx', fixture, dir], { stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      const ready = new Promise<void>((res, rej) => {
        child.stdout.on('data', () => stdout.startsWith('ready\n') && res());
        child.on('exit', () => rej(new Error(`child exited before ready: ${stderr}`)));
      });
      const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((res) => child.on('exit', (code) => res({ code, stdout, stderr })));
      return { child, ready, done };
    });
    try {
      // Release them together only once all have loaded, so their resolveConfig calls overlap.
      await Promise.all(children.map((c) => c.ready));
      for (const c of children) c.child.stdin.end('go\n');
      const results = await Promise.all(children.map((c) => c.done));
      for (const r of results) expect(r).toMatchObject({ code: 0, stderr: '' });
      const keys = results.map((r) => r.stdout.replace(/^ready\n/, '').trim());
      expect(keys[0]).toMatch(/^[0-9a-f]{64}$/);
      expect(new Set(keys)).toEqual(new Set([keys[0]]));
      expect(fs.readFileSync(keyFile(), 'utf8').trim()).toBe(keys[0]);
      // No temp file left behind by the losers or the winner.
      expect(fs.readdirSync(dir)).toEqual(['secret.key']);
    } finally {
      for (const c of children) c.child.kill();
    }
  }, 60_000);
});

describe('startupRefusal', () => {
  it('refuses the placeholder postal address in Resend mode, in one line naming the variable', () => {
    const refusal = startupRefusal(testConfig({ resendApiKey: 're_x', postalAddressIsPlaceholder: true }));
    expect(refusal).toContain('POSTAL_ADDRESS');
    expect(refusal).not.toContain('\n');
    // Refused, so not also warned about.
    expect(startupWarnings(testConfig({ resendApiKey: 're_x', postalAddressIsPlaceholder: true, mailFrom: 'C <e@clinic.example>', publicUrl: 'https://clinic.example' }))).toEqual([]);
  });

  it('refuses Resend mode without CLINIC_NAME, naming it, in one line; the outbox mode only warns', () => {
    const refusal = startupRefusal(loadEnv({ RESEND_API_KEY: 're_x', POSTAL_ADDRESS: 'A Clinic, 1 Road, Town, ST 00000, USA' }));
    expect(refusal).toMatch(/^CLINIC_NAME is not set/);
    expect(refusal).not.toContain('\n');
    expect(startupRefusal(loadEnv({ RESEND_API_KEY: 're_x', CLINIC_NAME: 'Harbor Clinic', POSTAL_ADDRESS: 'Harbor Clinic, 1 Road, Town, ST 00000, USA' }))).toBeNull();
    expect(startupRefusal(loadEnv({}))).toBeNull();
    expect(startupWarnings(loadEnv({})).join()).toContain('CLINIC_NAME');
    expect(startupWarnings(loadEnv({ CLINIC_NAME: 'Harbor Clinic' })).join()).not.toContain('CLINIC_NAME');
  });

  it('only warns in outbox mode, and accepts a real address in Resend mode', () => {
    expect(startupRefusal(testConfig({ resendApiKey: undefined, postalAddressIsPlaceholder: true }))).toBeNull();
    expect(startupRefusal(testConfig({ resendApiKey: 're_x', postalAddressIsPlaceholder: false }))).toBeNull();
  });
});
