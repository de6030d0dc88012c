import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mulberry32 } from '@holdout/metrics';
import { LineAccumulator } from '../blend.js';
import { BLEND_WASM } from './blend.wasm.js';
import { KernelMemory, MAX_KERNEL_MEMORY_BYTES } from './blend-kernels.js';

// From dist/kernels/ (where this runs) to the package's sources and build script.
const packageDir = new URL('../../', import.meta.url);

describe('blend.wasm.ts', () => {
  it('is blend.wat assembled (run npm run build:kernels -w @holdout/inference after editing the .wat)', async () => {
    const { assembleKernel, kernelModuleSource } = (await import(new URL('scripts/kernels.mjs', packageDir).href)) as {
      assembleKernel: (text: string, file: string) => Promise<Buffer>;
      kernelModuleSource: (file: string, bytes: Buffer) => string;
    };
    const bytes = await assembleKernel(readFileSync(new URL('src/kernels/blend.wat', packageDir), 'utf8'), 'blend.wat');
    assert.equal(BLEND_WASM, bytes.toString('base64'));
    assert.equal(readFileSync(new URL('src/kernels/blend.wasm.ts', packageDir), 'utf8'), kernelModuleSource('blend.wat', bytes));
  });
});

/** Float32 values of many magnitudes and both signs, a few exactly 0 or 1. */
function values(random: () => number, n: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => (i % 17 === 5 ? 0 : i % 13 === 6 ? 1 : (random() - 0.3) * 10 ** Math.floor(random() * 12 - 6)));
}

describe('blend kernels', () => {
  const random = mulberry32(7);
  const memory = new KernelMemory(1 << 16);
  const { kernels } = memory;
  const f32 = () => new Float32Array(memory.buffer);
  // Regions of 1000 floats, at offsets that are not 8-byte aligned (the kernels load two floats at a time).
  const [ACC, A, B, W, OUT] = [4, 1008, 2012, 3016, 4020].map((floats) => floats * 4);
  const LO = 5024 * 4;
  const HI = 6028 * 4;
  const F = 7032 * 4;

  /** Fills the regions with fresh values; returns copies of the accumulator's for the reference. */
  const setUp = (n: number) => {
    const view = f32();
    for (const at of [ACC, A, B, W]) view.set(values(random, n), at / 4);
    return view.slice(ACC / 4, ACC / 4 + n);
  };
  const accumulator = (n: number) => f32().subarray(ACC / 4, ACC / 4 + n);
  const region = (at: number, n: number) => f32().subarray(at / 4, at / 4 + n);

  for (const n of [0, 1, 2, 7, 512, 999]) {
    it(`each kernel equals its JavaScript formula bit for bit (${n} values)`, () => {
      const [f, w] = [Math.fround(random()), random() / 3];
      // The loops the kernels replace (blend.ts before them): float64 arithmetic, stored as float32.
      const cases: [string, (acc: Float32Array, a: Float32Array, b: Float32Array, weights: Float32Array, k: number) => void, () => void][] = [
        ['addScaled', (acc, a, _b, _weights, k) => (acc[k]! += a[k]! * w), () => kernels.addScaled(ACC, A, n, w)],
        ['addScaledWeighted', (acc, a, _b, weights, k) => (acc[k]! += a[k]! * weights[k]! * w), () => kernels.addScaledWeighted(ACC, A, W, n, w)],
        ['addLerp', (acc, a, b, _weights, k) => (acc[k]! += (a[k]! + (b[k]! - a[k]!) * f) * w), () => kernels.addLerp(ACC, A, B, n, f, w)],
        [
          'addLerpWeighted',
          (acc, a, b, weights, k) => (acc[k]! += (a[k]! + (b[k]! - a[k]!) * f) * weights[k]! * w),
          () => kernels.addLerpWeighted(ACC, A, B, W, n, f, w),
        ],
      ];
      for (const [name, formula, kernel] of cases) {
        const before = setUp(n);
        const expected = before.slice();
        for (let k = 0; k < n; k++) formula(expected, region(A, n), region(B, n), region(W, n), k);
        kernel();
        assert.deepEqual(accumulator(n), expected, name);
        if (n > 0) assert.notDeepEqual(accumulator(n), before, `${name} changed the accumulator`);
      }
    });
  }

  it('resizeLine gathers each position from its two taps', () => {
    const n = 999;
    const row = values(random, 300);
    const lo = Int32Array.from({ length: n }, () => Math.floor(random() * 299));
    const hi = lo.map((i) => i + 1);
    const frac = Float32Array.from({ length: n }, () => random());
    f32().set(row, A / 4);
    new Int32Array(memory.buffer, LO, n).set(lo);
    new Int32Array(memory.buffer, HI, n).set(hi);
    f32().set(frac, F / 4);
    kernels.resizeLine(A, LO, HI, F, n, OUT);
    const expected = new Float32Array(n);
    for (let k = 0; k < n; k++) {
      const l = row[lo[k]!]!;
      expected[k] = l + (row[hi[k]!]! - l) * frac[k]!;
    }
    assert.deepEqual(region(OUT, n), expected);
  });
});

