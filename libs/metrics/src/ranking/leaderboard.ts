import { RankingInputError, toEpochMs } from './errors.js';

/** Which half of the test set a board ranks. */
export type LeaderboardSplit = 'public' | 'private';

/** One submission as the public board sees it. */
export interface RankableSubmission {
  submissionId: string;
  teamId: string;
  /** Score on the split being ranked; `null` (or a non-finite number) while not scored. */
  score: number | null;
  submittedAt: Date | string;
  selected?: boolean;
  /** Made after the close: scored and shown to its owner, never ranked. */
  late?: boolean;
}

/** One submission with both scores, as the private board and final selection see it. */
export interface SplitScoredSubmission {
  submissionId: string;
  teamId: string;
  publicScore: number | null;
  privateScore: number | null;
  submittedAt: Date | string;
  /** Chosen by the team as a final submission. */
  selected?: boolean;
  late?: boolean;
}

/** One team's row on a board. `submission` is the caller's own row, passed through untouched. */
export interface LeaderboardRow<T> {
  /** 1-based position; every row has its own rank (ties are broken, see `tied`). */
  rank: number;
  teamId: string;
  /** The team's ranked submission. */
  submissionId: string;
  score: number;
  submittedAt: Date;
  /** The team's on-time scored submissions. */
  entries: number;
  /** The score equals the row above's; the earlier submission was put first. */
  tied: boolean;
  submission: T;
}

export interface RankedLeaderboard<T> {
  split: LeaderboardSplit;
  rows: LeaderboardRow<T>[];
}

/** Where a team's private candidates came from. */
export type CandidateBasis = 'selected' | 'best-public';

export interface PrivateCandidates<T> {
  teamId: string;
  basis: CandidateBasis;
  /** The submissions whose private scores count for this team, best public first. */
  submissions: T[];
}

interface Scored<T> {
  row: T;
  submissionId: string;
  teamId: string;
  score: number;
  at: number;
}

/**
 * Orders better first: higher (or lower) score, then the earlier submission, then the smaller
 * submission id so that equal timestamps still give one stable answer.
 */
function better<T>(higherIsBetter: boolean) {
  return (a: Scored<T>, b: Scored<T>): number => {
    if (a.score !== b.score) return higherIsBetter ? b.score - a.score : a.score - b.score;
    if (a.at !== b.at) return a.at - b.at;
    return a.submissionId < b.submissionId ? -1 : a.submissionId > b.submissionId ? 1 : 0;
  };
}

function assertUniqueIds(rows: readonly { submissionId: string }[]): void {
  const seen = new Set<string>();
  for (const { submissionId } of rows) {
    if (seen.has(submissionId)) {
      throw new RankingInputError('duplicate-submission', `submission ${submissionId} appears twice in the input`);
    }
    seen.add(submissionId);
  }
}

function validLimit(finalSelections: number): void {
  if (!Number.isInteger(finalSelections) || finalSelections < 1) {
    throw new RankingInputError(
      'invalid-limit',
      `finalSelections must be a whole number of at least 1, got ${finalSelections}`,
    );
  }
}

/** Best candidate per team → ranked rows. `entries` counts every on-time scored row of the team. */
function rankBest<T>(
  best: Map<string, Scored<T>>,
  entries: Map<string, number>,
  higherIsBetter: boolean,
): LeaderboardRow<T>[] {
  const ordered = [...best.values()].sort(better<T>(higherIsBetter));
  return ordered.map((s, i) => ({
    rank: i + 1,
    teamId: s.teamId,
    submissionId: s.submissionId,
    score: s.score,
    submittedAt: new Date(s.at),
    entries: entries.get(s.teamId) ?? 0,
    tied: i > 0 && ordered[i - 1]!.score === s.score,
    submission: s.row,
  }));
}

function keepBest<T>(best: Map<string, Scored<T>>, s: Scored<T>, cmp: (a: Scored<T>, b: Scored<T>) => number): void {
  const current = best.get(s.teamId);
  if (current === undefined || cmp(s, current) < 0) best.set(s.teamId, s);
}

/**
 * Ranks one row per team by its best score on `split`.
 *
 * - Late submissions and rows without a finite score are never ranked and do not count as entries.
 * - A team's ranked submission is its best; equal scores go to the earlier submission.
 * - Between teams, equal scores go to the team whose ranked submission is earlier (then the smaller
 *   submission id, so the order never depends on input order); `tied` marks such rows.
 * - Scores compare exactly, at full precision, not as displayed.
 *
 * For the private board use {@link rankPrivateLeaderboard}: ranking every private score here
 * would ignore the teams' final selections.
 */
