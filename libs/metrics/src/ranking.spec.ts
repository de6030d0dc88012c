import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  RankingInputError,
  formatScore,
  kendallTauB,
  medalCutoffs,
  medalForRank,
  privateCandidates,
  quotaWindow,
  rankLeaderboard,
  rankPrivateLeaderboard,
  selectionLimitCheck,
  shakeup,
  spearman,
  type LeaderboardRow,
  type RankableSubmission,
  type SplitScoredSubmission,
} from './ranking.js';

// Builders: minutes after a fixed instant keep the tables readable.
const T0 = Date.UTC(2026, 0, 1, 0, 0);
const at = (minute: number) => new Date(T0 + minute * 60_000);

function sub(
  submissionId: string,
  teamId: string,
  score: number | null,
  minute: number | string,
  extra: Partial<RankableSubmission> = {},
): RankableSubmission {
  return { submissionId, teamId, score, submittedAt: typeof minute === 'string' ? minute : at(minute), ...extra };
}

function both(
  submissionId: string,
  teamId: string,
  publicScore: number | null,
  privateScore: number | null,
  minute: number,
  extra: Partial<SplitScoredSubmission> = {},
): SplitScoredSubmission {
  return { submissionId, teamId, publicScore, privateScore, submittedAt: at(minute), ...extra };
}

/** [rank, teamId, submissionId, entries, tied] — compact enough to check a board at a glance. */
type Line = [number, string, string, number, boolean];
const lines = (rows: LeaderboardRow<unknown>[]): Line[] =>
  rows.map((r) => [r.rank, r.teamId, r.submissionId, r.entries, r.tied]);

function throwsCode(fn: () => unknown, code: string): void {
  assert.throws(fn, (e: unknown) => e instanceof RankingInputError && e.code === code);
}

