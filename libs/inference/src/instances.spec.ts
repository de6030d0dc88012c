import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeRle, mulberry32 } from '@holdout/metrics';
import { extractInstances, labelInstances, type InstanceMaps } from './instances.js';

type Shape = (x: number, y: number) => boolean;
const disc =
  (cx: number, cy: number, r: number): Shape =>
  (x, y) =>
    (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
const rect =
  (x0: number, y0: number, x1: number, y1: number): Shape =>
  (x, y) =>
    x >= x0 && x < x1 && y >= y0 && y < y1;

function plane(width: number, height: number, value: (x: number, y: number) => number): Float32Array {
  const out = new Float32Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) out[y * width + x] = value(x, y);
  return out;
}
const paint = (width: number, height: number, ...shapes: Shape[]) =>
  plane(width, height, (x, y) => (shapes.some((s) => s(x, y)) ? 0.9 : 0.1));

function maskOf(width: number, height: number, shape: Shape): Uint8Array {
  return Uint8Array.from(plane(width, height, (x, y) => (shape(x, y) ? 1 : 0)));
}

function decodeAll(rles: string[], width: number, height: number, order: 'column' | 'row'): Uint8Array[] {
  return rles.map((rle) => decodeRle(rle, height, width, order));
}

const base = { threshold: 0.5, minArea: 1 } as const;

