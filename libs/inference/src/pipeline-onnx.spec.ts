import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { encodeRle } from '@holdout/metrics';
import sharp from 'sharp';
import { openImage } from './image-source.js';
import { predictInstances, predictMask } from './pipeline.js';
import { createPredictor } from './session.js';
import { channelIdentityModel, identityModel } from './testing/graphs.js';
import type { PipelineConfig, Predictor } from './types.js';

// The whole path a model submission takes — a PNG read by sharp, onnxruntime on its thread, TTA,
// blending, thresholding, the streamed RLE — with an identity graph built in the test: the mask
// must be exactly the thresholded image, whatever the blend, the TTA and the pixel order.

const [WIDTH, HEIGHT] = [150, 110];

describe('the pipeline with onnxruntime and an identity graph', () => {
  let dir: string;
  let path: string;
  let pixels: Uint8Array;
  let predictor: Predictor;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pipeline-onnx-'));
    path = join(dir, 'grey.png');
    // Blocky noise (8 px cells) so windows, overlaps and borders all matter; no value sits on the threshold.
    pixels = new Uint8Array(WIDTH * HEIGHT);
    let seed = 7;
    const cells = new Map<number, number>();
    for (let y = 0; y < HEIGHT; y++) {
      for (let x = 0; x < WIDTH; x++) {
        const cell = (y >> 3) * 1000 + (x >> 3);
        if (!cells.has(cell)) {
          seed = (seed * 1103515245 + 12345) >>> 0;
          cells.set(cell, seed % 2 === 0 ? 40 + (seed % 60) : 160 + (seed % 80));
        }
        pixels[y * WIDTH + x] = cells.get(cell)!;
      }
    }
    await sharp(pixels, { raw: { width: WIDTH, height: HEIGHT, channels: 1 } }).png().toFile(path);
    predictor = await createPredictor({ models: [identityModel({ channels: 1 })], outputKind: 'probabilities', intraOpThreads: 1, transferInput: true });
  });
  after(async () => {
    await predictor?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const config = (blend: PipelineConfig['blend']): PipelineConfig => ({
    input: { channels: 1, mean: [0], std: [1] },
    output: { kind: 'probabilities', channels: 1 },
    views: [{ window: 64, size: 64, stride: 32 }],
    blend,
    tta: ['identity', 'hflip', 'vflip', 'rot90'],
    threshold: 0.5,
    tissue: { minTissue: 0 },
  });
  const truth = () => Uint8Array.from(pixels, (v) => (v / 255 >= 0.5 ? 1 : 0));

  for (const blend of ['center-crop', 'count', 'gaussian'] as const) {
    for (const order of ['column', 'row'] as const) {
      it(`${blend}, ${order} order: the mask is the thresholded image, exactly`, async () => {
        const source = await openImage(path, 'grey');
        try {
          const rle = await predictMask({ source, predictor, config: config(blend), order });
          assert.equal(rle, encodeRle(truth(), HEIGHT, WIDTH, order));
        } finally {
          await source.close();
        }
      });
    }
  }

  it('instances with classes: a class\'s minimum area drops the instances of that class only', async () => {
    // R: foreground; G: class "small-kind" (the 6×6 square); B: class "large-kind" (the 12×12 square).
    const [w, h] = [48, 32];
    const small = (x: number, y: number) => x >= 4 && x < 10 && y >= 4 && y < 10;
    const large = (x: number, y: number) => x >= 24 && x < 36 && y >= 12 && y < 24;
    const rgb = new Uint8Array(w * h * 3);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const i = (y * w + x) * 3;
        rgb[i] = small(x, y) || large(x, y) ? 230 : 20;
        rgb[i + 1] = small(x, y) ? 200 : 50;
        rgb[i + 2] = large(x, y) ? 200 : 50;
      }
    }
    const colour = join(dir, 'classes.png');
    await sharp(rgb, { raw: { width: w, height: h, channels: 3 } }).png().toFile(colour);
    const threeChannels = await createPredictor({ models: [channelIdentityModel()], outputKind: 'probabilities', intraOpThreads: 1, transferInput: true });
    const source = await openImage(colour, 'classes');
    try {
      const run = (smallMin: number, largeMin: number) =>
        predictInstances({
          source,
          predictor: threeChannels,
          order: 'row',
          config: {
            ...config('gaussian'),
            input: { channels: 3, mean: [0, 0, 0], std: [1, 1, 1] },
            output: { kind: 'probabilities', channels: 3 },
            views: [{ window: 16, size: 16, stride: 8 }],
            instances: { method: 'components', minArea: 0, classes: [{ name: 'small-kind', minArea: smallMin }, { name: 'large-kind', minArea: largeMin }] },
          },
        });
      const mask = (shape: (x: number, y: number) => boolean) => encodeRle(Uint8Array.from({ length: w * h }, (_, i) => (shape(i % w, Math.floor(i / w)) ? 1 : 0)), h, w, 'row');
      assert.deepEqual(await run(36, 144), [mask(small), mask(large)], 'both at exactly their minimum');
      assert.deepEqual(await run(37, 0), [mask(large)], 'the small square is of the small kind, under 37 px');
      assert.deepEqual(await run(0, 145), [mask(small)], 'the large square is of the large kind, under 145 px');
    } finally {
      await source.close();
      await threeChannels.close();
    }
  });

  it('instances: every connected bright region once, none overlapping', async () => {
    const source = await openImage(path, 'grey');
    try {
      const rles = await predictInstances({ source, predictor, config: { ...config('count'), instances: { method: 'components', minArea: 0 } }, order: 'row' });
      assert.ok(rles.length >= 1);
      const covered = new Uint8Array(WIDTH * HEIGHT);
      for (const rle of rles) {
        const tokens = rle.split(' ').map(Number);
        for (let i = 0; i < tokens.length; i += 2) for (let p = tokens[i]! - 1; p < tokens[i]! - 1 + tokens[i + 1]!; p++) covered[p]!++;
      }
      assert.deepEqual(covered, truth(), 'the instances tile the foreground exactly once');
    } finally {
      await source.close();
    }
  });
});