describe('rankLeaderboard', () => {
  const cases: { name: string; higherIsBetter?: boolean; submissions: RankableSubmission[]; expected: Line[] }[] = [
    {
      name: "one row per team, the team's best score, higher is better",
      submissions: [sub('a1', 'A', 0.5, 1), sub('a2', 'A', 0.7, 2), sub('b1', 'B', 0.6, 0), sub('c1', 'C', 0.65, 3)],
      expected: [
        [1, 'A', 'a2', 2, false],
        [2, 'C', 'c1', 1, false],
        [3, 'B', 'b1', 1, false],
      ],
    },
    {
      name: 'lower is better',
      higherIsBetter: false,
      submissions: [sub('a1', 'A', 0.5, 1), sub('a2', 'A', 0.7, 2), sub('b1', 'B', 0.6, 0), sub('c1', 'C', 0.65, 3)],
      expected: [
        [1, 'A', 'a1', 2, false],
        [2, 'B', 'b1', 1, false],
        [3, 'C', 'c1', 1, false],
      ],
    },
    {
      name: "equal scores within a team: the earlier submission is the team's",
      submissions: [sub('a1', 'A', 0.7, 5), sub('a2', 'A', 0.7, 2), sub('a3', 'A', 0.6, 1)],
      expected: [[1, 'A', 'a2', 3, false]],
    },
    {
      name: 'equal scores between teams: the earlier best ranks higher and the later is marked tied',
      submissions: [sub('a1', 'A', 0.7, 3), sub('b1', 'B', 0.7, 1), sub('c1', 'C', 0.8, 9)],
      expected: [
        [1, 'C', 'c1', 1, false],
        [2, 'B', 'b1', 1, false],
        [3, 'A', 'a1', 1, true],
      ],
    },
    {
      name: 'three-way tie keeps every later row marked',
      submissions: [sub('a1', 'A', 0.7, 3), sub('b1', 'B', 0.7, 1), sub('c1', 'C', 0.7, 2)],
      expected: [
        [1, 'B', 'b1', 1, false],
        [2, 'C', 'c1', 1, true],
        [3, 'A', 'a1', 1, true],
      ],
    },
    {
      name: 'late submissions are never ranked nor counted; a team with only late ones is absent',
      submissions: [
        sub('a1', 'A', 0.9, 1, { late: true }),
        sub('a2', 'A', 0.5, 2),
        sub('b1', 'B', 0.95, 3, { late: true }),
      ],
      expected: [[1, 'A', 'a2', 1, false]],
    },
    {
      name: 'unscored and non-finite scores are skipped',
      submissions: [
        sub('a1', 'A', null, 1),
        sub('a2', 'A', Number.NaN, 2),
        sub('a3', 'A', 0.4, 3),
        sub('b1', 'B', null, 0),
        sub('c1', 'C', Number.POSITIVE_INFINITY, 0),
      ],
      expected: [[1, 'A', 'a3', 1, false]],
    },
    {
      name: 'same score at the same instant: the smaller submission id first',
      submissions: [sub('x2', 'A', 0.7, 1), sub('x1', 'B', 0.7, 1)],
      expected: [
        [1, 'B', 'x1', 1, false],
        [2, 'A', 'x2', 1, true],
      ],
    },
    {
      name: 'ISO strings and Dates compare as instants',
      submissions: [sub('a1', 'A', 0.7, '2026-01-01T00:05:00Z'), sub('b1', 'B', 0.7, 3)],
      expected: [
        [1, 'B', 'b1', 1, false],
        [2, 'A', 'a1', 1, true],
      ],
    },
    {
      name: 'an ISO offset is honoured (01:00+02:00 is the previous UTC evening)',
      submissions: [sub('b1', 'B', 0.7, 0), sub('a1', 'A', 0.7, '2026-01-01T01:00:00+02:00')],
      expected: [
        [1, 'A', 'a1', 1, false],
        [2, 'B', 'b1', 1, true],
      ],
    },
    { name: 'no submissions, no rows', submissions: [], expected: [] },
  ];

  for (const c of cases) {
    it(c.name, () => {
      const args = { split: 'public' as const, higherIsBetter: c.higherIsBetter };
      const board = rankLeaderboard({ ...args, submissions: c.submissions });
      assert.equal(board.split, 'public');
      assert.deepEqual(lines(board.rows), c.expected);
      // Input order must not matter.
      assert.deepEqual(lines(rankLeaderboard({ ...args, submissions: [...c.submissions].reverse() }).rows), c.expected);
    });
  }

  it('passes the chosen row through and reports its score and time', () => {
    const chosen = { ...sub('a2', 'A', 0.75, 2), teamName: 'Alpha' };
    const [row] = rankLeaderboard({ split: 'private', submissions: [sub('a1', 'A', 0.5, 1), chosen] }).rows;
    assert.equal(row!.submission, chosen);
    assert.equal(row!.submission.teamName, 'Alpha');
    assert.equal(row!.score, 0.75);
    assert.deepEqual(row!.submittedAt, at(2));
  });

  const invalid: { name: string; submissions: RankableSubmission[]; code: string }[] = [
    { name: 'an unparseable date', submissions: [sub('a1', 'A', 0.5, 'yesterday')], code: 'invalid-date' },
    { name: 'an invalid Date', submissions: [{ ...sub('a1', 'A', 0.5, 1), submittedAt: new Date(Number.NaN) }], code: 'invalid-date' },
    { name: 'a repeated submission id', submissions: [sub('a1', 'A', 0.5, 1), sub('a1', 'B', 0.6, 2)], code: 'duplicate-submission' },
  ];
  for (const c of invalid) {
    it(`rejects ${c.name}`, () => throwsCode(() => rankLeaderboard({ split: 'public', submissions: c.submissions }), c.code));
  }
});

