import type { SequenceId } from '../../db/enums.js';

export type { SequenceId };

/**
 * Each series' line under the clinic's name in the masthead. Every email file
 * names its series (SequenceLayout's `series`); the footer's "why you get
 * this" follows it too.
 */
export const SERIES_NAMES: Readonly<Record<SequenceId, string>> = {
  education: 'MDMA-assisted therapy: the facts',
  'consult-follow-up': 'Before your consult',
};
