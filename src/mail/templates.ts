import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { ReactElement } from 'react';
import * as welcome from '../../emails/01-welcome.js';
import * as howItWorks from '../../emails/02-how-the-treatment-works.js';
import * as trials from '../../emails/03-what-the-trials-found.js';
import * as whereItStands from '../../emails/04-where-it-stands.js';
import * as mdmaAndKetamine from '../../emails/05-mdma-and-ketamine.js';
import * as safety from '../../emails/06-safety.js';
import * as streetMolly from '../../emails/07-street-molly.js';
import * as nextSteps from '../../emails/08-next-steps.js';
import * as consultWhatAConsultIs from '../../emails/consult-1-what-a-consult-is.js';
import * as consultQuestionsToAsk from '../../emails/consult-2-questions-to-ask.js';
import * as consultOtherPaths from '../../emails/consult-3-other-paths.js';
import * as confirmation from '../../emails/confirmation.js';
import type { ConfirmationEmailProps } from '../../emails/confirmation.js';
import { structuralProps, type SequenceEmailProps } from '../../emails/_components/props.js';
import type { SequenceId } from '../../db/enums.js';
import { packageRoot } from '../package-root.js';

export type { ConfirmationEmailProps, SequenceEmailProps };
export type { Reader } from '../../emails/_components/types.js';

/**
 * Which props change per recipient. The render cache renders a template once
 * with placeholders in these props and fills them in per message; every other
 * prop (public URL, postal address, reader, crisis country) is part of the
 * cache key, after structure() has reduced it to what the template uses.
 */
export type TemplateSlots<P> = {
  /** Printed through displayName(); the template shows one text when it is blank and another when not. */
  name?: keyof P & string;
  /** Absolute links that differ per recipient (tokens), or that may be absent: whether each is set is part of the key. */
  urls: (keyof P & string)[];
};

export type TemplateDef<P> = {
  /** The file name in emails/ without .tsx, e.g. "03-what-the-trials-found". */
  id: string;
  kind: 'sequence' | 'confirmation';
  component: (props: P) => ReactElement;
  subject: string;
  preheader: string;
  /** Sample data for previews. */
  previewProps: P;
  /** Changes whenever the template or the shared parts change; recorded on deliveries. */
  version: string;
  slots: TemplateSlots<P>;
  /** The series a sequence email belongs to; absent for the confirmation email. */
  series?: SequenceId;
  /**
   * The props reduced to what shapes the email (defaults filled in, a time
   * zone turned into its crisis country). Rendering the result must give the
   * same email; the render cache keys on it. Identity when absent.
   */
  structure?: (props: P) => P;
};

type EmailModule<P> = {
  default: ((props: P) => ReactElement) & { PreviewProps: P };
  subject: string;
  preheader: string;
};

// Versions hash the .tsx sources, not the compiled dist/emails/*.js, so a
// template keeps its version whether the code runs compiled or from source.
const emailsDir = path.join(packageRoot(import.meta.url), 'emails');

// The shared parts count towards every template's version.
const sharedSource = fs
  .readdirSync(path.join(emailsDir, '_components'))
  .filter((f) => /\.(tsx?|ts)$/.test(f))
  .sort()
  .map((f) => fs.readFileSync(path.join(emailsDir, '_components', f), 'utf8'))
  .join('\0');

/** A short hash of the template's source and the shared parts' source. */
function sourceVersion(id: string): string {
  const own = fs.readFileSync(path.join(emailsDir, `${id}.tsx`), 'utf8');
  return crypto.createHash('sha256').update(own).update('\0').update(sharedSource).digest('hex').slice(0, 12);
}

function define<P>(id: string, kind: TemplateDef<P>['kind'], mod: EmailModule<P>, slots: TemplateSlots<P>): TemplateDef<P> {
  return {
    id,
    kind,
    component: mod.default,
    subject: mod.subject,
    preheader: mod.preheader,
    previewProps: mod.default.PreviewProps,
    version: sourceVersion(id),
    slots,
    structure: structuralProps,
  };
}

function sequence<const Id extends string, const S extends SequenceId>(id: Id, mod: EmailModule<SequenceEmailProps>, series: S): TemplateDef<SequenceEmailProps> & { id: Id; series: S } {
  return { ...define<SequenceEmailProps>(id, 'sequence', mod, { name: 'firstName', urls: ['unsubscribeUrl', 'preferencesUrl', 'bookingUrl'] }), id, series };
}

/** The eight education emails (sequence `education`), in the order of their file names. */
export const sequenceTemplates = [
  sequence('01-welcome', welcome, 'education'),
  sequence('02-how-the-treatment-works', howItWorks, 'education'),
  sequence('03-what-the-trials-found', trials, 'education'),
  sequence('04-where-it-stands', whereItStands, 'education'),
  sequence('05-mdma-and-ketamine', mdmaAndKetamine, 'education'),
  sequence('06-safety', safety, 'education'),
  sequence('07-street-molly', streetMolly, 'education'),
  sequence('08-next-steps', nextSteps, 'education'),
] as const;

export type SequenceTemplateId = (typeof sequenceTemplates)[number]['id'];

/** The consult follow-up emails (sequence `consult-follow-up`, content brief round 3), in order. */
export const consultTemplates = [
  sequence('consult-1-what-a-consult-is', consultWhatAConsultIs, 'consult-follow-up'),
  sequence('consult-2-questions-to-ask', consultQuestionsToAsk, 'consult-follow-up'),
  sequence('consult-3-other-paths', consultOtherPaths, 'consult-follow-up'),
] as const;

export type ConsultTemplateId = (typeof consultTemplates)[number]['id'];

export const confirmationTemplate: TemplateDef<ConfirmationEmailProps> = define<ConfirmationEmailProps>('confirmation', 'confirmation', confirmation, {
  name: 'firstName',
  urls: ['confirmUrl', 'unsubscribeUrl', 'preferencesUrl'],
});

/** Every template, for the staff previews: the confirmation email, the education series, then the consult follow-up. */
export const allTemplates: readonly (TemplateDef<SequenceEmailProps> | TemplateDef<ConfirmationEmailProps>)[] = [
  confirmationTemplate,
  ...sequenceTemplates,
  ...consultTemplates,
];

const seriesTemplates: readonly TemplateDef<SequenceEmailProps>[] = [...sequenceTemplates, ...consultTemplates];

/** A sequence email of any series by its id (an education or a consult follow-up email). Throws on an unknown id. */
export function sequenceTemplate(id: SequenceTemplateId | ConsultTemplateId | string): TemplateDef<SequenceEmailProps> {
  const def = seriesTemplates.find((t) => t.id === id);
  if (!def) throw new Error(`unknown sequence template: ${id}`);
  return def;
}