describe('privateCandidates', () => {
  const cases: {
    name: string;
    finalSelections: number;
    higherIsBetter?: boolean;
    submissions: SplitScoredSubmission[];
    expected: { teamId: string; basis: string; ids: string[] }[];
  }[] = [
    {
      name: 'a selection counts even when an unselected submission is better on private',
      finalSelections: 2,
      submissions: [both('a1', 'A', 0.9, 0.5, 1, { selected: true }), both('a2', 'A', 0.8, 0.95, 2)],
      expected: [{ teamId: 'A', basis: 'selected', ids: ['a1'] }],
    },
    {
      name: 'two selections, best public first',
      finalSelections: 2,
      submissions: [
        both('a1', 'A', 0.6, 0.8, 1, { selected: true }),
        both('a2', 'A', 0.7, 0.6, 2, { selected: true }),
        both('a3', 'A', 0.9, 0.99, 3),
      ],
      expected: [{ teamId: 'A', basis: 'selected', ids: ['a2', 'a1'] }],
    },
    {
      name: 'no selection: the best public ones up to the limit',
      finalSelections: 2,
      submissions: [both('a1', 'A', 0.6, 0.9, 1), both('a2', 'A', 0.8, 0.7, 2), both('a3', 'A', 0.7, 0.75, 3)],
      expected: [{ teamId: 'A', basis: 'best-public', ids: ['a2', 'a3'] }],
    },
    {
      name: 'no selection, equal public scores: the earlier submissions fill the slots',
      finalSelections: 2,
      submissions: [both('a1', 'A', 0.8, 0.1, 3), both('a2', 'A', 0.8, 0.2, 1), both('a3', 'A', 0.8, 0.3, 2)],
      expected: [{ teamId: 'A', basis: 'best-public', ids: ['a2', 'a3'] }],
    },
    {
      name: 'no selection, lower is better',
      finalSelections: 1,
      higherIsBetter: false,
      submissions: [both('a1', 'A', 0.2, 0.5, 1), both('a2', 'A', 0.3, 0.1, 2)],
      expected: [{ teamId: 'A', basis: 'best-public', ids: ['a1'] }],
    },
    {
      name: 'fewer submissions than the limit: all of them',
      finalSelections: 5,
      submissions: [both('a1', 'A', 0.2, 0.5, 1), both('a2', 'A', 0.3, 0.1, 2)],
      expected: [{ teamId: 'A', basis: 'best-public', ids: ['a2', 'a1'] }],
    },
    {
      name: 'a late selection is ignored, so the team falls back to its best public',
      finalSelections: 1,
      submissions: [both('a1', 'A', 0.9, 0.9, 1, { selected: true, late: true }), both('a2', 'A', 0.5, 0.4, 2)],
      expected: [{ teamId: 'A', basis: 'best-public', ids: ['a2'] }],
    },
    {
      name: 'an unscored selection is ignored',
      finalSelections: 1,
      submissions: [both('a1', 'A', null, null, 1, { selected: true }), both('a2', 'A', 0.5, 0.4, 2)],
      expected: [{ teamId: 'A', basis: 'best-public', ids: ['a2'] }],
    },
    {
      name: 'teams are independent and ordered by id; a team with nothing eligible is absent',
      finalSelections: 1,
      submissions: [
        both('b1', 'B', 0.5, 0.5, 1),
        both('a1', 'A', 0.6, 0.6, 2, { selected: true }),
        both('c1', 'C', 0.7, 0.7, 3, { late: true }),
      ],
      expected: [
        { teamId: 'A', basis: 'selected', ids: ['a1'] },
        { teamId: 'B', basis: 'best-public', ids: ['b1'] },
      ],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = privateCandidates({
        submissions: c.submissions,
        finalSelections: c.finalSelections,
        higherIsBetter: c.higherIsBetter,
      });
      assert.deepEqual(
        got.map((t) => ({ teamId: t.teamId, basis: t.basis, ids: t.submissions.map((s) => s.submissionId) })),
        c.expected,
      );
    });
  }

  const invalid: { name: string; finalSelections: number; submissions: SplitScoredSubmission[]; code: string }[] = [
    {
      name: 'more selections than the limit',
      finalSelections: 1,
      submissions: [both('a1', 'A', 0.5, 0.5, 1, { selected: true }), both('a2', 'A', 0.6, 0.6, 2, { selected: true })],
      code: 'selection-over-limit',
    },
    { name: 'a limit of 0', finalSelections: 0, submissions: [], code: 'invalid-limit' },
    { name: 'a fractional limit', finalSelections: 1.5, submissions: [], code: 'invalid-limit' },
  ];
  for (const c of invalid) {
    it(`rejects ${c.name}`, () =>
      throwsCode(() => privateCandidates({ submissions: c.submissions, finalSelections: c.finalSelections }), c.code));
  }
});

