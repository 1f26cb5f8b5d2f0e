import { Hono, type Context } from 'hono';
import { html } from 'hono/html';
import type { Config } from '../config.js';
import { CONSENT } from '../subscribers/consent.js';
import type { SubscriberDeps } from '../subscribers/deps.js';
import { MAX_FIRST_NAME_LENGTH, parseSignup, type SignupErrors } from '../subscribers/signup-input.js';
import { subscribe } from '../subscribers/subscribe.js';
import { errorBody } from './errors.js';
import { messagePage, page } from './layout.js';
import { payloadTooLarge, readBody } from './request-body.js';
import { bodyKind, requestMeta, type BodyKind } from './request-info.js';

/** What the person typed, echoed back when the form has an error. */
type FormValues = { email: string; firstName: string; consent: boolean; timezone: string };
const EMPTY: FormValues = { email: '', firstName: '', consent: false, timezone: '' };

const FIELD_ORDER = ['firstName', 'email', 'reader', 'consent'] as const;

// Fills the hidden time zone so emails arrive in the reader's morning; without
// script the form still works and DEFAULT_TIMEZONE is used.
const TIMEZONE_SCRIPT = `try{var z=Intl.DateTimeFormat().resolvedOptions().timeZone;if(z)document.getElementById('timezone').value=z}catch(e){}`;

const TOPICS = [
  'What MDMA-assisted therapy is, and what it is not',
  'How the research treatment works, session by session',
  'What the clinical trials found, and their limits',
  'Where it stands with the FDA and around the world',
  'How it differs from ketamine treatment',
  'Safety, side effects and who should not take part',
  'Why street “Molly” is not therapy',
  'Your next steps, including treatments available today',
];

function windowText(config: Pick<Config, 'sendWindow'>): string {
  const [start, end] = config.sendWindow.text.split('-');
  return `between ${start} and ${end}`;
}

function signupPage(c: Context, config: Config, values: FormValues, errors: SignupErrors = {}) {
  const hasErrors = Object.keys(errors).length > 0;
  const invalid = (f: keyof SignupErrors) => (errors[f] ? html` aria-invalid="true" aria-describedby="${f}-error"` : '');
  const errorLine = (f: keyof SignupErrors) => (errors[f] ? html`<p class="error" id="${f}-error">${errors[f]}</p>` : '');
  return page(c, {
    title: hasErrors ? 'Check the form: MDMA-assisted therapy email series' : 'MDMA-assisted therapy: a free email series',
    status: hasErrors ? 422 : 200,
    script: TIMEZONE_SCRIPT,
    body: html`
<h1>MDMA-assisted therapy for PTSD: what the research says</h1>
<p class="lead">A free series of <strong>8 short emails over 3 weeks</strong>, one every few days, each arriving in your morning (${windowText(config)} your local time). Plain language, sources named, no hype.</p>
<h2>What you will get</h2>
<ol class="plan">${TOPICS.map((t) => html`<li>${t}</li>`)}</ol>
<p class="note">From Isha Health, a mental-health clinic. MDMA-assisted therapy is not approved in the United States; these emails explain the research and where it stands.</p>
<h2 id="signup">Sign up</h2>
${
  hasErrors
    ? html`<div class="error-summary" role="alert"><h2>Please check the form</h2><ul>${FIELD_ORDER.filter((f) => errors[f]).map(
        (f) => html`<li><a href="#${f}">${errors[f]}</a></li>`,
      )}</ul></div>`
    : ''
}
<form method="post" action="subscribe#signup" novalidate aria-labelledby="signup">
  <div class="field">
    <label for="firstName">First name <span class="optional">(optional)</span></label>
    <input id="firstName" name="firstName" type="text" autocomplete="given-name" maxlength="${MAX_FIRST_NAME_LENGTH}" value="${values.firstName}"${invalid('firstName')}>
    ${errorLine('firstName')}
  </div>
  <div class="field">
    <label for="email">Email address</label>
    <input id="email" name="email" type="email" autocomplete="email" inputmode="email" spellcheck="false" required maxlength="254" value="${values.email}"${invalid('email')}>
    ${errorLine('email')}
  </div>
  <div class="field check">
    <input id="consent" name="consent" type="checkbox" value="yes" required${values.consent ? html` checked` : ''}${invalid('consent')}>
    <label for="consent">${CONSENT.text}</label>
  </div>
  ${errorLine('consent')}
  <input type="hidden" name="timezone" id="timezone" value="${values.timezone}">
  <button type="submit">Sign me up</button>
</form>
<noscript><p class="note">Your browser is not running scripts, so we cannot see your time zone: the emails will arrive in the morning ${config.defaultTimezone} time.</p></noscript>
<p class="note">We will first send you an email to confirm your address; nothing else arrives until you confirm.</p>
<h2>Your privacy</h2>
<p class="note">We use your email address and first name only to send this series. We never sell or share them. Every email has an unsubscribe link, and you can ask us to delete your data at any time.</p>
`,
  });
}

