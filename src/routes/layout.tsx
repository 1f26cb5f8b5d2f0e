/** @jsxImportSource hono/jsx */
import type { Context } from 'hono';
import type { Child } from 'hono/jsx';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { CRISIS_LINES, crisisRegion } from '../../emails/_components/crisis-lines.js';
import { FIND_A_HELPLINE_URL } from '../../emails/_components/sources.js';
import type { PagePlace, SiteProfile } from '../deps.js';
import { cspNonce } from './page-security.js';

// The typo suggestion's line is reserved, so it appearing never moves what is below it under a finger.
// Mobile first: one column, 16px+ text (no zoom on focus in iOS), 48px tap
// targets, colours at WCAG AA contrast or better.
const CSS = `
*,*::before,*::after{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;font:1.0625rem/1.6 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:#1f2328;background:#f6f7f9}
.wrap{max-width:38rem;margin:0 auto;padding:.75rem .75rem 2rem}
header{font-weight:600;color:#334155;padding:.25rem .25rem .6rem}
main{background:#fff;border:1px solid #d8dee4;border-radius:12px;padding:1rem}
@media (min-width:40rem){main{padding:1.5rem 2.25rem}.wrap{padding:1.5rem 1rem 2rem}header{padding-bottom:.75rem}h1{font-size:1.6rem}.lead{font-size:1.125rem}.pair{display:grid;grid-template-columns:1fr 1fr;gap:0 1rem}}
h1{font-size:1.375rem;line-height:1.25;margin:0 0 .5rem}
h2{font-size:1.15rem;margin:1.5rem 0 .5rem}
p{margin:.5rem 0 1rem}
a{color:#0b57d0}
a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible{outline:3px solid #0b57d0;outline-offset:2px}
.lead{font-size:1.0625rem;line-height:1.5;color:#334155;margin-bottom:.5rem}
.advice{margin-top:0}
.visually-hidden{position:absolute;width:1px;height:1px;margin:-1px;padding:0;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}
.plan{padding-left:1.4rem;margin:.5rem 0 1.25rem}
.plan li{margin:.2rem 0}
.field{margin:.8rem 0}
label{display:block;font-weight:600;margin-bottom:.25rem}
.optional{font-weight:400;color:#57606a}
input[type=text],input[type=email],select{width:100%;min-height:48px;padding:.65rem .8rem;font:inherit;color:inherit;background:#fff;border:2px solid #6e7781;border-radius:8px}
input[aria-invalid=true],select[aria-invalid=true]{border-color:#b42318}
select{text-overflow:ellipsis}
fieldset{border:0;padding:0;margin:1.1rem 0;min-width:0}
legend{font-weight:600;padding:0;margin-bottom:.35rem}
.choice{display:flex;gap:.6rem;align-items:center;min-height:44px}
.choice input{flex:none;width:1.35rem;height:1.35rem;margin:0;accent-color:#0b57d0}
.choice label{font-weight:400;margin:0}
.suggestion{margin:.25rem 0 0;min-height:1.7rem;line-height:1.7rem}
button.suggest{display:inline;width:auto;min-height:0;padding:0 .2rem;line-height:inherit;color:#0b57d0;background:none;text-decoration:underline;font-weight:600}
button.suggest:hover{background:#eef3fc}
.check{display:flex;gap:.75rem;align-items:flex-start}
.check input{flex:none;width:1.6rem;height:1.6rem;margin:.15rem 0 0;accent-color:#0b57d0}
.check label{font-weight:400;margin:0;font-size:.95rem;line-height:1.45}
.error{color:#b42318;font-weight:600;margin:.35rem 0 0}
.error-summary{border:2px solid #b42318;border-radius:8px;padding:.75rem 1rem;margin:0 0 1rem;background:#fff5f5}
.error-summary h2{margin:0 0 .25rem;font-size:1.05rem;color:#b42318}
.error-summary ul{margin:0;padding-left:1.2rem}
button{display:inline-block;width:100%;min-height:52px;padding:.75rem 1.25rem;font:inherit;font-weight:600;color:#fff;background:#0b57d0;border:0;border-radius:8px;cursor:pointer}
button:hover{background:#0842a0}
button.secondary{color:#0b57d0;background:#fff;border:2px solid #0b57d0}
button.secondary:hover{background:#eef3fc}
button.danger{background:#b42318}
button.danger:hover{background:#8f1c13}
form+form{margin-top:.75rem}
.notice{border:2px solid #1a7f37;border-radius:8px;padding:.75rem 1rem;background:#effaf3}
@media (min-width:40rem){button{width:auto}}
.note{font-size:.95rem;color:#57606a}
.quote{border-left:4px solid #d8dee4;padding:.25rem 0 .25rem .9rem;color:#334155}
footer{font-size:.9rem;color:#57606a;padding:1rem .25rem}
footer p{margin:.4rem 0}
`;

