import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FailureClass, SubmissionKind, SubmissionStatus } from '@holdout/contracts';
import { isCharged, isRescorable, quotaDay, quotaLeft } from './charging.js';

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
    it(`${status}${errorClass ? ` (${errorClass})` : ''} is ${charged ? '' : 'not '}charged`, () => assert.equal(isCharged({ status, errorClass }), charged));
  }

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
    ['model', 'scored', null, false],
  ];
  for (const [kind, status, errorClass, ok] of cases) {
    it(`a ${kind} ${status}${errorClass ? ` (${errorClass})` : ''} is ${ok ? '' : 'not '}rescored`, () => assert.equal(isRescorable({ kind, status, errorClass }), ok));
  }
});