function checkInboxPage(c: Context, email: string) {
  return messagePage(
    c,
    200,
    'Check your inbox',
    [
      html`If <strong>${email}</strong> can receive our emails, a message with a confirmation link is on its way to it. Open it and press <strong>Confirm</strong> to start the series. Nothing else is sent until you confirm.`,
      html`Not there in a few minutes? Check your spam or promotions folder. You can ask for a new link 10 minutes from now by signing up again.`,
      html`Typed the wrong address? <a href="./">Go back to the form</a>.`,
    ],
    false,
  );
}

/** The submitted fields: JSON as parsed; a form as an object of its last value per name. Throws on a malformed body. */
async function decodeBody(raw: Uint8Array, kind: BodyKind, contentType: string): Promise<unknown> {
  if (kind === 'json') return JSON.parse(Buffer.from(raw).toString('utf8'));
  if (kind === 'urlencoded') return Object.fromEntries(new URLSearchParams(Buffer.from(raw).toString('utf8')));
  const form = await new Response(new Uint8Array(raw), { headers: { 'content-type': contentType } }).formData();
  const fields: [string, FormDataEntryValue][] = [];
  form.forEach((value, name) => fields.push([name, value]));
  return Object.fromEntries(fields);
}

/** Strings only, capped: what we echo back into the form. */
function formValues(body: unknown): FormValues {
  if (typeof body !== 'object' || body === null) return EMPTY;
  const b = body as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' ? v.slice(0, 300) : '');
  return { email: str(b.email), firstName: str(b.firstName), consent: b.consent === 'yes' || b.consent === 'on' || b.consent === true, timezone: str(b.timezone).slice(0, 64) };
}

export function signupRoutes(deps: SubscriberDeps) {
  const { config } = deps;
  return new Hono()
    .get('/', (c) => signupPage(c, config, EMPTY))
    .post('/subscribe', async (c) => {
      const contentType = c.req.header('content-type') ?? '';
      const kind = bodyKind(contentType);
      if (!kind) return c.json(errorBody('unsupported_media_type', 'Send the signup as a form (application/x-www-form-urlencoded) or as JSON (application/json).'), 415);
      const asPage = kind !== 'json';

      const raw = await readBody(c);
      if (raw === null) return payloadTooLarge(c);
      let body: unknown;
      try {
        body = await decodeBody(raw, kind, contentType);
      } catch {
        if (asPage) return messagePage(c, 400, 'We could not read that form', [html`Please <a href="./">go back and try again</a>.`], false);
        return c.json(errorBody('invalid_body', 'The request body is not valid JSON.'), 400);
      }

      const parsed = parseSignup(body, config.defaultTimezone);
      if (!parsed.ok) {
        if (asPage) return signupPage(c, config, formValues(body), parsed.errors);
        return c.json(errorBody('invalid_input', Object.values(parsed.errors).join(' ')), 422);
      }

      await subscribe(deps, { ...parsed.value, ...requestMeta(c), source: asPage ? 'signup-form' : 'api' });
      // The same answer whatever the address's state: nothing here may depend on the outcome.
      if (asPage) return checkInboxPage(c, parsed.value.email);
      return c.json({ status: 'pending' }, 202);
    });
}
