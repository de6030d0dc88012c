import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeRle, encodeRle, mulberry32 } from '@holdout/metrics';
import { planInference, predictInstances, predictMask, type PredictOptions } from './pipeline.js';
import { planWindows } from './tiling.js';
import { BLEND_MODES, type ImageSource, type PipelineConfig, type Predictor, type Progress, type Region } from './types.js';

type Pixel = (x: number, y: number, c: number) => number;

/** 8-bit pixel values, so that no pixel sits on a threshold such as 0.5. */
const byte = (v: number) => Math.round(Math.min(1, Math.max(0, v)) * 255) / 255;

/**
 * An in-memory image: pixels come from a function (so a large image costs no memory). Regions are
 * resized to the model size by exact area averaging, the way a down-scaling reader does.
 */
class MemorySource implements ImageSource {
  reads = 0;
  constructor(
    readonly id: string,
    readonly width: number,
    readonly height: number,
    private readonly pixel: Pixel,
    private readonly tissue: (region: Region) => number = () => 1,
  ) {}

  async read(region: Region, size: number, channels: 1 | 3): Promise<Float32Array> {
    this.reads++;
    const side = region.width;
    const crop = new Float32Array(side * side);
    const out = new Float32Array(channels * size * size);
    const weights = areaWeights(side, size);
    for (let c = 0; c < channels; c++) {
      for (let dy = 0; dy < side; dy++) {
        for (let dx = 0; dx < side; dx++) {
          const [x, y] = [region.x + dx, region.y + dy];
          crop[dy * side + dx] = x >= 0 && y >= 0 && x < this.width && y < this.height ? this.pixel(x, y, c) : 0;
        }
      }
      if (side === size) {
        out.set(crop, c * size * size);
        continue;
      }
      for (let oy = 0; oy < size; oy++) {
        for (let ox = 0; ox < size; ox++) {
          let v = 0;
          for (const [sy, wy] of weights[oy]!) for (const [sx, wx] of weights[ox]!) v += crop[sy * side + sx]! * wy * wx;
          out[(c * size + oy) * size + ox] = v;
        }
      }
    }
    return out;
  }

  async tissueFraction(region: Region): Promise<number> {
    return this.tissue(region);
  }

  async close(): Promise<void> {}
}

/** For each of `outSize` output pixels, the source pixels it averages and their weights. */
function areaWeights(inSize: number, outSize: number): Array<Array<[number, number]>> {
  const scale = inSize / outSize;
  return Array.from({ length: outSize }, (_, o) => {
    const [from, to] = [o * scale, (o + 1) * scale];
    const taps: Array<[number, number]> = [];
    for (let s = Math.floor(from); s < Math.ceil(to); s++) taps.push([s, (Math.min(to, s + 1) - Math.max(from, s)) / scale]);
    return taps;
  });
}

/**
 * A model written in JS: output channel k of each patch is `f(input channel k denormalised, row,
 * col)`, i.e. a function of the pixel values in 0..1. Counts calls and patches.
 */
function jsPredictor(
  config: PipelineConfig,
  f: (value: number, row: number, col: number, size: number) => number = (v) => v,
): Predictor & { calls: number; patches: number; largestBatch: number } {
  const { mean, std } = config.input;
  const outputChannels = config.output.channels;
  return {
    outputChannels,
    calls: 0,
    patches: 0,
    largestBatch: 0,
    async run(input, batch, channels, size) {
      this.calls++;
      this.patches += batch;
      this.largestBatch = Math.max(this.largestBatch, batch);
      assert.equal(input.length, batch * channels * size * size);
      const plane = size * size;
      const out = new Float32Array(batch * outputChannels * plane);
      for (let n = 0; n < batch; n++) {
        for (let k = 0; k < outputChannels; k++) {
          const c = Math.min(k, channels - 1);
          for (let i = 0; i < plane; i++) {
            const value = input[(n * channels + c) * plane + i]! * std[c]! + mean[c]!;
            out[(n * outputChannels + k) * plane + i] = f(value, Math.floor(i / size), i % size, size);
          }
        }
      }
      return out;
    },
    async close() {},
  };
}

function config(overrides: Partial<PipelineConfig> = {}): PipelineConfig {
  return {
    input: { channels: 1, mean: [0.485], std: [0.229] },
    output: { kind: 'probabilities', channels: 1 },
    views: [{ window: 32, size: 32, stride: 16 }],
    blend: 'center-crop',
    tta: ['identity'],
    threshold: 0.5,
    tissue: { minTissue: 0 },
    ...overrides,
  };
}

/** The RLE of the mask `value(x, y) ≥ threshold` over the whole image. */
function expectedRle(width: number, height: number, value: (x: number, y: number) => number, threshold: number, order: 'column' | 'row') {
  const mask = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) mask[y * width + x] = value(x, y) >= threshold ? 1 : 0;
  return encodeRle(mask, height, width, order);
}

