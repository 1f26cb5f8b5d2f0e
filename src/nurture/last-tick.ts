/**
 * The last tick's outcome, kept with the worker's other state so the staff
 * health check can tell a worker that runs from one that stopped or fails.
 * Every worker process writes it; the newest wins.
 */
import type { SettingsStore } from '../../db/stores.js';
import type { Logger } from '../logger.js';
import type { TickSummary } from './tick.js';

export const LAST_TICK_KEY = 'last_tick';

export type LastTick = {
  /** When the tick ended (ms). */
  at: number;
  ok: boolean;
  durationMs: number;
  due: number;
  sent: number;
  failed: number;
  held: number;
  pausedUntil?: string;
  sequencePaused?: 'complaints';
  /** Why a tick failed, without addresses. */
  error?: string;
};

const MAX_ERROR_LENGTH = 300;

/** Records a tick's summary, or the error it failed with; a database that cannot take it is only logged. */
export async function recordLastTick(
  deps: { stores: { settings: Pick<SettingsStore, 'set'> }; logger: Logger },
  at: number,
  outcome: { summary: TickSummary } | { error: unknown },
): Promise<void> {
  const record: LastTick =
    'summary' in outcome
      ? {
          at,
          ok: true,
          durationMs: outcome.summary.durationMs,
          due: outcome.summary.due,
          sent: outcome.summary.sent,
          failed: outcome.summary.failed,
          held: outcome.summary.held,
          ...(outcome.summary.pausedUntil ? { pausedUntil: outcome.summary.pausedUntil } : {}),
          ...(outcome.summary.sequencePaused ? { sequencePaused: outcome.summary.sequencePaused } : {}),
        }
      : { at, ok: false, durationMs: 0, due: 0, sent: 0, failed: 0, held: 0, error: errorText(outcome.error) };
  try {
    await deps.stores.settings.set(LAST_TICK_KEY, JSON.stringify(record), at);
  } catch (err) {
    deps.logger.warn({ err }, 'could not record the last tick');
  }
}

export async function readLastTick(settings: Pick<SettingsStore, 'get'>): Promise<LastTick | null> {
  const raw = await settings.get(LAST_TICK_KEY);
  if (!raw) return null;
  try {
    const v = JSON.parse(raw) as LastTick;
    return typeof v.at === 'number' && typeof v.ok === 'boolean' ? v : null;
  } catch {
    return null;
  }
}

function errorText(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.replace(/[^\s@<>"']+@[^\s@<>"']+/g, '[address]').slice(0, MAX_ERROR_LENGTH) || 'unknown error';
}
