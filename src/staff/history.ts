/**
 * A person's history in words for staff: what happened and who did it (the
 * reader, a named staff member, the system), from their activity rows and
 * the audit entries about them. Pure: the pages hand in the rows, the
 * sequence catalogs and how to write a time.
 *
 * An activity row names its actor in its detail when it can (an unsubscribe
 * by staff, a pause on the preference page); an erasure removes every
 * activity detail, so the actor of a staff action is also found in the
 * audit log, which keeps who acted. Every staff action on a person writes
 * its audit entry in the same request, right after the activity row, so a
 * row is paired with the nearest unpaired entry of its action within
 * PAIRING_WINDOW_MS. An audit entry paired with no row (a step sent again,
 * an export) is a line of its own.
 */
import { IMPORTED_CONSENT_PREFIX, READERS, SEQUENCE_IDS, type ActivityRow, type ActivityType, type AuditEntry, type Reader, type SequenceId } from '../../db/types.js';
import { AUDIT_ACTIONS, type AuditAction } from '../audit.js';
import { emailName, SEQUENCE_NAMES, type SequenceCatalogs } from '../nurture/sequence.js';

/** Who did something. A staff member's name is null when no audit entry names them. */
export type Actor = { kind: 'reader' } | { kind: 'staff'; name: string | null } | { kind: 'system' };

export type HistoryLine = { at: number; what: string; who: Actor };

/** What the wording needs besides the rows. */
export type WordingContext = {
  catalogs: SequenceCatalogs;
  /** A time as the page shows it (its zone named by the page). */
  time: (ms: number) => string;
  /** False for a viewer: an address in a detail (a test email's recipient) is left out. */
  showAddresses: boolean;
};

export const PAIRING_WINDOW_MS = 60_000;

/** The audit log's name for work nobody started by hand (the retention sweep, an address merge). */
export const SYSTEM_ACTOR = 'system';

type Detail = Record<string, unknown>;

function parseDetail(raw: string | null): Detail {
  if (raw === null) return {};
  try {
    const v: unknown = JSON.parse(raw);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Detail) : {};
  } catch {
    return {};
  }
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const sequenceOf = (v: unknown): SequenceId | undefined => (SEQUENCE_IDS as readonly unknown[]).includes(v) ? (v as SequenceId) : undefined;
const readerOf = (v: unknown): Reader | null | undefined => (v === null ? null : (READERS as readonly unknown[]).includes(v) ? (v as Reader) : undefined);

/** When the retention sweep erased someone, in words: after they left, or after an opt-in never confirmed. */
const erasedWhen = (d: Detail): string | null =>
  num(d.retentionDays) !== undefined
    ? `${num(d.retentionDays)} days after they left (the retention period)`
    : num(d.unconfirmedDays) !== undefined
      ? `${num(d.unconfirmedDays)} days after an opt-in email they never confirmed`
      : null;

const READS_FOR: Record<Reader, string> = { self: 'themselves', supporter: 'someone close to them', professional: 'their patients or clients' };
const readsFor = (r: Reader | null) => (r === null ? 'not given' : READS_FOR[r]);

const sequenceWords = (d: Detail) => {
  const s = sequenceOf(d.sequence);
  return s ? `the ${SEQUENCE_NAMES[s].toLowerCase()}` : 'a sequence';
};

/** A time in a detail: milliseconds or an ISO string. */
function timeIn(v: unknown, ctx: WordingContext): string | undefined {
  const ms = num(v) ?? (str(v) === undefined ? undefined : Date.parse(v as string));
  return ms === undefined || Number.isNaN(ms) ? undefined : ctx.time(ms);
}

const staff = (name: string | null = null): Actor => (name === SYSTEM_ACTOR ? { kind: 'system' } : { kind: 'staff', name });
const READER: Actor = { kind: 'reader' };
const SYSTEM: Actor = { kind: 'system' };

/**
 * One activity type in words: what happened, and who did it given the
 * audit entry paired with the row (when the type is one staff do).
 */
type Wording = {
  /** The audit action staff's doing of this writes, if staff can do it. */
  staffAction?: AuditAction;
  what: (d: Detail, ctx: WordingContext) => string;
  who: (d: Detail, paired: AuditEntry | undefined) => Actor;
};

