import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { leaveProblem, mergeClosesAt, mergeProblem, mergeSubmissionAllowance, type MergeCase } from './teams.js';

const d = (s: string) => new Date(s);
const base: MergeCase = {
  now: d('2026-12-10T12:00:00Z'),
  opensAt: d('2026-12-01T00:00:00Z'),
  closesAt: d('2027-01-01T00:00:00Z'),
  teamMergeDeadline: d('2026-12-20T00:00:00Z'),
  maxTeamSize: 3,
  dailySubmissions: 2,
  a: { members: 1, submissions: 5 },
  b: { members: 2, submissions: 5 },
};

describe('team merges', () => {
  it('the allowance is the daily limit times the days run, today included', () => {
    assert.equal(mergeSubmissionAllowance({ now: d('2026-12-01T00:00:00Z'), opensAt: d('2026-12-01T00:00:00Z'), dailySubmissions: 5 }), 5);
    assert.equal(mergeSubmissionAllowance({ now: d('2026-12-01T23:59:59Z'), opensAt: d('2026-12-01T00:00:00Z'), dailySubmissions: 5 }), 5);
    assert.equal(mergeSubmissionAllowance({ now: d('2026-12-10T12:00:00Z'), opensAt: d('2026-12-01T00:00:00Z'), dailySubmissions: 2 }), 20);
  });

  const cases: [string, Partial<MergeCase>, RegExp | null][] = [
    ['allowed: 3 members, 10 of 20 submissions', {}, null],
    ['at the size limit exactly', { b: { members: 2, submissions: 0 } }, null],
    ['too many members', { a: { members: 2, submissions: 0 } }, /4 members; at most 3/],
    ['too many submissions for the days run', { a: { members: 1, submissions: 16 } }, /21 submissions; at most 20 are allowed by now/],
    ['exactly the allowance', { a: { members: 1, submissions: 15 } }, null],
    ['after the merge deadline', { now: d('2026-12-20T00:00:00Z') }, /merging closed at 2026-12-20T00:00:00\.000Z \(the team merge deadline\)/],
    ['without a deadline, until the close', { teamMergeDeadline: null, now: d('2026-12-25T00:00:00Z') }, null],
    ['without a deadline, not after the close', { teamMergeDeadline: null, now: d('2027-01-01T00:00:00Z') }, /\(the close\)/],
    ['before the opening', { now: d('2026-11-30T00:00:00Z') }, /once the competition is open/],
  ];
  for (const [name, change, problem] of cases) {
    it(name, () => {
      const got = mergeProblem({ ...base, ...change });
      if (problem === null) assert.equal(got, null);
      else assert.match(got ?? '', problem);
    });
  }

  it('merging closes at the deadline, else at the close', () => {
    assert.deepEqual(mergeClosesAt(base), base.teamMergeDeadline);
    assert.deepEqual(mergeClosesAt({ ...base, teamMergeDeadline: null }), base.closesAt);
  });
});

describe('leaving a team', () => {
  const open = { now: d('2026-12-10T00:00:00Z'), closesAt: d('2027-01-01T00:00:00Z'), teamMergeDeadline: d('2026-12-20T00:00:00Z') };
  const cases: [string, { members: number; teamSubmissions: number; now?: Date }, RegExp | null][] = [
    ['a team of two without submissions', { members: 2, teamSubmissions: 0 }, null],
    ['alone', { members: 1, teamSubmissions: 0 }, /only member/],
    ['after submissions', { members: 2, teamSubmissions: 1 }, /has made submissions/],
    ['after the merge deadline', { members: 2, teamSubmissions: 0, now: d('2026-12-21T00:00:00Z') }, /fixed since/],
  ];
  for (const [name, o, problem] of cases) {
    it(name, () => {
      const got = leaveProblem({ ...open, ...o });
      if (problem === null) assert.equal(got, null);
      else assert.match(got ?? '', problem);
    });
  }
});
