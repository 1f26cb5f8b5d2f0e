// `npm run staff -- ...` as a process: accounts in the configured database; bad arguments are one line and exit 2.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqlite } from '../db/sqlite/client.js';
import { parseStaffArgs } from '../src/cli/staff-args.js';
import { csrfToken } from '../src/routes/staff/security.js';
import { verifyPassword } from '../src/staff/password.js';
import { testApp } from './helpers/app.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nurture-staff-cli-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function staff(args: string[]) {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_PATH: path.join(dir, 'n.db'),
    OUTBOX_DIR: path.join(dir, 'outbox'),
    SECRET_KEY: 'cli-test-secret-0123456789abcdef0123456789abcdef',
    CLINIC_NAME: 'Harbor Clinic',
    POSTAL_ADDRESS: '1 Test Street, Testville',
    LOG_LEVEL: 'warn',
  };
  delete env.RESEND_API_KEY;
  delete env.DATABASE_URL;
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/staff.ts', ...args], { env, encoding: 'utf8', timeout: 30_000 });
}

describe('npm run staff', () => {
  it('adds an account, prints its password once, and that password logs in on the login page', async () => {
    const r = staff(['add', 'robin', '--role', 'editor']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const m = /^Added robin \(editor\)\. Password, shown only now: ([A-Za-z0-9_-]{20})\n$/.exec(r.stdout);
    expect(m).not.toBeNull();
    const password = m![1]!;

    const db = openSqlite(path.join(dir, 'n.db'));
    const row = db.$client.prepare("SELECT role, password_hash AS hash FROM staff_accounts WHERE name = 'robin'").get() as { role: string; hash: string };
    expect(row.role).toBe('editor');
    expect(row.hash).not.toContain(password);
    expect(await verifyPassword(password, row.hash)).toBe(true);
    expect(db.$client.prepare('SELECT actor, action, detail FROM audit_log').all()).toEqual([{ actor: '(command line)', action: 'account.added', detail: '{"account":"robin","role":"editor"}' }]);

    const t = testApp({ db });
    const login = await t.app.request('/staff/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ name: 'robin', password, _csrf: csrfToken(t.config.secretKey, t.clock.now()) }).toString(),
    });
    expect(login.status).toBe(303);
    expect(login.headers.get('set-cookie')).toMatch(/^nurture_staff=/);
    db.$client.close();

    const again = staff(['add', 'robin', '--role', 'viewer']);
    expect(again.status).toBe(1);
    expect(again.stdout).toBe('');
    expect(again.stderr.trim().split('\n')).toEqual(['An account named robin exists already; choose another name.']);
  });

  it('lists accounts, disables and enables one', () => {
    expect(staff(['add', 'ada', '--role=admin']).status).toBe(0);
    expect(staff(['add', 'vic', '--role', 'viewer']).status).toBe(0);
    const disabled = staff(['disable', 'vic']);
    expect(disabled.status).toBe(0);
    expect(disabled.stdout).toBe('Disabled vic; its sessions have ended.\n');
    const list = staff(['list']).stdout.trim().split('\n');
    expect(list).toHaveLength(2);
    expect(list[0]).toMatch(/^ada\s+admin\s+enabled$/);
    expect(list[1]).toMatch(/^vic\s+viewer\s+disabled \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC$/);
    expect(staff(['enable', 'vic']).stdout).toBe('Enabled vic.\n');
    expect(staff(['list']).stdout).toMatch(/vic\s+viewer\s+enabled\n$/);
    const missing = staff(['disable', 'nobody']);
    expect(missing.status).toBe(1);
    expect(missing.stderr.trim()).toBe('There is no account named nobody.');
    // The last enabled admin stays: nobody could manage accounts or erase otherwise.
    const last = staff(['disable', 'ada']);
    expect(last.status).toBe(1);
    expect(last.stderr.trim()).toBe('ada is the last enabled admin: make another account admin first (npm run staff -- role NAME admin).');
    expect(staff(['list']).stdout).toMatch(/^ada\s+admin\s+enabled$/m);
  }, 120_000); // a dozen CLI processes, each loading TypeScript

  it('passwd prints a new password once; the old one stops working and its sessions end; audited', async () => {
    const added = /shown only now: (\S+)\n$/.exec(staff(['add', 'robin', '--role', 'editor']).stdout)![1]!;
    const db = openSqlite(path.join(dir, 'n.db'));
    const id = (db.$client.prepare("SELECT id FROM staff_accounts WHERE name = 'robin'").get() as { id: number }).id;
    db.$client.prepare('INSERT INTO staff_sessions (token_hash, account_id, created_at, expires_at, last_seen_at) VALUES (?, ?, 0, 9999999999999, 0)').run('a-session', id);
    const r = staff(['passwd', 'robin']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const m = /^New password for robin, shown only now: ([A-Za-z0-9_-]{20})\nIts sessions have ended\.\n$/.exec(r.stdout);
    expect(m).not.toBeNull();
    const hash = (db.$client.prepare("SELECT password_hash AS h FROM staff_accounts WHERE name = 'robin'").get() as { h: string }).h;
    expect(await verifyPassword(m![1]!, hash)).toBe(true);
    expect(await verifyPassword(added, hash)).toBe(false);
    expect(db.$client.prepare('SELECT count(*) AS n FROM staff_sessions').get()).toEqual({ n: 0 });
    expect(db.$client.prepare("SELECT actor, action, detail FROM audit_log WHERE action = 'account.password_changed'").all()).toEqual([
      { actor: '(command line)', action: 'account.password_changed', detail: '{"account":"robin"}' },
    ]);
    db.$client.close();
    const missing = staff(['passwd', 'nobody']);
    expect(missing.status).toBe(1);
    expect(missing.stdout).toBe('');
    expect(missing.stderr.trim()).toBe('There is no account named nobody.');
  }, 60_000);

  it('role changes a role, audited; never demotes the last enabled admin', () => {
    expect(staff(['add', 'ada', '--role', 'admin']).status).toBe(0);
    expect(staff(['add', 'vic', '--role', 'viewer']).status).toBe(0);
    const r = staff(['role', 'vic', 'editor']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('vic is now editor (was viewer).\n');
    const last = staff(['role', 'ada', 'editor']);
    expect(last.status).toBe(1);
    expect(last.stdout).toBe('');
    expect(last.stderr.trim()).toBe('ada is the last enabled admin: make another account admin first (npm run staff -- role NAME admin).');
    expect(staff(['role', 'nobody', 'viewer']).stderr.trim()).toBe('There is no account named nobody.');
    expect(staff(['list']).stdout).toMatch(/^ada\s+admin\s+enabled\nvic\s+editor\s+enabled\n$/);
    const db = openSqlite(path.join(dir, 'n.db'));
    expect(db.$client.prepare("SELECT actor, action, detail FROM audit_log WHERE action = 'account.role_changed'").all()).toEqual([
      { actor: '(command line)', action: 'account.role_changed', detail: '{"account":"vic","from":"viewer","to":"editor"}' },
    ]);
    db.$client.close();
  }, 90_000);

  it.each([
    [[]],
    [['remove', 'x']],
    [['add', 'robin']],
    [['add', 'robin', '--role', 'owner']],
    [['add', 'Robin!', '--role', 'viewer']],
    [['add', '--role', 'viewer']],
    [['add', 'a', 'b', '--role', 'viewer']],
    [['disable']],
    [['list', 'extra']],
    [['passwd']],
    [['passwd', 'a', 'b']],
    [['role', 'vic']],
    [['role', 'vic', 'owner']],
    [['role', 'Vic!', 'viewer']],
  ])('refuses %j with one line and exit code 2, touching no database', (args) => {
    const r = staff(args);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(fs.existsSync(path.join(dir, 'n.db'))).toBe(false);
  });
});

describe('parseStaffArgs', () => {
  it('reads each command', () => {
    expect(parseStaffArgs(['add', 'robin', '--role', 'editor'])).toEqual({ command: 'add', name: 'robin', role: 'editor' });
    expect(parseStaffArgs(['add', '--role=viewer', 'a.b-c_d'])).toEqual({ command: 'add', name: 'a.b-c_d', role: 'viewer' });
    expect(parseStaffArgs(['list'])).toEqual({ command: 'list' });
    expect(parseStaffArgs(['disable', 'robin'])).toEqual({ command: 'disable', name: 'robin' });
    expect(parseStaffArgs(['passwd', 'robin'])).toEqual({ command: 'passwd', name: 'robin' });
    expect(parseStaffArgs(['role', 'robin', 'admin'])).toEqual({ command: 'role', name: 'robin', role: 'admin' });
    expect(parseStaffArgs(['role', 'robin', 'owner'])).toEqual({ error: expect.stringContaining('viewer, editor, admin') });
    expect(parseStaffArgs(['add', 'robin', '--role', 'owner'])).toEqual({ error: expect.stringContaining('viewer, editor, admin') });
    expect(parseStaffArgs(['add', 'has:colon', '--role', 'viewer'])).toEqual({ error: expect.stringContaining('Invalid account name') });
  });
});
