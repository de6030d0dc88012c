import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { openImage } from './image-source.js';
import { planWindows } from './tiling.js';
import type { ImageSource, Region } from './types.js';

// A 48x36 RGB test card: red = 5·x, green = 7·y, blue = 100.
const [W, H] = [48, 36];
const card = (x: number, y: number, c: number) => (c === 0 ? 5 * x : c === 1 ? 7 * y : 100);

// A 640x512 "slide": white glass on the left half, pink tissue on the right, a black scanner border
// along the bottom 64 rows.
const [SW, SH] = [640, 512];
const slide = (x: number, y: number, c: number) => (y >= 448 ? 5 : x < 320 ? 245 : [200, 120, 170][c]!);

function rawImage(width: number, height: number, value: (x: number, y: number, c: number) => number): Buffer {
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) for (let c = 0; c < 3; c++) data[(y * width + x) * 3 + c] = value(x, y, c);
  return data;
}

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'holdout-image-source-'));
  await sharp(rawImage(W, H, card), { raw: { width: W, height: H, channels: 3 } }).png().toFile(join(dir, 'card.png'));
  await sharp(rawImage(SW, SH, slide), { raw: { width: SW, height: SH, channels: 3 } })
    .tiff({ tile: true, pyramid: true, tileWidth: 64, tileHeight: 64, compression: 'deflate' })
    .toFile(join(dir, 'slide.tif'));
  await sharp(rawImage(W, H, card), { raw: { width: W, height: H, channels: 3 } })
    .tiff({ tile: true, pyramid: true, tileWidth: 16, tileHeight: 16, compression: 'deflate' })
    .toFile(join(dir, 'card.tif'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Expected planar CHW float32 of a region read at its own size (0 outside the image). */
function expected(region: { x: number; y: number; width: number; height: number }, channels: 1 | 3): Float32Array {
  const out = new Float32Array(channels * region.width * region.height);
  for (let c = 0; c < channels; c++) {
    for (let dy = 0; dy < region.height; dy++) {
      for (let dx = 0; dx < region.width; dx++) {
        const [x, y] = [region.x + dx, region.y + dy];
        if (x >= 0 && y >= 0 && x < W && y < H) out[(c * region.height + dy) * region.width + dx] = card(x, y, c) / 255;
      }
    }
  }
  return out;
}

describe('openImage: reading regions', () => {
  for (const file of ['card.png', 'card.tif']) {
    describe(file, () => {
      let image: ImageSource;
      before(async () => {
        image = await openImage(join(dir, file), 'card');
      });
      after(async () => {
        await image.close();
      });

      it('knows its size and id', () => {
        assert.deepEqual([image.id, image.width, image.height], ['card', W, H]);
      });

      const regions = [
        ['inside the image', { x: 5, y: 3, width: 16, height: 16 }],
        ['as high as the image', { x: 12, y: 0, width: H, height: H }],
        ['past the right and bottom edges', { x: 40, y: 30, width: 16, height: 16 }],
        ['past the left and top edges', { x: -6, y: -4, width: 16, height: 16 }],
        ['larger than the image on every side', { x: -3, y: -2, width: 60, height: 60 }],
        ['wholly outside', { x: 100, y: 0, width: 8, height: 8 }],
      ] as const;
      for (const [name, region] of regions) {
        it(`reads a region ${name} as planar RGB in 0..1, zeros outside`, async () => {
          const got = await image.read(region, region.width, 3);
          assert.deepEqual(got, expected(region, 3));
        });
      }

      it('reads one channel as grey', async () => {
        const got = await image.read({ x: 0, y: 0, width: 4, height: 4 }, 4, 1);
        assert.equal(got.length, 16);
        // libvips's luminance lies between the darkest and brightest channel
        for (let i = 0; i < 16; i++) {
          const [x, y] = [i % 4, Math.floor(i / 4)];
          const cs = [0, 1, 2].map((c) => card(x, y, c) / 255);
          assert.ok(got[i]! >= Math.min(...cs) - 0.01 && got[i]! <= Math.max(...cs) + 0.01, `pixel ${i}: ${got[i]}`);
        }
      });

      it('resizes a window to the model size, padding before resizing', async () => {
        // the right half of the window is outside the image: after halving, the right half is 0
        const got = await image.read({ x: W - 16, y: 0, width: 32, height: 32 }, 16, 3);
        assert.equal(got.length, 3 * 16 * 16);
        for (let y = 0; y < 16; y++) {
          for (let x = 10; x < 16; x++) for (let c = 0; c < 3; c++) assert.equal(got[(c * 16 + y) * 16 + x], 0, `(${x}, ${y}) c${c}`);
          // blue is 100 everywhere inside
          for (let x = 0; x < 6; x++) assert.ok(Math.abs(got[(2 * 16 + y) * 16 + x]! - 100 / 255) < 1e-6, `(${x}, ${y}): ${got[(2 * 16 + y) * 16 + x]! * 255}`);
        }
      });

      it('reads one channel of a window past the edge, resized: grey, zeros outside', async () => {
        const got = await image.read({ x: W - 16, y: 0, width: 32, height: 32 }, 16, 1);
        assert.equal(got.length, 16 * 16);
        for (let y = 0; y < 16; y++) for (let x = 10; x < 16; x++) assert.equal(got[y * 16 + x], 0, `(${x}, ${y})`);
      });

      it('refuses regions that are not integers with a positive size', async () => {
        await assert.rejects(image.read({ x: 0.5, y: 0, width: 4, height: 4 }, 4, 3), RangeError);
        await assert.rejects(image.read({ x: 0, y: 0, width: 0, height: 4 }, 4, 3), RangeError);
        await assert.rejects(image.read({ x: 0, y: 0, width: 4, height: 4 }, 0, 3), RangeError);
      });
    });
  }

  it('refuses reads after close', async () => {
    const image = await openImage(join(dir, 'card.png'), 'card');
    await image.close();
    await assert.rejects(image.read({ x: 0, y: 0, width: 4, height: 4 }, 4, 3), /image card is closed/);
  });

  it('refuses a file that is not an image', async () => {
    await assert.rejects(openImage(join(dir, 'missing.tif'), 'missing'));
  });
});

/** A 64 px window read at 20 (RGB) is its part of `scaled` (the whole image, `w`×`h`, down-scaled), black beyond it. */
function assertScaledWindow(got: Uint8Array, win: Region, scaled: Buffer, w: number, h: number): void {
  const [ox, oy] = [(win.x * 20) / 64, (win.y * 20) / 64];
  for (let y = 0; y < 20; y++) {
    const row = Array.from({ length: 60 }, (_, i) => {
      const [x, c] = [ox + Math.floor(i / 3), i % 3];
      return x < w && oy + y < h ? scaled[((oy + y) * w + x) * 3 + c]! : 0;
    });
    assert.deepEqual(Array.from(got.subarray(y * 60, y * 60 + 60)), row, `window (${win.x}, ${win.y}) row ${y}`);
  }
}

describe('openImage: down-scaled windows from shared blocks', () => {
  // 64 px windows every 32 px read at 20: 16 image pixels are 5 read ones, as HuBMAP's 1024 at 320.
  // Down-scaled by 3.2, they are read from the ½ level (page 1), or from full resolution (page 0)
  // when the pyramid is not used.
  const view = { window: 64, size: 20, stride: 32 };
  const [w, h] = [(SW * 20) / 64, (SH * 20) / 64];
  for (const [options, page] of [[{}, 1], [{ pyramid: false }, 0]] as const) {
    const scaledWhole = () => sharp(join(dir, 'slide.tif'), { page }).resize(w, h, { fit: 'fill', kernel: 'linear' }).raw().toBuffer();

    it(`every window of a down-scaling view is its part of the whole image down-scaled, black beyond it (page ${page})`, async () => {
      const scaled = await scaledWhole();
      const image = await openImage(join(dir, 'slide.tif'), 'slide', options);
      try {
        const windows = [...planWindows(SW, SH, view), { x: SW - 32, y: SH - 32, width: 64, height: 64 }];
        for (const win of windows) assertScaledWindow(await image.readBytes!(win, view.size, 3), win, scaled, w, h);
      } finally {
        await image.close();
      }
    });

    it(`an image's first windows, read at once before any block is in (each on its own), have the same pixels (page ${page})`, async () => {
      const scaled = await scaledWhole();
      const windows = [...planWindows(SW, SH, view)];
      // A corner, an edge, the far corner, one inside: the first four asked for are read on their own.
      const asked = [windows[0]!, windows[1]!, windows.at(-1)!, windows[Math.floor(windows.length / 2) + 1]!];
      const image = await openImage(join(dir, 'slide.tif'), 'slide', options);
      try {
        const got = await Promise.all(asked.map((win) => image.readBytes!(win, view.size, 3)));
        asked.forEach((win, k) => assertScaledWindow(got[k]!, win, scaled, w, h));
      } finally {
        await image.close();
      }
    });
  }
});

describe('openImage: reads from pyramid levels', () => {
  // Noise, so that every level differs from a resize of the level above it. 651×515: libvips's
  // levels are 325×257, 162×128, 81×64… (rounded down), so the last column and row of full
  // resolution are in no level.
  const [NW, NH] = [651, 515];
  let path: string;
  before(async () => {
    let seed = 7;
    const noise = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) >> 8) & 255;
    path = join(dir, 'noise.tif');
    await sharp(rawImage(NW, NH, noise), { raw: { width: NW, height: NH, channels: 3 } })
      .tiff({ tile: true, pyramid: true, tileWidth: 64, tileHeight: 64, compression: 'jpeg', quality: 90 })
      .toFile(path);
  });

  /**
   * `region` of page `page` (in its pixels), black past the page, resized to `size`×`size` as
   * libvips does it (or as it is when it has that size).
   */
  async function fromPage(page: number, region: Region, size: number): Promise<number[]> {
    const { width, height } = await sharp(path, { page }).metadata();
    const [right, bottom] = [Math.max(0, region.x + region.width - width!), Math.max(0, region.y + region.height - height!)];
    const inside = await sharp(path, { page })
      .extract({ left: region.x, top: region.y, width: region.width - right, height: region.height - bottom })
      .extend({ right, bottom, background: { r: 0, g: 0, b: 0 } })
      .raw()
      .toBuffer();
    let pipeline = sharp(inside, { raw: { width: region.width, height: region.height, channels: 3 } });
    if (region.width !== size || region.height !== size) pipeline = pipeline.resize(size, size, { fit: 'fill', kernel: 'linear' });
    return Array.from(await pipeline.raw().toBuffer());
  }

  async function readWith(region: Region, size: number, options = {}): Promise<number[]> {
    const image = await openImage(path, 'noise', options);
    try {
      // Not square: read on its own, not from shared blocks.
      return Array.from(await image.readBytes!(region, size, 3));
    } finally {
      await image.close();
    }
  }

  const cases: [string, Region, number, number, Region][] = [
    ['down-scaled by 3.2: the ½ level, resized', { x: 64, y: 32, width: 64, height: 80 }, 20, 1, { x: 32, y: 16, width: 32, height: 40 }],
    ['down-scaled by exactly 4: the ¼ level as it is', { x: 128, y: 64, width: 64, height: 64 }, 16, 2, { x: 32, y: 16, width: 16, height: 16 }],
    ['down-scaled by 1.5: full resolution (the ½ level is coarser)', { x: 64, y: 32, width: 48, height: 60 }, 32, 0, { x: 64, y: 32, width: 48, height: 60 }],
    ['at an odd pixel: full resolution (not whole level pixels)', { x: 63, y: 32, width: 64, height: 80 }, 20, 0, { x: 63, y: 32, width: 64, height: 80 }],
    ["reaching the image's last column, which no level holds: full resolution", { x: 588, y: 32, width: 64, height: 80 }, 20, 0, { x: 588, y: 32, width: 64, height: 80 }],
    ['up to the last column a level holds: the ½ level', { x: 586, y: 32, width: 64, height: 80 }, 20, 1, { x: 293, y: 16, width: 32, height: 40 }],
  ];
  for (const [name, region, size, page, inPage] of cases) {
    it(`${name}`, async () => {
      const got = await readWith(region, size);
      assert.deepEqual(got, await fromPage(page, inPage, size));
      // And the level makes a difference: another page gives other pixels.
      const other = page === 0 ? await fromPage(1, { x: region.x / 2, y: region.y / 2, width: region.width / 2, height: region.height / 2 }, size).catch(() => null) : await fromPage(0, region, size);
      if (other) assert.notDeepEqual(got, other);
    });
  }

  it('reads from full resolution only with pyramid: false', async () => {
    const region = { x: 64, y: 32, width: 64, height: 80 };
    assert.deepEqual(await readWith(region, 20, { pyramid: false }), await fromPage(0, region, 20));
  });

  it('pads a level read past the image with black, as a full-resolution one', async () => {
    // The 640×512 slide, whose levels hold every pixel: 64 px past the bottom are 32 black rows of
    // the ½ level under its last 16, resized together.
    const image = await openImage(join(dir, 'slide.tif'), 'slide');
    try {
      const got = await image.readBytes!({ x: 64, y: SH - 32, width: 64, height: 96 }, 20, 3);
      const padded = await sharp(join(dir, 'slide.tif'), { page: 1 })
        .extract({ left: 32, top: SH / 2 - 16, width: 32, height: 16 })
        .extend({ bottom: 32, background: { r: 0, g: 0, b: 0 } })
        .raw()
        .toBuffer();
      const expected = await sharp(padded, { raw: { width: 32, height: 48, channels: 3 } }).resize(20, 20, { fit: 'fill', kernel: 'linear' }).raw().toBuffer();
      assert.deepEqual(Array.from(got), Array.from(expected));
    } finally {
      await image.close();
    }
  });
});