describe('extractInstances', () => {
  it('never returns overlapping instances, and each lies in the foreground', () => {
    const rnd = mulberry32(5);
    const [width, height] = [40, 30];
    for (let n = 0; n < 20; n++) {
      const noise = () => Float32Array.from({ length: width * height }, rnd);
      const maps: InstanceMaps = { width, height, foreground: noise(), boundary: noise(), ...base, method: 'components' };
      for (const method of ['components', 'watershed'] as const) {
        for (const centre of [undefined, noise()]) {
          for (const order of ['column', 'row'] as const) {
            const masks = decodeAll(extractInstances({ ...maps, method, centre }, order), width, height, order);
            const owners = new Uint8Array(width * height);
            for (const mask of masks) {
              assert.ok(mask.some((v) => v === 1), 'an empty instance');
              mask.forEach((v, i) => {
                if (!v) return;
                owners[i]!++;
                assert.ok(maps.foreground[i]! >= 0.5, `instance pixel ${i} is background`);
              });
            }
            assert.ok(owners.every((c) => c <= 1), `${method}: a pixel in two instances`);
          }
        }
      }
    }
  });

  it('components: each RLE decodes back to its component, in both orders', () => {
    const [width, height] = [30, 20];
    const left = rect(2, 2, 10, 12);
    const right = rect(15, 4, 25, 18);
    const bridge = rect(10, 5, 15, 7);
    const foreground = paint(width, height, left, right, bridge);
    // the bridge is a boundary between the two instances
    const boundary = paint(width, height, bridge);
    for (const order of ['column', 'row'] as const) {
      const masks = decodeAll(
        extractInstances({ width, height, foreground, boundary, ...base, method: 'components' }, order),
        width,
        height,
        order,
      );
      assert.deepEqual(masks, [maskOf(width, height, left), maskOf(width, height, right)]);
      // without the boundary channel, the bridge joins them
      assert.equal(extractInstances({ width, height, foreground, ...base, method: 'components' }, order).length, 1);
    }
  });

  it('watershed splits two touching discs at the centre seeds', () => {
    const [width, height] = [60, 40];
    const a = disc(20, 20, 11);
    const b = disc(38, 20, 11);
    const union = (x: number, y: number) => a(x, y) || b(x, y);
    // most confident near either centre, least where the discs meet
    const foreground = plane(width, height, (x, y) =>
      union(x, y) ? 1 - Math.min(Math.hypot(x - 20, y - 20), Math.hypot(x - 38, y - 20)) / 30 : 0,
    );
    const centre = paint(width, height, disc(20, 20, 3), disc(38, 20, 3));
    const maps: InstanceMaps = { width, height, foreground, centre, ...base, method: 'watershed' };
    assert.equal(extractInstances({ ...maps, method: 'components' }, 'row').length, 1, 'the discs touch');
    const [first, second, ...rest] = decodeAll(extractInstances(maps, 'row'), width, height, 'row');
    assert.equal(rest.length, 0);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const i = y * width + x;
        assert.equal(first![i]! + second![i]!, union(x, y) ? 1 : 0, `(${x}, ${y}) is foreground in exactly one instance`);
        // each pixel goes to the nearer centre, give or take the pixel on the dividing line
        if (x < 28) assert.equal(first![i], union(x, y) ? 1 : 0, `(${x}, ${y})`);
        if (x > 30) assert.equal(second![i], union(x, y) ? 1 : 0, `(${x}, ${y})`);
      }
    }
  });

  it('watershed without a centre channel seeds from the eroded foreground', () => {
    const [width, height] = [30, 14];
    const left = rect(1, 2, 12, 12);
    const right = rect(16, 2, 28, 12);
    const neck = rect(12, 6, 16, 7); // one pixel high: erosion removes it
    const foreground = paint(width, height, left, right, neck);
    const masks = decodeAll(extractInstances({ width, height, foreground, ...base, method: 'watershed' }, 'column'), width, height, 'column');
    assert.equal(masks.length, 2);
    const covered = masks[0]!.map((v, i) => v + masks[1]![i]!);
    assert.deepEqual(covered, maskOf(width, height, (x, y) => left(x, y) || right(x, y) || neck(x, y)));
  });

  it('watershed keeps a foreground component that has no seed', () => {
    const [width, height] = [30, 20];
    const foreground = paint(width, height, rect(2, 2, 10, 10), rect(15, 2, 25, 10));
    const centre = paint(width, height, rect(5, 5, 7, 7)); // only the first square has a centre
    assert.equal(extractInstances({ width, height, foreground, centre, ...base, method: 'watershed' }, 'row').length, 2);
  });

  it('drops instances smaller than minArea', () => {
    const [width, height] = [20, 20];
    const big = rect(2, 2, 10, 10);
    const speck = rect(15, 15, 17, 16); // 2 pixels
    const foreground = paint(width, height, big, speck);
    for (const method of ['components', 'watershed'] as const) {
      const masks = decodeAll(extractInstances({ width, height, foreground, threshold: 0.5, minArea: 3, method }, 'row'), width, height, 'row');
      assert.deepEqual(masks, [maskOf(width, height, big)], method);
      assert.equal(extractInstances({ width, height, foreground, threshold: 0.5, minArea: 2, method }, 'row').length, 2);
    }
  });

  describe('with classes: each instance takes the class of highest mean probability and that class\'s minArea', () => {
    const [width, height] = [40, 24];
    const small = rect(2, 2, 10, 10); // 64 px
    const large = rect(20, 2, 32, 14); // 144 px
    const foreground = paint(width, height, small, large);
    // class 0 on the small square, class 1 on the large one
    const probabilities = [plane(width, height, (x, y) => (small(x, y) ? 0.8 : 0.2)), plane(width, height, (x, y) => (large(x, y) ? 0.7 : 0.3))];
    const cases: Array<[minArea: number[], kept: Shape[]]> = [
      [[0, 0], [small, large]],
      [[65, 0], [large]], // the small square is class 0, under 65 px
      [[64, 144], [small, large]], // exactly the minimum is kept
      [[0, 145], [small]], // the large square is class 1, under 145 px
      [[100, 100], [large]], // one minimum for both: only the class decides
    ];
    for (const [minArea, kept] of cases) {
      for (const method of ['components', 'watershed'] as const) {
        it(`${method}, minimum areas ${minArea.join(' and ')}`, () => {
          // The instances' own minArea is not used when classes are given.
          const rles = extractInstances({ width, height, foreground, threshold: 0.5, minArea: 1000, method, classes: { probabilities, minArea } }, 'row');
          assert.deepEqual(decodeAll(rles, width, height, 'row'), kept.map((k) => maskOf(width, height, k)));
        });
      }
    }

    it('reports each kept instance\'s class, renumbered with the instances', () => {
      const { count, classOf } = labelInstances({ width, height, foreground, threshold: 0.5, minArea: 0, method: 'components', classes: { probabilities, minArea: [0, 0] } });
      assert.equal(count, 2);
      assert.deepEqual([...classOf!], [0, 0, 1]);
      const one = labelInstances({ width, height, foreground, threshold: 0.5, minArea: 0, method: 'components', classes: { probabilities, minArea: [65, 0] } });
      assert.deepEqual([one.count, [...one.classOf!]], [1, [0, 1]]);
    });

    it('averages over the instance: a class winning narrowly on most pixels loses to one winning widely on the rest', () => {
      // 60 % of the square favours class 0 by 0.50 to 0.45, 40 % favours class 1 by 0.9 to 0.1: means 0.34 and 0.63.
      const square = rect(0, 0, 10, 10);
      const fg = paint(10, 10, square);
      const c0 = plane(10, 10, (x) => (x < 6 ? 0.5 : 0.1));
      const c1 = plane(10, 10, (x) => (x < 6 ? 0.45 : 0.9));
      const r = labelInstances({ width: 10, height: 10, foreground: fg, threshold: 0.5, minArea: 0, method: 'components', classes: { probabilities: [c0, c1], minArea: [0, 0] } });
      assert.deepEqual([...r.classOf!], [0, 1]);
      // A tie goes to the first class.
      const tie = labelInstances({ width: 10, height: 10, foreground: fg, threshold: 0.5, minArea: 0, method: 'components', classes: { probabilities: [c0, c0], minArea: [0, 0] } });
      assert.deepEqual([...tie.classOf!], [0, 0]);
    });

    it('refuses class planes of the wrong size, or minimum areas that do not match them', () => {
      const maps = { width, height, foreground, threshold: 0.5, minArea: 0, method: 'components' } as const;
      assert.throws(() => labelInstances({ ...maps, classes: { probabilities: [new Float32Array(3)], minArea: [0] } }), /class 0 has 3 pixels/);
      assert.throws(() => labelInstances({ ...maps, classes: { probabilities, minArea: [0] } }), /2 probability planes for 1 minimum areas/);
    });
  });

  it('returns no instances for an empty foreground, and refuses planes of the wrong size', () => {
    assert.deepEqual(extractInstances({ width: 4, height: 3, foreground: new Float32Array(12), ...base, method: 'watershed' }, 'row'), []);
    assert.throws(
      () => extractInstances({ width: 4, height: 3, foreground: new Float32Array(11), ...base, method: 'components' }, 'row'),
      /foreground has 11 pixels, expected 4x3/,
    );
  });
});