function randomImage(width: number, height: number, seed: number): Pixel {
  const rnd = mulberry32(seed);
  const values = Float32Array.from({ length: width * height }, () => byte(rnd()));
  return (x, y) => values[y * width + x]!;
}

const disc =
  (cx: number, cy: number, r: number): Pixel =>
  (x, y) =>
    (x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2 <= r * r ? 1 : 0;

describe('predictMask: an identity model reproduces the thresholded image', () => {
  const shapes: Array<[width: number, height: number, window: number, stride: number]> = [
    [150, 110, 32, 16],
    [97, 61, 32, 30],
    [20, 24, 32, 16], // smaller than the window
  ];
  for (const blend of BLEND_MODES) {
    for (const order of ['column', 'row'] as const) {
      for (const [width, height, window, stride] of shapes) {
        it(`${blend}, ${order} order, ${width}x${height}, window ${window}, stride ${stride}`, async () => {
          const pixel = randomImage(width, height, width + height);
          const cfg = config({ blend, views: [{ window, size: window, stride }] });
          const rle = await predictMask({ source: new MemorySource('img', width, height, pixel), predictor: jsPredictor(cfg), config: cfg, order });
          assert.equal(rle, expectedRle(width, height, (x, y) => pixel(x, y, 0), 0.5, order));
        });
      }
    }
  }

  it('three input channels, normalised per channel', async () => {
    const [width, height] = [70, 50];
    const channels = [randomImage(width, height, 1), randomImage(width, height, 2), randomImage(width, height, 3)];
    const cfg = config({ input: { channels: 3, mean: [0.2, 0.5, 0.8], std: [0.1, 0.3, 2] } });
    const source = new MemorySource('rgb', width, height, (x, y, c) => channels[c]!(x, y, 0));
    const rle = await predictMask({ source, predictor: jsPredictor(cfg), config: cfg, order: 'row' });
    assert.equal(rle, expectedRle(width, height, (x, y) => channels[0]!(x, y, 0), 0.5, 'row'));
  });
});

describe('predictMask: down-scaled views', () => {
  for (const blend of BLEND_MODES) {
    it(`${blend}: a disc read at window 64, size 20 stays within a model pixel of the truth`, async () => {
      const [width, height] = [200, 160];
      const truth = disc(93.3, 77.8, 45);
      const cfg = config({ blend, views: [{ window: 64, size: 20, stride: 32 }] });
      const source = new MemorySource('disc', width, height, truth);
      const rle = await predictMask({ source, predictor: jsPredictor(cfg), config: cfg, order: 'column' });
      const mask = decodeRle(rle, height, width, 'column');
      let [both, a, b] = [0, 0, 0];
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          const [t, p] = [truth(x, y, 0), mask[y * width + x]!];
          [both, a, b] = [both + (t & p), a + t, b + p];
          if (t !== p) {
            const off = Math.abs(Math.hypot(x + 0.5 - 93.3, y + 0.5 - 77.8) - 45);
            assert.ok(off <= 64 / 20 + 1, `(${x}, ${y}) is wrong ${off} px from the boundary`);
          }
        }
      }
      assert.ok((2 * both) / (a + b) > 0.97, `Dice ${(2 * both) / (a + b)}`);
    });
  }
});