export function rankLeaderboard<T extends RankableSubmission>({
  submissions,
  split,
  higherIsBetter = true,
}: {
  submissions: readonly T[];
  split: LeaderboardSplit;
  higherIsBetter?: boolean;
}): RankedLeaderboard<T> {
  assertUniqueIds(submissions);
  const cmp = better<T>(higherIsBetter);
  const best = new Map<string, Scored<T>>();
  const entries = new Map<string, number>();
  for (const row of submissions) {
    const at = toEpochMs(row.submittedAt, `submission ${row.submissionId} submittedAt`);
    if (row.late || row.score === null || !Number.isFinite(row.score)) continue;
    entries.set(row.teamId, (entries.get(row.teamId) ?? 0) + 1);
    keepBest(best, { row, submissionId: row.submissionId, teamId: row.teamId, score: row.score, at }, cmp);
  }
  return { split, rows: rankBest(best, entries, higherIsBetter) };
}

/** On time and scored on both splits: the only rows final selection and the private board consider. */
function eligible(
  row: SplitScoredSubmission,
): row is SplitScoredSubmission & { publicScore: number; privateScore: number } {
  return (
    !row.late &&
    row.publicScore !== null &&
    Number.isFinite(row.publicScore) &&
    row.privateScore !== null &&
    Number.isFinite(row.privateScore)
  );
}

/**
 * Which submissions count for each team's private score (Kaggle's rule): the ones it selected;
 * where it selected none, its best `finalSelections` by public score (equal public scores → the
 * earlier submission first).
 *
 * Only on-time submissions scored on both splits take part; a late or unscored selection is
 * ignored as if it had not been made. A team that selected more than `finalSelections` breaks the
 * rule the API enforces, and is rejected with a `selection-over-limit` error rather than guessed at.
 * Teams come back ordered by team id; a team with no eligible submission is absent.
 */
export function privateCandidates<T extends SplitScoredSubmission>({
  submissions,
  finalSelections,
  higherIsBetter = true,
}: {
  submissions: readonly T[];
  finalSelections: number;
  higherIsBetter?: boolean;
}): PrivateCandidates<T>[] {
  validLimit(finalSelections);
  assertUniqueIds(submissions);
  const byPublic = better<T>(higherIsBetter);
  const byTeam = new Map<string, Scored<T>[]>();
  for (const row of submissions) {
    const at = toEpochMs(row.submittedAt, `submission ${row.submissionId} submittedAt`);
    if (!eligible(row)) continue;
    const list = byTeam.get(row.teamId) ?? [];
    list.push({ row, submissionId: row.submissionId, teamId: row.teamId, score: row.publicScore, at });
    byTeam.set(row.teamId, list);
  }
  const teams = [...byTeam.keys()].sort();
  return teams.map((teamId) => {
    const rows = byTeam.get(teamId)!.sort(byPublic);
    const selected = rows.filter((s) => s.row.selected);
    if (selected.length > finalSelections) {
      throw new RankingInputError(
        'selection-over-limit',
        `team ${teamId} selected ${selected.length} submissions but the limit is ${finalSelections}`,
      );
    }
    return selected.length > 0
      ? { teamId, basis: 'selected' as const, submissions: selected.map((s) => s.row) }
      : { teamId, basis: 'best-public' as const, submissions: rows.slice(0, finalSelections).map((s) => s.row) };
  });
}

/**
 * The private board: each team's best private score among its {@link privateCandidates}; equal
 * private scores go to the earlier submission, within a team and between teams, as on the public
 * board. `entries` counts all of the team's on-time scored submissions, not only its candidates.
 */
export function rankPrivateLeaderboard<T extends SplitScoredSubmission>({
  submissions,
  finalSelections,
  higherIsBetter = true,
}: {
  submissions: readonly T[];
  finalSelections: number;
  higherIsBetter?: boolean;
}): RankedLeaderboard<T> {
  const candidates = privateCandidates({ submissions, finalSelections, higherIsBetter });
  const cmp = better<T>(higherIsBetter);
  const best = new Map<string, Scored<T>>();
  for (const { submissions: rows } of candidates) {
    for (const row of rows) {
      const at = toEpochMs(row.submittedAt, `submission ${row.submissionId} submittedAt`);
      keepBest(best, { row, submissionId: row.submissionId, teamId: row.teamId, score: row.privateScore!, at }, cmp);
    }
  }
  const entries = new Map<string, number>();
  for (const row of submissions) {
    if (eligible(row)) entries.set(row.teamId, (entries.get(row.teamId) ?? 0) + 1);
  }
  return { split: 'private', rows: rankBest(best, entries, higherIsBetter) };
}
