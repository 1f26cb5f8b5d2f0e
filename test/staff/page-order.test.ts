// What a phone shows first: the subscriber page opens with its status, jump
// links and (for editors) the actions; the dashboard's health panel is one
// summary line per check with its explanation folded.
import { describe, expect, it } from 'vitest';
import { HEALTH_CHECKS } from '../../src/staff/health.js';
import { testApp } from '../helpers/app.js';
import { addSubscriber, asStaff } from '../helpers/staff.js';

const headings = (html: string) => [...html.matchAll(/<h2 id="([a-z-]+)"/g)].map((m) => m[1]);
const jumpTargets = (html: string) => {
  const nav = /<nav class="jump" aria-label="On this page">(.*?)<\/nav>/.exec(html);
  return nav ? [...nav[1]!.matchAll(/href="#([a-z-]+)"/g)].map((m) => m[1]) : [];
};

describe('the subscriber page, top first', () => {
  it('opens with jump links, then the status, then the actions for an editor; every link has its section', async () => {
    const t = testApp();
    const s = addSubscriber(t.db, { confirmedAt: t.clock.now() - 86_400_000, nextStep: 2, nextSendAt: t.clock.now() + 86_400_000 });
    const editor = await (await t.app.request(`/staff/subscribers/${s.id}`, asStaff({}, 'editor'))).text();
    expect(editor.indexOf('<nav class="jump"')).toBeLessThan(editor.indexOf('<h2 id="status-h"'));
    expect(headings(editor).slice(0, 3)).toEqual(['status-h', 'actions-h', 'sequences-h']);
    expect(jumpTargets(editor)).toEqual(['status-h', 'actions-h', 'sequences-h', 'consent-h', 'plan-h', 'deliveries-h', 'activity-h']);
    for (const id of jumpTargets(editor)) expect(headings(editor)).toContain(id);

    const viewer = await (await t.app.request(`/staff/subscribers/${s.id}`, asStaff({}, 'viewer'))).text();
    expect(jumpTargets(viewer)).not.toContain('actions-h');
    for (const id of jumpTargets(viewer)) expect(headings(viewer)).toContain(id);
  });

  it('the status lists what is known and leaves out what never happened', async () => {
    const t = testApp();
    const s = addSubscriber(t.db, { confirmedAt: t.clock.now() - 86_400_000, nextStep: 2, nextSendAt: t.clock.now() + 86_400_000 });
    const html = await (await t.app.request(`/staff/subscribers/${s.id}`, asStaff())).text();
    const status = html.slice(html.indexOf('<h2 id="status-h"'), html.indexOf('</section>', html.indexOf('<h2 id="status-h"')));
    expect(status).toContain('<dt>Status</dt><dd>active</dd>');
    expect(status).toContain('<dt>Next education email</dt><dd>Email 2 of 8 at 2026-03-03 09:00 (America/New_York); 2026-03-03 09:00 their time (America/New_York)</dd>');
    expect(status).not.toContain('—');
    for (const never of ['Unsubscribed', 'Suppressed', 'Converted', 'Erased', 'Paused until']) expect(status).not.toContain(`<dt>${never}</dt>`);
  });
});

describe('the dashboard health panel', () => {
  it('one line per check (its status and name), the explanation folded under it', async () => {
    const t = testApp();
    const html = await (await t.app.request('/staff', asStaff())).text();
    const items = [...html.matchAll(/<li id="health-([a-z_]+)">(.*?)<\/li>/g)];
    expect(items.map((m) => m[1])).toEqual(Object.keys(HEALTH_CHECKS));
    for (const [, id, body] of items) {
      expect(body, id).toMatch(/^<details><summary><span class="badge (ok|warn|fail)">(OK|Check|Fix)<\/span> <strong>[^<]+<\/strong><\/summary><p>.+<\/details>$/);
      expect(body, id).not.toMatch(/<details open/);
    }
  });
});