/** The crisis lines of the reader's place, by the emails' rule; without a place, those of DEFAULT_TIMEZONE. */
function CrisisLine({ place, site }: { place: PagePlace | undefined; site: SiteProfile | undefined }) {
  const region = crisisRegion(place?.timezone || place?.country ? place : { timezone: site?.defaultTimezone });
  const lead = <strong>If you are in crisis or thinking about suicide:</strong>;
  if (region === 'INTL') {
    return (
      <p>
        {lead} find a free helpline in your country at <a href={FIND_A_HELPLINE_URL}>findahelpline.com</a>. In an emergency, call your local emergency number.
      </p>
    );
  }
  const l = CRISIS_LINES[region];
  return (
    <p>
      {lead} {l.where}, {l.call}. In an emergency, call {l.emergency}.
    </p>
  );
}

/** Tells the page where its reader is (their stored time zone, or the country their signup carried), for the crisis lines. */
export function setPlace(c: Context, place: PagePlace): void {
  c.set('place', place);
}

type DocumentProps = { title: string; nonce: string; site: SiteProfile | undefined; place: PagePlace | undefined; script?: string; children?: Child };

/** The reader pages' document: who runs the series, the page, then crisis help and the not-medical-advice line. */
function ReaderDocument({ title, nonce, site, place, script, children }: DocumentProps) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${title}${site ? ` · ${site.clinicName}` : ''}`}</title>
        <style nonce={nonce} dangerouslySetInnerHTML={{ __html: CSS }} />
      </head>
      <body>
        <div class="wrap">
          <header>
            {site ? (
              <>
                {site.clinicUrl ? <a href={site.clinicUrl}>{site.clinicName}</a> : site.clinicName}
                {' · '}
              </>
            ) : null}
            Education series
          </header>
          <main>{children}</main>
          <footer>
            <CrisisLine place={place} site={site} />
            <p>This series is education, not medical advice. Talk to a qualified clinician about your own care.</p>
          </footer>
        </div>
        {script ? <script nonce={nonce} dangerouslySetInnerHTML={{ __html: script }} /> : null}
      </body>
    </html>
  );
}

export type PageOptions = {
  title: string;
  body: Child;
  status?: ContentfulStatusCode;
  /** Pages reached through a personal link: never cached, never indexed. */
  personal?: boolean;
  /** Script (a constant, never user input) run by the page; the CSP only allows it through this nonce. */
  script?: string;
};

/** A complete HTML page answered with the CSP nonce that pageSecurity set for this response. */
export function page(c: Context, { title, body, status = 200, personal = false, script }: PageOptions): Response {
  if (personal) {
    c.header('Cache-Control', 'no-store');
    c.header('X-Robots-Tag', 'noindex');
  }
  const doc = (
    <ReaderDocument title={title} nonce={cspNonce(c)} site={c.get('site')} place={c.get('place')} script={script}>
      {body}
    </ReaderDocument>
  );
  return c.html(`<!doctype html>${doc}`, status);
}

/** A short page with a heading and a few paragraphs: errors, confirmations. */
export function messagePage(c: Context, status: ContentfulStatusCode, title: string, paragraphs: Child[], personal = true): Response {
  return page(c, {
    title,
    status,
    personal,
    body: (
      <>
        <h1>{title}</h1>
        {paragraphs.map((p) => (
          <p>{p}</p>
        ))}
      </>
    ),
  });
}

/** The page for an address with nothing at it, with a way back to the signup. */
export function notFoundPage(c: Context): Response {
  return messagePage(
    c,
    404,
    'Page not found',
    [
      <>
        There is no page at this address. Check the link, or <a href="/">go to the email series signup</a>.
      </>,
    ],
    false,
  );
}