describe('predictMask: test-time augmentation', () => {
  const [width, height] = [90, 70];
  const pixel = randomImage(width, height, 9);
  const run = (cfg: PipelineConfig, f?: (v: number, r: number, c: number, s: number) => number) =>
    predictMask({ source: new MemorySource('tta', width, height, pixel), predictor: jsPredictor(cfg, f), config: cfg, order: 'row' });

  it('a flip-equivariant model gives the same mask with or without TTA', async () => {
    const plain = await run(config());
    for (const tta of [['identity', 'hflip'], ['vflip', 'rot90', 'rot180', 'rot270']] as const) {
      assert.equal(await run(config({ tta: [...tta] })), plain, tta.join('+'));
    }
  });

  // This model weighs each pixel by a left-to-right ramp across its patch: not flip-equivariant.
  // Undone correctly, the ramp and its mirror average to 1/2 under identity+hflip and under the
  // four rotations, so the prediction is exactly half the pixel value; a missing or wrong undo
  // leaves the ramp in.
  const ramp = (v: number, _r: number, c: number, s: number) => (v * c) / (s - 1);
  const half = (order: 'column' | 'row') => expectedRle(width, height, (x, y) => pixel(x, y, 0) / 2, 0.25, order);
  for (const tta of [
    ['identity', 'hflip'],
    ['vflip', 'hflip'],
    ['identity', 'rot90', 'rot180', 'rot270'],
  ] as const) {
    it(`undoes ${tta.join('+')} on a model that is not flip-equivariant`, async () => {
      for (const blend of BLEND_MODES) {
        const cfg = config({ tta: [...tta], threshold: 0.25, blend });
        assert.equal(await run(cfg, ramp), half('row'), blend);
      }
    });
  }

  it('without TTA the ramp model does not halve the image (the test above can fail)', async () => {
    assert.notEqual(await run(config({ threshold: 0.25 }), ramp), half('row'));
  });

  it("keeps a predictor's parallel runs busy, and blends answers that come back out of order in order", async () => {
    const cfg = config({ tta: ['identity', 'hflip', 'vflip'] });
    const source = () => new MemorySource('p', width, height, pixel);
    const expected = await predictMask({ source: source(), predictor: jsPredictor(cfg, ramp), config: cfg, order: 'column', batchSize: 3 });
    for (const parallelRuns of [2, 3]) {
      const inner = jsPredictor(cfg, ramp);
      let inFlight = 0;
      let most = 0;
      let call = 0;
      const predictor: Predictor = {
        outputChannels: inner.outputChannels,
        parallelRuns,
        // Every other call answers later than the one after it.
        async run(input, batch, channels, size) {
          const delay = call++ % 2 === 0 ? 20 : 1;
          most = Math.max(most, ++inFlight);
          const output = await inner.run(input, batch, channels, size);
          await new Promise((resolve) => setTimeout(resolve, delay));
          inFlight--;
          return output;
        },
        close: async () => undefined,
      };
      const rle = await predictMask({ source: source(), predictor, config: cfg, order: 'column', batchSize: 3 });
      assert.equal(rle, expected, `${parallelRuns} runs at once`);
      assert.equal(most, parallelRuns, `${parallelRuns} runs at once: at most ${most} calls were in flight`);
    }
  });

  it('a failed call with another in flight fails the image with its error, and leaves no rejection unhandled', async () => {
    const cfg = config({ tta: ['identity', 'hflip', 'vflip'] });
    // Reads that take a while, so that a call fails while the pipeline waits for the next batch's reads.
    class SlowSource extends MemorySource {
      override async read(region: Region, size: number, channels: 1 | 3): Promise<Float32Array> {
        await new Promise((resolve) => setTimeout(resolve, 5));
        return super.read(region, size, channels);
      }
    }
    let calls = 0;
    const predictor: Predictor = {
      outputChannels: 1,
      parallelRuns: 2,
      run: async () => {
        calls++;
        throw new Error(`model output the wrong shape (call ${calls})`);
      },
      close: async () => undefined,
    };
    const unhandled: unknown[] = [];
    const record = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', record);
    try {
      await assert.rejects(predictMask({ source: new SlowSource('f', width, height, pixel), predictor, config: cfg, order: 'column', batchSize: 3 }), /call 1\)/);
      await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      process.off('unhandledRejection', record);
    }
    assert.deepEqual(unhandled, []);
  });

  it('shares its batch among the parallel runs: two runs at once take half the windows each', async () => {
    const cfg = config({ tta: ['identity', 'hflip', 'vflip'] });
    const one = jsPredictor(cfg);
    const two = Object.assign(jsPredictor(cfg), { parallelRuns: 2 });
    for (const predictor of [one, two]) await predictMask({ source: new MemorySource('s', width, height, pixel), predictor, config: cfg, order: 'column', batchSize: 12 });
    assert.equal(one.largestBatch, 12); // four windows of three passes
    assert.equal(two.largestBatch, 6); // two windows of three passes
    assert.equal(two.patches, one.patches);
  });

  it('batches every pass of a window in one call, at most batchSize patches', async () => {
    const cfg = config({ tta: ['identity', 'hflip', 'vflip'] });
    const predictor = jsPredictor(cfg);
    await predictMask({ source: new MemorySource('b', width, height, pixel), predictor, config: cfg, order: 'column', batchSize: 7 });
    const windows = planInference(width, height, cfg, 'column').windows.length;
    assert.equal(predictor.patches, windows * 3);
    assert.equal(predictor.largestBatch, 6); // two windows of three passes
  });
});

