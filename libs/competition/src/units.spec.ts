import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseByteSize, parseDuration, parseTimePoint, resolveTimePoint } from './units.js';

describe('parseDuration', () => {
  const cases: Array<[string, number | null]> = [
    ['9h', 32_400],
    ['1h30m', 5_400],
    ['90s', 90],
    ['2d', 172_800],
    ['1d2h3m4s', 93_784],
    [' 45m ', 2_700],
    ['0h', null],
    ['', null],
    ['9 hours', null],
    ['9', null],
    ['30m1h', null],
    ['-1h', null],
  ];
  for (const [text, expected] of cases) {
    it(`"${text}" → ${expected}`, () => assert.equal(parseDuration(text), expected));
  }
});

describe('parseByteSize', () => {
  const cases: Array<[string | number, number | null]> = [
    ['16g', 16 * 1024 ** 3],
    ['16GiB', 16 * 1024 ** 3],
    ['16GB', 16e9],
    ['512m', 512 * 1024 ** 2],
    ['1.5k', 1536],
    [4096, 4096],
    ['0', null],
    ['16 parsecs', null],
    [-1, null],
    [1.5, null],
  ];
  for (const [text, expected] of cases) {
    it(`${JSON.stringify(text)} → ${expected}`, () => assert.equal(parseByteSize(text), expected));
  }
});

describe('parseTimePoint', () => {
  const anchor = new Date('2026-01-01T00:00:00Z');
  it('reads relative times from an anchor', () => {
    const point = parseTimePoint('now+60d');
    assert.deepEqual(point, { kind: 'relative', offsetSeconds: 60 * 86_400 });
    assert.equal(resolveTimePoint(point!, anchor).toISOString(), '2026-03-02T00:00:00.000Z');
    assert.deepEqual(parseTimePoint('now'), { kind: 'relative', offsetSeconds: 0 });
  });
  it('reads absolute timestamps with a zone only', () => {
    assert.equal(resolveTimePoint(parseTimePoint('2027-01-31T23:59:00Z')!, anchor).toISOString(), '2027-01-31T23:59:00.000Z');
    assert.equal(resolveTimePoint(parseTimePoint('2027-01-31T23:59:00+02:00')!, anchor).toISOString(), '2027-01-31T21:59:00.000Z');
    assert.equal(parseTimePoint('2027-01-31'), null);
    assert.equal(parseTimePoint('2027-01-31T23:59:00'), null);
    assert.equal(parseTimePoint('tomorrow'), null);
    assert.equal(parseTimePoint('now+soon'), null);
  });
});
