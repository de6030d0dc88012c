import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FailureClass, KernelRunPhase, SubmissionKind, SubmissionStatus } from '@holdout/contracts';
import { isCharged, isRescorable, publicRunsLeft, quotaDay, quotaLeft } from './charging.js';

describe('daily quota charging', () => {
  const cases: [SubmissionStatus, FailureClass | null, boolean][] = [
    ['queued', null, true],
    ['running', null, true],
    ['scoring', null, true],
    ['scored', null, true],
    ['failed', 'timeout', true],
    ['failed', 'oom', true],
    ['failed', 'exception', true],
    ['failed', 'no-submission-file', true],
    ['failed', 'validation', false],
    ['failed', 'scoring-error', false],
    ['failed', 'infrastructure', false],
    ['failed', null, false],
    ['cancelled', 'cancelled', false],
  ];
  for (const [status, errorClass, charged] of cases) {
    it(`${status}${errorClass ? ` (${errorClass})` : ''} is ${charged ? '' : 'not '}charged`, () => assert.equal(isCharged({ status, errorClass, runPhase: null, runOnly: false }), charged));
  }

  // Kernels: a failure in the public run is not charged; one in the hidden run is; a run without submitting never is.
  const kernels: [SubmissionStatus, FailureClass | null, KernelRunPhase | null, boolean, boolean][] = [
    ['queued', null, null, false, true],
    ['running', null, 'public', false, true],
    ['running', null, 'hidden', false, true],
    ['failed', 'exception', 'public', false, false],
    ['failed', 'timeout', 'public', false, false],
    ['failed', 'exception', 'hidden', false, true],
    ['failed', 'oom', 'hidden', false, true],
    ['failed', 'scoring-error', 'public', false, false],
    ['scored', null, 'public', false, true],
    ['queued', null, null, true, false],
    ['running', null, 'public', true, false],
    ['complete', null, 'public', true, false],
    ['failed', 'exception', 'public', true, false],
  ];
  for (const [status, errorClass, runPhase, runOnly, charged] of kernels) {
    it(`a kernel ${runOnly ? 'run without submitting ' : ''}${status}${errorClass ? ` (${errorClass})` : ''} in its ${runPhase ?? 'no'} run is ${charged ? '' : 'not '}charged`, () =>
      assert.equal(isCharged({ status, errorClass, runPhase, runOnly }), charged));
  }

  // A model has one run (no phase): its output's NaN or wrong shape (exception) and a timeout are the model's.
  const models: [SubmissionStatus, FailureClass | null, boolean][] = [
    ['running', null, true],
    ['failed', 'exception', true],
    ['failed', 'timeout', true],
    ['failed', 'infrastructure', false],
    ['cancelled', 'cancelled', false],
  ];
  for (const [status, errorClass, charged] of models) {
    it(`a model ${status}${errorClass ? ` (${errorClass})` : ''} is ${charged ? '' : 'not '}charged`, () => assert.equal(isCharged({ status, errorClass, runPhase: null, runOnly: false }), charged));
  }

  it('public runs left never go below zero', () => {
    assert.equal(publicRunsLeft({ publicRunsPerDay: 10, startedToday: 3 }), 7);
    assert.equal(publicRunsLeft({ publicRunsPerDay: 10, startedToday: 12 }), 0);
  });

  it('the quota day is the UTC day, end exclusive', () => {
    const cases: [string, string, string][] = [
      ['2026-12-05T00:00:00Z', '2026-12-05T00:00:00.000Z', '2026-12-06T00:00:00.000Z'],
      ['2026-12-05T23:59:59.999Z', '2026-12-05T00:00:00.000Z', '2026-12-06T00:00:00.000Z'],
      ['2026-12-05T23:30:00-05:00', '2026-12-06T00:00:00.000Z', '2026-12-07T00:00:00.000Z'],
    ];
    for (const [now, start, end] of cases) {
      const d = quotaDay(new Date(now));
      assert.deepEqual([d.start.toISOString(), d.end.toISOString()], [start, end], now);
    }
  });

  it('quota left never goes below zero', () => {
    assert.equal(quotaLeft({ dailySubmissions: 5, chargedToday: 2 }), 3);
    assert.equal(quotaLeft({ dailySubmissions: 5, chargedToday: 7 }), 0);
  });
});

describe('rescorability', () => {
  const cases: [SubmissionKind, SubmissionStatus, FailureClass | null, boolean][] = [
    ['file', 'scored', null, true],
    ['kernel', 'complete', null, false],
    ['file', 'failed', 'validation', true],
    ['file', 'failed', 'infrastructure', false],
    ['file', 'queued', null, false],
    ['file', 'scoring', null, false],
    ['file', 'cancelled', 'cancelled', false],
    ['kernel', 'scored', null, true],
    ['kernel', 'failed', 'scoring-error', true],
    ['kernel', 'failed', 'exception', false],
    ['kernel', 'failed', 'timeout', false],
    ['kernel', 'running', null, false],
    ['model', 'scored', null, true],
    ['model', 'failed', 'exception', false],
    ['model', 'running', null, false],
  ];
  for (const [kind, status, errorClass, ok] of cases) {
    it(`a ${kind} ${status}${errorClass ? ` (${errorClass})` : ''} is ${ok ? '' : 'not '}rescored`, () => assert.equal(isRescorable({ kind, status, errorClass, scoredAgainstSolution: true }), ok));
  }
  it('only what was scored against a solution version (a public run\'s invalid file never was)', () => {
    assert.equal(isRescorable({ kind: 'kernel', status: 'failed', errorClass: 'scoring-error', scoredAgainstSolution: false }), false);
    assert.equal(isRescorable({ kind: 'kernel', status: 'scored', errorClass: null, scoredAgainstSolution: false }), false);
  });
});