describe('predictMask: several views', () => {
  const [width, height] = [120, 90];
  const pixel = randomImage(width, height, 4);
  const views = [
    { window: 32, size: 32, stride: 16 },
    { window: 48, size: 48, stride: 40 },
  ];

  it('two views of an identity model reproduce the image', async () => {
    for (const order of ['column', 'row'] as const) {
      const cfg = config({ views, blend: 'gaussian' });
      const rle = await predictMask({ source: new MemorySource('v', width, height, pixel), predictor: jsPredictor(cfg), config: cfg, order });
      assert.equal(rle, expectedRle(width, height, (x, y) => pixel(x, y, 0), 0.5, order));
    }
  });

  it('views are averaged with equal weight', async () => {
    // The model answers 0.2 on 32-pixel patches and 0.6 on 48-pixel ones: the average is 0.4.
    const constant = (_v: number, _r: number, _c: number, size: number) => (size === 32 ? 0.2 : 0.6);
    const run = (cfg: PipelineConfig) =>
      predictMask({ source: new MemorySource('v', width, height, pixel), predictor: jsPredictor(cfg, constant), config: cfg, order: 'column' });
    assert.equal(await run(config({ views, threshold: 0.39 })), `1 ${width * height}`);
    assert.equal(await run(config({ views, threshold: 0.41 })), '');
    assert.equal(await run(config({ views: [views[0]!], threshold: 0.39 })), '');
  });
});

describe('predictMask: input buffers', () => {
  it('lets a predictor take over (detach) each batch’s input, as a transferring thread does', async () => {
    const [width, height] = [100, 70];
    const pixel = randomImage(width, height, 6);
    const cfg = config({ tta: ['identity', 'vflip'] });
    const inner = jsPredictor(cfg);
    const predictor: Predictor = {
      outputChannels: 1,
      async run(input, batch, channels, size) {
        assert.equal(input.byteLength, input.buffer.byteLength, 'the input spans its own buffer');
        const moved = new Float32Array(structuredClone(input.buffer, { transfer: [input.buffer as ArrayBuffer] }));
        return inner.run(moved, batch, channels, size);
      },
      close: async () => {},
    };
    const rle = await predictMask({ source: new MemorySource('d', width, height, pixel), predictor, config: cfg, order: 'column' });
    assert.equal(rle, expectedRle(width, height, (x, y) => pixel(x, y, 0), 0.5, 'column'));
  });
});

describe('predictMask: background windows', () => {
  it('skips windows with too little tissue and predicts them empty', async () => {
    const [width, height] = [128, 96];
    // all foreground, but the left 48 columns look like glass
    const tissue = (r: Region) => (r.x + r.width <= 48 ? 0 : r.x >= 48 ? 1 : (r.x + r.width - 48) / r.width);
    const cfg = config({ tissue: { minTissue: 0.5 } });
    const predictor = jsPredictor(cfg);
    const source = new MemorySource('t', width, height, () => 1, tissue);
    const rle = await predictMask({ source, predictor, config: cfg, order: 'row' });
    const windows = planWindows(width, height, cfg.views[0]!);
    const kept = windows.filter((w) => tissue(w) >= 0.5);
    assert.ok(kept.length > 0 && kept.length < windows.length);
    assert.equal(predictor.patches, kept.length);
    assert.equal(source.reads, kept.length);
    // centre-crop: a pixel is foreground where the window that keeps it was predicted
    const inKept = (x: number, y: number) =>
      kept.some((w) => x >= w.keep.x && x < w.keep.x + w.keep.width && y >= w.keep.y && y < w.keep.y + w.keep.height);
    assert.equal(rle, expectedRle(width, height, (x, y) => (inKept(x, y) ? 1 : 0), 0.5, 'row'));
  });

  it('tells a source that prefetches of the windows it will read, ahead of reading them, and of no background window', async () => {
    const [width, height] = [160, 96];
    const tissue = (r: Region) => (r.x + r.width <= 48 ? 0 : r.x >= 48 ? 1 : (r.x + r.width - 48) / r.width);
    const cfg = config({ tissue: { minTissue: 0.5 } });
    const events: string[] = [];
    const asked = new Map<string, number>();
    const source = new (class extends MemorySource {
      override async read(region: Region, size: number, channels: 1 | 3) {
        events.push(`read ${region.x},${region.y}`);
        return super.read(region, size, channels);
      }
      prefetch(region: Region, size: number) {
        assert.equal(size, 32);
        events.push(`hint ${region.x},${region.y}`);
      }
      override async tissueFraction(region: Region) {
        const key = `${region.x},${region.y}`;
        asked.set(key, (asked.get(key) ?? 0) + 1);
        return super.tissueFraction(region);
      }
    })('p', width, height, () => 1, tissue);
    const predictor = jsPredictor(cfg);
    // One window per call: hints run three calls ahead of the reads.
    await predictMask({ source, predictor, config: cfg, order: 'column', batchSize: 1 });
    const kept = planWindows(width, height, cfg.views[0]!).filter((w) => tissue(w) >= 0.5);
    const hints = events.filter((e) => e.startsWith('hint'));
    const reads = events.filter((e) => e.startsWith('read'));
    assert.equal(reads.length, kept.length);
    // The first call's window is read at once; every later one was hinted first, and no background one.
    assert.deepEqual(hints.map((h) => h.slice(5)).sort(), reads.slice(1).map((r) => r.slice(5)).sort());
    for (const read of reads.slice(1)) {
      const at = read.slice(5);
      assert.ok(events.indexOf(`hint ${at}`) < events.indexOf(read), `${at} hinted before it was read`);
    }
    // Hinted calls before it is read, not just before.
    const last = reads.at(-1)!.slice(5);
    assert.ok(events.indexOf(`read ${last}`) - events.indexOf(`hint ${last}`) > 2, events.join('; '));
    assert.ok([...asked.values()].every((n) => n === 1), "each window's tissue is looked at once");
  });

  for (const order of ['column', 'row'] as const) {
    it(`gets past background stretches wider than its band of lines (${order} order): they are empty`, async () => {
      // Lines run along x in column order, along y in row order; the band holds one window (32 lines).
      const long = 256;
      const [width, height] = order === 'column' ? [long, 48] : [48, long];
      const at = (r: Region) => (order === 'column' ? r.x : r.y);
      // Tissue at the start and from 160 to 192; background between (96 lines) and after (64 lines).
      const tissue = (r: Region) => (at(r) < 48 || (at(r) >= 160 && at(r) < 192) ? 1 : 0);
      const cfg = config({ tissue: { minTissue: 0.5 } });
      const predictor = jsPredictor(cfg);
      const source = new MemorySource('gap', width, height, () => 1, tissue);
      const rle = await predictMask({ source, predictor, config: cfg, order });
      const kept = planWindows(width, height, cfg.views[0]!).filter((w) => tissue(w) >= 0.5);
      assert.ok(kept.length > 0);
      const inKept = (x: number, y: number) =>
        kept.some((w) => x >= w.keep.x && x < w.keep.x + w.keep.width && y >= w.keep.y && y < w.keep.y + w.keep.height);
      assert.equal(rle, expectedRle(width, height, (x, y) => (inKept(x, y) ? 1 : 0), 0.5, order));
    });
  }
});

