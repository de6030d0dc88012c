import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { maskToRuns } from '@holdout/metrics';
import { Rng } from '../rng.js';
import { intervalsToRuns } from './runs.js';

describe('intervalsToRuns', () => {
  it('numbers pixels along lines and merges touching intervals', () => {
    // Lines of 4 pixels: line 0 covers 1..4, line 1 covers 5..8.
    assert.deepEqual(intervalsToRuns([{ line: 1, from: 0, to: 1 }, { line: 0, from: 2, to: 3 }], 4), { starts: [3], lengths: [4] });
    assert.deepEqual(intervalsToRuns([{ line: 0, from: 0, to: 0 }, { line: 0, from: 2, to: 2 }], 4), { starts: [1, 3], lengths: [1, 1] });
    assert.deepEqual(intervalsToRuns([{ line: 0, from: 0, to: 2 }, { line: 0, from: 1, to: 1 }], 4), { starts: [1], lengths: [3] });
  });

  it('agrees with the scorer\'s encoder on random masks in both orders', () => {
    const rng = Rng.for(5, 'runs');
    for (let trial = 0; trial < 50; trial++) {
      const height = rng.int(1, 9);
      const width = rng.int(1, 9);
      const mask = Uint8Array.from({ length: height * width }, () => (rng.next() < 0.4 ? 1 : 0));
      for (const order of ['row', 'column'] as const) {
        const lines = order === 'row' ? height : width;
        const along = order === 'row' ? width : height;
        const intervals = [];
        for (let line = 0; line < lines; line++)
          for (let k = 0; k < along; k++) {
            const at = order === 'row' ? line * width + k : k * width + line;
            if (mask[at]) intervals.push({ line, from: k, to: k });
          }
        assert.deepEqual(intervalsToRuns(rng.shuffle(intervals), along), maskToRuns(mask, height, width, order));
      }
    }
  });
});
