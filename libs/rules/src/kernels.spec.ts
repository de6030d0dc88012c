import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { QUEUES } from '@holdout/contracts';
import { KERNEL_SOURCE_LIMIT_BYTES, checkKernelEntry, kernelAttemptsExhausted, countsTowardGpuBudget, gpuBudgetAllows, gpuReservationSeconds, gpuWeek, kernelSettingsOf, logAccess, routeKernel } from './kernels.js';

describe('checkKernelEntry', () => {
  const nb = (o: unknown) => Buffer.from(JSON.stringify(o));
  const cases: [string, string, Buffer, boolean | RegExp][] = [
    ['a script', 'main.py', Buffer.from('print(1)\n'), true],
    ['upper-case extension', 'MAIN.PY', Buffer.from('print(1)\n'), true],
    ['a notebook', 'nb.ipynb', nb({ nbformat: 4, cells: [] }), true],
    ['a notebook without nbformat', 'nb.ipynb', nb({ cells: [] }), true],
    ['another extension', 'main.txt', Buffer.from('print(1)'), /\.py script or an \.ipynb notebook/],
    ['an empty file', 'main.py', Buffer.alloc(0), /empty/],
    ['a binary "script"', 'main.py', Buffer.from([0x70, 0, 0x71]), /not a text file/],
    ['broken JSON', 'nb.ipynb', Buffer.from('{"cells": ['), /not a valid notebook/],
    ['JSON without cells', 'nb.ipynb', nb({ nbformat: 4 }), /no "cells" list/],
    ['nbformat 3', 'nb.ipynb', nb({ nbformat: 3, cells: [] }), /nbformat 3/],
    ['too large', 'main.py', Buffer.alloc(KERNEL_SOURCE_LIMIT_BYTES + 1, 0x61), /larger than/],
  ];
  for (const [what, name, content, expected] of cases) {
    it(what, () => {
      const r = checkKernelEntry(name, content);
      if (expected === true) assert.deepEqual(r, { ok: true, kind: name.toLowerCase().endsWith('.py') ? 'py' : 'ipynb' });
      else {
        assert.equal(r.ok, false);
        assert.match((r as { message: string }).message, expected as RegExp);
      }
    });
  }
});

describe('routeKernel', () => {
  const cases: [number, boolean, string, boolean][] = [
    [0, false, QUEUES.kernels, false],
    [0, true, QUEUES.kernels, false],
    [1, false, QUEUES.kernelsGpu, true],
    [2, false, QUEUES.kernelsGpu, true],
    [1, true, QUEUES.kernels, false],
  ];
  for (const [gpusRequested, cpuFallback, queue, gpu] of cases) {
    it(`gpus ${gpusRequested}, fallback ${cpuFallback} → ${queue}`, () => assert.deepEqual(routeKernel({ gpusRequested, cpuFallback }), { queue, gpu }));
  }
});

describe('gpuWeek', () => {
  const cases: [string, string][] = [
    ['2026-11-23T00:00:00Z', '2026-11-23T00:00:00.000Z'], // Monday midnight starts a week
    ['2026-11-26T23:59:59Z', '2026-11-23T00:00:00.000Z'], // Thursday
    ['2026-11-29T23:59:59Z', '2026-11-23T00:00:00.000Z'], // Sunday still belongs to it
    ['2026-11-30T00:00:00Z', '2026-11-30T00:00:00.000Z'],
    ['2027-01-01T12:00:00Z', '2026-12-28T00:00:00.000Z'], // across a year
  ];
  for (const [now, start] of cases) {
    it(now, () => {
      const w = gpuWeek(new Date(now));
      assert.equal(w.start.toISOString(), start);
      assert.equal(w.end.getTime() - w.start.getTime(), 7 * 86_400_000);
    });
  }
});

