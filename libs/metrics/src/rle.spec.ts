import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeRle, encodeRle, maskToRuns, parseRle, rlePixelToRowCol, rowColToRlePixel, runsToRle } from './rle.js';
import { prng, rasterise } from './testing/reference.js';

describe('pixel order mapping', () => {
  // A 2x3 image (height 2, width 3). Column order numbers top to bottom first (HuBMAP), row order
  // left to right first (Sartorius).
  const cases: Array<[pixel: number, order: 'column' | 'row', row: number, col: number]> = [
    [1, 'column', 0, 0],
    [2, 'column', 1, 0],
    [3, 'column', 0, 1],
    [6, 'column', 1, 2],
    [1, 'row', 0, 0],
    [2, 'row', 0, 1],
    [4, 'row', 1, 0],
    [6, 'row', 1, 2],
  ];
  for (const [pixel, order, row, col] of cases) {
    it(`${order} order: pixel ${pixel} of a 2x3 image is (row ${row}, col ${col}) and back`, () => {
      assert.deepEqual(rlePixelToRowCol(pixel, 2, 3, order), { row, col });
      assert.equal(rowColToRlePixel(row, col, 2, 3, order), pixel);
    });
  }

  it('rejects pixels and coordinates outside the image', () => {
    assert.throws(() => rlePixelToRowCol(0, 2, 3, 'row'), RangeError);
    assert.throws(() => rlePixelToRowCol(7, 2, 3, 'column'), RangeError);
    assert.throws(() => rowColToRlePixel(2, 0, 2, 3, 'row'), RangeError);
    assert.throws(() => rowColToRlePixel(0, 3, 2, 3, 'column'), RangeError);
  });

  it('is a bijection in both orders on random sizes', () => {
    const rnd = prng(7);
    for (let n = 0; n < 50; n++) {
      const h = rnd.int(1, 9);
      const w = rnd.int(1, 9);
      for (const order of ['column', 'row'] as const) {
        const seen = new Set<string>();
        for (let p = 1; p <= h * w; p++) {
          const { row, col } = rlePixelToRowCol(p, h, w, order);
          assert.ok(row >= 0 && row < h && col >= 0 && col < w);
          seen.add(`${row},${col}`);
          assert.equal(rowColToRlePixel(row, col, h, w, order), p);
        }
        assert.equal(seen.size, h * w);
      }
    }
  });
});

describe('encodeRle / decodeRle', () => {
  // 2x2 mask, row-major in memory: (0,0) and (1,1) set.
  const diagonal = Uint8Array.from([1, 0, 0, 1]);
  // 2x2 mask: top row set.
  const top = Uint8Array.from([1, 1, 0, 0]);

  it('encodes a 2x2 mask differently per order', () => {
    assert.equal(encodeRle(top, 2, 2, 'row'), '1 2');
    assert.equal(encodeRle(top, 2, 2, 'column'), '1 1 3 1');
    assert.equal(encodeRle(diagonal, 2, 2, 'row'), '1 1 4 1');
    assert.equal(encodeRle(diagonal, 2, 2, 'column'), '1 1 4 1');
  });

  it('encodes the 3x5 case by hand', () => {
    // rows: 01100 / 01110 / 00011
    const mask = Uint8Array.from([0, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 1, 1]);
    assert.equal(encodeRle(mask, 3, 5, 'row'), '2 2 7 3 14 2');
    assert.equal(encodeRle(mask, 3, 5, 'column'), '4 2 7 2 11 2 15 1');
    assert.deepEqual(decodeRle('4 2 7 2 11 2 15 1', 3, 5, 'column'), mask);
    assert.deepEqual(decodeRle('2 2 7 3 14 2', 3, 5, 'row'), mask);
  });

  it('continues a column-order run from the bottom of one column to the top of the next', () => {
    // 2x2: (1,0) and (0,1) set -> column pixels 2 and 3, one run.
    assert.equal(encodeRle(Uint8Array.from([0, 1, 1, 0]), 2, 2, 'column'), '2 2');
  });

  it('encodes empty and full masks', () => {
    assert.equal(encodeRle(new Uint8Array(6), 2, 3, 'row'), '');
    assert.equal(encodeRle(new Uint8Array(6).fill(1), 2, 3, 'column'), '1 6');
    assert.deepEqual(decodeRle('', 2, 3, 'row'), new Uint8Array(6));
  });

  it('round-trips random masks in both orders and agrees with an independent rasteriser', () => {
    const rnd = prng(42);
    for (let n = 0; n < 200; n++) {
      const h = rnd.int(1, 12);
      const w = rnd.int(1, 12);
      const density = rnd.next();
      const mask = Uint8Array.from({ length: h * w }, () => (rnd.next() < density ? 1 : 0));
      for (const order of ['column', 'row'] as const) {
        const rle = encodeRle(mask, h, w, order);
        assert.deepEqual(decodeRle(rle, h, w, order), mask);
        assert.deepEqual(rasterise(rle, h, w, order), mask);
        // Every encoded pixel maps back to a set pixel of the mask.
        const { starts, lengths } = parseRle(rle);
        for (let k = 0; k < starts.length; k++) {
          for (let p = starts[k]!; p < starts[k]! + lengths[k]!; p++) {
            const { row, col } = rlePixelToRowCol(p, h, w, order);
            assert.equal(mask[row * w + col], 1);
          }
        }
      }
    }
  });

  it('maskToRuns and runsToRle agree with encodeRle', () => {
    const mask = Uint8Array.from([1, 1, 0, 1, 0, 1]);
    const runs = maskToRuns(mask, 2, 3, 'row');
    assert.deepEqual(runs, { starts: [1, 4, 6], lengths: [2, 1, 1] });
    assert.equal(runsToRle(runs.starts, runs.lengths), encodeRle(mask, 2, 3, 'row'));
    assert.equal(runsToRle(Uint32Array.of(5, 100), Uint32Array.of(3, 7)), '5 3 100 7');
  });

  it('runsToRle refuses runs the scorer would reject', () => {
    assert.throws(() => runsToRle([5, 1], [1, 1]), RangeError); // unsorted
    assert.throws(() => runsToRle([1, 2], [3, 1]), RangeError); // overlapping
    assert.throws(() => runsToRle([0], [1]), RangeError); // not 1-based
    assert.throws(() => runsToRle([1], [0]), RangeError); // empty run
    assert.throws(() => runsToRle([1, 2], [1]), RangeError); // lengths differ
  });

  it('parseRle rejects what the scorer rejects', () => {
    assert.throws(() => parseRle('1 2 3'), /odd number/);
    assert.throws(() => parseRle('1 x'), /not a non-negative integer/);
    assert.throws(() => parseRle('0 2'), /not positive/);
    assert.throws(() => parseRle('5 1 1 1'), /not sorted/);
    assert.throws(() => parseRle('1 5 3 1'), /overlap/);
    assert.throws(() => parseRle('3 3', 4), /past the image/);
    assert.deepEqual(parseRle(' 1 2  5 1 '), { starts: [1, 5], lengths: [2, 1] });
  });

  it('rejects a mask whose size does not match', () => {
    assert.throws(() => encodeRle(new Uint8Array(5), 2, 3, 'row'), RangeError);
    assert.throws(() => decodeRle('1 1', 0, 3, 'row'), RangeError);
  });
});
