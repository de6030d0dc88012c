import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mulberry32 } from '@holdout/metrics';
import { BLEND_MODES, type PixelOrder } from './types.js';
import { axisProfile, LineAccumulator, normalisedAxisWeights } from './blend.js';
import { resizeBilinear } from './resize.js';
import { planAxis, planWindows } from './tiling.js';

describe('axisProfile', () => {
  it('center-crop keeps only the kept range', () => {
    assert.deepEqual(Array.from(axisProfile('center-crop', 6, 2, 4)), [0, 0, 1, 1, 0, 0]);
  });

  it('count weighs every pixel alike', () => {
    assert.deepEqual(Array.from(axisProfile('count', 4)), [1, 1, 1, 1]);
  });

  it('gaussian peaks at 1 in the centre, is symmetric and never 0', () => {
    const g = axisProfile('gaussian', 512);
    assert.equal(Math.max(...g), 1);
    for (let i = 0; i < 256; i++) assert.equal(g[i], g[511 - i]);
    assert.ok(g[0]! > 1e-4 && g[0]! < 1e-3, `edge weight ${g[0]}`);
  });
});

describe('normalisedAxisWeights', () => {
  for (const mode of BLEND_MODES) {
    it(`${mode}: the weights of the windows covering a pixel sum to 1`, () => {
      for (const [length, window, stride] of [
        [2100, 1024, 512],
        [1000, 256, 240],
        [90, 128, 64],
      ] as const) {
        const axis = planAxis(length, window, stride);
        const total = new Float64Array(length);
        normalisedAxisWeights(mode, axis).forEach((w, i) => {
          for (let t = 0; t < window; t++) {
            const p = axis.positions[i]! + t;
            if (p < length) total[p]! += w[t]!;
            else assert.equal(w[t], 0, 'weight past the image end');
          }
        });
        for (let p = 0; p < length; p++) assert.ok(Math.abs(total[p]! - 1) < 1e-6, `pixel ${p}: ${total[p]}`);
      }
    });
  }
});

