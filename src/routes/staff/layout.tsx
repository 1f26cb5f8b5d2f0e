/** @jsxImportSource hono/jsx */
import type { Child } from 'hono/jsx';
import { CSRF_FIELD } from './security.js';

// One small stylesheet, inlined and allowed by the response's nonce, so a page is one request.
export const STAFF_CSS = `
:root{color-scheme:light;--ink:#1d2330;--muted:#4e5668;--line:#d6dae3;--bg:#f6f7fa;--card:#fff;--accent:#1f4fb3;--danger:#a4161a}
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);background:var(--bg)}
a{color:var(--accent)}
header.top{background:#1d2330;color:#fff;padding:.5rem 1rem;display:flex;flex-wrap:wrap;gap:.25rem 1.25rem;align-items:center}
header.top .brand{font-weight:700;margin-right:.5rem}
header.top nav ul{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:.25rem .9rem}
header.top a{color:#fff;text-decoration:none;padding:.35rem 0;display:inline-block}
header.top a[aria-current=page]{border-bottom:2px solid #9db8ff}
main{max-width:1280px;margin:0 auto;padding:1rem}
h1{font-size:1.5rem;margin:.5rem 0 1rem}
h2{font-size:1.15rem;margin:1.5rem 0 .5rem}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:1rem;margin:0 0 1rem}
.totals{display:grid;grid-template-columns:repeat(auto-fill,minmax(140px,1fr));gap:.75rem;margin:0 0 1rem;padding:0;list-style:none}
.totals li{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:.6rem .8rem}
.totals .n{display:block;font-size:1.6rem;font-weight:700}
.totals .l{color:var(--muted);font-size:.85rem;display:block}
th[scope=row]{background:none}
.scroll{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;width:100%;background:var(--card)}
th,td{border-bottom:1px solid var(--line);padding:.4rem .6rem;text-align:left;vertical-align:top}
th{font-weight:600;background:#eef0f5}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
caption{text-align:left;font-weight:600;padding:.4rem 0}
.muted{color:var(--muted)}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(290px,1fr));gap:.75rem;margin:0 0 1rem}
.charts figure{margin:0}
.charts svg{width:100%;height:auto;display:block}
form.inline{display:inline}
form.search{display:flex;flex-wrap:wrap;gap:.5rem;align-items:flex-end;margin:0 0 1rem}
label{display:block;font-weight:600;font-size:.9rem}
input,select,button{font:inherit;padding:.4rem .6rem;border:1px solid #8a93a6;border-radius:6px;background:#fff;color:var(--ink)}
button,.button{background:var(--accent);color:#fff;border-color:var(--accent);cursor:pointer;text-decoration:none;display:inline-block;padding:.4rem .8rem;border-radius:6px}
button.danger{background:var(--danger);border-color:var(--danger)}
.pager{display:flex;gap:1rem;align-items:center;margin:1rem 0}
.frames{display:flex;flex-wrap:wrap;gap:1rem;align-items:flex-start}
figure.frame{margin:0}
.card h2:first-child{margin-top:0}
.frame figcaption{font-weight:600;margin:0 0 .25rem}
iframe.email{border:1px solid var(--line);background:#fff;height:900px;max-width:100%}
iframe.desktop{width:600px}
iframe.phone{width:375px}
pre.text{white-space:pre-wrap;word-break:break-word;background:var(--card);border:1px solid var(--line);padding:1rem;border-radius:8px;max-width:72ch}
dl.kv{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;margin:0}
dl.kv dt{font-weight:600}
dl.kv dd{margin:0;word-break:break-word}
label.inline-label{display:inline;font-weight:400}
form.act{border-top:1px solid var(--line);padding:.75rem 0 0;margin:.75rem 0 0}
form.act h3{font-size:1rem;margin:0 0 .5rem}
form.act p{margin:0 0 .6rem}
form.act input[type=text],form.act select{width:100%;max-width:32rem}
.notice{border-left:4px solid var(--accent);background:#e8eefc;padding:.6rem .9rem;margin:0 0 1rem}
.notice.error{border-color:var(--danger);background:#fbe9ea}
.badge{display:inline-block;padding:0 .45rem;border-radius:999px;background:#e5e8ef;font-size:.85rem}
.badge.ok{background:#dcf2e4}.badge.warn{background:#fdf0d5}.badge.fail{background:#fbe9ea;border:1px solid var(--danger)}
ul.health{list-style:none;margin:0;padding:0}ul.health>li{border-top:1px solid var(--line);padding:.5rem 0}ul.health p{margin:.25rem 0;max-width:80ch}
header.top form.account{margin-left:auto;display:flex;gap:.5rem;align-items:center}
header.top button.link{background:none;border:1px solid #9db8ff;color:#fff;padding:.15rem .6rem}
nav.tabs{display:flex;flex-wrap:wrap;gap:.25rem;margin:0 0 1rem;border-bottom:1px solid var(--line)}
nav.tabs a{padding:.4rem .8rem;text-decoration:none;border:1px solid transparent;border-bottom:none;border-radius:6px 6px 0 0}
nav.tabs a[aria-current=page]{background:var(--card);border-color:var(--line);font-weight:600;margin-bottom:-1px}
nav.jump ul{list-style:none;margin:0 0 1rem;padding:0;display:flex;flex-wrap:wrap;gap:.25rem .5rem}
nav.jump a{display:inline-block;padding:.3rem .6rem;border:1px solid var(--line);border-radius:999px;background:var(--card);text-decoration:none}
ul.health>li>details>summary{cursor:pointer;padding:.15rem 0;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}ul.health>li{padding:.35rem 0}
form.login{max-width:22rem}
form.login p{margin:0 0 .8rem}
form.login input{width:100%}
@media (max-width:640px){main{padding:.6rem}iframe.desktop{width:100%}h1{font-size:1.25rem}}
`;

