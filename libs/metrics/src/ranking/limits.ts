import { RankingInputError, toEpochMs } from './errors.js';

export type SelectionCheck =
  | { allowed: true; alreadySelected: boolean; /** Slots left after this selection. */ remaining: number }
  | { allowed: false; alreadySelected: false; remaining: 0; message: string };

/**
 * May a team mark `submissionId` as a final submission? Selecting one that is already selected
 * is allowed and changes nothing (so a retried request is harmless); otherwise the team must have
 * a free slot. Unselecting is always allowed and needs no check. Whether the submission is the
 * team's, on time and scored is the caller's to check.
 */
export function selectionLimitCheck({
  currentlySelected,
  submissionId,
  limit,
}: {
  currentlySelected: readonly string[];
  submissionId: string;
  limit: number;
}): SelectionCheck {
  if (!Number.isInteger(limit) || limit < 1) {
    const message = `the selection limit must be a whole number of at least 1, got ${limit}`;
    throw new RankingInputError('invalid-limit', message);
  }
  const count = new Set(currentlySelected).size;
  if (currentlySelected.includes(submissionId)) {
    return { allowed: true, alreadySelected: true, remaining: Math.max(0, limit - count) };
  }
  if (count >= limit) {
    return {
      allowed: false,
      alreadySelected: false,
      remaining: 0,
      message:
        `Your team has already selected ${count} of ${limit} final submissions; ` +
        'unselect one before selecting another.',
    };
  }
  return { allowed: true, alreadySelected: false, remaining: limit - count - 1 };
}

/** A half-open interval [start, end). */
export interface QuotaWindow {
  start: Date;
  /** The next UTC midnight: when the quota resets. */
  end: Date;
}

/**
 * The UTC day containing `now`, for the daily submission quota: submissions with
 * `start <= createdAt < end` count against it. Midnight itself belongs to the day it starts.
 */
export function quotaWindow({ now }: { now: Date | string }): QuotaWindow {
  const ms = toEpochMs(now, 'now');
  const day = 86_400_000;
  const start = Math.floor(ms / day) * day;
  return { start: new Date(start), end: new Date(start + day) };
}

/**
 * A score as the boards show it: fixed `precision` decimals (0–20), rounded as
 * `Number.prototype.toFixed` rounds the stored binary value, and never "-0.000".
 * Display only: ranks and ties use the full-precision score.
 */
export function formatScore({ score, precision }: { score: number; precision: number }): string {
  if (!Number.isInteger(precision) || precision < 0 || precision > 20) {
    throw new RankingInputError('invalid-precision', `precision must be a whole number from 0 to 20, got ${precision}`);
  }
  if (!Number.isFinite(score)) {
    throw new RankingInputError('invalid-score', `cannot display the score ${score}`);
  }
  const text = score.toFixed(precision);
  return /^-0(\.0*)?$/.test(text) ? text.slice(1) : text;
}
