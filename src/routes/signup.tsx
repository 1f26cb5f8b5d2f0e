/** @jsxImportSource hono/jsx */
import { Hono, type Context } from 'hono';
import type { Reader } from '../../db/types.js';
import { CRISIS_REGIONS, crisisRegion } from '../../emails/_components/crisis-lines.js';
import type { Config } from '../config.js';
import { confirmationTemplate } from '../mail/render.js';
import { openSealedAddress, sealAddress } from '../mail/tokens.js';
import { consentFor } from '../subscribers/consent.js';
import type { SubscriberDeps } from '../subscribers/deps.js';
import { MAX_FIRST_NAME_LENGTH, parseSignup, type SignupErrors } from '../subscribers/signup-input.js';
import { unconfirmedDays } from '../subscribers/retention.js';
import { subscribe } from '../subscribers/subscribe.js';
import { errorBody } from './errors.js';
import { messagePage, page, setPlace } from './layout.js';
import { payloadTooLarge, readSubmission } from './request-body.js';
import { clientKey } from '../rate-limit.js';
import { clientIp, requestMeta } from './request-info.js';
import { emailTypoScript } from './email-typo.js';

/** What the person typed, echoed back when the form has an error or the visitor was limited. */
type FormValues = { email: string; firstName: string; consent: boolean; timezone: string; reader: string };
const EMPTY: FormValues = { email: '', firstName: '', consent: false, timezone: '', reader: '' };

const FIELD_ORDER = ['firstName', 'email', 'reader', 'consent'] as const;

// Fills the hidden time zone so emails arrive in the reader's morning; without
// script the form still works and DEFAULT_TIMEZONE is used.
const TIMEZONE_SCRIPT = `try{var z=Intl.DateTimeFormat().resolvedOptions().timeZone;if(z)document.getElementById('timezone').value=z}catch(e){}`;

/** The reader choices as the signup form and the preference page word them ('' = not said). */
export const READER_CHOICES: { value: Reader | ''; label: string }[] = [
  { value: 'self', label: 'Myself' },
  { value: 'supporter', label: 'Someone close to me who lives with PTSD or trauma' },
  { value: 'professional', label: 'My work as a clinician or other professional' },
  { value: '', label: 'I would rather not say' },
];

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

/** MAIL_FROM as its display name and bare address. */
export function sender(config: Pick<Config, 'mailFrom'>): { name: string | null; address: string } {
  const named = /^(.*?)\s*<([^<>]+)>$/.exec(config.mailFrom);
  return named ? { name: named[1]!.replace(/^"|"$/g, '') || null, address: named[2]! } : { name: null, address: config.mailFrom };
}

/**
 * Who handles the addresses, what is recorded and for how long, as this
 * install does it: the provider only when one sends (the outbox mode has
 * none), opens and clicks only when its events reach us (the webhook).
 */
function PrivacyText({ config }: { config: Config }) {
  const tracking = config.resendApiKey && config.resendWebhookSecret ? ' We record when an email is opened and which links in it are clicked, to improve the series.' : '';
  return (
    <>
      {config.resendApiKey ? `${config.clinicName} and Resend, the email service that delivers our emails, process` : `${config.clinicName} processes`} your email address, first name and the choices
      on this form, only to send this series. We never sell them.{tracking} We keep your details while you receive the series. When you leave (you unsubscribe, or the series has ended and you no
      longer open our emails), we delete them {config.retentionDays} days later, or sooner if you ask. If you never confirm your address, we delete what you typed{' '}
      {unconfirmedDays(config.retentionDays)} days after our confirmation email. After deletion we keep only a one-way coded form of your address so that we never email it again unless you sign
      up again yourself on this page (you will confirm by email, as the first time).
    </>
  );
}

function PrivacyContact({ contact }: { contact: string | undefined }) {
  if (!contact) return <>write to us at the postal address above</>;
  return contact.includes('@') ? (
    <>
      write to <a href={`mailto:${contact}`}>{contact}</a>
    </>
  ) : (
    <>
      use <a href={contact}>our data request page</a>
    </>
  );
}

/** Why the form comes back: field errors, or the visitor's limit (what they typed is kept either way). */
type FormProblem = { errors?: SignupErrors; limitedSeconds?: number };

