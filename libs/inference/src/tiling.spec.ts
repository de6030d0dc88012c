import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { planAxis, planWindows, validateView } from './tiling.js';

describe('planAxis', () => {
  const cases: Array<[name: string, length: number, window: number, stride: number, positions: number[]]> = [
    ['50% overlap, exact multiple', 2048, 1024, 512, [0, 512, 1024]],
    ['50% overlap, flush last window', 2100, 1024, 512, [0, 512, 1024, 1076]],
    ['no overlap, exact multiple', 300, 100, 100, [0, 100, 200]],
    ['axis equal to the window', 512, 512, 256, [0]],
    ['axis shorter than the window', 300, 512, 256, [0]],
    ['1/16 overlap', 1000, 256, 240, [0, 240, 480, 720, 744]],
  ];
  for (const [name, length, window, stride, positions] of cases) {
    it(name, () => assert.deepEqual(planAxis(length, window, stride).positions, positions));
  }

  it('keeps the centre of inner windows and hands the flush window the rest', () => {
    const plan = planAxis(2100, 1024, 512);
    // margin (1024 - 512) / 2 = 256
    assert.deepEqual(plan.keepStart, [0, 768, 1280, 1792]);
    assert.deepEqual(plan.keepEnd, [768, 1280, 1792, 2100]);
  });
});

describe('planWindows: kept regions cover every pixel exactly once', () => {
  const combos: Array<[width: number, height: number, window: number, stride: number]> = [
    [2048, 2048, 1024, 512],
    [3000, 2100, 1024, 512],
    [1000, 700, 256, 240],
    [100, 80, 128, 64],
    [128, 128, 128, 64],
    [300, 200, 100, 100],
    [257, 131, 64, 33],
    [97, 61, 16, 1],
    [50, 500, 7, 4],
    [1, 1, 8, 8],
  ];
  for (const [width, height, window, stride] of combos) {
    it(`${width}x${height}, window ${window}, stride ${stride}`, () => {
      const windows = planWindows(width, height, { window, size: window, stride });
      const covered = new Uint8Array(width * height);
      const read = new Uint8Array(width * height);
      for (const w of windows) {
        assert.equal(w.width, window);
        assert.equal(w.height, window);
        const k = w.keep;
        // the kept region lies inside the window and inside the image
        assert.ok(k.x >= w.x && k.x + k.width <= w.x + w.width, `keep x outside window ${JSON.stringify(w)}`);
        assert.ok(k.y >= w.y && k.y + k.height <= w.y + w.height, `keep y outside window ${JSON.stringify(w)}`);
        assert.ok(k.x >= 0 && k.y >= 0 && k.x + k.width <= width && k.y + k.height <= height);
        for (let y = k.y; y < k.y + k.height; y++) for (let x = k.x; x < k.x + k.width; x++) covered[y * width + x]!++;
        for (let y = Math.max(0, w.y); y < Math.min(height, w.y + window); y++) {
          for (let x = Math.max(0, w.x); x < Math.min(width, w.x + window); x++) read[y * width + x] = 1;
        }
      }
      assert.ok(covered.every((c) => c === 1), 'a pixel is kept by no window or by two');
      assert.ok(read.every((c) => c === 1), 'a pixel is read by no window');
      // windows start inside the image and never step further than the stride
      for (const w of windows) assert.ok(w.x >= 0 && w.y >= 0);
    });
  }

  it('a random sample of shapes', () => {
    let seed = 12345;
    const rnd = (lo: number, hi: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return lo + (seed % (hi - lo + 1));
    };
    for (let n = 0; n < 200; n++) {
      const window = rnd(1, 40);
      const stride = rnd(1, window);
      const length = rnd(1, 200);
      const plan = planAxis(length, window, stride);
      const hits = new Uint8Array(length);
      for (let i = 0; i < plan.positions.length; i++) {
        for (let p = plan.keepStart[i]!; p < plan.keepEnd[i]!; p++) hits[p]!++;
        if (i > 0) assert.ok(plan.positions[i]! - plan.positions[i - 1]! <= stride);
        assert.ok(plan.keepStart[i]! >= plan.positions[i]! && plan.keepEnd[i]! <= plan.positions[i]! + window);
      }
      assert.ok(hits.every((h) => h === 1), `length ${length} window ${window} stride ${stride}`);
    }
  });
});

describe('validateView', () => {
  const bad: Array<[name: string, view: { window: number; size: number; stride: number }, message: RegExp]> = [
    ['stride larger than the window', { window: 512, size: 256, stride: 513 }, /stride 513 is larger than its window 512/],
    ['zero stride', { window: 512, size: 256, stride: 0 }, /stride must be a positive integer/],
    ['negative stride', { window: 512, size: 256, stride: -4 }, /stride must be a positive integer/],
    ['zero size', { window: 512, size: 0, stride: 256 }, /size must be a positive integer/],
    ['zero window', { window: 0, size: 256, stride: 0 }, /window must be a positive integer/],
    ['fractional window', { window: 10.5, size: 8, stride: 4 }, /window must be a positive integer/],
  ];
  for (const [name, view, message] of bad) {
    it(`refuses a view with ${name}`, () => {
      assert.throws(() => validateView(view), message);
      assert.throws(() => planWindows(100, 100, view), message);
    });
  }
});
