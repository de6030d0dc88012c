import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { boardFrozenSince, closeChangeProblem, freezeStartsAt, isRevealed, mergeDeadlineFollowingClose, stateOf, timelineProblem } from './timeline.js';

const d = (s: string) => new Date(`2026-12-${s}Z`);

describe('competition state', () => {
  const t = { opensAt: d('01T00:00:00'), closesAt: d('10T00:00:00') };
  const cases: [string, string][] = [
    ['2026-11-30T23:59:59Z', 'upcoming'],
    ['2026-12-01T00:00:00Z', 'open'],
    ['2026-12-09T23:59:59Z', 'open'],
    ['2026-12-10T00:00:00Z', 'closed'],
  ];
  for (const [now, state] of cases) it(`${now} is ${state}`, () => assert.equal(stateOf(t, new Date(now)), state));

  it('private scores show only when revealed and closed', () => {
    assert.equal(isRevealed({ revealedAt: null, closesAt: d('10T00:00:00') }, d('11T00:00:00')), false);
    assert.equal(isRevealed({ revealedAt: d('10T00:00:00'), closesAt: d('10T00:00:00') }, d('11T00:00:00')), true);
    // A close moved later after a reveal hides private scores again until the new close.
    assert.equal(isRevealed({ revealedAt: d('10T00:00:00'), closesAt: d('20T00:00:00') }, d('11T00:00:00')), false);
  });
});

describe('timeline validity', () => {
  const cases: [string, { opensAt: Date; teamMergeDeadline: Date | null; closesAt: Date }, RegExp | null][] = [
    ['in order', { opensAt: d('01T00:00:00'), teamMergeDeadline: d('05T00:00:00'), closesAt: d('10T00:00:00') }, null],
    ['merge deadline at the close', { opensAt: d('01T00:00:00'), teamMergeDeadline: d('10T00:00:00'), closesAt: d('10T00:00:00') }, null],
    ['no merge deadline', { opensAt: d('01T00:00:00'), teamMergeDeadline: null, closesAt: d('10T00:00:00') }, null],
    ['closes before it opens', { opensAt: d('10T00:00:00'), teamMergeDeadline: null, closesAt: d('01T00:00:00') }, /opensAt .* must be before closesAt/],
    ['closes as it opens', { opensAt: d('01T00:00:00'), teamMergeDeadline: null, closesAt: d('01T00:00:00') }, /must be before closesAt/],
    ['merge deadline after the close', { opensAt: d('01T00:00:00'), teamMergeDeadline: d('20T00:00:00'), closesAt: d('10T00:00:00') }, /teamMergeDeadline .* no later than closesAt/],
    ['merge deadline at the opening', { opensAt: d('01T00:00:00'), teamMergeDeadline: d('01T00:00:00'), closesAt: d('10T00:00:00') }, /must be after opensAt/],
  ];
  for (const [name, t, problem] of cases) {
    it(name, () => {
      const p = timelineProblem(t);
      if (problem) assert.match(p ?? '', problem);
      else assert.equal(p, null);
    });
  }

  it('the close of a closed or revealed competition is final, and a new close lies ahead', () => {
    const now = d('05T00:00:00');
    assert.equal(closeChangeProblem({ current: d('10T00:00:00'), next: d('10T00:00:00'), revealed: false, now }), null);
    assert.equal(closeChangeProblem({ current: d('10T00:00:00'), next: d('12T00:00:00'), revealed: false, now }), null);
    assert.equal(closeChangeProblem({ current: d('10T00:00:00'), next: d('04T00:00:00'), revealed: false, now }), 'past');
    assert.equal(closeChangeProblem({ current: d('04T00:00:00'), next: d('12T00:00:00'), revealed: false, now }), 'final');
    assert.equal(closeChangeProblem({ current: d('10T00:00:00'), next: d('12T00:00:00'), revealed: true, now }), 'final');
  });
});

describe('the merge deadline follows a moved close', () => {
  const before = { opensAt: d('01T00:00:00'), teamMergeDeadline: d('13T00:00:00'), closesAt: d('20T00:00:00') };
  const cases: [string, Date, string | null, RegExp | null][] = [
    ['the close moves later: it keeps its week', d('27T00:00:00'), '2026-12-20T00:00:00.000Z', /moved with the close, to 2026-12-20T00:00:00.000Z \(7 days before it\)/],
    ['the close moves earlier: it keeps its week', d('10T00:00:00'), '2026-12-03T00:00:00.000Z', /7 days before it/],
    ['a week before the new close is not after the opening: cleared', d('05T00:00:00'), null, /cleared: 7 days before the new close is not after the opening/],
    ['the close stays: nothing happens', d('20T00:00:00'), '2026-12-13T00:00:00.000Z', null],
  ];
  for (const [name, closesAt, merge, note] of cases) {
    it(name, () => {
      const r = mergeDeadlineFollowingClose({ before, closesAt, opensAt: before.opensAt });
      assert.equal(r.teamMergeDeadline?.toISOString() ?? null, merge);
      if (note) assert.match(r.note ?? '', note);
      else assert.equal(r.note, null);
    });
  }

  it('no merge deadline: none appears', () => {
    assert.deepEqual(mergeDeadlineFollowingClose({ before: { ...before, teamMergeDeadline: null }, closesAt: d('27T00:00:00'), opensAt: before.opensAt }), { teamMergeDeadline: null, note: null });
  });

  it('a gap of hours is said in hours', () => {
    const r = mergeDeadlineFollowingClose({ before: { ...before, teamMergeDeadline: d('19T18:00:00') }, closesAt: d('27T00:00:00'), opensAt: before.opensAt });
    assert.match(r.note ?? '', /\(6 hours before it\)/);
  });
});

describe('leaderboard freeze', () => {
  const opensAt = new Date('2026-12-01T00:00:00Z');
  const closesAt = new Date('2026-12-31T00:00:00Z');
  const cases: [string, { now: string; freezeDays: number; revealed: boolean }, string | null][] = [
    ['no freeze', { now: '2026-12-30T00:00:00Z', freezeDays: 0, revealed: false }, null],
    ['before the freeze', { now: '2026-12-23T23:59:59Z', freezeDays: 7, revealed: false }, null],
    ['at its start', { now: '2026-12-24T00:00:00Z', freezeDays: 7, revealed: false }, '2026-12-24T00:00:00.000Z'],
    ['after the close, before the reveal', { now: '2027-01-02T00:00:00Z', freezeDays: 7, revealed: false }, '2026-12-24T00:00:00.000Z'],
    ['ended by the reveal', { now: '2027-01-02T00:00:00Z', freezeDays: 7, revealed: true }, null],
  ];
  for (const [name, o, since] of cases) {
    it(name, () => assert.equal(boardFrozenSince({ now: new Date(o.now), opensAt, closesAt, freezeDays: o.freezeDays, revealed: o.revealed })?.toISOString() ?? null, since));
  }
  it('starts freezeDays before the close, never before the opening', () => {
    assert.equal(freezeStartsAt({ opensAt, closesAt, freezeDays: 2 })?.toISOString(), '2026-12-29T00:00:00.000Z');
    assert.equal(freezeStartsAt({ opensAt, closesAt, freezeDays: 0 }), null);
    assert.equal(freezeStartsAt({ opensAt, closesAt, freezeDays: 60 })?.toISOString(), opensAt.toISOString());
  });
});