function signupPage(c: Context, config: Config, values: FormValues, problem: FormProblem = {}) {
  const errors = problem.errors ?? {};
  const hasErrors = Object.keys(errors).length > 0;
  const limited = problem.limitedSeconds !== undefined;
  const invalid = (f: keyof SignupErrors) => (errors[f] ? { 'aria-invalid': 'true', 'aria-describedby': `${f}-error` } : {});
  const errorLine = (f: keyof SignupErrors) =>
    errors[f] ? (
      <p class="error" id={`${f}-error`}>
        {errors[f]}
      </p>
    ) : null;
  const site = config.clinicUrl;
  // One of the choices is always shown chosen: what was sent back, else "rather not say".
  const selectedReader = READER_CHOICES.some((r) => r.value === values.reader) ? values.reader : '';
  return page(c, {
    title: hasErrors ? 'Check the form: MDMA-assisted therapy email series' : limited ? 'Please wait a moment: MDMA-assisted therapy email series' : 'MDMA-assisted therapy: a free email series',
    status: hasErrors ? 422 : limited ? 429 : 200,
    script: `${TIMEZONE_SCRIPT}\n${emailTypoScript()}`,
    body: (
      <>
        <h1>MDMA-assisted therapy for PTSD: what the research says</h1>
        <p class="lead">
          A free series of <strong>8 short emails over 3 weeks</strong>, each arriving in your morning. Plain language, sources named, no hype.
        </p>
        <p class="note advice">Education, not medical advice: talk to a qualified clinician about your own care.</p>
        <h2 id="signup" class="visually-hidden">
          Sign up
        </h2>
        {hasErrors ? (
          <div class="error-summary" role="alert">
            <h2>Please check the form</h2>
            <ul>
              {FIELD_ORDER.filter((f) => errors[f]).map((f) => (
                <li>
                  <a href={`#${f}`}>{errors[f]}</a>
                </li>
              ))}
            </ul>
          </div>
        ) : null}
        {limited ? (
          <div class="error-summary" role="alert">
            <h2>Too many signups at once</h2>
            <p>
              Too many signups came from your connection just now. Please wait {problem.limitedSeconds} seconds, then press <strong>Sign me up</strong> again. What you typed is still here.
            </p>
          </div>
        ) : null}
        <form method="post" action="subscribe#signup" novalidate aria-labelledby="signup">
          <div class="field">
            <label for="email">Email address</label>
            <input id="email" name="email" type="email" autocomplete="email" inputmode="email" spellcheck={false} required maxlength={254} value={values.email} {...invalid('email')} />
            {errorLine('email')}
            <p class="suggestion" id="email-suggestion" aria-live="polite"></p>
          </div>
          <div class="pair">
            <div class="field">
              <label for="firstName">
                First name <span class="optional">(optional)</span>
              </label>
              <input id="firstName" name="firstName" type="text" autocomplete="given-name" maxlength={MAX_FIRST_NAME_LENGTH} value={values.firstName} {...invalid('firstName')} />
              {errorLine('firstName')}
            </div>
            <div class="field">
              <label for="reader">
                I am reading for <span class="optional">(optional)</span>
              </label>
              <select id="reader" name="reader" {...invalid('reader')}>
                {READER_CHOICES.map((r) => (
                  <option value={r.value} selected={selectedReader === r.value}>
                    {r.label}
                  </option>
                ))}
              </select>
              {errorLine('reader')}
            </div>
          </div>
          <div class="field check">
            <input id="consent" name="consent" type="checkbox" value="yes" required checked={values.consent} {...invalid('consent')} />
            <label for="consent">{consentFor(config.clinicName).text}</label>
          </div>
          {errorLine('consent')}
          <input type="hidden" name="timezone" id="timezone" value={values.timezone} />
          <button type="submit">Sign me up</button>
        </form>
        <noscript>
          <p class="note">Your browser is not running scripts, so we cannot see your time zone: the emails will arrive in the morning {config.defaultTimezone} time.</p>
        </noscript>
        <p class="note">
          We will first send you an email to confirm your address; nothing else arrives until you confirm. The emails arrive {windowText(config)} your local time.
        </p>
        <h2>Who we are</h2>
        <p class="note">
          These emails come from <strong>{config.clinicName}</strong>
          {site ? (
            <>
              {' '}(<a href={site}>{site.replace(/^https:\/\//, '').replace(/\/$/, '')}</a>)
            </>
          ) : null}
          , a mental-health clinic. We offer ketamine-assisted therapy, not MDMA therapy: MDMA-assisted therapy is not approved in the United States, and these emails explain the research and
          where it stands.
        </p>
        <p class="note">Postal address: {config.postalAddress}</p>
        <h2>What you will get</h2>
        <ol class="plan">
          {TOPICS.map((t) => (
            <li>{t}</li>
          ))}
        </ol>
        <h2>Your privacy</h2>
        <p class="note">
          <PrivacyText config={config} /> Every email has an unsubscribe link and a link to your preference page, where you can pause the emails, change who you read for, and download or delete your
          data yourself. To get a copy of your data or have it deleted, <PrivacyContact contact={config.privacyContact} />.
        </p>
      </>
    ),
  });
}

/** How long the check-your-inbox link shows the address typed (a reload, a look back at the tab). */
const SENT_PAGE_SHOWS_ADDRESS_MS = 60 * 60 * 1000;

/**
 * After a signup: the same page whatever the address's state, showing the
 * address as typed (from the sealed link the redirect gave) so a typo is
 * seen; a reload posts nothing.
 */
function checkInboxPage(c: Context, config: Config, now: number) {
  const from = sender(config);
  const sealed = c.req.query('to');
  const typed = sealed ? openSealedAddress(config.secretKey, sealed, now) : null;
  // The country code the redirect carried (never the address): the crisis lines of the signup's time zone.
  const country = c.req.query('crisis');
  if (country && (CRISIS_REGIONS as readonly string[]).includes(country)) setPlace(c, { country });
  return messagePage(
    c,
    200,
    'Check your inbox',
    [
      ...(typed === null
        ? []
        : [
            <>
              You typed <strong>{typed}</strong>.
            </>,
          ]),
      <>
        If {typed === null ? 'the address you typed' : 'that address'} can receive our emails, a message is on its way to it from <strong>{from.name ? `${from.name} <${from.address}>` : from.address}</strong>{' '}
        with the subject <strong>“{confirmationTemplate.subject}”</strong>. Open it and press <strong>Confirm</strong> to start the series. Nothing else is sent until you confirm.
      </>,
      `Not there in a few minutes? Check your spam or promotions folder, and add ${from.address} to your contacts. You can ask for a new link 10 minutes from now by signing up again.`,
      <>
        {typed === null ? 'Typed the wrong address?' : 'Not your address, or a typo in it?'} <a href="../">Go back to the form</a>.
      </>,
    ],
    true,
  );
}

/** Strings only, capped: what we echo back into the form. */
function formValues(body: unknown): FormValues {
  if (typeof body !== 'object' || body === null) return EMPTY;
  const b = body as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' ? v.slice(0, 300) : '');
  return {
    email: str(b.email),
    firstName: str(b.firstName),
    consent: b.consent === 'yes' || b.consent === 'on' || b.consent === true,
    timezone: str(b.timezone).slice(0, 64),
    reader: str(b.reader).slice(0, 20),
  };
}

/** Counts accepted signups per client: a mistyped form or a refused one costs nothing. */
export type SignupLimiter = { hit(key: string): Promise<number> };

export function signupRoutes(deps: SubscriberDeps, limiter: SignupLimiter) {
  const { config } = deps;
  return new Hono()
    .get('/', (c) => signupPage(c, config, EMPTY))
    .get('/subscribe/sent', (c) => checkInboxPage(c, config, deps.clock.now()))
    .post('/subscribe', async (c) => {
      const submission = await readSubmission(c);
      if (!submission.ok) {
        if (submission.reason === 'unsupported_media_type') return c.json(errorBody('unsupported_media_type', 'Send the signup as a form (application/x-www-form-urlencoded) or as JSON (application/json).'), 415);
        if (submission.reason === 'too_large') return payloadTooLarge(c);
        if (submission.asPage) return messagePage(c, 400, 'We could not read that form', [
          <>
            Please <a href="./">go back and try again</a>.
          </>,
        ], false);
        return c.json(errorBody('invalid_body', 'The request body is not valid JSON.'), 400);
      }
      const { body, asPage } = submission;

      const parsed = parseSignup(body, config.defaultTimezone);
      if (!parsed.ok) {
        if (asPage) return signupPage(c, config, formValues(body), { errors: parsed.errors });
        return c.json(errorBody('invalid_input', Object.values(parsed.errors).join(' ')), 422);
      }

      // Counted only now, so only a valid signup uses up the client's allowance.
      const waitMs = await limiter.hit(clientKey(clientIp(c)));
      if (waitMs > 0) {
        const seconds = Math.ceil(waitMs / 1000);
        c.header('Retry-After', String(seconds));
        if (asPage) return signupPage(c, config, formValues(body), { limitedSeconds: seconds });
        return c.json(errorBody('rate_limited', `Too many signups from this address. Try again in ${seconds} seconds.`), 429);
      }

      await subscribe(deps, { ...parsed.value, ...requestMeta(c), source: asPage ? 'signup-form' : 'api' });
      // The same answer whatever the address's state: nothing here may depend on the outcome.
      // A form gets a redirect, so reloading the page it lands on never posts again.
      if (asPage) {
        const to = sealAddress(config.secretKey, parsed.value.email, deps.clock.now() + SENT_PAGE_SHOWS_ADDRESS_MS);
        return c.redirect(`subscribe/sent?crisis=${crisisRegion({ timezone: parsed.value.timezone })}&to=${to}`, 303);
      }
      return c.json({ status: 'pending' }, 202);
    });
}
