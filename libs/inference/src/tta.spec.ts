import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mulberry32 } from '@holdout/metrics';
import { TTA_TRANSFORMS } from './types.js';
import { addUndone, applyTta, inverseTta, undoTta } from './tta.js';

// A 3x3 single-channel patch, row-major:
//   1 2 3
//   4 5 6
//   7 8 9
const patch = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]);

describe('applyTta by hand', () => {
  const cases: Array<[transform: (typeof TTA_TRANSFORMS)[number], expected: number[]]> = [
    ['identity', [1, 2, 3, 4, 5, 6, 7, 8, 9]],
    ['hflip', [3, 2, 1, 6, 5, 4, 9, 8, 7]],
    ['vflip', [7, 8, 9, 4, 5, 6, 1, 2, 3]],
    ['rot180', [9, 8, 7, 6, 5, 4, 3, 2, 1]],
    // counter-clockwise, as numpy.rot90(patch)
    ['rot90', [3, 6, 9, 2, 5, 8, 1, 4, 7]],
    ['rot270', [7, 4, 1, 8, 5, 2, 9, 6, 3]],
  ];
  for (const [transform, expected] of cases) {
    it(transform, () => assert.deepEqual(Array.from(applyTta(transform, patch, 1, 3)), expected));
  }

  it('transforms every channel plane alike', () => {
    const two = Float32Array.from([...patch, ...patch.map((v) => v * 10)]);
    const out = applyTta('rot90', two, 2, 3);
    assert.deepEqual(Array.from(out.subarray(9)), [30, 60, 90, 20, 50, 80, 10, 40, 70]);
  });
});

describe('undoTta', () => {
  it('undoes every transform on random multi-channel patches', () => {
    const rnd = mulberry32(3);
    for (const size of [1, 2, 5, 16]) {
      const x = Float32Array.from({ length: 3 * size * size }, rnd);
      for (const transform of TTA_TRANSFORMS) {
        assert.deepEqual(undoTta(transform, applyTta(transform, x, 3, size), 3, size), x, `${transform} at ${size}`);
      }
    }
  });

  it('rot90 and rot270 are each other’s inverse; flips undo themselves', () => {
    assert.equal(inverseTta('rot90'), 'rot270');
    assert.equal(inverseTta('rot270'), 'rot90');
    for (const t of ['identity', 'hflip', 'vflip', 'rot180'] as const) assert.equal(inverseTta(t), t);
  });

  it('writes into a given buffer and refuses one too small', () => {
    const out = new Float32Array(9);
    assert.equal(applyTta('hflip', patch, 1, 3, out), out);
    assert.throws(() => applyTta('hflip', patch, 1, 3, new Float32Array(8)), RangeError);
  });
});

describe('addUndone', () => {
  it('adds exactly what undoTta gives, at the offset, for every transform', () => {
    const rnd = mulberry32(5);
    for (const size of [1, 2, 5, 16]) {
      const plane = size * size;
      for (const transform of TTA_TRANSFORMS) {
        const prediction = Float32Array.from({ length: plane }, rnd);
        const start = Float32Array.from({ length: 2 * plane }, rnd);
        const expected = Float32Array.from(start);
        const undone = undoTta(transform, prediction, 1, size);
        for (let i = 0; i < plane; i++) expected[plane + i]! += undone[i]!;
        const sum = Float32Array.from(start);
        addUndone(transform, prediction, size, sum, plane);
        assert.deepEqual(sum, expected, `${transform} at ${size}`);
      }
    }
  });

  it('transposed, adds the transpose of what undoTta gives, for every transform', () => {
    const rnd = mulberry32(6);
    for (const size of [1, 2, 5, 16]) {
      const plane = size * size;
      for (const transform of TTA_TRANSFORMS) {
        const prediction = Float32Array.from({ length: plane }, rnd);
        const start = Float32Array.from({ length: plane }, rnd);
        const expected = Float32Array.from(start);
        const undone = undoTta(transform, prediction, 1, size);
        for (let r = 0; r < size; r++) for (let c = 0; c < size; c++) expected[c * size + r]! += undone[r * size + c]!;
        const sum = Float32Array.from(start);
        addUndone(transform, prediction, size, sum, 0, true);
        assert.deepEqual(sum, expected, `${transform} at ${size}`);
      }
    }
  });

  it("with a rect, adds only the undone plane's pixels in it, transposed or not", () => {
    const rnd = mulberry32(7);
    const size = 7;
    const plane = size * size;
    const rect = { r0: 1, r1: 5, c0: 2, c1: 7 };
    for (const transposed of [false, true]) {
      for (const transform of TTA_TRANSFORMS) {
        const prediction = Float32Array.from({ length: plane }, rnd);
        const start = Float32Array.from({ length: plane }, rnd);
        const expected = Float32Array.from(start);
        const undone = undoTta(transform, prediction, 1, size);
        for (let r = rect.r0; r < rect.r1; r++) {
          for (let c = rect.c0; c < rect.c1; c++) expected[transposed ? c * size + r : r * size + c]! += undone[r * size + c]!;
        }
        const sum = Float32Array.from(start);
        addUndone(transform, prediction, size, sum, 0, transposed, rect);
        assert.deepEqual(sum, expected, `${transform}${transposed ? ', transposed' : ''}`);
      }
    }
    assert.throws(() => addUndone('hflip', patch, 3, new Float32Array(9), 0, false, { r0: 0, r1: 4, c0: 0, c1: 3 }), RangeError);
  });

  it('refuses a plane or a sum too small', () => {
    assert.throws(() => addUndone('hflip', patch, 4, new Float32Array(16)), RangeError);
    assert.throws(() => addUndone('hflip', patch, 3, new Float32Array(9), 1), RangeError);
  });
});