describe('predictMask: progress and cancellation', () => {
  const [width, height] = [160, 120];
  const pixel = randomImage(width, height, 5);

  it('reports progress after each batch up to every window and pass', async () => {
    const cfg = config({ tta: ['identity', 'hflip'] });
    const seen: Progress[] = [];
    await predictMask({
      source: new MemorySource('p', width, height, pixel),
      predictor: jsPredictor(cfg),
      config: cfg,
      order: 'column',
      onProgress: (p) => seen.push(p),
      imageIndex: 2,
      images: 5,
    });
    const total = planInference(width, height, cfg, 'column').windows.length * 2;
    assert.ok(seen.length > 1);
    for (let k = 1; k < seen.length; k++) assert.ok(seen[k]!.done > seen[k - 1]!.done);
    assert.deepEqual(seen.at(-1), { imageId: 'p', imageIndex: 2, images: 5, done: total, total });
  });

  it('stops between batches when aborted, with the signal’s reason', async () => {
    const cfg = config();
    const predictor = jsPredictor(cfg);
    const controller = new AbortController();
    const reason = new Error('cancelled by the organiser');
    await assert.rejects(
      predictMask({
        source: new MemorySource('a', width, height, pixel),
        predictor,
        config: cfg,
        order: 'row',
        onProgress: () => controller.abort(reason),
        signal: controller.signal,
      }),
      (err) => err === reason,
    );
    // the call for the next batch is already running when the first is blended
    assert.ok(predictor.calls <= 2, `${predictor.calls} calls`);
    assert.ok(planInference(width, height, cfg, 'row').windows.length > 4 * 8);
  });

  it('does not start when already aborted', async () => {
    const cfg = config();
    const predictor = jsPredictor(cfg);
    await assert.rejects(
      predictMask({ source: new MemorySource('a', width, height, pixel), predictor, config: cfg, order: 'row', signal: AbortSignal.abort() }),
      { name: 'AbortError' },
    );
    assert.equal(predictor.calls, 0);
  });
});

