/**
 * SPF, DKIM and DMARC of the sender's domain, looked up in DNS and judged as
 * Resend sets a domain up (its domain page and API, checked in its docs):
 *
 * - SPF: a TXT record `v=spf1 include:amazonses.com ~all` on `send.<domain>`,
 *   the bounce (Return-Path) domain Resend sends with, beside an MX record there.
 * - DKIM: a TXT record at `resend._domainkey.<domain>` holding the key, `p=...`.
 * - DMARC is the domain owner's own: a TXT record at `_dmarc.<domain>` (or of
 *   the parent domain, for a subdomain sender), which Gmail's and Yahoo's bulk
 *   sender rules require; `p=none` meets them but protects nothing.
 *
 * Each subdomain is verified in Resend on its own, so records found only on a
 * parent domain do not cover a subdomain sender. Lookups go through an
 * injectable resolver, are cached for a few minutes and time out after a few
 * seconds: a DNS server that does not answer gives "could not look up", never
 * a failed page.
 */
import { Resolver } from 'node:dns/promises';
import { domainToASCII } from 'node:url';
import type { Clock } from '../clock.js';

/** What the checks need from DNS: TXT records as node:dns answers them (each record as its strings). */
export type DnsResolver = { resolveTxt(name: string): Promise<string[][]> };

export type CheckStatus = 'ok' | 'warn' | 'fail';

/** One check's verdict: a sentence a clinic's marketing lead understands, and what to do (null: nothing). */
export type CheckResult = { status: CheckStatus; message: string; action: string | null; detail?: Record<string, unknown> };

/** One TXT lookup: the records (each record's strings joined), none at that name, or no answer. */
export type TxtLookup = { name: string } & ({ kind: 'found'; records: string[] } | { kind: 'none' } | { kind: 'error'; code: string });

export type LookupTxt = (name: string) => Promise<TxtLookup>;

export const DNS_CACHE_MS = 5 * 60_000;
/** A DNS server that did not answer is asked again sooner. */
export const DNS_ERROR_CACHE_MS = 60_000;
export const DNS_TIMEOUT_MS = 3000;

export const RESEND_SPF_INCLUDE = 'include:amazonses.com';
export const RESEND_RETURN_PATH = 'send';
export const RESEND_DKIM_SELECTOR = 'resend';

/** The system's DNS, each try bounded (the lookup as a whole is bounded again by lookupTxt). */
export function systemResolver(): DnsResolver {
  const resolver = new Resolver({ timeout: Math.floor(DNS_TIMEOUT_MS / 2), tries: 2 });
  return { resolveTxt: (name) => resolver.resolveTxt(name) };
}

// Answers that mean "no such record", as opposed to "no answer".
const ABSENT = new Set(['ENOTFOUND', 'ENODATA', 'NXDOMAIN']);

/**
 * TXT lookups with a cache per name (`ttlMs`, errors `errorTtlMs`, on the
 * injected clock) and a timeout; concurrent callers share one lookup.
 */