describe('logAccess and kernelSettingsOf', () => {
  it('staff always see the full log; participants only where hidden-data logs are shown', () => {
    assert.equal(logAccess({ staff: true, showHiddenDataLogs: false, phase: 'hidden' }), 'full');
    assert.equal(logAccess({ staff: false, showHiddenDataLogs: true, phase: 'hidden' }), 'full');
    assert.equal(logAccess({ staff: false, showHiddenDataLogs: false, phase: 'hidden' }), 'class-only');
    assert.equal(logAccess({ staff: false, showHiddenDataLogs: false, phase: 'public' }), 'full', 'the team reads its public runs');
  });
  it('fills the schema defaults (9 h, 1 GPU, hidden logs) and keeps what is set', () => {
    const d = kernelSettingsOf({});
    assert.equal(d.timeLimitSeconds, 9 * 3600);
    assert.equal(d.gpus, 1);
    assert.equal(d.showHiddenDataLogs, false);
    assert.equal(d.processes, 256);
    assert.equal(d.publicRunsPerDay, 20);
    const s = kernelSettingsOf({ kernel: { image: 'x', timeLimitSeconds: 5, gpus: 0, memoryBytes: 1e9, cpus: 2, outputLimitBytes: 1e6, showHiddenDataLogs: true, processes: 64, publicRunsPerDay: 3 } });
    assert.deepEqual(s, { image: 'x', timeLimitSeconds: 5, gpus: 0, memoryBytes: 1e9, cpus: 2, outputLimitBytes: 1e6, showHiddenDataLogs: true, processes: 64, publicRunsPerDay: 3 });
  });
});

describe('the weekly GPU budget', () => {
  const cases: [string, { gpu: boolean; outcome: string | null; submissionErrorClass: string | null }, boolean][] = [
    ['a running GPU kernel', { gpu: true, outcome: null, submissionErrorClass: null }, true],
    ['a GPU kernel that succeeded', { gpu: true, outcome: 'succeeded', submissionErrorClass: null }, true],
    ['a GPU kernel that timed out', { gpu: true, outcome: 'timeout', submissionErrorClass: 'timeout' }, true],
    ['a GPU kernel whose output was rejected', { gpu: true, outcome: 'succeeded', submissionErrorClass: 'scoring-error' }, true],
    ['a cancelled run', { gpu: true, outcome: 'cancelled', submissionErrorClass: 'cancelled' }, false],
    ['a run lost with its worker', { gpu: true, outcome: 'lost', submissionErrorClass: null }, false],
    ['a run that failed on our side', { gpu: true, outcome: 'error', submissionErrorClass: null }, false],
    ['a run of a submission failed as ours', { gpu: true, outcome: 'succeeded', submissionErrorClass: 'infrastructure' }, false],
    ['a CPU run', { gpu: false, outcome: 'succeeded', submissionErrorClass: null }, false],
  ];
  for (const [name, run, counts] of cases) it(`${name} ${counts ? 'counts' : 'does not count'}`, () => assert.equal(countsTowardGpuBudget(run), counts));

  it('admits a GPU kernel while the usage is under the budget', () => {
    assert.equal(gpuBudgetAllows({ usedHours: 0, limitHours: 30 }), true);
    assert.equal(gpuBudgetAllows({ usedHours: 29.99, limitHours: 30 }), true);
    assert.equal(gpuBudgetAllows({ usedHours: 30, limitHours: 30 }), false);
    assert.equal(gpuBudgetAllows({ usedHours: 0, limitHours: 0 }), false);
  });

  it('counts what unfinished GPU kernels may still use: admitted while used + reserved is under the budget', () => {
    assert.equal(gpuBudgetAllows({ usedHours: 10, reservedHours: 18, limitHours: 30 }), true);
    assert.equal(gpuBudgetAllows({ usedHours: 12, reservedHours: 18, limitHours: 30 }), false);
    // A 9 h limit: a kernel reserves its public and hidden runs, a run without submitting one run.
    assert.equal(gpuReservationSeconds({ runOnly: false, timeLimitSeconds: 9 * 3600, countedSeconds: 0 }), 18 * 3600);
    assert.equal(gpuReservationSeconds({ runOnly: true, timeLimitSeconds: 9 * 3600, countedSeconds: 0 }), 9 * 3600);
    // Released as its runs count (they are in the used hours then), never below nothing.
    assert.equal(gpuReservationSeconds({ runOnly: false, timeLimitSeconds: 9 * 3600, countedSeconds: 3600 }), 17 * 3600);
    assert.equal(gpuReservationSeconds({ runOnly: true, timeLimitSeconds: 60, countedSeconds: 90 }), 0);
  });
});

describe('kernel attempts', () => {
  const cases: [number, number, boolean][] = [
    [1, 0, false],
    [3, 0, false],
    [4, 0, true],
    [4, 1, false],
    [6, 1, false],
    [7, 1, true],
  ];
  for (const [attempts, retries, exhausted] of cases) {
    it(`attempt ${attempts} after ${retries} staff retries ${exhausted ? 'is one too many' : 'may run'}`, () => assert.equal(kernelAttemptsExhausted({ attempts, retries }), exhausted));
  }
});