describe('predictMask: memory is bounded by a band', () => {
  it('a 4000x3000 image with 512-pixel windows keeps one band of lines', async () => {
    const [width, height] = [4000, 3000];
    const pixel: Pixel = (x, y) => ((x >> 7) + (y >> 6)) % 3 === 0 || disc(2100, 1400, 900)(x, y, 0) ? 0.8 : 0.2;
    for (const order of ['column', 'row'] as const) {
      const cfg = config({ views: [{ window: 512, size: 512, stride: 256 }], blend: 'count' });
      const plan = planInference(width, height, cfg, order);
      assert.equal(plan.bandLines, 512);
      assert.equal(plan.accumulatorValues, 512 * (order === 'column' ? height : width));
      assert.ok(plan.accumulatorValues <= (width * height) / 5);
      const options: PredictOptions = { source: new MemorySource('big', width, height, pixel), predictor: jsPredictor(cfg), config: cfg, order, batchSize: 16 };
      assert.equal(await predictMask(options), expectedRle(width, height, (x, y) => pixel(x, y, 0), 0.5, order), order);
    }
  });

  it('hands every output back to the predictor once it is blended, and reads none after', async () => {
    const [width, height] = [150, 110];
    const pixel = randomImage(width, height, 12);
    const cfg = config({ tta: ['identity', 'hflip'], blend: 'count' });
    const base = jsPredictor(cfg);
    const given = new Set<Float32Array>();
    const released: Float32Array[] = [];
    const predictor: Predictor = {
      ...base,
      run: async (...args) => {
        const output = await base.run(...args);
        given.add(output);
        return output;
      },
      // Spoiled once handed back: a read after that would change the mask.
      releaseOutput: (output) => (released.push(output), output.fill(Number.NaN)),
    };
    const options: PredictOptions = { source: new MemorySource('r', width, height, pixel), predictor, config: cfg, order: 'row' };
    assert.equal(await predictMask(options), expectedRle(width, height, (x, y) => pixel(x, y, 0), 0.5, 'row'));
    assert.ok(given.size > 1);
    assert.deepEqual(new Set(released), given);
    assert.equal(released.length, given.size, 'each once');
  });

  it('writes every value of a recycled input buffer (a predictor\'s spare holds anything)', async () => {
    const [width, height] = [150, 110];
    const pixel = randomImage(width, height, 11);
    for (const tta of [['identity', 'hflip', 'rot90'], ['vflip', 'rot270']] as PipelineConfig['tta'][]) {
      const cfg = config({ input: { channels: 3, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] }, tta, blend: 'count' });
      const handedOut: number[] = [];
      const predictor = { ...jsPredictor(cfg), inputBuffer: (length: number) => (handedOut.push(length), new Float32Array(length).fill(Number.NaN)) };
      const options: PredictOptions = { source: new MemorySource('r', width, height, pixel), predictor, config: cfg, order: 'column' };
      assert.equal(await predictMask(options), expectedRle(width, height, (x, y) => pixel(x, y, 0), 0.5, 'column'), tta.join());
      assert.ok(handedOut.length > 0);
    }
  });

  it('normalises a source\'s bytes exactly as it normalises the same pixels as floats', async () => {
    const [width, height, channels] = [70, 50, 3];
    const rnd = mulberry32(3);
    const bytes = Uint8Array.from({ length: width * height * channels }, () => Math.floor(rnd() * 256));
    // Nearest-neighbour crops of the bytes (the window is the model size here), as `readBytes` and `read` give them.
    const crop = (r: Region) => {
      const out = new Uint8Array(r.width * r.height * channels);
      for (let y = 0; y < r.height; y++) {
        for (let x = 0; x < r.width; x++) {
          const [sx, sy] = [r.x + x, r.y + y];
          if (sx < 0 || sy < 0 || sx >= width || sy >= height) continue;
          for (let c = 0; c < channels; c++) out[(y * r.width + x) * channels + c] = bytes[(sy * width + sx) * channels + c]!;
        }
      }
      return out;
    };
    const planar = (b: Uint8Array, size: number) => {
      const out = new Float32Array(b.length);
      for (let c = 0; c < channels; c++) for (let p = 0; p < size * size; p++) out[c * size * size + p] = b[p * channels + c]! / 255;
      return out;
    };
    const floats: ImageSource = { id: 'f', width, height, read: async (r, size) => planar(crop(r), size), tissueFraction: async () => 1, close: async () => {} };
    const byteSource: ImageSource = { ...floats, id: 'b', readBytes: async (r) => crop(r), read: async () => assert.fail('the byte path should be used') };
    const cfg = config({ input: { channels: 3, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] }, tta: ['hflip', 'identity', 'rot90'] });
    const inputs = async (source: ImageSource) => {
      const seen: Float32Array[] = [];
      const predictor = { ...jsPredictor(cfg), run: async (input: Float32Array, batch: number, _c: number, size: number) => (seen.push(input.slice()), new Float32Array(batch * size * size)) };
      await predictMask({ source, predictor, config: cfg, order: 'row' });
      return seen;
    };
    const [a, b] = [await inputs(floats), await inputs(byteSource)];
    assert.equal(a.length, b.length);
    a.forEach((x, i) => assert.ok(x.every((v, j) => Object.is(v, b[i]![j])), `call ${i}: the model inputs differ`));
    // A source that copies into the arrays the pipeline lends it: the same inputs, from a few arrays reused.
    const lent = new Set<Uint8Array>();
    const intoSource: ImageSource = {
      ...byteSource,
      id: 'i',
      readBytes: async (r, _size, _channels, into) => {
        assert.ok(into, 'an array is lent');
        lent.add(into);
        into.set(crop(r));
        return into;
      },
    };
    const c = await inputs(intoSource);
    assert.equal(c.length, a.length);
    a.forEach((x, i) => assert.ok(x.every((v, j) => Object.is(v, c[i]![j])), `call ${i}: the model inputs differ with lent arrays`));
    assert.ok(a.length > 2 && lent.size <= 2, `${lent.size} arrays lent for ${a.length} calls`);
  });

  it('the band is the largest window of all views', () => {
    const cfg = config({ views: [{ window: 64, size: 32, stride: 32 }, { window: 96, size: 48, stride: 64 }] });
    assert.equal(planInference(1000, 800, cfg, 'column').accumulatorValues, 96 * 800);
    assert.equal(planInference(1000, 50, cfg, 'row').accumulatorValues, 50 * 1000);
  });
});