describe('rankPrivateLeaderboard', () => {
  const cases: {
    name: string;
    finalSelections: number;
    higherIsBetter?: boolean;
    submissions: SplitScoredSubmission[];
    expected: Line[];
    scores: number[];
  }[] = [
    {
      name: 'selection, fallback, ties between teams, and entries over all on-time scored submissions',
      finalSelections: 2,
      submissions: [
        // A selected a1; its a2 is better on private but does not count.
        both('a1', 'A', 0.9, 0.6, 1, { selected: true }),
        both('a2', 'A', 0.5, 0.99, 2),
        // B selected none: b2 and b1 are its two best public; b3's private 0.95 does not count.
        both('b1', 'B', 0.8, 0.7, 3),
        both('b2', 'B', 0.85, 0.6, 4),
        both('b3', 'B', 0.1, 0.95, 5),
        both('b4', 'B', 0.99, 0.99, 6, { late: true }),
        // C ties B on private with an earlier submission, so it ranks above B.
        both('c1', 'C', 0.7, 0.7, 0, { selected: true }),
      ],
      expected: [
        [1, 'C', 'c1', 1, false],
        [2, 'B', 'b1', 3, true],
        [3, 'A', 'a1', 2, false],
      ],
      scores: [0.7, 0.7, 0.6],
    },
    {
      name: 'two selections: the better private of the two, equal private → the earlier',
      finalSelections: 2,
      submissions: [
        both('a1', 'A', 0.6, 0.8, 4, { selected: true }),
        both('a2', 'A', 0.7, 0.8, 2, { selected: true }),
        both('a3', 'A', 0.9, 0.2, 1),
      ],
      expected: [[1, 'A', 'a2', 3, false]],
      scores: [0.8],
    },
    {
      name: 'lower is better on both splits',
      finalSelections: 1,
      higherIsBetter: false,
      submissions: [
        both('a1', 'A', 0.2, 0.5, 1),
        both('a2', 'A', 0.3, 0.1, 2),
        both('b1', 'B', 0.4, 0.3, 3),
      ],
      expected: [
        [1, 'B', 'b1', 1, false],
        [2, 'A', 'a1', 2, false],
      ],
      scores: [0.3, 0.5],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const args = { finalSelections: c.finalSelections, higherIsBetter: c.higherIsBetter };
      const board = rankPrivateLeaderboard({ ...args, submissions: c.submissions });
      assert.equal(board.split, 'private');
      assert.deepEqual(lines(board.rows), c.expected);
      assert.deepEqual(
        board.rows.map((r) => r.score),
        c.scores,
      );
      assert.deepEqual(lines(rankPrivateLeaderboard({ ...args, submissions: [...c.submissions].reverse() }).rows), c.expected);
    });
  }
});

