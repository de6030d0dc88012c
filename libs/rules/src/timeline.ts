import type { CompetitionState } from '@holdout/contracts';

export interface Timeline {
  opensAt: Date;
  teamMergeDeadline: Date | null;
  closesAt: Date;
}

/** Where a competition stands at `now`: before its opening, open, or closed (the close is exclusive). */
export function stateOf(t: Pick<Timeline, 'opensAt' | 'closesAt'>, now = new Date()): CompetitionState {
  if (now < t.opensAt) return 'upcoming';
  if (now < t.closesAt) return 'open';
  return 'closed';
}

/** Private scores are visible only once revealed and closed. */
export function isRevealed(c: { revealedAt: Date | null; closesAt: Date }, now = new Date()): boolean {
  return c.revealedAt !== null && now >= c.closesAt;
}

/**
 * What is wrong with a timeline, or null: opensAt < closesAt, and a merge deadline (if any) lies
 * after the opening and no later than the close.
 */
export function timelineProblem(t: Timeline): string | null {
  const iso = (d: Date) => d.toISOString();
  if (!(t.opensAt < t.closesAt)) return `opensAt (${iso(t.opensAt)}) must be before closesAt (${iso(t.closesAt)})`;
  if (t.teamMergeDeadline && !(t.opensAt < t.teamMergeDeadline && t.teamMergeDeadline <= t.closesAt)) {
    return `teamMergeDeadline (${iso(t.teamMergeDeadline)}) must be after opensAt (${iso(t.opensAt)}) and no later than closesAt (${iso(t.closesAt)})`;
  }
  return null;
}

/**
 * Whether the close may move from `current` to `next` at `now`: a competition that has closed
 * (or been revealed) keeps its close, and a new close lies in the future.
 */
export function closeChangeProblem(o: { current: Date; next: Date; revealed: boolean; now: Date }): 'final' | 'past' | null {
  if (o.next.getTime() === o.current.getTime()) return null;
  if (o.revealed || o.now >= o.current) return 'final';
  if (o.next <= o.now) return 'past';
  return null;
}

/**
 * The merge deadline when the instructor moves the close without naming one: it keeps its
 * distance before the close (Kaggle sets it a week before), or is cleared when that would put it
 * at or before the opening. `note` says what happened, for the instructor; null when nothing did.
 */
export function mergeDeadlineFollowingClose(o: { before: Timeline; closesAt: Date; opensAt: Date }): { teamMergeDeadline: Date | null; note: string | null } {
  const merge = o.before.teamMergeDeadline;
  if (!merge || o.closesAt.getTime() === o.before.closesAt.getTime()) return { teamMergeDeadline: merge, note: null };
  const gap = o.before.closesAt.getTime() - merge.getTime();
  const moved = new Date(o.closesAt.getTime() - gap);
  if (moved > o.opensAt) {
    return { teamMergeDeadline: moved, note: `The team merge deadline moved with the close, to ${moved.toISOString()} (${describeGap(gap)} before it).` };
  }
  return { teamMergeDeadline: null, note: `The team merge deadline (${merge.toISOString()}) was cleared: ${describeGap(gap)} before the new close is not after the opening.` };
}

function describeGap(ms: number): string {
  const hours = Math.round(ms / 3_600_000);
  if (hours === 0) return 'right';
  return hours % 24 === 0 ? `${hours / 24} day${hours === 24 ? '' : 's'}` : `${hours} hour${hours === 1 ? '' : 's'}`;
}

/**
 * The public leaderboard freeze: for the last `freezeDays` days before the close, participants see
 * the public board as it stood when the freeze began (submissions made before it); staff see the
 * live board; each team still sees its own new scores on its submissions. The freeze ends with
 * the reveal. Null: no freeze (0 days).
 */
export function freezeStartsAt(o: { opensAt: Date; closesAt: Date; freezeDays: number }): Date | null {
  if (o.freezeDays <= 0) return null;
  // A freeze longer than the competition starts at the opening (an empty board), not before it.
  return new Date(Math.max(o.opensAt.getTime(), o.closesAt.getTime() - o.freezeDays * 86_400_000));
}

/** Since when a participant's public board is frozen now; null when it is live. */
export function boardFrozenSince(o: { now: Date; opensAt: Date; closesAt: Date; freezeDays: number; revealed: boolean }): Date | null {
  const start = freezeStartsAt(o);
  return start !== null && !o.revealed && o.now >= start ? start : null;
}