describe('predictMask: configuration and model checks', () => {
  const source = new MemorySource('c', 40, 30, () => 0.5);
  const bad: Array<[name: string, cfg: PipelineConfig, message: RegExp]> = [
    ['no views', config({ views: [] }), /at least one view/],
    ['a stride past the window', config({ views: [{ window: 16, size: 16, stride: 17 }] }), /stride 17 is larger than its window 16/],
    ['no TTA', config({ tta: [] }), /at least one TTA transform/],
    ['std of 0', config({ input: { channels: 1, mean: [0], std: [0] } }), /std finite and non-zero/],
    ['mean of the wrong length', config({ input: { channels: 3, mean: [0], std: [1, 1, 1] } }), /mean and std need 3 values/],
    ['classes without their channels', config({ output: { kind: 'logits', channels: 2 }, instances: { method: 'components', minArea: 0, classes: [{ name: 'a', minArea: 0 }, { name: 'b', minArea: 0 }] } }), /output channels \(2\) must be 1 to 3 \(foreground, boundary, centre\) plus one per class \(2\)/],
    ['a class named twice', config({ output: { kind: 'logits', channels: 3 }, instances: { method: 'components', minArea: 0, classes: [{ name: 'a', minArea: 0 }, { name: 'a', minArea: 0 }] } }), /distinct non-empty names/],
    ['a fractional class minimum', config({ output: { kind: 'logits', channels: 2 }, instances: { method: 'components', minArea: 0, classes: [{ name: 'a', minArea: 1.5 }] } }), /class "a" minArea must be a non-negative integer/],
  ];
  for (const [name, cfg, message] of bad) {
    it(`refuses ${name}`, async () => {
      await assert.rejects(predictMask({ source, predictor: jsPredictor(config()), config: cfg, order: 'row' }), message);
    });
  }

  it('refuses a model with more output channels than the pipeline reads', async () => {
    const cfg = config();
    await assert.rejects(
      predictMask({ source, predictor: jsPredictor(config({ output: { kind: 'logits', channels: 3 } })), config: cfg, order: 'row' }),
      /the model has 3 output channels; this pipeline reads 1 to 1/,
    );
  });

  it('refuses a model that returns the wrong number of values', async () => {
    const cfg = config();
    const predictor = { ...jsPredictor(cfg), run: async () => new Float32Array(3) };
    await assert.rejects(predictMask({ source, predictor, config: cfg, order: 'row' }), /returned 3 values for \d+ patches/);
  });
});