describe('medalCutoffs (Kaggle progression table, percentages rounded down)', () => {
  const cases: [teams: number, gold: number, silver: number, bronze: number][] = [
    [0, 0, 0, 0],
    [1, 0, 0, 0],
    [2, 0, 0, 0],
    [3, 0, 0, 1],
    [9, 0, 1, 3], // Kaggle's own example: 9 teams, no gold
    [10, 1, 2, 4],
    [25, 2, 5, 10],
    [99, 9, 19, 39],
    [100, 10, 20, 40],
    [110, 10, 22, 44], // 10 golds, not 10 %
    [249, 10, 49, 99],
    [250, 10, 50, 100],
    [255, 10, 50, 100], // fixed 50 / 100, not 20 % / 40 %
    [499, 10, 50, 100],
    [500, 11, 50, 100], // Kaggle's example: 500 teams, 11 golds
    [999, 11, 50, 100],
    [1000, 12, 50, 100],
    [1020, 12, 51, 102], // 5 % / 10 %, not fixed 50 / 100
    [1999, 13, 99, 199],
    [5000, 20, 250, 500], // Kaggle's example: 5000 teams, 20 golds
  ];
  for (const [teamCount, gold, silver, bronze] of cases) {
    it(`${teamCount} teams → gold ≤ ${gold}, silver ≤ ${silver}, bronze ≤ ${bronze}`, () => {
      assert.deepEqual(medalCutoffs({ teamCount }), { gold, silver, bronze });
    });
  }
  it('rejects a negative or fractional team count', () => {
    throwsCode(() => medalCutoffs({ teamCount: -1 }), 'invalid-rank');
    throwsCode(() => medalCutoffs({ teamCount: 2.5 }), 'invalid-rank');
  });

  const ranks: [rank: number, medal: string | null][] = [
    [1, 'gold'],
    [2, 'silver'],
    [3, 'bronze'],
    [4, 'bronze'],
    [5, null],
  ];
  for (const [rank, medal] of ranks) {
    it(`rank ${rank} of 10 teams (1/2/4) → ${medal}`, () => {
      assert.equal(medalForRank({ rank, cutoffs: medalCutoffs({ teamCount: 10 }) }), medal);
    });
  }
});

// Independent reference for untied permutations: the classic closed forms.
function referenceSpearman(x: number[], y: number[]): number {
  const n = x.length;
  const d2 = x.reduce((s, xi, i) => s + (xi - y[i]!) ** 2, 0);
  return 1 - (6 * d2) / (n * (n * n - 1));
}
function referenceKendallTauA(x: number[], y: number[]): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) for (let j = i + 1; j < x.length; j++) s += Math.sign(x[i]! - x[j]!) * Math.sign(y[i]! - y[j]!);
  return s / ((x.length * (x.length - 1)) / 2);
}
function* permutations(items: number[]): Generator<number[]> {
  if (items.length <= 1) {
    yield items;
    return;
  }
  for (let i = 0; i < items.length; i++) {
    for (const rest of permutations([...items.slice(0, i), ...items.slice(i + 1)])) yield [items[i]!, ...rest];
  }
}

