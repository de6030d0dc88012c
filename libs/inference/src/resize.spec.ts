import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mulberry32 } from '@holdout/metrics';
import { resizeBilinear } from './resize.js';

describe('resizeBilinear', () => {
  it('matches OpenCV INTER_LINEAR on a hand example (half-pixel centres, clamped edges)', () => {
    // [0, 1] -> 4 wide: sources -0.25 (clamped), 0.25, 0.75, 1.25 (clamped)
    assert.deepEqual(Array.from(resizeBilinear(Float32Array.from([0, 1]), 2, 1, 4, 1)), [0, 0.25, 0.75, 1]);
  });

  it('returns the plane unchanged at the same size', () => {
    const rnd = mulberry32(1);
    const plane = Float32Array.from({ length: 7 * 5 }, rnd);
    assert.deepEqual(resizeBilinear(plane, 7, 5, 7, 5), plane);
  });

  it('keeps a disc within one pixel of its boundary after 4x down (area mean) and 4x up', () => {
    const side = 128;
    const factor = 4;
    const small = side / factor;
    for (const [cx, cy, radius] of [
      [64, 64, 30],
      [50.3, 70.9, 17.5],
      [40, 90, 9],
    ] as const) {
      const inside = (x: number, y: number) => (x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2 <= radius ** 2;
      const low = new Float32Array(small * small);
      for (let y = 0; y < side; y++) {
        for (let x = 0; x < side; x++) {
          if (inside(x, y)) low[Math.floor(y / factor) * small + Math.floor(x / factor)]! += 1 / (factor * factor);
        }
      }
      const up = resizeBilinear(low, small, small, side, side);
      let wrong = 0;
      for (let y = 0; y < side; y++) {
        for (let x = 0; x < side; x++) {
          if (up[y * side + x]! >= 0.5 === inside(x, y)) continue;
          wrong++;
          const distance = Math.hypot(x + 0.5 - cx, y + 0.5 - cy);
          assert.ok(Math.abs(distance - radius) <= 1, `(${x}, ${y}) is ${distance - radius} px from the boundary`);
        }
      }
      assert.ok(wrong < 2 * Math.PI * radius, `${wrong} pixels differ`);
    }
  });

  it('refuses planes smaller than their stated size', () => {
    assert.throws(() => resizeBilinear(new Float32Array(3), 2, 2, 4, 4), RangeError);
  });
});