/** Staff did it when an audit entry says so (or the row does), else the reader did. */
const readerUnlessPaired = (d: Detail, paired: AuditEntry | undefined): Actor => (paired ? staff(paired.actor) : d.by === 'staff' ? staff(str(d.staff) ?? null) : READER);

/** Every activity type in words: a new type does not compile until it has its wording here. */
export const ACTIVITY_WORDING: Record<ActivityType, Wording> = {
  signup: {
    staffAction: 'subscriber.imported',
    what: (d) =>
      d.source === 'import'
        ? 'Added by a CSV import'
        : d.afterErasure === true
          ? 'Signed up again after their data was erased (a new opt-in)'
          : d.source === 'staff'
            ? 'Sent a new opt-in email after they unsubscribed (pending until they confirm it)'
            : d.resubscribe === true
              ? 'Signed up again (a new opt-in)'
              : d.source === 'api'
                ? 'Signed up (through the signup API)'
                : d.source === 'signup-form'
                  ? 'Signed up on the form'
                  : 'Signed up',
    who: (d, paired) => (d.source === 'staff' ? staff(str(d.staff) ?? null) : paired || d.source === 'import' ? staff(paired?.actor ?? null) : READER),
  },
  confirmation_sent: { what: () => 'The confirmation email went to them', who: () => SYSTEM },
  confirmed: {
    staffAction: 'subscriber.imported',
    what: (d) => (str(d.consentVersion)?.startsWith(IMPORTED_CONSENT_PREFIX) ? 'Consent recorded from the import file (they were not asked to confirm)' : 'Confirmed their signup (consent recorded)'),
    who: (d, paired) => (paired || str(d.consentVersion)?.startsWith(IMPORTED_CONSENT_PREFIX) ? staff(paired?.actor ?? null) : READER),
  },
  unsubscribed: {
    staffAction: 'subscriber.unsubscribed',
    what: (d) => {
      switch (d.method) {
        case 'staff':
          return str(d.reason) ? `Unsubscribed on their behalf: “${str(d.reason)}”` : 'Unsubscribed on their behalf';
        case 'page':
          return 'Unsubscribed on the unsubscribe page';
        case 'one-click':
          return "Unsubscribed with their mail program's unsubscribe button";
        case 'preferences':
          return 'Unsubscribed on their preference page';
        default:
          return d.by === 'staff' ? 'Unsubscribed on their behalf' : 'Unsubscribed';
      }
    },
    who: (d, paired) => (paired ? staff(paired.actor) : d.method === 'staff' ? staff(str(d.staff) ?? null) : READER),
  },
  bounced: { what: () => 'Their address bounced: nothing more is sent to it', who: () => SYSTEM },
  complained: { what: () => 'Marked one of our emails as spam: nothing more is sent to them', who: () => READER },
  suppressed: { what: () => 'Resend suppressed their address: nothing more is sent to it', who: () => SYSTEM },
  converted: {
    staffAction: 'subscriber.converted',
    what: () => 'Marked as converted (booked a consult): their sequences ended',
    who: (_d, paired) => staff(paired?.actor ?? null),
  },
  completed: { what: () => 'Had every email of their sequences', who: () => SYSTEM },
  erased: {
    staffAction: 'subscriber.erased',
    what: (d) =>
      `Their personal data was erased${erasedWhen(d) ? ` ${erasedWhen(d)}` : ''}; the address is kept only as a keyed hash so it is never mailed again`,
    // Staff and the retention sweep are audited; the person's own erasure (preference page) is not.
    who: (_d, paired) => (paired ? staff(paired.actor) : READER),
  },
  paused: {
    staffAction: 'subscriber.paused',
    what: (d, ctx) => {
      const until = timeIn(d.until, ctx);
      const weeks = num(d.weeks);
      return `Paused their emails${weeks ? ` for ${weeks} weeks` : ''}${until ? ` until ${until}` : ''}`;
    },
    who: readerUnlessPaired,
  },
  resumed: { staffAction: 'subscriber.resumed', what: () => 'Resumed their emails', who: readerUnlessPaired },
  reader_changed: {
    staffAction: 'subscriber.updated',
    what: (d) => {
      const to = readerOf(d.to);
      const from = readerOf(d.from);
      return to === undefined ? 'Changed who they read for' : `Now reads for ${readsFor(to)}${from === undefined ? '' : ` (was ${readsFor(from)})`}`;
    },
    who: readerUnlessPaired,
  },
  enrolled: {
    staffAction: 'subscriber.enrolled',
    what: (d) => (d.by === 'click' ? `Started ${sequenceWords(d)} by clicking the booking link` : `Started ${sequenceWords(d)}`),
    who: (d, paired) => (paired ? staff(paired.actor) : d.by === 'staff' ? staff() : READER),
  },
  left_sequence: {
    staffAction: 'subscriber.left_sequence',
    what: (d) => (d.by === 'staff' ? `Ended ${sequenceWords(d)} for them; their other series goes on` : `Left ${sequenceWords(d)} and kept their other series`),
    who: (d, paired) => (paired ? staff(paired.actor) : d.by === 'staff' ? staff() : READER),
  },
  address_corrected: {
    staffAction: 'subscriber.address_corrected',
    what: (d) =>
      `Corrected their address${d.previousStatus === 'suppressed' ? ' (the old one could not be delivered to)' : ''}: a confirmation email went to the new one, and they are pending until they confirm it; links to the old one stopped working`,
    who: (d, paired) => (paired ? staff(paired.actor) : staff(str(d.staff) ?? null)),
  },
};

