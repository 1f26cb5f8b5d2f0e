import type { ReactElement } from 'react';
import type { SequenceEmailProps } from '../../emails/_components/props.js';
import { SEQUENCE_IDS } from '../../db/enums.js';
import type { SequenceId } from '../../db/types.js';
import { sequenceTemplate, type ConsultTemplateId, type SequenceTemplateId } from '../mail/templates.js';
import type { QueueSequence } from './decide.js';

/**
 * The education sequence as versioned data (design.md, "Sequences as
 * versioned data").
 *
 * Each step has a stable id: what a subscriber has received is a set of step
 * ids (their sequence deliveries), never positions. A version lists its steps
 * in order with their day after confirmation. Versions live here, in the code,
 * but a new one takes effect only when an admin publishes it (the published
 * versions are kept in the database); until then staff see what it would do
 * to the people in flight.
 *
 * Step ids are never reused: a new step gets the next unused id, wherever it
 * goes in the order; a removed step's id stays retired.
 *
 * A roll back publishes an earlier version's plan again under a new number
 * (its published row records the plan it runs), so people in flight move
 * onto it by the same rules as onto any newer version. That number comes
 * after every version here; a later release adds its next version after the
 * highest number published, which the sequence page shows.
 */

/** One step of a version as written in the plan. */
export type StepPlan = {
  /** Stable id (1..8 for the first version, in its order). */
  id: number;
  templateId: SequenceTemplateId | ConsultTemplateId;
  /** Days after entering the sequence (confirming, for the education series), as in the content brief (its first email is day 0). */
  dayOffset: number;
};

export type VersionPlan = {
  version: number;
  /** What changed, in a sentence staff read before publishing. */
  summary: string;
  steps: readonly StepPlan[];
};

/** One email of the education sequence, as the worker and the staff pages use it. */
export type SequenceStep = {
  /** The step's stable id (deliveries record it). */
  step: number;
  /** 1-based place in its version. */
  position: number;
  /**
   * Days after confirmation. The schedule (schedule.ts) waits the difference
   * to the previous step's dayOffset after the previous email went.
   */
  dayOffset: number;
  /** Days after the previous step (dayOffset minus the previous step's); 0 for the first. */
  delayDays: number;
  templateId: SequenceTemplateId | ConsultTemplateId;
  subject: string;
  preheader: string;
  component: (props: SequenceEmailProps) => ReactElement;
  /** Hash of the template's source; part of render-cache keys and recorded on each delivery. */
  templateVersion: string;
};

export type SequenceVersion = { version: number; summary: string; steps: readonly SequenceStep[] };

/** Every version the code knows, oldest first. */
export type SequenceCatalog = readonly SequenceVersion[];

// The content brief's plan: which email goes on which day after confirmation.
export const VERSION_PLANS: readonly VersionPlan[] = [
  {
    version: 1,
    summary: 'Eight emails over three weeks, as in the content brief.',
    steps: [
      { id: 1, templateId: '01-welcome', dayOffset: 0 },
      { id: 2, templateId: '02-how-the-treatment-works', dayOffset: 2 },
      { id: 3, templateId: '03-what-the-trials-found', dayOffset: 4 },
      { id: 4, templateId: '04-where-it-stands', dayOffset: 7 },
      { id: 5, templateId: '05-mdma-and-ketamine', dayOffset: 10 },
      { id: 6, templateId: '06-safety', dayOffset: 14 },
      { id: 7, templateId: '07-street-molly', dayOffset: 18 },
      { id: 8, templateId: '08-next-steps', dayOffset: 21 },
    ],
  },
];

/** A version's steps with their templates, checked: ids unique, days never decreasing. */
export function buildVersion(plan: VersionPlan): SequenceVersion {
  const ids = new Set<number>();
  const steps = plan.steps.map((p, i): SequenceStep => {
    if (!Number.isInteger(p.id) || p.id < 1 || ids.has(p.id)) throw new Error(`sequence version ${plan.version}: step id ${p.id} is not a new positive integer`);
    ids.add(p.id);
    const before = plan.steps[i - 1];
    if (before && p.dayOffset < before.dayOffset) throw new Error(`sequence version ${plan.version}: step ${p.id} comes before the day of the step ahead of it`);
    const def = sequenceTemplate(p.templateId);
    return {
      step: p.id,
      position: i + 1,
      dayOffset: p.dayOffset,
      delayDays: before ? p.dayOffset - before.dayOffset : 0,
      templateId: p.templateId,
      subject: def.subject,
      preheader: def.preheader,
      component: def.component,
      templateVersion: def.version,
    };
  });
  return { version: plan.version, summary: plan.summary, steps };
}

