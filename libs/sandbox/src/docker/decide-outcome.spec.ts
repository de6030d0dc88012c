import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decideOutcome, killedFromOutside } from './docker-kernel-runner.js';

const ok = { killedFor: null, oomKilled: false, exitCode: 0, hasSubmission: true, outputExceeded: false } as const;

describe('decideOutcome', () => {
  const cases: Array<[string, Partial<Parameters<typeof decideOutcome>[0]>, string]> = [
    ['a clean exit with a submission', {}, 'succeeded'],
    ['a clean exit without a submission', { hasSubmission: false }, 'no-submission-file'],
    ['a non-zero exit', { exitCode: 1 }, 'exception'],
    ['a non-zero exit even with a submission', { exitCode: 2, hasSubmission: true }, 'exception'],
    ['the OOM killer', { oomKilled: true, exitCode: 137 }, 'oom'],
    ['our time limit', { killedFor: 'timeout', exitCode: 137 }, 'timeout'],
    ['the time limit even if memory also ran out', { killedFor: 'timeout', oomKilled: true }, 'timeout'],
    ['a cancel', { killedFor: 'cancelled', exitCode: 137 }, 'cancelled'],
    ['a cancel racing the time limit', { killedFor: 'cancelled', oomKilled: true }, 'cancelled'],
    ['too much output', { killedFor: 'output-limit', exitCode: 137 }, 'exception'],
    ['too much output found after a clean exit', { outputExceeded: true }, 'exception'],
    ['a full working volume (a write hit ENOSPC)', { outputFull: true, exitCode: 1 }, 'exception'],
    ['a full working volume even after a clean exit with a submission', { outputFull: true }, 'exception'],
    ['a full working volume, but the time limit came first', { outputFull: true, killedFor: 'timeout' }, 'timeout'],
    ['a full working volume, but memory ran out', { outputFull: true, oomKilled: true }, 'oom'],
  ];
  for (const [what, input, expected] of cases) {
    it(`${what} → ${expected}`, () => {
      assert.equal(decideOutcome({ ...ok, ...input }).outcome, expected);
    });
  }

  it('names why the output failed: the hard cap, the poll, or what was left behind', () => {
    assert.equal(decideOutcome({ ...ok, outputFull: true, exitCode: 1 }).reason, 'output-full');
    assert.equal(decideOutcome({ ...ok, killedFor: 'output-limit', outputFull: true }).reason, 'output-limit');
    assert.equal(decideOutcome({ ...ok, outputExceeded: true }).reason, 'output-exceeded');
    assert.equal(decideOutcome({ ...ok, outputExceeded: true, outputFull: true }).reason, 'output-full');
  });

  it('tells a kernel killed from outside (the engine stopping) from one our limits stopped', () => {
    const outside = (input: Partial<Parameters<typeof decideOutcome>[0]>) => killedFromOutside(decideOutcome({ ...ok, ...input }), input.exitCode ?? 0);
    assert.equal(outside({ exitCode: 137 }), true, 'SIGKILL, no limit reached');
    assert.equal(outside({ exitCode: 143 }), true, 'SIGTERM, no limit reached');
    assert.equal(outside({ exitCode: 1 }), false, 'an exception');
    assert.equal(outside({ oomKilled: true, exitCode: 137 }), false, 'the memory limit');
    assert.equal(outside({ killedFor: 'timeout', exitCode: 137 }), false, 'our time limit');
    assert.equal(outside({ killedFor: 'cancelled', exitCode: 137 }), false, 'a cancel');
    assert.equal(outside({ killedFor: 'output-limit', exitCode: 137 }), false, 'the output limit');
  });
});
