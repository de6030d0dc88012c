import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { blockGridFor, ScaledBlocks, type RegionReader } from './scaled-blocks.js';
import { planWindows } from './tiling.js';
import type { Region } from './types.js';

describe('blockGridFor', () => {
  it('puts blocks on whole steps of the scale', () => {
    // HuBMAP's view: 1024 px read at 320, 16 image pixels are 5 down-scaled ones.
    assert.deepEqual(blockGridFor(1024, 320), { unitIn: 16, unitOut: 5, blockOut: 960, blockIn: 3072, marginOut: 5, marginIn: 16 });
    // The 17th place's first view: 352 px at a quarter.
    assert.deepEqual(blockGridFor(1408, 352), { unitIn: 4, unitOut: 1, blockOut: 768, blockIn: 3072, marginOut: 2, marginIn: 8 });
  });

  it('has no grid without down-scaling, or where a whole step is too coarse', () => {
    assert.equal(blockGridFor(256, 256), null);
    assert.equal(blockGridFor(256, 512), null);
    assert.equal(blockGridFor(1000, 317), null);
  });
});

/**
 * A reader of a made-up image whose down-scaled pixel at (X, Y) of the whole image is a function
 * of X, Y and the channel: what a lone read of any region on the grid returns, margins included.
 */
function syntheticReader(unitIn: number, unitOut: number, reads: Region[]): RegionReader {
  return async (region, width, height, channels) => {
    reads.push(region);
    assert.deepEqual([region.width * unitOut, region.height * unitOut], [width * unitIn, height * unitIn], 'a block is read at the view scale');
    const [ox, oy] = [(region.x / unitIn) * unitOut, (region.y / unitIn) * unitOut];
    const out = new Uint8Array(width * height * channels);
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) for (let c = 0; c < channels; c++) out[(y * width + x) * channels + c] = value(ox + x, oy + y, c);
    return out;
  };
}
const value = (x: number, y: number, c: number) => (x * 7 + y * 13 + c * 101 + 1000) & 255;

/** `reader`, whose first read is recorded in `reads` and fails with `message`. */
function failingOnce(reader: RegionReader, reads: Region[], message: string): RegionReader {
  let failed = false;
  return async (region, width, height, channels) => {
    if (failed) return reader(region, width, height, channels);
    failed = true;
    reads.push(region);
    throw new Error(message);
  };
}