export function cachedTxtLookup(resolver: DnsResolver, clock: Clock, options: { ttlMs?: number; errorTtlMs?: number; timeoutMs?: number } = {}): LookupTxt {
  const ttl = options.ttlMs ?? DNS_CACHE_MS;
  const errorTtl = options.errorTtlMs ?? DNS_ERROR_CACHE_MS;
  const timeoutMs = options.timeoutMs ?? DNS_TIMEOUT_MS;
  const cache = new Map<string, { until: number; answer: Promise<TxtLookup> }>();

  async function lookup(name: string): Promise<TxtLookup> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<TxtLookup>((resolve) => {
      timer = setTimeout(() => resolve({ name, kind: 'error', code: 'ETIMEOUT' }), timeoutMs);
      timer.unref?.();
    });
    const answer = resolver.resolveTxt(name).then(
      (records): TxtLookup => (records.length === 0 ? { name, kind: 'none' } : { name, kind: 'found', records: records.map((chunks) => chunks.join('')) }),
      (err: unknown): TxtLookup => {
        const code = typeof (err as { code?: unknown })?.code === 'string' ? (err as { code: string }).code : 'EUNKNOWN';
        return ABSENT.has(code) ? { name, kind: 'none' } : { name, kind: 'error', code };
      },
    );
    try {
      return await Promise.race([answer, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  return (name) => {
    const now = clock.now();
    const hit = cache.get(name);
    if (hit && hit.until > now) return hit.answer;
    const answer = lookup(name);
    cache.set(name, { until: now + ttl, answer });
    // An error is kept for less time than an answer.
    void answer.then((a) => {
      if (a.kind === 'error' && cache.get(name)?.answer === answer) cache.set(name, { until: now + errorTtl, answer });
    });
    // Names come from one setting; the map stays small, but drop what has expired.
    for (const [key, entry] of cache) if (entry.until <= now) cache.delete(key);
    return answer;
  };
}

/** The domain of MAIL_FROM ("Name <a@domain>" or "a@domain"), lower case and in ASCII. */
export function senderDomain(mailFrom: string): string {
  const address = /<([^<>]+)>\s*$/.exec(mailFrom)?.[1] ?? mailFrom;
  const domain = address.slice(address.lastIndexOf('@') + 1).trim().replace(/\.$/, '');
  return domainToASCII(domain) || domain.toLowerCase();
}

const RESERVED_TLDS = new Set(['localhost', 'test', 'invalid', 'example', 'local', 'internal', 'lan', 'home']);

/** Whether a domain could have records on the internet (not localhost, an IP or a reserved name). */
export function isPublicDomain(domain: string): boolean {
  const labels = domain.split('.');
  if (labels.length < 2 || labels.some((l) => !/^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/.test(l))) return false;
  if (/^\d+$/.test(labels.at(-1)!)) return false;
  return !RESERVED_TLDS.has(labels.at(-1)!);
}

/** The domain and its parents, down to two labels: where a DMARC policy may come from. */
export function domainAndParents(domain: string): string[] {
  const labels = domain.split('.');
  return labels.slice(0, Math.max(1, labels.length - 1)).map((_, i) => labels.slice(i).join('.'));
}

const spfRecords = (l: TxtLookup) => (l.kind === 'found' ? l.records.filter((r) => /^v=spf1(\s|$)/i.test(r.trim())) : []);
const dmarcRecords = (l: TxtLookup) => (l.kind === 'found' ? l.records.filter((r) => /^v\s*=\s*DMARC1\s*(;|$)/i.test(r.trim())) : []);
const includesResend = (record: string) => record.toLowerCase().split(/\s+/).some((term) => term.replace(/^[+?~-]/, '') === RESEND_SPF_INCLUDE);

function couldNotLookUp(what: string, failed: TxtLookup & { kind: 'error' }): CheckResult {
  return {
    status: 'warn',
    message: `Could not look up ${what}: the DNS server did not answer for ${failed.name} (${failed.code}). This says nothing about the record itself.`,
    action: 'Look again in a few minutes. If it stays like this, check that this server can reach a DNS server.',
    detail: { name: failed.name, error: failed.code },
  };
}

const firstError = (...lookups: TxtLookup[]) => lookups.find((l): l is TxtLookup & { kind: 'error' } => l.kind === 'error');

/**
 * SPF as Resend needs it: `include:amazonses.com` on `send.<domain>`.
 * `parentSend` are the `send.` lookups of parent domains, asked only when the
 * domain itself has no SPF naming Resend (to explain a subdomain sender).
 */
export function judgeSpf(domain: string, send: TxtLookup, root: TxtLookup, parentSend: TxtLookup[] = []): CheckResult {
  const sendName = `${RESEND_RETURN_PATH}.${domain}`;
  const add = `In your DNS, add the TXT record that Resend's domain page shows for ${sendName}: v=spf1 ${RESEND_SPF_INCLUDE} ~all (with the MX record beside it), then press Verify in Resend.`;
  const sendSpf = spfRecords(send);
  const rootSpf = spfRecords(root);
  if (sendSpf.length > 1) {
    return { status: 'fail', message: `${sendName} has ${sendSpf.length} SPF records; receivers then treat SPF as broken.`, action: `Keep one TXT record starting v=spf1 at ${sendName}, with ${RESEND_SPF_INCLUDE} in it.`, detail: { records: sendSpf } };
  }
  if (sendSpf.length === 1 && includesResend(sendSpf[0]!)) {
    return { status: 'ok', message: `Receivers can check that Resend may send for ${domain}: ${sendName} allows Resend's servers (SPF).`, action: null, detail: { name: sendName, record: sendSpf[0] } };
  }
  const error = firstError(send, root);
  if (error) return couldNotLookUp('SPF', error);
  const parent = parentSend.find((l) => spfRecords(l).some(includesResend));
  if (parent) {
    return {
      status: 'warn',
      message: `Resend's SPF record is on ${parent.name}, which belongs to a parent domain, but emails go out from ${domain}. Resend verifies each subdomain on its own, so this record does not cover ${domain} (the SPF result does not line up with the sender).`,
      action: `Add ${domain} as a domain in Resend and its records to your DNS, or change MAIL_FROM to an address on the domain you verified.`,
      detail: { name: parent.name, record: spfRecords(parent).find(includesResend) },
    };
  }
  if (rootSpf.some(includesResend)) {
    return {
      status: 'warn',
      message: `The SPF record naming Resend (${RESEND_SPF_INCLUDE}) is on ${domain}, but Resend sends with the bounce address ${sendName}, which has none, so receivers cannot confirm Resend may send for you.`,
      action: add,
      detail: { name: domain, record: rootSpf.find(includesResend) },
    };
  }
  if (sendSpf.length === 1 || rootSpf.length > 0) {
    const where = sendSpf.length === 1 ? sendName : domain;
    return {
      status: 'warn',
      message: `${where} has an SPF record, but it does not name Resend's servers (${RESEND_SPF_INCLUDE}), so mail sent through Resend does not pass SPF.`,
      action: add,
      detail: { name: where, record: sendSpf[0] ?? rootSpf[0] },
    };
  }
  return {
    status: 'fail',
    message: `No SPF record: receivers cannot tell that Resend may send email for ${domain}, and Gmail and Yahoo send such mail to spam or refuse it.`,
    action: add,
  };
}

/** DKIM as Resend signs: a key (`p=...`) at `resend._domainkey.<domain>`; `parentKeys` as for judgeSpf. */
export function judgeDkim(domain: string, key: TxtLookup, parentKeys: TxtLookup[] = []): CheckResult {
  const name = `${RESEND_DKIM_SELECTOR}._domainkey.${domain}`;
  const add = `Add the DKIM TXT record from Resend's domain page (name ${RESEND_DKIM_SELECTOR}._domainkey) to your DNS, then press Verify in Resend.`;
  const keyOf = (l: TxtLookup) => (l.kind === 'found' ? l.records.map((r) => /(?:^|;)\s*p\s*=\s*([^;\s]*)/i.exec(r)?.[1]).find((p) => p !== undefined) : undefined);
  const p = keyOf(key);
  if (p) return { status: 'ok', message: `Emails are signed for ${domain}: ${name} holds Resend's signing key (DKIM).`, action: null, detail: { name } };
  if (key.kind === 'error') return couldNotLookUp('DKIM', key);
  if (p === '') {
    return { status: 'fail', message: `The DKIM record at ${name} has an empty key (p=), which means the key was withdrawn: emails cannot be checked as signed by you.`, action: add, detail: { name } };
  }
  const parent = parentKeys.find((l) => keyOf(l));
  if (parent) {
    return {
      status: 'warn',
      message: `Resend's signing key is at ${parent.name}, for a parent domain, but emails go out from ${domain}. Resend verifies each subdomain on its own, so the signature does not line up with the sender.`,
      action: `Add ${domain} as a domain in Resend and its records to your DNS, or change MAIL_FROM to an address on the domain you verified.`,
      detail: { name: parent.name, signedFor: parent.name.slice(`${RESEND_DKIM_SELECTOR}._domainkey.`.length) },
    };
  }
  return {
    status: 'fail',
    message: `No DKIM key at ${name}: emails cannot be signed for ${domain}, and Gmail and Yahoo require signed mail from bulk senders.`,
    action: `${add} If Resend shows other DKIM records for this domain (names ending in ._domainkey), check there that they read Verified.`,
    detail: { name },
  };
}

function dmarcTags(record: string): Map<string, string> {
  const tags = new Map<string, string>();
  for (const part of record.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) tags.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).trim().toLowerCase());
  }
  return tags;
}