describe('spearman and kendallTauB', () => {
  const close = (actual: number | null, expected: number | null, label: string) => {
    if (expected === null) return assert.equal(actual, null, label);
    assert.ok(actual !== null && Math.abs(actual - expected) < 1e-12, `${label}: ${actual} ≠ ${expected}`);
  };

  // Hand-computed; see the comments for the working.
  const cases: { name: string; x: number[]; y: number[]; rho: number | null; tau: number | null }[] = [
    { name: 'identity', x: [1, 2, 3, 4, 5], y: [1, 2, 3, 4, 5], rho: 1, tau: 1 },
    { name: 'reversal', x: [1, 2, 3, 4, 5], y: [5, 4, 3, 2, 1], rho: -1, tau: -1 },
    // Σd² = 4 → 1 − 24/60; 4 concordant, 2 discordant of 6
    { name: 'two adjacent swaps', x: [1, 2, 3, 4], y: [2, 1, 4, 3], rho: 0.6, tau: 1 / 3 },
    // Σd² = 6 → 1 − 36/24; 1 concordant, 2 discordant of 3
    { name: 'rotation of three', x: [1, 2, 3], y: [3, 1, 2], rho: -0.5, tau: -1 / 3 },
    // y's average ranks 1.5 1.5 3.5 3.5 → r = 4/√20; tau-b = 4/√(6·4)
    { name: 'ties on one side', x: [1, 2, 3, 4], y: [1, 1, 3, 3], rho: 2 / Math.sqrt(5), tau: 2 / Math.sqrt(6) },
    // y's average ranks 2.5 1 2.5 4.5 4.5 → r = 7.5/√90; C 7, D 1, 2 y-ties → 6/√(10·8)
    { name: 'ties and a swap', x: [1, 2, 3, 4, 5], y: [2, 1, 2, 4, 4], rho: Math.sqrt(10) / 4, tau: 3 / (2 * Math.sqrt(5)) },
    // the same ties on both sides agree perfectly: tau-b = 4/√(4·4)
    { name: 'identical ties on both sides', x: [1, 1, 3, 3], y: [1, 1, 3, 3], rho: 1, tau: 1 },
    // gaps in the ranks given: a monotone map is a perfect rank correlation
    { name: 'gaps in ranks', x: [1, 2, 3], y: [2, 5, 9], rho: 1, tau: 1 },
    { name: 'two teams swapped', x: [1, 2], y: [2, 1], rho: -1, tau: -1 },
    { name: 'one team', x: [1], y: [1], rho: null, tau: null },
    { name: 'no teams', x: [], y: [], rho: null, tau: null },
    { name: 'all equal on one side', x: [1, 2, 3], y: [1, 1, 1], rho: null, tau: null },
    { name: 'all equal on both sides', x: [1, 1], y: [1, 1], rho: null, tau: null },
  ];
  for (const c of cases) {
    it(c.name, () => {
      close(spearman({ x: c.x, y: c.y }), c.rho, 'spearman');
      close(kendallTauB({ x: c.x, y: c.y }), c.tau, 'kendall');
    });
  }

  it('matches the closed forms on every permutation of 2 to 6 teams', () => {
    let checked = 0;
    for (let n = 2; n <= 6; n++) {
      const identity = Array.from({ length: n }, (_, i) => i + 1);
      for (const p of permutations(identity)) {
        close(spearman({ x: identity, y: p }), referenceSpearman(identity, p), `spearman ${p.join(',')}`);
        close(kendallTauB({ x: identity, y: p }), referenceKendallTauA(identity, p), `kendall ${p.join(',')}`);
        checked++;
      }
    }
    assert.equal(checked, 2 + 6 + 24 + 120 + 720);
  });

  it('rejects sides of different lengths', () => {
    throwsCode(() => spearman({ x: [1, 2], y: [1] }), 'invalid-rank');
    throwsCode(() => kendallTauB({ x: [1, 2], y: [1] }), 'invalid-rank');
  });
});