describe('LineAccumulator: an identity predictor reproduces the image', () => {
  const shapes: Array<[width: number, height: number, window: number, stride: number]> = [
    [300, 200, 64, 32],
    [257, 131, 64, 60],
    [100, 80, 128, 64],
    [96, 96, 32, 32],
  ];
  for (const mode of BLEND_MODES) {
    for (const order of ['column', 'row'] as const) {
      for (const [width, height, window, stride] of shapes) {
        it(`${mode}, ${order} lines, ${width}x${height}, window ${window}, stride ${stride}`, () => {
          const image = Float32Array.from({ length: width * height }, mulberry32(width * height));
          const blended = blendIdentity(image, width, height, window, stride, mode, order);
          const tolerance = mode === 'center-crop' ? 0 : 1e-6;
          for (let i = 0; i < image.length; i++) {
            assert.ok(Math.abs(blended[i]! - image[i]!) <= tolerance, `pixel ${i}: ${blended[i]} vs ${image[i]}`);
          }
        });
      }
    }
  }

  for (const order of ['column', 'row'] as const) {
    it(`${order} lines: adding a model-size plane equals resizeBilinear then adding`, () => {
      const rnd = mulberry32(8);
      const [width, height, window, modelSize] = [50, 40, 24, 7];
      for (const mode of BLEND_MODES) {
        const wx = normalisedAxisWeights(mode, planAxis(width, window, 12));
        const wy = normalisedAxisWeights(mode, planAxis(height, window, 12));
        const region = { x: 24, y: 12, width: window, height: window }; // window (2, 1)
        const small = Float32Array.from({ length: 2 * modelSize * modelSize }, rnd);
        const fused = new LineAccumulator(order, width, height, order === 'column' ? width : height, 2);
        fused.add(region, small, modelSize, wx[2]!, wy[1]!, 0.5);
        const big = new Float32Array(2 * window * window);
        for (let c = 0; c < 2; c++) {
          const plane = modelSize * modelSize;
          resizeBilinear(small.subarray(c * plane, (c + 1) * plane), modelSize, modelSize, window, window, big.subarray(c * window * window));
        }
        const direct = new LineAccumulator(order, width, height, order === 'column' ? width : height, 2);
        direct.add(region, big, window, wx[2]!, wy[1]!, 0.5);
        for (let c = 0; c < 2; c++) {
          for (let line = 0; line < (order === 'column' ? width : height); line++) {
            const [a, b] = [fused.line(line, c), direct.line(line, c)];
            for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) < 1e-6, `${mode} channel ${c} line ${line} at ${i}`);
          }
        }
      }
    });
  }

  for (const order of ['column', 'row'] as const) {
    it(`${order} lines: a line-major plane adds exactly what the row-major plane adds`, () => {
      const rnd = mulberry32(9);
      const [width, height, window, modelSize] = [50, 40, 24, 7];
      const wx = normalisedAxisWeights('gaussian', planAxis(width, window, 12));
      const wy = normalisedAxisWeights('gaussian', planAxis(height, window, 12));
      const region = { x: 24, y: 12, width: window, height: window };
      const plane = modelSize * modelSize;
      const rowMajor = Float32Array.from({ length: 2 * plane }, rnd);
      // Column lines read the plane transposed; row lines read it as it is.
      const lineMajor = new Float32Array(2 * plane);
      for (let c = 0; c < 2; c++) {
        for (let r = 0; r < modelSize; r++) {
          for (let k = 0; k < modelSize; k++) {
            lineMajor[c * plane + (order === 'column' ? k * modelSize + r : r * modelSize + k)] = rowMajor[c * plane + r * modelSize + k]!;
          }
        }
      }
      const lines = order === 'column' ? width : height;
      const a = new LineAccumulator(order, width, height, lines, 2);
      a.add(region, rowMajor, modelSize, wx[2]!, wy[1]!, 0.5);
      const b = new LineAccumulator(order, width, height, lines, 2);
      b.add(region, lineMajor, modelSize, wx[2]!, wy[1]!, 0.5, 'line-major');
      for (let c = 0; c < 2; c++) for (let line = 0; line < lines; line++) assert.deepEqual(b.line(line, c), a.line(line, c), `channel ${c} line ${line}`);
    });
  }

  it('refuses a window that writes a released line', () => {
    const acc = new LineAccumulator('column', 10, 10, 4);
    acc.releaseUpTo(3);
    const ones = new Float32Array(4).fill(1);
    assert.throws(() => acc.add({ x: 0, y: 0, width: 4, height: 4 }, new Float32Array(16), 4, ones, ones), /outside the open lines 3..6/);
    assert.throws(() => acc.add({ x: 5, y: 0, width: 4, height: 4 }, new Float32Array(16), 4, ones, ones), RangeError);
    assert.throws(() => acc.line(2), /line 2 is not open/);
  });

  it('allocates capacity × line length × channels values', () => {
    assert.equal(new LineAccumulator('column', 4000, 3000, 512, 2).allocated, 512 * 3000 * 2);
    assert.equal(new LineAccumulator('row', 4000, 3000, 512).allocated, 512 * 4000);
  });
});

/**
 * Blends crops of `image` (the "predictions" of an identity model) in a ring of one window's lines,
 * releasing each line as soon as no later window touches it, as the pipeline does.
 */