/** Count words: "1 batch", "2 batches". */
const count = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

const FIELD_WORDS: Record<string, string> = { firstName: 'first name', timezone: 'time zone', reader: 'who they read for' };
const IMPORT_OUTCOME_WORDS: Record<string, string> = { enrolled: 'with a recorded consent, enrolled without a confirmation', invited: 'invited to confirm by email' };
const IMPORT_COUNT_WORDS: Record<string, string> = {
  enrolled: 'enrolled with a recorded consent',
  invited: 'invited to opt in',
  duplicate: 'repeated in the file',
  exists: 'already subscribers',
  suppressed: 'suppressed addresses',
  erased: 'erased addresses',
  invalid: 'invalid',
};
const BATCH_DECISIONS: Record<string, string> = { sent: 'counted as sent', resend: 'sent again' };

/** The import summary's counts, each outcome that happened. */
function importCounts(d: Detail): string {
  const rows = num(d.rows);
  const parts = Object.entries(d)
    .filter(([k, v]) => k !== 'rows' && k !== 'durationMs' && k !== 'written' && typeof v === 'number' && v > 0)
    .map(([k, v]) => `${v} ${IMPORT_COUNT_WORDS[k] ?? k.replace(/_/g, ' ')}`);
  const head = rows === undefined ? '' : count(rows, 'row', 'rows');
  const failed = d.failed === true ? `; stopped by an error after ${num(d.written) ?? 0} rows` : '';
  return [head, parts.join(', ')].filter(Boolean).join(': ') + failed;
}

