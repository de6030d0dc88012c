import { RankingInputError } from './errors.js';

export type MedalKind = 'gold' | 'silver' | 'bronze';

/** The worst rank that still earns each medal; 0 means that medal is not awarded. */
export interface MedalCutoffs {
  gold: number;
  silver: number;
  bronze: number;
}

/**
 * Kaggle's competition-medal table (https://www.kaggle.com/progression, "Competition Medals";
 * the same table is Table 1 of the MLE-bench paper):
 *
 * | teams    | gold            | silver   | bronze   |
 * |----------|-----------------|----------|----------|
 * | 0–99     | top 10 %        | top 20 % | top 40 % |
 * | 100–249  | top 10          | top 20 % | top 40 % |
 * | 250–999  | top 10 + 0.2 %  | top 50   | top 100  |
 * | 1000+    | top 10 + 0.2 %  | top 5 %  | top 10 % |
 *
 * Kaggle: "Percentage calculations are rounded down. For example, a competition with 9 teams will
 * not award any gold medals" — so there is no minimum of one gold; and "top 10 + 0.2 %" gives 11
 * golds at 500 teams and 20 at 5000. Computed in integers, so no floating-point edge can round
 * a whole number down by one.
 */
export function medalCutoffs({ teamCount }: { teamCount: number }): MedalCutoffs {
  if (!Number.isInteger(teamCount) || teamCount < 0) {
    throw new RankingInputError('invalid-rank', `teamCount must be a whole number ≥ 0, got ${teamCount}`);
  }
  const pct = (percent: number) => Math.floor((teamCount * percent) / 100);
  const tenPlus = 10 + Math.floor((teamCount * 2) / 1000);
  if (teamCount < 100) return { gold: pct(10), silver: pct(20), bronze: pct(40) };
  if (teamCount < 250) return { gold: 10, silver: pct(20), bronze: pct(40) };
  if (teamCount < 1000) return { gold: tenPlus, silver: 50, bronze: 100 };
  return { gold: tenPlus, silver: pct(5), bronze: pct(10) };
}

/** The medal a rank earns under `cutoffs` (each medal is exclusive: gold is not also silver). */
export function medalForRank({ rank, cutoffs }: { rank: number; cutoffs: MedalCutoffs }): MedalKind | null {
  if (rank <= cutoffs.gold) return 'gold';
  if (rank <= cutoffs.silver) return 'silver';
  if (rank <= cutoffs.bronze) return 'bronze';
  return null;
}

export interface ShakeupTeamInput {
  teamId: string;
  publicRank: number;
  privateRank: number;
}

export type ShakeupTeam<T extends ShakeupTeamInput> = T & {
  /** publicRank − privateRank: positive means the team moved up. */
  change: number;
  publicMedal: MedalKind | null;
  privateMedal: MedalKind | null;
};

export interface MedalMove {
  teamId: string;
  medal: MedalKind;
}

export interface Shakeup<T extends ShakeupTeamInput> {
  /** Ordered by private rank, then public rank, then team id. */
  teams: ShakeupTeam<T>[];
  /** Spearman's rho (Pearson on average ranks); null with fewer than 2 teams or all ranks equal on a side. */
  spearman: number | null;
  /** Kendall's tau-b; null with fewer than 2 teams or all ranks equal on a side. */
  kendall: number | null;
  /** Mean of |change|; 0 when there are no teams. */
  meanAbsRankChange: number;
  medalCutoffs: MedalCutoffs;
  /** Teams whose private medal is one their public rank did not earn, gold first, by private rank. */
  entered: MedalMove[];
  /** Teams whose public medal their private rank no longer earns, gold first, by public rank. */
  left: MedalMove[];
}

/** 1-based ranks of `values`, ties sharing the mean of the positions they span. */
export function averageRanks({ values }: { values: readonly number[] }): number[] {
  const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const ranks = new Array<number>(values.length);
  for (let start = 0; start < order.length; ) {
    let end = start;
    while (end + 1 < order.length && order[end + 1]![0] === order[start]![0]) end++;
    const mean = (start + end) / 2 + 1;
    for (let k = start; k <= end; k++) ranks[order[k]![1]] = mean;
    start = end + 1;
  }
  return ranks;
}

function pearson(x: readonly number[], y: readonly number[]): number | null {
  const n = x.length;
  if (n < 2) return null;
  const mx = x.reduce((a, b) => a + b, 0) / n;
  const my = y.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i]! - mx;
    const dy = y[i]! - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx === 0 || syy === 0) return null;
  return clamp(sxy / Math.sqrt(sxx * syy));
}