describe('shakeup', () => {
  const team = (teamId: string, publicRank: number, privateRank: number) => ({ teamId, publicRank, privateRank });

  it('ten teams: changes, statistics and medal moves (cutoffs 1/2/4)', () => {
    const privateOf: Record<string, number> = { t1: 3, t2: 1, t3: 2, t4: 5, t5: 4 };
    const teams = Array.from({ length: 10 }, (_, i) => team(`t${i + 1}`, i + 1, privateOf[`t${i + 1}`] ?? i + 1));
    const s = shakeup({ teams });

    assert.deepEqual(
      s.teams.map((t) => [t.teamId, t.publicRank, t.privateRank, t.change, t.publicMedal, t.privateMedal]),
      [
        ['t2', 2, 1, 1, 'silver', 'gold'],
        ['t3', 3, 2, 1, 'bronze', 'silver'],
        ['t1', 1, 3, -2, 'gold', 'bronze'],
        ['t5', 5, 4, 1, null, 'bronze'],
        ['t4', 4, 5, -1, 'bronze', null],
        ['t6', 6, 6, 0, null, null],
        ['t7', 7, 7, 0, null, null],
        ['t8', 8, 8, 0, null, null],
        ['t9', 9, 9, 0, null, null],
        ['t10', 10, 10, 0, null, null],
      ],
    );
    assert.deepEqual(s.medalCutoffs, { gold: 1, silver: 2, bronze: 4 });
    assert.deepEqual(s.entered, [
      { teamId: 't2', medal: 'gold' },
      { teamId: 't3', medal: 'silver' },
      { teamId: 't1', medal: 'bronze' },
      { teamId: 't5', medal: 'bronze' },
    ]);
    assert.deepEqual(s.left, [
      { teamId: 't1', medal: 'gold' },
      { teamId: 't2', medal: 'silver' },
      { teamId: 't3', medal: 'bronze' },
      { teamId: 't4', medal: 'bronze' },
    ]);
    // Σ|change| = 2+1+1+1+1 = 6 over 10 teams; Σd² = 8 → 1 − 48/990; 3 discordant of 45 pairs.
    assert.equal(s.meanAbsRankChange, 0.6);
    assert.ok(Math.abs(s.spearman! - (1 - 48 / 990)) < 1e-12, String(s.spearman));
    assert.ok(Math.abs(s.kendall! - 39 / 45) < 1e-12, String(s.kendall));
  });

  const small: {
    name: string;
    teams: ReturnType<typeof team>[];
    spearman: number | null;
    kendall: number | null;
    mean: number;
  }[] = [
    { name: 'no teams', teams: [], spearman: null, kendall: null, mean: 0 },
    { name: 'one team', teams: [team('a', 1, 1)], spearman: null, kendall: null, mean: 0 },
    { name: 'two teams swap', teams: [team('a', 1, 2), team('b', 2, 1)], spearman: -1, kendall: -1, mean: 1 },
    { name: 'two teams hold', teams: [team('a', 1, 1), team('b', 2, 2)], spearman: 1, kendall: 1, mean: 0 },
    {
      name: 'all private ranks equal',
      teams: [team('a', 1, 1), team('b', 2, 1), team('c', 3, 1)],
      spearman: null,
      kendall: null,
      mean: 1,
    },
  ];
  for (const c of small) {
    it(c.name, () => {
      const s = shakeup({ teams: c.teams });
      assert.equal(s.spearman, c.spearman);
      assert.equal(s.kendall, c.kendall);
      assert.equal(s.meanAbsRankChange, c.mean);
      // Fewer than 3 teams earn no medal under Kaggle's table, so nobody moves between zones.
      if (c.teams.length < 3) assert.deepEqual([s.entered, s.left], [[], []]);
    });
  }

  it('keeps the caller’s fields on each team', () => {
    const s = shakeup({ teams: [{ ...team('a', 1, 2), teamName: 'Alpha' }, { ...team('b', 2, 1), teamName: 'Beta' }] });
    assert.deepEqual(
      s.teams.map((t) => [t.teamName, t.change]),
      [
        ['Beta', 1],
        ['Alpha', -1],
      ],
    );
  });

  it('lists leavers in public order and entrants in private order', () => {
    const privateRanks = [1, 2, 10, 9, 3, 4, 5, 6, 7, 8];
    const s = shakeup({ teams: privateRanks.map((p, i) => team(`t${i + 1}`, i + 1, p)) });
    assert.deepEqual(s.entered, [
      { teamId: 't5', medal: 'bronze' },
      { teamId: 't6', medal: 'bronze' },
    ]);
    assert.deepEqual(s.left, [
      { teamId: 't3', medal: 'bronze' },
      { teamId: 't4', medal: 'bronze' },
    ]);
  });

  it('shared ranks share a medal', () => {
    // 10 teams: gold is rank 1; two teams share private rank 1.
    const teams = Array.from({ length: 10 }, (_, i) => team(`t${i + 1}`, i + 1, i === 1 ? 1 : i + 1));
    const s = shakeup({ teams });
    assert.deepEqual(
      s.teams.filter((t) => t.privateMedal === 'gold').map((t) => t.teamId),
      ['t1', 't2'],
    );
    assert.deepEqual(s.entered, [{ teamId: 't2', medal: 'gold' }]);
    assert.deepEqual(s.left, [{ teamId: 't2', medal: 'silver' }]);
  });

  const invalid: { name: string; teams: ReturnType<typeof team>[]; code: string }[] = [
    { name: 'a repeated team', teams: [team('a', 1, 1), team('a', 2, 2)], code: 'duplicate-team' },
    { name: 'rank 0', teams: [team('a', 0, 1)], code: 'invalid-rank' },
    { name: 'a fractional rank', teams: [team('a', 1, 1.5)], code: 'invalid-rank' },
  ];
  for (const c of invalid) {
    it(`rejects ${c.name}`, () => throwsCode(() => shakeup({ teams: c.teams }), c.code));
  }
});

