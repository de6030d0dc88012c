import type { Competition } from '@holdout/db';

// Settings of a competition read from its stored config (its competition.yaml, as instructors edit it).

/** The team size limit: `limits.maxTeamSize` (default 5). */
export function maxTeamSizeOf(c: Pick<Competition, 'config'>): number {
  const n = (c.config.limits as { maxTeamSize?: unknown } | undefined)?.maxTeamSize;
  return typeof n === 'number' && Number.isInteger(n) && n > 0 ? n : 5;
}

/** How participants see the boards: `leaderboard.anonymous` (default false) and `leaderboard.freezeDays` (default 0). */
export function boardSettingsOf(c: Pick<Competition, 'config'>): { anonymous: boolean; freezeDays: number } {
  const b = (c.config.leaderboard ?? {}) as { anonymous?: unknown; freezeDays?: unknown };
  return {
    anonymous: b.anonymous === true,
    freezeDays: typeof b.freezeDays === 'number' && Number.isInteger(b.freezeDays) && b.freezeDays > 0 ? b.freezeDays : 0,
  };
}