describe('ScaledBlocks', () => {
  const [width, height] = [6144, 5120];
  const view = { window: 1024, size: 320, stride: 512 };
  // The tests of the blocks themselves read no window on its own (see the last tests for those).
  const blocksOnly = { firstOwnReads: 0 };

  it('copies every window of a view together from blocks, each block read once', async () => {
    const reads: Region[] = [];
    const blocks = new ScaledBlocks(syntheticReader(16, 5, reads), width, height, blocksOnly);
    let onGrid = 0;
    // Inside the image: the made-up down-scaled image itself (it ends at 1920 × 1600).
    const expectedAt = (x: number, y: number, c: number) => (x < 1920 && y < 1600 ? value(x, y, c) : 0);
    for (const channels of [3, 1] as const) {
      for (const w of planWindows(width, height, view)) {
        // Some windows are copied into an array of the caller's holding stale bytes (black must be
        // written too); one of the wrong length is not used.
        const length = view.size * view.size * channels;
        const into = [undefined, new Uint8Array(length).fill(171), new Uint8Array(length + 1)][onGrid % 3];
        const got = await blocks.read(w, view.size, channels, into);
        if (!got) continue;
        if (into) assert.equal(got === into, into.length === length, 'copied into the array of the right length');
        onGrid++;
        const [ox, oy] = [(w.x / 16) * 5, (w.y / 16) * 5];
        for (let y = 0; y < view.size; y++) {
          for (let x = 0; x < view.size; x++) {
            for (let c = 0; c < channels; c++) {
              if (got[(y * view.size + x) * channels + c] !== expectedAt(ox + x, oy + y, c)) assert.fail(`window (${w.x}, ${w.y}) pixel (${x}, ${y}) c${c}`);
            }
          }
        }
      }
    }
    assert.equal(onGrid, 2 * 11 * 9);
    // 6144 × 5120 at 5/16 is 1920 × 1600: 2 × 2 blocks of 960 for each channel count, each read
    // once, with its 16 px margin where that lies inside the image (every block here has an edge).
    assert.equal(reads.length, 2 * 2 * 2);
    const [w0, w1, h1] = [3072 + 16, 6144 - 3056, 5120 - 3056];
    assert.deepEqual(
      reads.slice(0, 4).map((r) => [r.x, r.y, r.width, r.height]),
      [[0, 0, w0, w0], [3056, 0, w1, w0], [0, 3056, w0, h1], [3056, 3056, w1, h1]],
    );
  });

  it('past the image: black, and where the image is not whole steps, its last blocks read padded', async () => {
    const reads: Region[] = [];
    // 6150 is not a whole number of 16 px steps: the right-hand blocks are read with their margins, padded.
    const blocks = new ScaledBlocks(syntheticReader(16, 5, reads), 6150, 1000, blocksOnly);
    const past = await blocks.read({ x: 0, y: 512, width: 1024, height: 1024 }, 320, 1);
    // 1000 px is 312.5 down-scaled: whole steps end at 992 px (310); the bottom blocks are read padded,
    // so the reader (black past the image, here the made-up image everywhere) answers for every row.
    assert.ok(past);
    assert.deepEqual([reads[0]!.x, reads[0]!.y, reads[0]!.width, reads[0]!.height], [-16, -16, 3104, 3104]);
    const square = new ScaledBlocks(syntheticReader(16, 5, reads), 2048, 1024, blocksOnly);
    // Into an array holding stale bytes: the rows past the image are written black all the same.
    const edge = await square.read({ x: 1024, y: 512, width: 1024, height: 1024 }, 320, 1, new Uint8Array(320 * 320).fill(171));
    assert.deepEqual([reads[1]!.x, reads[1]!.y, reads[1]!.width, reads[1]!.height], [0, 0, 2048, 1024], 'clipped to the image, no padding');
    // Rows past the image (y ≥ 1024 px, 320 down-scaled: window rows from 160) are black.
    for (let y = 0; y < 320; y++) for (let x = 0; x < 320; x++) assert.equal(edge![y * 320 + x], y < 160 ? value(320 + x, 160 + y, 0) : 0, `(${x}, ${y})`);
  });

  it('answers null for a window off the grid (read alone)', async () => {
    const blocks = new ScaledBlocks(syntheticReader(16, 5, []), width, height);
    assert.equal(await blocks.read({ x: 8, y: 0, width: 1024, height: 1024 }, 320, 3), null);
    assert.equal(await blocks.read({ x: 0, y: 0, width: 1024, height: 512 }, 320, 3), null);
    assert.equal(await blocks.read({ x: 0, y: 0, width: 256, height: 256 }, 256, 3), null);
  });

  it('shares a block between windows read at once, and keeps no failed read', async () => {
    const reads: Region[] = [];
    const blocks = new ScaledBlocks(failingOnce(syntheticReader(16, 5, reads), reads, 'disk on fire'), width, height, blocksOnly);
    const w = { x: 0, y: 0, width: 1024, height: 1024 };
    await assert.rejects(blocks.read(w, 320, 3), /disk on fire/);
    const both = await Promise.all([blocks.read(w, 320, 3), blocks.read({ ...w, x: 512 }, 320, 3)]);
    assert.ok(both.every((b) => b !== null));
    assert.equal(reads.length, 2, 'one failed read, then one read for both windows');
  });

  it('prefetch starts the reads a later read uses, and a failed one is read again', async () => {
    const reads: Region[] = [];
    const blocks = new ScaledBlocks(failingOnce(syntheticReader(16, 5, reads), reads, 'flaky disk'), width, height, blocksOnly);
    const w = { x: 0, y: 0, width: 1024, height: 1024 };
    blocks.prefetch(w, 320, 3); // fails in the background, with no unhandled rejection
    await new Promise((resolve) => setImmediate(resolve));
    blocks.prefetch(w, 320, 3);
    blocks.prefetch({ ...w, x: 512 }, 320, 3); // the same block, already being read
    assert.ok(await blocks.read({ ...w, y: 512 }, 320, 3));
    assert.equal(reads.length, 2);
    blocks.prefetch({ x: 8, y: 0, width: 1024, height: 1024 }, 320, 3); // off the grid: nothing
    assert.equal(reads.length, 2);
  });

  it('holds three block columns along the longer side, dropping the least recently used', async () => {
    const reads: Region[] = [];
    // 30720 × 46080 at 5/16: 9600 × 14400, 10 × 15 blocks of 960; 3 × (15 + 1) = 48 held.
    const blocks = new ScaledBlocks(syntheticReader(16, 5, reads), 30720, 46080, blocksOnly);
    const at = (bx: number, by: number) => blocks.read({ x: bx * 3072, y: by * 3072, width: 1024, height: 1024 }, 320, 1);
    for (let bx = 0; bx < 4; bx++) for (let by = 0; by < 15; by++) await at(bx, by);
    assert.equal(reads.length, 60);
    await at(3, 0); // still held
    assert.equal(reads.length, 60);
    await at(0, 0); // dropped: the 12 oldest went
    assert.equal(reads.length, 61);
  });

  it("reads a grid's first windows on their own, with the blocks' pixels, and its blocks after them", async () => {
    // The first window's own read: clipped to the image, or (1000 px is not whole 16 px steps) the window and margin, padded.
    for (const [w, h, firstRead] of [
      [6144, 5120, [0, 0, 1040, 1040]],
      [6150, 1000, [-16, -16, 1056, 1056]],
    ] as const) {
      const reads: Region[] = [];
      const blocks = new ScaledBlocks(syntheticReader(16, 5, reads), w, h);
      const reference = new ScaledBlocks(syntheticReader(16, 5, []), w, h, blocksOnly);
      const windows = [...planWindows(w, h, view)];
      // Five windows asked for at once, the first four read alone: the first two, one past the
      // image's bottom-right corner, one inside; the fifth waits for its blocks.
      const asked = [windows[0]!, windows[1]!, windows.at(-1)!, windows[Math.floor(windows.length / 2)]!, windows[2]!];
      const got = await Promise.all(asked.map((win) => blocks.read(win, view.size, 3)));
      const expected = await Promise.all(asked.map((win) => reference.read(win, view.size, 3)));
      asked.forEach((win, k) => assert.deepEqual(got[k], expected[k], `${w}×${h}: window (${win.x}, ${win.y})`));
      // The first four reads are the windows with the blocks' 16 px margin; every later read is a block.
      const own = reads.slice(0, 4).map((r) => [r.x, r.y, r.width, r.height]);
      assert.deepEqual(own[0], firstRead, `${w}×${h}`);
      assert.ok(reads.slice(4).every((r) => r.width > 1056 || r.height > 1056), `${w}×${h}: ${JSON.stringify(reads.slice(4))}`);
      assert.ok(reads.length > 4, 'the blocks are read too');
      // Once a block is in, every window comes from the blocks.
      const before = reads.length;
      assert.deepEqual(await blocks.read(windows[3]!, view.size, 3), await reference.read(windows[3]!, view.size, 3));
      assert.ok(reads.slice(before).every((r) => r.width > 1056 || r.height > 1056));
    }
  });

  it('a window read on its own that fails fails its read, and the blocks are still read', async () => {
    const reads: Region[] = [];
    const blocks = new ScaledBlocks(failingOnce(syntheticReader(16, 5, reads), reads, 'bad sector'), width, height);
    const w = { x: 0, y: 0, width: 1024, height: 1024 };
    await assert.rejects(blocks.read(w, 320, 3), /bad sector/);
    assert.ok(await blocks.read({ ...w, y: 512 }, 320, 3));
  });
});