/** Versions in order, each with a higher number than the one before. */
export function buildCatalog(plans: readonly VersionPlan[]): SequenceCatalog {
  plans.forEach((p, i) => {
    if (i > 0 && p.version <= plans[i - 1]!.version) throw new Error(`sequence versions must increase: ${p.version} after ${plans[i - 1]!.version}`);
  });
  return plans.map(buildVersion);
}

export const SEQUENCE_VERSIONS: SequenceCatalog = buildCatalog(VERSION_PLANS);

/**
 * The consult follow-up (content brief, "Round 3"): three emails for a
 * person who clicked the booking link or whom staff enrolled, days after
 * they entered it.
 */
export const CONSULT_PLANS: readonly VersionPlan[] = [
  {
    version: 1,
    summary: 'Three emails over two weeks after a booking click, as in the content brief.',
    steps: [
      { id: 1, templateId: 'consult-1-what-a-consult-is', dayOffset: 2 },
      { id: 2, templateId: 'consult-2-questions-to-ask', dayOffset: 7 },
      { id: 3, templateId: 'consult-3-other-paths', dayOffset: 14 },
    ],
  },
];

export const CONSULT_VERSIONS: SequenceCatalog = buildCatalog(CONSULT_PLANS);

/** How pages name each sequence. */
export const SEQUENCE_NAMES: Readonly<Record<SequenceId, string>> = {
  education: 'Education series',
  'consult-follow-up': 'Consult follow-up',
};

/** Every sequence's versions the code knows, by sequence. */
export type SequenceCatalogs<V extends QueueSequence = SequenceVersion> = Readonly<Record<SequenceId, readonly V[]>>;

/** The sequences as this code defines them; `education`: another catalog for the education series (tests of versions). */
export function catalogsWith(education: SequenceCatalog = SEQUENCE_VERSIONS): SequenceCatalogs {
  return { education, 'consult-follow-up': CONSULT_VERSIONS };
}

export const SEQUENCES: SequenceCatalogs = catalogsWith();

/** Version 1: the sequence every database starts with (its migration publishes it). */
export const FIRST_VERSION: SequenceVersion = SEQUENCE_VERSIONS[0]!;

/** The step that sends a template, as the newest version of the code has it (for labelling previews). */
export function stepOfTemplate(templateId: string, catalog: SequenceCatalog = SEQUENCE_VERSIONS): SequenceStep | undefined {
  for (const v of [...catalog].reverse()) {
    const step = v.steps.find((s) => s.templateId === templateId);
    if (step) return step;
  }
  return undefined;
}

/** Where a template's email stands in the newest version of its sequence that has it ("Email 2 of 3"), or undefined for none. */
export function placeOfTemplate(templateId: string, catalogs: SequenceCatalogs = SEQUENCES): { position: number; total: number } | undefined {
  for (const id of SEQUENCE_IDS) {
    for (const v of [...catalogs[id]].reverse()) {
      const step = v.steps.find((s) => s.templateId === templateId);
      if (step) return { position: step.position, total: v.steps.length };
    }
  }
  return undefined;
}

/** The step with this id as the newest version of the code that has it defines it (a step someone had may be gone from later versions). */
export function findStep(id: number, catalog: SequenceCatalog = SEQUENCE_VERSIONS): SequenceStep | undefined {
  for (const v of [...catalog].reverse()) {
    const step = v.steps.find((s) => s.step === id);
    if (step) return step;
  }
  return undefined;
}

/** Where one email stands in its sequence, as the newest version of the code that has the step defines it. */
export type EmailPlace = { sequence: SequenceId; step: number; position: number; total: number; subject: string };

export function emailPlace(catalogs: SequenceCatalogs, sequence: SequenceId, step: number): EmailPlace | undefined {
  for (const v of [...catalogs[sequence]].reverse()) {
    const found = v.steps.find((s) => s.step === step);
    if (found) return { sequence, step, position: found.position, total: v.steps.length, subject: found.subject };
  }
  return undefined;
}

/**
 * An email as its reader knows it: "Email 3 of 8", and with `named`
 * the sequence before it ("Education series, email 3 of 8"). A step no
 * version of the code has any more is named by its subject elsewhere.
 */
export function emailName(catalogs: SequenceCatalogs, sequence: SequenceId, step: number, named = false): string {
  const place = emailPlace(catalogs, sequence, step);
  const where = place ? `email ${place.position} of ${place.total}` : 'an email no longer in the sequence';
  return named ? `${SEQUENCE_NAMES[sequence]}, ${where}` : `${where[0]!.toUpperCase()}${where.slice(1)}`;
}
