import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SubmissionKind } from '@holdout/contracts';
import { submissionKindsProblem } from './competition.js';

describe('which submission kinds an instructor may turn on', () => {
  const cases: [string, SubmissionKind[], SubmissionKind[], RegExp | null][] = [
    ['both, where the bundle offers both', ['file', 'kernel'], ['file', 'kernel'], null],
    ['kernels only, where files were allowed', ['kernel'], ['file', 'kernel'], null],
    ['files only', ['file'], ['file', 'kernel'], null],
    ['files where the bundle keeps the test images hidden', ['file', 'kernel'], ['kernel'], /does not offer file \(it offers kernel\)/],
    ['none', [], ['file', 'kernel'], /at least one/],
    ['a model where the bundle has no pipeline for one', ['model'], ['file', 'kernel'], /does not offer model/],
  ];
  for (const [name, requested, available, problem] of cases) {
    it(name, () => {
      const p = submissionKindsProblem({ requested, available });
      if (problem) assert.match(p ?? '', problem);
      else assert.equal(p, null);
    });
  }
});