export type NavKey = 'dashboard' | 'sequence' | 'templates' | 'subscribers' | 'outbox' | 'audit' | 'imports';

const NAV: { key: NavKey; href: string; label: string }[] = [
  { key: 'dashboard', href: '/staff', label: 'Dashboard' },
  { key: 'sequence', href: '/staff/sequences', label: 'Sequences' },
  { key: 'templates', href: '/staff/templates', label: 'Templates' },
  { key: 'subscribers', href: '/staff/subscribers', label: 'Subscribers' },
  { key: 'outbox', href: '/staff/outbox', label: 'Outbox' },
  { key: 'audit', href: '/staff/audit', label: 'Audit log' },
  { key: 'imports', href: '/staff/imports', label: 'Import' },
];
const ADMIN_ONLY: readonly NavKey[] = ['audit', 'imports', 'outbox'];

/** The signed-in account, the zone its pages show times in, and a form token for its logout button; none on the login page. */
export type PageUser = { name: string; role: string; csrf: string; zone: string };

/** nonce: the response's CSP nonce, which lets the inline style (and a page's script) run. */
export type PageOptions = { title: string; active?: NavKey; showOutbox: boolean; user: PageUser | null; nonce: string; children?: Child };

export function Page({ title, active, showOutbox, user, nonce, children }: PageOptions) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="robots" content="noindex" />
        <title>{`${title} · Nurture staff`}</title>
        <style nonce={nonce} dangerouslySetInnerHTML={{ __html: STAFF_CSS }} />
      </head>
      <body>
        <header class="top">
          <span class="brand">Nurture staff</span>
          {user ? (
            <>
              <nav aria-label="Staff sections">
                <ul>
                  {NAV.filter((n) => (n.key !== 'outbox' || showOutbox) && (!ADMIN_ONLY.includes(n.key) || user.role === 'admin')).map((n) => (
                    <li>
                      <a href={n.href} aria-current={n.key === active ? 'page' : undefined}>
                        {n.label}
                      </a>
                    </li>
                  ))}
                </ul>
              </nav>
              <form class="account" method="post" action="/staff/logout">
                <CsrfInput token={user.csrf} />
                <span>
                  {user.name} ({user.role}) · times in <a href="/staff/account">{user.zone}</a>
                </span>{' '}
                <button type="submit" class="link">
                  Log out
                </button>
              </form>
            </>
          ) : null}
        </header>
        <main>{children}</main>
      </body>
    </html>
  );
}

export function CsrfInput({ token }: { token: string }) {
  return <input type="hidden" name={CSRF_FIELD} value={token} />;
}

/** Every IANA zone the runtime knows, for a time zone picker; `current` first when it is not one of them (an alias). */
let zoneList: string[] | undefined;
export function zonesWith(current: string): string[] {
  zoneList ??= Intl.supportedValuesOf('timeZone');
  return zoneList.includes(current) ? zoneList : [current, ...zoneList];
}

/** "2026-03-02 09:15" in the given zone, or an em dash. */
export function formatTime(ms: number | null | undefined, timeZone = 'UTC'): string {
  if (ms === null || ms === undefined) return '—';
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(new Date(ms));
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}`;
}