describe('tissueFraction', () => {
  const cases = [
    ['white glass', { x: 0, y: 0, width: 256, height: 256 }, 0],
    ['tissue', { x: 384, y: 64, width: 256, height: 256 }, 1],
    ['half glass, half tissue', { x: 192, y: 0, width: 256, height: 256 }, 0.5],
    ['black border', { x: 0, y: 448, width: 640, height: 64 }, 0],
    ['tissue, half past the right edge', { x: 512, y: 0, width: 256, height: 256 }, 0.5],
    ['wholly outside', { x: 700, y: 0, width: 64, height: 64 }, 0],
  ] as const;
  for (const overview of [true, false]) {
    for (const [name, region, fraction] of cases) {
      it(`${name}: ≈ ${fraction} (${overview ? 'from the pyramid overview' : 'sampling the region'})`, async () => {
        const image = await openImage(join(dir, 'slide.tif'), 'slide', { overview });
        try {
          const got = await image.tissueFraction(region);
          assert.ok(Math.abs(got - fraction) <= 0.05, `got ${got}`);
        } finally {
          await image.close();
        }
      });
    }
  }

  it('a PNG (no pyramid) samples the region', async () => {
    const image = await openImage(join(dir, 'card.png'), 'card');
    // the card's pixels are neither near-white nor near-black, except where red and green are both < 20
    const got = await image.tissueFraction({ x: 8, y: 8, width: 32, height: 24 });
    assert.equal(got, 1);
    await image.close();
  });
});