/**
 * DMARC of the domain, from `lookups` (`_dmarc.<domain>` first, then its
 * parents, as far as they were asked: the first with a record counts).
 * `dkimDomain`: the domain the emails are signed for (null: not signed).
 */
export function judgeDmarc(domain: string, lookups: TxtLookup[], dkimDomain: string | null = domain): CheckResult {
  const add = `Add a TXT record at _dmarc.${domain}: v=DMARC1; p=none; rua=mailto:dmarc-reports@${domain} (the reports come to that address; any mailbox you read will do).`;
  let found: { lookup: TxtLookup; records: string[] } | null = null;
  for (const lookup of lookups) {
    if (lookup.kind === 'error') return couldNotLookUp('DMARC', lookup);
    const records = dmarcRecords(lookup);
    if (records.length > 0) {
      found = { lookup, records };
      break;
    }
  }
  if (!found) {
    return {
      status: 'fail',
      message: `No DMARC record for ${domain}. Gmail and Yahoo require one from bulk senders, and mail without it is more likely to land in spam or be refused.`,
      action: add,
    };
  }
  const name = found.lookup.name;
  if (found.records.length > 1) {
    return { status: 'fail', message: `${name} has ${found.records.length} DMARC records; receivers then ignore DMARC for ${domain}.`, action: `Keep one TXT record starting v=DMARC1 at ${name}.`, detail: { name, records: found.records } };
  }
  const record = found.records[0]!;
  const tags = dmarcTags(record);
  const inherited = name !== `_dmarc.${domain}`;
  // A subdomain sender falls under the parent's policy for subdomains (sp=), or its own p= without one.
  const policy = (inherited ? (tags.get('sp') ?? tags.get('p')) : tags.get('p')) ?? 'none';
  const detail = { name, record, policy, ...(inherited ? { inheritedFrom: name.slice('_dmarc.'.length) } : {}) };
  if (!['none', 'quarantine', 'reject'].includes(policy)) {
    return { status: 'fail', message: `The DMARC record at ${name} has a policy receivers do not know (${policy}), so they ignore it.`, action: 'Set p= to none, quarantine or reject.', detail };
  }
  // Resend's bounce address is always send.<domain>: strict SPF alignment never holds. Strict DKIM
  // alignment holds when the emails are signed for the sender's own domain.
  const strictSpf = tags.get('aspf') === 's';
  const strictDkim = tags.get('adkim') === 's' && dkimDomain !== null && dkimDomain !== domain;
  if (strictSpf || strictDkim) {
    const problems = [
      strictSpf ? `strict SPF alignment (aspf=s), but Resend sends with the bounce address ${RESEND_RETURN_PATH}.${domain}, which strict alignment does not count as ${domain}` : null,
      strictDkim ? `strict DKIM alignment (adkim=s), but the emails are signed for ${dkimDomain}, not ${domain}` : null,
    ].filter((x): x is string => x !== null);
    const consequence = strictDkim ? 'Your emails may fail DMARC and land in spam or be refused.' : 'Your emails pass DMARC only through the DKIM signature, with nothing to fall back on.';
    return {
      status: 'warn',
      message: `The DMARC record at ${name} asks for ${problems.join('; and ')}. ${consequence}`,
      action: `Remove ${[strictSpf ? 'aspf=s' : null, strictDkim ? 'adkim=s' : null].filter(Boolean).join(' and ')} from the record at ${name} (relaxed alignment is the default).`,
      detail,
    };
  }
  if (policy === 'none') {
    return {
      status: 'ok',
      message: `${domain} has a DMARC record (p=none${inherited ? `, from ${name}` : ''}): it meets Gmail's and Yahoo's sender rules, but it only watches; it does not stop others from sending email in your name.`,
      action: 'Once the DMARC reports show only your own mail, change p=none to p=quarantine.',
      detail,
    };
  }
  return { status: 'ok', message: `${domain} has a DMARC record (p=${policy}${inherited ? `, from ${name}` : ''}): receivers refuse or file away mail that pretends to be from you.`, action: null, detail };
}