/** Rounding can push |r| a hair past 1; a correlation never is. */
function clamp(r: number): number {
  return Math.max(-1, Math.min(1, r));
}

/**
 * Spearman's rank correlation: Pearson's r on the average ranks of each side, which is the
 * textbook definition and stays correct with ties and with gaps in the ranks given.
 */
export function spearman({ x, y }: { x: readonly number[]; y: readonly number[] }): number | null {
  sameLength(x, y);
  return pearson(averageRanks({ values: x }), averageRanks({ values: y }));
}

/**
 * Kendall's tau-b: (concordant − discordant) / √((n0 − tiesX)(n0 − tiesY)), n0 = n(n−1)/2;
 * a pair tied on both sides counts in both tie terms. O(n²): fine for a course's few thousand teams.
 */
export function kendallTauB({ x, y }: { x: readonly number[]; y: readonly number[] }): number | null {
  sameLength(x, y);
  const n = x.length;
  if (n < 2) return null;
  let concordant = 0;
  let discordant = 0;
  let tiesX = 0;
  let tiesY = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const dx = Math.sign(x[i]! - x[j]!);
      const dy = Math.sign(y[i]! - y[j]!);
      if (dx === 0) tiesX++;
      if (dy === 0) tiesY++;
      if (dx !== 0 && dy !== 0) {
        if (dx === dy) concordant++;
        else discordant++;
      }
    }
  }
  const n0 = (n * (n - 1)) / 2;
  const denominator = Math.sqrt((n0 - tiesX) * (n0 - tiesY));
  if (denominator === 0) return null;
  return clamp((concordant - discordant) / denominator);
}

function sameLength(x: readonly number[], y: readonly number[]): void {
  if (x.length !== y.length) {
    throw new RankingInputError('invalid-rank', `x has ${x.length} values but y has ${y.length}`);
  }
}

const MEDALS: readonly MedalKind[] = ['gold', 'silver', 'bronze'];

/**
 * How the board moved between public and private ranks: per-team change, Spearman and Kendall
 * correlation, mean absolute rank change, and who entered or left each medal zone.
 *
 * Pass the teams ranked on both boards. Medal cutoffs come from {@link medalCutoffs} with the
 * number of teams passed; a team earns the medal its rank reaches (shared ranks share medals).
 * Moving from gold to silver is listed as leaving gold and entering silver.
 */
export function shakeup<T extends ShakeupTeamInput>({ teams }: { teams: readonly T[] }): Shakeup<T> {
  const seen = new Set<string>();
  for (const t of teams) {
    if (seen.has(t.teamId)) throw new RankingInputError('duplicate-team', `team ${t.teamId} appears twice`);
    seen.add(t.teamId);
    for (const [name, rank] of [
      ['publicRank', t.publicRank],
      ['privateRank', t.privateRank],
    ] as const) {
      if (!Number.isInteger(rank) || rank < 1) {
        const message = `team ${t.teamId}: ${name} must be a whole number ≥ 1, got ${rank}`;
        throw new RankingInputError('invalid-rank', message);
      }
    }
  }
  const cutoffs = medalCutoffs({ teamCount: teams.length });
  const rows: ShakeupTeam<T>[] = teams
    .map((t) => ({
      ...t,
      change: t.publicRank - t.privateRank,
      publicMedal: medalForRank({ rank: t.publicRank, cutoffs }),
      privateMedal: medalForRank({ rank: t.privateRank, cutoffs }),
    }))
    .sort(
      (a, b) =>
        a.privateRank - b.privateRank ||
        a.publicRank - b.publicRank ||
        (a.teamId < b.teamId ? -1 : a.teamId > b.teamId ? 1 : 0),
    );
  const x = rows.map((t) => t.publicRank);
  const y = rows.map((t) => t.privateRank);
  const entered: MedalMove[] = [];
  const left: MedalMove[] = [];
  for (const medal of MEDALS) {
    // `rows` is in private order; a stable sort by public rank puts the leavers in public order.
    const came = rows.filter((t) => t.privateMedal === medal && t.publicMedal !== medal);
    const went = rows
      .filter((t) => t.publicMedal === medal && t.privateMedal !== medal)
      .sort((a, b) => a.publicRank - b.publicRank);
    entered.push(...came.map((t) => ({ teamId: t.teamId, medal })));
    left.push(...went.map((t) => ({ teamId: t.teamId, medal })));
  }
  return {
    teams: rows,
    spearman: spearman({ x, y }),
    kendall: kendallTauB({ x, y }),
    meanAbsRankChange: rows.length === 0 ? 0 : rows.reduce((sum, t) => sum + Math.abs(t.change), 0) / rows.length,
    medalCutoffs: cutoffs,
    entered,
    left,
  };
}