describe('thresholdEdges', () => {
  const memory = new KernelMemory(1 << 16);
  const [LINE, OUT] = [4, 4100].map((floats) => floats * 4);
  const random = mulberry32(9);
  // 0.4 is no float32: values either side of it as float32 are compared as JavaScript compares them.
  const near = [Math.fround(0.4), 0.39999997615814209, 0.4000000357627869, 0.4 * (1 + 1e-9), Number.NaN, 0, 1, -0.4, Infinity];
  for (const n of [0, 1, 3, 4, 5, 8, 999, 4000]) {
    it(`lists where (value ≥ threshold) changes, as a JavaScript loop finds it (${n} values)`, () => {
      for (const style of ['noise', 'runs', 'near']) {
        let inside = false;
        const line = Float32Array.from({ length: n }, () => {
          if (style === 'noise') return random();
          if (style === 'near') return near[Math.floor(random() * near.length)]!;
          if (random() < 0.01) inside = !inside;
          return inside ? 0.4 + random() : random() * 0.4;
        });
        new Float32Array(memory.buffer, LINE, n).set(line);
        // A threshold that is a float32 value too: values equal to it are inside.
        for (const threshold of [0.4, Math.fround(0.4)]) {
          const count = memory.kernels.thresholdEdges(LINE, n, threshold, OUT);
          const expected: number[] = [];
          let state = false;
          for (let i = 0; i < n; i++) {
            if (line[i]! >= threshold !== state) expected.push(i);
            state = line[i]! >= threshold;
          }
          assert.deepEqual(Array.from(new Int32Array(memory.buffer, OUT, count)), expected, `${style}, threshold ${threshold}`);
          if (n > 100) assert.ok(expected.length > 0, 'the line has edges');
        }
      }
    });
  }
});

describe('KernelMemory', () => {
  it('grows on demand, keeping what it holds', () => {
    const memory = new KernelMemory(100);
    new Float32Array(memory.buffer).fill(3, 0, 25);
    assert.equal(memory.reserve(10), false);
    assert.equal(memory.reserve(200_000), true);
    assert.ok(memory.buffer.byteLength >= 200_000);
    assert.deepEqual(Array.from(new Float32Array(memory.buffer, 0, 26)), [...Array(25).fill(3), 0]);
  });

  it('hands a released memory to the next one made, cleared as far as asked', () => {
    const first = new KernelMemory(1 << 16);
    new Float32Array(first.buffer).fill(5);
    const buffer = first.buffer;
    first.release();
    const second = new KernelMemory(1000);
    assert.equal(second.buffer, buffer, 'the same memory');
    assert.ok(new Uint8Array(second.buffer, 0, 1000).every((v) => v === 0));
    assert.notEqual(new KernelMemory(1000).buffer, buffer, 'taken once');
  });

  it('refuses more than a WebAssembly memory holds, naming the size', () => {
    assert.throws(() => new KernelMemory(MAX_KERNEL_MEMORY_BYTES + 1), /needs 4294967297 bytes.*at most 4294967296/);
  });
});

describe('LineAccumulator.dispose', () => {
  it('gives the next accumulator a cleared ring and refuses further use', () => {
    const weights = new Float32Array(4).fill(1);
    const first = new LineAccumulator('row', 4, 4, 4);
    first.add({ x: 0, y: 0, width: 4, height: 4 }, new Float32Array(16).fill(0.5), 4, weights, weights);
    assert.deepEqual(Array.from(first.line(3)), [0.5, 0.5, 0.5, 0.5]);
    first.dispose();
    assert.throws(() => first.line(0), /disposed/);
    assert.throws(() => first.add({ x: 0, y: 0, width: 4, height: 4 }, new Float32Array(16), 4, weights, weights), /disposed/);
    const second = new LineAccumulator('row', 4, 4, 4);
    for (let y = 0; y < 4; y++) assert.deepEqual(Array.from(second.line(y)), [0, 0, 0, 0]);
  });
});
