import type { Competition } from '@holdout/db';

/** A competition's team size limit: `limits.maxTeamSize` of its competition.yaml, editable by its instructors (default 5). */
export function maxTeamSizeOf(c: Pick<Competition, 'config'>): number {
  const n = (c.config.limits as { maxTeamSize?: unknown } | undefined)?.maxTeamSize;
  return typeof n === 'number' && Number.isInteger(n) && n > 0 ? n : 5;
}