function blendIdentity(
  image: Float32Array,
  width: number,
  height: number,
  window: number,
  stride: number,
  mode: (typeof BLEND_MODES)[number],
  order: PixelOrder,
): Float32Array {
  const view = { window, size: window, stride };
  const wx = normalisedAxisWeights(mode, planAxis(width, window, stride));
  const wy = normalisedAxisWeights(mode, planAxis(height, window, stride));
  const major = (w: { x: number; y: number }) => (order === 'column' ? w.x : w.y);
  const windows = planWindows(width, height, view).sort((a, b) => major(a) - major(b));
  const lineCount = order === 'column' ? width : height;
  const acc = new LineAccumulator(order, width, height, Math.min(window, lineCount));
  const out = new Float32Array(width * height);
  const crop = new Float32Array(window * window);
  let done = 0;
  windows.forEach((w, k) => {
    crop.fill(0);
    for (let y = w.y; y < Math.min(height, w.y + window); y++) {
      for (let x = w.x; x < Math.min(width, w.x + window); x++) crop[(y - w.y) * window + x - w.x] = image[y * width + x]!;
    }
    acc.add(w, crop, window, wx[w.ix]!, wy[w.iy]!);
    const next = k + 1 < windows.length ? major(windows[k + 1]!) : lineCount;
    for (; done < next; done++) {
      const line = acc.line(done);
      for (let i = 0; i < line.length; i++) out[order === 'column' ? i * width + done : done * width + i] = line[i]!;
    }
    acc.releaseUpTo(next);
  });
  return out;
}

describe('LineAccumulator.modelRect', () => {
  for (const mode of BLEND_MODES) {
    for (const order of ['column', 'row'] as const) {
      it(`bounds what add reads: model pixels outside it never reach the accumulator (${mode}, ${order})`, () => {
        const [width, height, window, stride, size] = [100, 70, 32, 16, 10];
        const xs = planAxis(width, window, stride);
        const ys = planAxis(height, window, stride);
        const [wx, wy] = [normalisedAxisWeights(mode, xs), normalisedAxisWeights(mode, ys)];
        const acc = new LineAccumulator(order, width, height, order === 'column' ? width : height);
        let inside = 0;
        for (const w of planWindows(width, height, { window, size, stride })) {
          const rect = acc.modelRect(w, size, wx[w.ix]!, wy[w.iy]!);
          if (!rect) continue;
          // NaN everywhere but the rect: one NaN read would spread to the accumulator.
          const plane = new Float32Array(size * size).fill(Number.NaN);
          for (let r = rect.r0; r < rect.r1; r++) for (let c = rect.c0; c < rect.c1; c++) plane[r * size + c] = 1;
          inside += (rect.r1 - rect.r0) * (rect.c1 - rect.c0);
          acc.add(w, plane, size, wx[w.ix]!, wy[w.iy]!);
        }
        for (let line = 0; line < (order === 'column' ? width : height); line++) {
          for (const v of acc.line(line)) assert.ok(Math.abs(v - 1) < 1e-5, `line ${line}: ${v}`);
        }
        if (mode === 'center-crop') assert.ok(inside < 0.5 * planWindows(width, height, { window, size, stride }).length * size * size, `centre-crop reads ${inside} model pixels`);
      });
    }
  }
});

describe('LineAccumulator.thresholdEdges', () => {
  it("gives the edges of each open line's thresholded values, through the ring's reuse of its slots", () => {
    const rnd = mulberry32(5);
    const [width, height] = [37, 29];
    const acc = new LineAccumulator('column', width, height, 8, 2);
    const ones = new Float32Array(height).fill(1);
    let edges = 0;
    for (let x = 0; x < width; x++) {
      // One column at a time, as a window 1 px wide would add it; channel 1 is the opposite, and ignored.
      const column = Float32Array.from({ length: height }, () => (rnd() < 0.5 ? 0.4 : rnd()));
      const planes = new Float32Array(2 * height * height);
      for (let y = 0; y < height; y++) [planes[y * height], planes[height * height + y * height]] = [column[y]!, 1 - column[y]!];
      const weightsX = new Float32Array(height);
      weightsX[0] = 1;
      acc.add({ x, y: 0, width: height, height }, planes, height, weightsX, ones);
      const line = acc.line(x);
      const expected = Array.from(line.keys()).filter((i) => line[i]! >= 0.4 !== (i > 0 && line[i - 1]! >= 0.4));
      assert.deepEqual(Array.from(acc.thresholdEdges(x, 0.4)), expected, `column ${x}`);
      edges += expected.length;
      acc.releaseUpTo(x + 1);
    }
    assert.ok(edges > width, `${edges} edges`);
  });
});
