import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { encodeRle, mulberry32 } from '@holdout/metrics';
import { RleStreamEncoder } from './rle-stream.js';

/** Line `k` of a row-major mask in pixel order: column k for `column`, row k for `row`. */
function lineOf(mask: Uint8Array, width: number, height: number, order: 'column' | 'row', k: number): Uint8Array {
  if (order === 'row') return mask.slice(k * width, (k + 1) * width);
  const line = new Uint8Array(height);
  for (let y = 0; y < height; y++) line[y] = mask[y * width + k]!;
  return line;
}

/** Positions where a line's pixel differs from the one before it (outside before the first). */
function edgesOf(line: Uint8Array): Int32Array {
  return Int32Array.from(line.keys()).filter((i) => (line[i] !== 0) !== (i > 0 && line[i - 1] !== 0));
}

function stream(mask: Uint8Array, width: number, height: number, order: 'column' | 'row', feed: 'line' | 'edges'): string {
  const [lineLength, lineCount] = order === 'column' ? [height, width] : [width, height];
  const encoder = new RleStreamEncoder(lineLength, lineCount);
  for (let k = 0; k < lineCount; k++) {
    const line = lineOf(mask, width, height, order, k);
    // probabilities just either side of the threshold
    if (feed === 'edges') encoder.pushEdges(edgesOf(line));
    else encoder.pushLine(line);
  }
  return encoder.finish();
}

describe('RleStreamEncoder equals encodeRle of the whole mask', () => {
  const rnd = mulberry32(11);
  const masks: Array<[name: string, width: number, height: number, mask: Uint8Array]> = [
    ['all empty', 7, 5, new Uint8Array(35)],
    ['all full', 7, 5, new Uint8Array(35).fill(1)],
    ['one pixel', 1, 1, Uint8Array.of(1)],
    // last pixel of each line and first of the next: runs cross every line boundary in both orders
    ['runs across line ends', 4, 4, Uint8Array.from([1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1])],
    ['bottom-right corner', 3, 4, Uint8Array.from({ length: 12 }, (_, i) => (i === 11 ? 1 : 0))],
  ];
  for (let n = 0; n < 40; n++) {
    const width = 1 + Math.floor(rnd() * 30);
    const height = 1 + Math.floor(rnd() * 30);
    const density = rnd();
    masks.push([`random ${n} (${width}x${height})`, width, height, Uint8Array.from({ length: width * height }, () => (rnd() < density ? 1 : 0))]);
  }
  for (const [name, width, height, mask] of masks) {
    for (const order of ['column', 'row'] as const) {
      it(`${name}, ${order} order`, () => {
        const expected = encodeRle(mask, height, width, order);
        assert.equal(stream(mask, width, height, order, 'line'), expected);
        assert.equal(stream(mask, width, height, order, 'edges'), expected);
      });
    }
  }
});

describe('RleStreamEncoder refuses a malformed stream', () => {
  it('a line of the wrong length', () => {
    assert.throws(() => new RleStreamEncoder(4, 2).pushLine(new Uint8Array(3)), /line of 3 pixels, expected 4/);
  });

  it('too many lines, or too few at the end', () => {
    const encoder = new RleStreamEncoder(2, 1);
    assert.throws(() => new RleStreamEncoder(2, 2).finish(), /after 0 of 2 lines/);
    encoder.pushLine(new Uint8Array(2));
    assert.throws(() => encoder.pushLine(new Uint8Array(2)), /more than 1 lines/);
  });
});
