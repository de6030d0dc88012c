import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SubmissionStatus } from '@holdout/contracts';
import { IllegalTransitionError, SUBMISSION_STATUSES, TRANSITIONS, canTransition, guardOf, kernelJobResumesAt, nextStatus, type Transition } from './lifecycle.js';

// The whole table, written out: [transition, from, to or null when illegal].
const S = SUBMISSION_STATUSES;
const expected: Record<Transition, Partial<Record<SubmissionStatus | 'new', SubmissionStatus>>> = {
  accept: { new: 'queued' },
  claimForScoring: { queued: 'scoring', scoring: 'scoring' },
  claimForRun: { queued: 'running', running: 'running' },
  startHiddenRun: { running: 'running' },
  refuseOutput: { running: 'failed' },
  completeRun: { running: 'complete' },
  collectOutput: { running: 'scoring' },
  recordScore: { scoring: 'scored' },
  reject: { scoring: 'failed' },
  failRun: { running: 'failed' },
  failInfrastructure: { queued: 'failed', running: 'failed', scoring: 'failed' },
  requeue: { running: 'queued', scoring: 'queued' },
  cancel: { queued: 'cancelled', running: 'cancelled' },
  retry: { failed: 'queued' },
  rescore: {},
};

describe('the submission lifecycle table', () => {
  it('names every transition the tests name', () => {
    assert.deepEqual(Object.keys(TRANSITIONS).sort(), Object.keys(expected).sort());
  });

  for (const [t, row] of Object.entries(expected) as [Transition, Partial<Record<SubmissionStatus | 'new', SubmissionStatus>>][]) {
    if (t === 'rescore') continue;
    for (const from of ['new', ...S] as const) {
      const to = row[from];
      const f = from === 'new' ? null : from;
      it(`${t} from ${from} ${to ? `→ ${to}` : 'is illegal'}`, () => {
        assert.equal(canTransition(f, t), to !== undefined);
        if (to) assert.equal(nextStatus(f, t), to);
        else assert.throws(() => nextStatus(f, t), IllegalTransitionError);
      });
    }
  }

  it('rescore goes from a final score or rejection to scored or failed, and names its outcome', () => {
    for (const from of S) {
      const legal = from === 'scored' || from === 'failed';
      assert.equal(canTransition(from, 'rescore'), legal, from);
      if (legal) {
        assert.equal(nextStatus(from, 'rescore', 'scored'), 'scored');
        assert.equal(nextStatus(from, 'rescore', 'failed'), 'failed');
        assert.throws(() => nextStatus(from, 'rescore'), IllegalTransitionError);
        assert.throws(() => nextStatus(from, 'rescore', 'queued'), IllegalTransitionError);
      } else assert.throws(() => nextStatus(from, 'rescore', 'scored'), IllegalTransitionError);
    }
  });

  it('cancelled and complete are final: nothing leaves them', () => {
    for (const t of Object.keys(TRANSITIONS) as Transition[]) {
      assert.equal(canTransition('cancelled', t), false, t);
      assert.equal(canTransition('complete', t), false, t);
    }
  });

  it('a guard may narrow the table, never widen it', () => {
    assert.deepEqual(guardOf('failInfrastructure'), ['queued', 'running', 'scoring']);
    assert.deepEqual(guardOf('failInfrastructure', ['running']), ['running']);
    assert.throws(() => guardOf('requeue', ['queued']), /cannot go through "requeue" from "queued"/);
  });
});

describe('where a kernel job picks up', () => {
  const cases: [SubmissionStatus, 'claim' | 'score' | 'skip'][] = [
    ['queued', 'claim'],
    ['running', 'claim'],
    ['scoring', 'score'],
    ['scored', 'skip'],
    ['failed', 'skip'],
    ['cancelled', 'skip'],
    ['complete', 'skip'],
  ];
  for (const [status, at] of cases) it(`${status} → ${at}`, () => assert.equal(kernelJobResumesAt(status), at));
  it('covers every status', () => assert.deepEqual(cases.map((c) => c[0]).sort(), [...SUBMISSION_STATUSES].sort()));
});