describe('predictInstances', () => {
  it('finds separate discs as instances with connected components', async () => {
    const [width, height] = [140, 100];
    const discs = [disc(30, 30, 15), disc(90, 60, 20), disc(120, 15, 6)];
    const pixel: Pixel = (x, y) => (discs.some((d) => d(x, y, 0)) ? 0.9 : 0.1);
    const cfg = config({ instances: { method: 'components', minArea: 10 }, blend: 'gaussian' });
    for (const order of ['column', 'row'] as const) {
      const rles = await predictInstances({ source: new MemorySource('i', width, height, pixel), predictor: jsPredictor(cfg), config: cfg, order });
      const expected = discs.map((d) => expectedRle(width, height, (x, y) => d(x, y, 0), 0.5, order));
      assert.deepEqual([...rles].sort(), [...expected].sort());
    }
  });

  it('takes a model with fewer channels than the pipeline reads (foreground only: no boundary, no centre)', async () => {
    const [width, height] = [140, 100];
    const discs = [disc(30, 30, 15), disc(90, 60, 20)];
    const pixel: Pixel = (x, y) => (discs.some((d) => d(x, y, 0)) ? 0.9 : 0.1);
    const oneChannel = config({ instances: { method: 'components', minArea: 10 } });
    const reads3 = { ...oneChannel, output: { kind: oneChannel.output.kind, channels: 3 } };
    const rles = await predictInstances({ source: new MemorySource('f', width, height, pixel), predictor: jsPredictor(oneChannel), config: reads3, order: 'row' });
    assert.deepEqual([...rles].sort(), discs.map((d) => expectedRle(width, height, (x, y) => d(x, y, 0), 0.5, 'row')).sort());
  });

  it('with classes: each disc takes the class of its channel, and is kept by that class\'s minimum area', async () => {
    const [width, height] = [120, 80];
    const small = disc(30, 30, 7); // about 150 px
    const large = disc(80, 40, 12); // about 450 px
    // Input channel 0: foreground; 1: class "a" (the small disc); 2: class "b" (the large one). The
    // JS model passes them through as its output channels: foreground, then one per class.
    const pixel: Pixel = (x, y, c) => (c === 0 ? (small(x, y, 0) || large(x, y, 0) ? 0.9 : 0.1) : c === 1 ? (small(x, y, 0) ? 0.8 : 0.2) : large(x, y, 0) ? 0.8 : 0.2);
    const classed = (a: number, b: number) =>
      config({
        input: { channels: 3, mean: [0, 0, 0], std: [1, 1, 1] },
        output: { kind: 'probabilities', channels: 3 },
        views: [{ window: 32, size: 32, stride: 16 }],
        blend: 'gaussian',
        tta: ['identity', 'hflip'],
        instances: { method: 'components', minArea: 0, classes: [{ name: 'a', minArea: a }, { name: 'b', minArea: b }] },
      });
    const rle = (d: Pixel) => expectedRle(width, height, (x, y) => d(x, y, 0), 0.5, 'row');
    const cases: Array<[a: number, b: number, kept: Pixel[]]> = [
      [0, 0, [small, large]],
      [200, 0, [large]], // the small disc is an "a", under 200 px
      [0, 200, [small, large]], // the large disc is a "b", over 200 px
      [0, 1000, [small]],
    ];
    for (const [a, b, kept] of cases) {
      const cfg = classed(a, b);
      const rles = await predictInstances({ source: new MemorySource('k', width, height, pixel), predictor: jsPredictor(cfg), config: cfg, order: 'row' });
      assert.deepEqual(rles, kept.map(rle), `minimum areas ${a} and ${b}`);
    }
  });

  it('with classes, refuses a model without every channel (the class channels come last), as a wrong output shape', async () => {
    const cfg = config({ output: { kind: 'probabilities', channels: 3 }, instances: { method: 'components', minArea: 0, classes: [{ name: 'a', minArea: 0 }, { name: 'b', minArea: 0 }] } });
    const foregroundOnly = jsPredictor(config());
    await assert.rejects(predictInstances({ source: new MemorySource('s', 40, 30, () => 0.5), predictor: foregroundOnly, config: cfg, order: 'row' }), (err: Error & { code?: string; modelFault?: boolean }) => {
      assert.equal(err.code, 'MODEL_OUTPUT_SHAPE');
      assert.equal(err.modelFault, true);
      assert.match(err.message, /the model has 1 output channels; this pipeline reads 3 \(1 for the instances, then one per class: a, b\)/);
      return true;
    });
  });

  it('splits touching discs by watershed on boundary and centre channels', async () => {
    const [width, height] = [100, 60];
    const a = disc(35, 30, 14);
    const b = disc(60, 30, 14);
    // a 3-channel image that already holds foreground, boundary and centre maps: the identity model
    // passes them through as its three output channels
    const near = (x: number, y: number) => Math.min(Math.hypot(x + 0.5 - 35, y + 0.5 - 30), Math.hypot(x + 0.5 - 60, y + 0.5 - 30));
    const pixel: Pixel = (x, y, c) => {
      const inside = a(x, y, 0) || b(x, y, 0);
      if (c === 0) return inside ? byte(1 - near(x, y) / 40) : 0;
      if (c === 1) return inside && Math.abs(x + 0.5 - 47.5) < 1 ? 1 : 0;
      return near(x, y) < 4 ? 1 : 0;
    };
    const cfg = config({
      input: { channels: 3, mean: [0, 0, 0], std: [1, 1, 1] },
      output: { kind: 'probabilities', channels: 3 },
      instances: { method: 'watershed', minArea: 5 },
    });
    const rles = await predictInstances({ source: new MemorySource('w', width, height, pixel), predictor: jsPredictor(cfg), config: cfg, order: 'row' });
    assert.equal(rles.length, 2);
    const masks = rles.map((rle) => decodeRle(rle, height, width, 'row'));
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const i = y * width + x;
        assert.equal(masks[0]![i]! + masks[1]![i]!, a(x, y, 0) || b(x, y, 0) ? 1 : 0, `(${x}, ${y})`);
        if (x < 45) assert.equal(masks[1]![i], 0);
        if (x > 50) assert.equal(masks[0]![i], 0);
      }
    }
  });
});