describe('selectionLimitCheck', () => {
  // [name, currently selected, submission to select, limit] → [allowed, already selected, remaining]
  const cases: [string, string[], string, number, [boolean, boolean, number]][] = [
    ['first selection', [], 'a', 2, [true, false, 1]],
    ['fills the last slot', ['a'], 'b', 2, [true, false, 0]],
    ['over the limit', ['a', 'b'], 'c', 2, [false, false, 0]],
    ['reselecting is harmless at the limit', ['a', 'b'], 'a', 2, [true, true, 0]],
    ['repeated ids count once', ['a', 'a'], 'b', 2, [true, false, 0]],
  ];
  for (const [name, currentlySelected, submissionId, limit, expected] of cases) {
    it(name, () => {
      const got = selectionLimitCheck({ currentlySelected, submissionId, limit });
      assert.deepEqual([got.allowed, got.alreadySelected, got.remaining], expected);
      if (!got.allowed) assert.match(got.message, /2 of 2 final submissions/);
    });
  }
  it('rejects a limit below 1', () =>
    throwsCode(() => selectionLimitCheck({ currentlySelected: [], submissionId: 'a', limit: 0 }), 'invalid-limit'));
});

describe('quotaWindow', () => {
  const cases: [now: string, start: string, end: string][] = [
    ['2026-03-05T13:45:10.123Z', '2026-03-05T00:00:00.000Z', '2026-03-06T00:00:00.000Z'],
    ['2026-03-05T00:00:00.000Z', '2026-03-05T00:00:00.000Z', '2026-03-06T00:00:00.000Z'],
    ['2026-03-05T23:59:59.999Z', '2026-03-05T00:00:00.000Z', '2026-03-06T00:00:00.000Z'],
    ['2026-03-05T01:30:00+02:00', '2026-03-04T00:00:00.000Z', '2026-03-05T00:00:00.000Z'],
    ['2028-02-28T12:00:00Z', '2028-02-28T00:00:00.000Z', '2028-02-29T00:00:00.000Z'],
    ['2026-12-31T23:00:00Z', '2026-12-31T00:00:00.000Z', '2027-01-01T00:00:00.000Z'],
    ['1969-12-31T12:00:00Z', '1969-12-31T00:00:00.000Z', '1970-01-01T00:00:00.000Z'],
  ];
  for (const [now, start, end] of cases) {
    it(`${now} → [${start}, ${end})`, () => {
      const w = quotaWindow({ now });
      assert.deepEqual([w.start.toISOString(), w.end.toISOString()], [start, end]);
      assert.deepEqual(quotaWindow({ now: new Date(now) }), w);
    });
  }
  it('rejects an invalid instant', () => throwsCode(() => quotaWindow({ now: 'soon' }), 'invalid-date'));
});

describe('formatScore', () => {
  const cases: [score: number, precision: number, text: string][] = [
    [0.123456, 4, '0.1235'],
    [1, 3, '1.000'],
    [0.9999, 3, '1.000'],
    [0.5, 0, '1'],
    [1.005, 2, '1.00'], // 1.005 is stored as 1.00499999…
    [-0.5, 3, '-0.500'],
    [-0.0001, 3, '0.000'],
    [-0, 2, '0.00'],
    [-0.4, 0, '0'],
    [123.456, 1, '123.5'],
  ];
  for (const [score, precision, text] of cases) {
    it(`${score} at ${precision} → ${text}`, () => assert.equal(formatScore({ score, precision }), text));
  }
  const invalid: [score: number, precision: number, code: string][] = [
    [0.5, -1, 'invalid-precision'],
    [0.5, 21, 'invalid-precision'],
    [0.5, 1.5, 'invalid-precision'],
    [Number.NaN, 3, 'invalid-score'],
    [Number.POSITIVE_INFINITY, 3, 'invalid-score'],
  ];
  for (const [score, precision, code] of invalid) {
    it(`rejects ${score} at ${precision}`, () => throwsCode(() => formatScore({ score, precision }), code));
  }
});