export type SenderDomainReport = { domain: string; spf: CheckResult; dkim: CheckResult; dmarc: CheckResult };

/** Looks up and judges the sender domain's SPF, DKIM and DMARC (parents are asked only when the domain's own records miss). */
export async function checkSenderDomain(mailFrom: string, lookup: LookupTxt): Promise<SenderDomainReport> {
  const domain = senderDomain(mailFrom);
  if (!isPublicDomain(domain)) {
    const result: CheckResult = {
      status: 'fail',
      message: `MAIL_FROM is at ${domain || 'no domain'}, which is not a domain on the internet: no receiver can check that the emails are yours.`,
      action: 'Set MAIL_FROM to an address on the domain you verified in Resend, e.g. MAIL_FROM="Your Clinic <education@news.your-clinic.org>".',
      detail: { domain },
    };
    return { domain, spf: result, dkim: result, dmarc: result };
  }
  const parents = domainAndParents(domain).slice(1);
  const [send, root, key, dmarcOwn] = await Promise.all([
    lookup(`${RESEND_RETURN_PATH}.${domain}`),
    lookup(domain),
    lookup(`${RESEND_DKIM_SELECTOR}._domainkey.${domain}`),
    lookup(`_dmarc.${domain}`),
  ]);
  const spfMissing = !spfRecords(send).some(includesResend) && send.kind !== 'error' && root.kind !== 'error';
  const dkimMissing = key.kind === 'none' || (key.kind === 'found' && !key.records.some((r) => /(?:^|;)\s*p\s*=/i.test(r)));
  const dmarcMissing = dmarcOwn.kind === 'none' || (dmarcOwn.kind === 'found' && dmarcRecords(dmarcOwn).length === 0);
  const [parentSend, parentKeys, parentDmarc] = await Promise.all([
    spfMissing ? Promise.all(parents.map((p) => lookup(`${RESEND_RETURN_PATH}.${p}`))) : [],
    dkimMissing ? Promise.all(parents.map((p) => lookup(`${RESEND_DKIM_SELECTOR}._domainkey.${p}`))) : [],
    dmarcMissing ? Promise.all(parents.map((p) => lookup(`_dmarc.${p}`))) : [],
  ]);
  const dkim = judgeDkim(domain, key, parentKeys);
  const dkimDomain = dkim.status === 'ok' ? domain : typeof dkim.detail?.signedFor === 'string' ? dkim.detail.signedFor : null;
  return { domain, spf: judgeSpf(domain, send, root, parentSend), dkim, dmarc: judgeDmarc(domain, [dmarcOwn, ...parentDmarc], dkimDomain) };
}