/** Every audit action's detail in words (empty when the action says it all): a new action does not compile until it has its wording here. */
export const AUDIT_DETAIL_WORDING: Record<AuditAction, (d: Detail, ctx: WordingContext) => string> = {
  login: () => '',
  logout: () => '',
  'subscriber.converted': () => '',
  'subscriber.unsubscribed': (d) => (str(d.reason) ? `“${str(d.reason)}”` : ''),
  'subscriber.paused': (d, ctx) => (timeIn(d.until, ctx) ? `until ${timeIn(d.until, ctx)}` : ''),
  'subscriber.resumed': () => '',
  'subscriber.resent': (d, ctx) => (num(d.step) === undefined ? '' : emailName(ctx.catalogs, 'education', num(d.step)!, true)),
  'subscriber.address_corrected': (d) =>
    d.spelling === true
      ? 'the same address in another spelling: nothing sent'
      : num(d.deliveryId) === undefined
        ? ''
        : `a confirmation email to the new address${num(d.droppedEmails) ? `; ${count(num(d.droppedEmails)!, 'email', 'emails')} waiting for the old one will not go` : ''}`,
  'subscriber.confirmation_resent': (d) => (d.reopened === true ? 'a new opt-in after they unsubscribed' : ''),
  'subscriber.updated': (d) => (Array.isArray(d.fields) ? `changed ${d.fields.map((f) => FIELD_WORDS[String(f)] ?? String(f)).join(', ')}` : ''),
  'subscriber.enrolled': (d) => (sequenceOf(d.sequence) ? SEQUENCE_NAMES[sequenceOf(d.sequence)!] : ''),
  'subscriber.left_sequence': (d) => (sequenceOf(d.sequence) ? SEQUENCE_NAMES[sequenceOf(d.sequence)!] : ''),
  'subscriber.erased': (d) =>
    [
      erasedWhen(d),
      d.alreadyErased === true ? 'already erased before' : null,
      num(d.withdrawnFromBatches) ? `taken out of ${count(num(d.withdrawnFromBatches)!, 'waiting batch', 'waiting batches')}` : null,
    ]
      .filter(Boolean)
      .join('; '),
  'subscriber.exported': (d) => (str(d.format) ? `as ${str(d.format)!.toUpperCase()}` : ''),
  'subscribers.exported': (d) => (str(d.format) ? `as ${str(d.format)!.toUpperCase()}` : ''),
  'subscribers.imported': (d) => importCounts(d),
  'subscriber.imported': (d) => (str(d.outcome) ? (IMPORT_OUTCOME_WORDS[str(d.outcome)!] ?? str(d.outcome)!.replace(/_/g, ' ')) : ''),
  'imports.rows_downloaded': (d) => (typeof d.reportId === 'number' ? `import report #${d.reportId}, ${typeof d.rows === 'number' ? d.rows : 0} rows to fix` : ''),
  'subscriber.merged': (d) => (num(d.mergedId) ? `record #${num(d.mergedId)} became part of this one` : ''),
  'template.test_sent': (d, ctx) => [str(d.template) ? `template ${str(d.template)}` : null, ctx.showAddresses && str(d.to) ? `to ${str(d.to)}` : null].filter(Boolean).join(', '),
  'batch.resolved': (d) => [num(d.batchId) ? `batch #${num(d.batchId)}` : null, str(d.decision) ? (BATCH_DECISIONS[str(d.decision)!] ?? str(d.decision)) : null].filter(Boolean).join(': '),
  'sequence.published': (d) => {
    if (num(d.version) === undefined) return '';
    const which = SEQUENCE_NAMES[sequenceOf(d.sequence) ?? 'education'];
    const plan = num(d.plan) === undefined ? '' : `, running version ${num(d.plan)}'s emails again (a roll back)`;
    return `${which} version ${num(d.version)}${num(d.previous) === undefined ? '' : ` (was version ${num(d.previous)})`}${plan}`;
  },
  'sending.resumed': (d, ctx) =>
    [
      timeIn(d.pausedSince, ctx) ? `paused since ${timeIn(d.pausedSince, ctx)}` : null,
      num(d.complained) !== undefined && num(d.delivered) !== undefined ? `${count(num(d.complained)!, 'complaint', 'complaints')} of ${num(d.delivered)} delivered` : null,
      num(d.threshold) !== undefined ? `limit ${(num(d.threshold)! * 100).toFixed(1)}%` : null,
    ]
      .filter(Boolean)
      .join('; '),
  'account.added': (d) => [str(d.account), str(d.role) ? `as ${str(d.role)}` : null].filter(Boolean).join(' '),
  'account.disabled': (d) => str(d.account) ?? '',
  'account.enabled': (d) => str(d.account) ?? '',
  'account.password_changed': (d) => str(d.account) ?? '',
  'account.role_changed': (d) => [str(d.account), str(d.from) && str(d.to) ? `from ${str(d.from)} to ${str(d.to)}` : null].filter(Boolean).join(' '),
};

const isKnownAction = (a: string): a is AuditAction => Object.hasOwn(AUDIT_ACTIONS, a);

/** An audit entry's detail in words; an action this code does not know lists its detail's values. */
export function auditDetailWords(entry: Pick<AuditEntry, 'action' | 'detail'>, ctx: WordingContext): string {
  const d = entry.detail ?? {};
  if (isKnownAction(entry.action)) return AUDIT_DETAIL_WORDING[entry.action](d, ctx);
  return Object.entries(d)
    .filter(([, v]) => ['string', 'number', 'boolean'].includes(typeof v))
    .map(([k, v]) => `${k.replace(/_/g, ' ')}: ${String(v)}`)
    .join(', ');
}

/** An audit entry as one line: the action's name and its detail. */
export function auditWords(entry: Pick<AuditEntry, 'action' | 'detail'>, ctx: WordingContext): string {
  const name = isKnownAction(entry.action) ? AUDIT_ACTIONS[entry.action] : entry.action;
  const detail = auditDetailWords(entry, ctx);
  return detail ? `${name}: ${detail}` : name;
}

/** True when the entry is the audit side of this activity row (a profile change pairs with a reader change only when it changed the reader). */
function pairs(row: ActivityRow, action: AuditAction, entry: AuditEntry): boolean {
  if (entry.action !== action || Math.abs(entry.at - row.at) > PAIRING_WINDOW_MS) return false;
  if (action === 'subscriber.updated') return !Array.isArray(entry.detail?.fields) || entry.detail.fields.includes('reader');
  return true;
}

/** What a paired entry says beyond its activity row: a profile change's other fields (the row tells the reader change). */
function unsaidPart(e: AuditEntry): AuditEntry | null {
  if (e.action !== 'subscriber.updated' || !Array.isArray(e.detail?.fields)) return null;
  const others = e.detail.fields.filter((f) => f !== 'reader');
  return others.length ? { ...e, detail: { ...e.detail, fields: others } } : null;
}

/**
 * A person's history, newest first: each activity row in words with who did
 * it, and each audit entry about them that no row stands for.
 */
export function subscriberHistory(activity: readonly ActivityRow[], audit: readonly AuditEntry[], ctx: WordingContext): HistoryLine[] {
  // One import entry stands for both its signup and its confirmation: pairs are counted per activity type.
  const used = new Set<string>();
  const lines: { line: HistoryLine; rank: number }[] = activity.map((row, index) => {
    const wording = ACTIVITY_WORDING[row.type];
    let paired: AuditEntry | undefined;
    if (wording.staffAction) {
      const action = wording.staffAction;
      paired = audit
        .filter((e) => !used.has(`${row.type}:${e.id}`) && pairs(row, action, e))
        .sort((a, b) => Math.abs(a.at - row.at) - Math.abs(b.at - row.at) || a.id - b.id)[0];
      if (paired) used.add(`${row.type}:${paired.id}`);
    }
    // The audit entry keeps what an erasure removed from the row (which sequence, until when); the row's own detail wins.
    const d = { ...(paired?.detail ?? {}), ...parseDetail(row.detail), ...(paired ? { by: 'staff' } : {}) };
    return { line: { at: row.at, what: wording.what(d, ctx), who: wording.who(d, paired) }, rank: paired ? AUDIT_RANK + paired.id : index };
  });
  const pairedIds = new Set([...used].map((k) => Number(k.slice(k.lastIndexOf(':') + 1))));
  for (const e of audit) {
    const entry = pairedIds.has(e.id) ? unsaidPart(e) : e;
    if (entry) lines.push({ line: { at: e.at, what: auditWords(entry, ctx), who: staff(e.actor) }, rank: AUDIT_RANK + e.id });
  }
  // Newest first. At one instant: what the reader or the system did, then staff's actions in the order they were taken.
  return lines
    .map((l, order) => ({ ...l, order }))
    .sort((a, b) => b.line.at - a.line.at || b.rank - a.rank || b.order - a.order)
    .map(({ line }) => line);
}

/** Above any activity row's index: staff's actions at an instant rank after the rest. */
const AUDIT_RANK = 1e12;

/** "The reader", "Staff: robin", "Staff (name not recorded)", "The system". */
export function actorWords(who: Actor): string {
  switch (who.kind) {
    case 'reader':
      return 'The reader';
    case 'system':
      return 'The system';
    case 'staff':
      return who.name === null ? 'Staff (name not recorded)' : `Staff: ${who.name}`;
  }
}
