import type { Region } from './types.js';

// Why blocks: a view's windows overlap (every pixel lies in four windows at 50 % overlap), and each
// lone read of a window is a libvips call that decodes its tiles and resizes a million pixels to
// keep a tenth of them. On a HuBMAP-sized view (1024 px windows every 512 px, resized to 320) the
// reads were about half of the pipeline's own CPU time. Reading the image once, down-scaled in
// large blocks, and copying each window together from them costs about a third as much.

/**
 * A block's side at full resolution is about this many pixels. Larger blocks pay less per pixel
 * for a libvips call's fixed cost and for the neighbouring tiles their margins reach into (6144 px
 * bench slide, 512 px tiles, CPU per window: 1024 ~7 ms, 2048 ~3.6 ms, 3072 ~2.7 ms), but read
 * more background that the tissue check would have skipped, and hold more memory.
 */
const TARGET_BLOCK_IN = 3072;
/** Down-scaled pixels read around a block for the resize and used by no window: more than the linear kernel's reach (one pixel). */
const MIN_MARGIN_OUT = 2;
/**
 * Windows of a grid read on their own, at most, before its first block is in (see `read`): the
 * first two calls of two windows each on HuBMAP's view. A window read alone decodes the tiles under
 * it and its margin, about 2.5 times its own pixels, so four cost about one block's decoding.
 */
const FIRST_OWN_READS = 4;
/** Scales whose smallest whole step is more down-scaled pixels than this are read window by window. */
const MAX_UNIT_OUT = 32;

/**
 * How the image, down-scaled by `size / side`, is cut into blocks. Every length here is a whole
 * number of units (`unitIn` image pixels are `unitOut` down-scaled pixels, exactly), so that a
 * block's pixels lie on the same grid as the whole image's.
 */
export interface BlockGrid {
  unitIn: number;
  unitOut: number;
  /** Side of a block, down-scaled and at full resolution. */
  blockOut: number;
  blockIn: number;
  /** What is read around a block and dropped after resizing, down-scaled and at full resolution. */
  marginOut: number;
  marginIn: number;
}

/**
 * The block grid for windows of `side` image pixels read at `size`, or null where blocks do not
 * apply: no down-scaling, or a scale whose whole steps are too coarse (a window is then read alone).
 */
export function blockGridFor(side: number, size: number): BlockGrid | null {
  if (!(Number.isSafeInteger(side) && Number.isSafeInteger(size)) || size < 1 || size >= side) return null;
  const g = gcd(side, size);
  const [unitIn, unitOut] = [side / g, size / g];
  if (unitOut > MAX_UNIT_OUT) return null;
  const marginOut = unitOut * Math.ceil(MIN_MARGIN_OUT / unitOut);
  const blockOut = unitOut * Math.max(1, Math.round(TARGET_BLOCK_IN / unitIn));
  return { unitIn, unitOut, blockOut, blockIn: (blockOut / unitOut) * unitIn, marginOut, marginIn: (marginOut / unitOut) * unitIn };
}

/**
 * Reads `region` (which may reach past the image: outside pixels are black) resized to
 * `width`×`height`, as interleaved 8-bit HWC with `channels` channels: a lone read.
 */
export type RegionReader = (region: Region, width: number, height: number, channels: 1 | 3) => Promise<Uint8Array>;

/** One grid's blocks, least recently used first. */
interface BlockSet {
  grid: BlockGrid;
  channels: 1 | 3;
  blocks: Map<string, Promise<Area>>;
  capacity: number;
  /** Whether a block of this set has been read: until then, its first windows are read on their own (see `read`). */
  warm: boolean;
  /** Windows of this set read on their own so far. */
  ownReads: number;
}

/**
 * Down-scaled window reads served from shared blocks: the image, down-scaled as a whole by the
 * window's scale (its edges repeated, as a resize of the whole image does) with black beyond it,
 * is cut into square blocks; a block is read once (a lone read of the block with a margin around
 * it that the resize kernel reaches into and that no window uses, clipped to the image), and a
 * window is copied together from the blocks it covers.
 *
 * Inside the image the pixels are those of a lone read of the window everywhere but on the
 * window's outermost ring of down-scaled pixels, where a lone read repeats the window's own edge
 * and a block read sees the image beyond it (so overlapping windows agree where they overlap).
 * Where the image's width or height is not a whole number of the scale's steps, the blocks along
 * that edge are read with black past the image before resizing, as a lone read of a window past
 * the image is.
 *
 * Blocks are kept for three block columns (or rows) along the image's longer side: windows move
 * along one axis band by band, and each block is used by every window over it before it is
 * evicted.
 *
 * The first few windows of a grid (`firstOwnReads`, default 4), asked for before any of its blocks
 * is in, are read on their own with the blocks' margin instead of waiting for a block: the same
 * pixels, sooner (the model waits for them), and the blocks are read after them.
 */
export class ScaledBlocks {
  private readonly sets = new Map<string, BlockSet>();
  /** Windows being read on their own, one after another: block reads started meanwhile wait for them (see `read`). */
  private ownReads: Promise<unknown> = Promise.resolve();

  /** Windows of a grid read on their own before its first block is in (see `read`). */
  private readonly firstOwnReads: number;

  constructor(
    private readonly readRegion: RegionReader,
    private readonly width: number,
    private readonly height: number,
    options: { firstOwnReads?: number } = {},
  ) {
    this.firstOwnReads = options.firstOwnReads ?? FIRST_OWN_READS;
  }

  /**
   * The window's pixels from blocks (or, for a grid's first windows, read on their own with the
   * blocks' margin), or null when the window is not on its scale's block grid (not square, not
   * down-scaled, or not at a whole unit): read it alone. A window copied from blocks is copied
   * into `into` when it has the window's length.
   */
  async read(region: Region, size: number, channels: 1 | 3, into?: Uint8Array): Promise<Uint8Array | null> {
    const span = this.spanOf(region, size, channels);
    if (!span) return null;
    const { set, ox, oy, bx0, bx1, by0, by1 } = span;
    const { blockOut } = set.grid;
    if (!set.warm && set.ownReads < this.firstOwnReads) {
      // The image's first windows: the model waits for them, and a block (about nine windows'
      // pixels) takes several times as long to read as a window. Until a first block is in, a
      // window is read on its own with the blocks' margin, which gives it the blocks' pixels
      // exactly, and the blocks it lies in are read after the windows read so. One at a time: the
      // first call needs them all, and four libvips reads at once took the memory benchmark's peak
      // about 60 MB higher than four in turn, for no earlier first call.
      set.ownReads++;
      const own = this.ownReads.then(() => this.readArea(set, region.x, region.y, size));
      this.ownReads = own.catch(() => undefined);
      this.startBlocks(span);
      const area = await own;
      const out = windowArray(into, size, channels);
      copyArea(area, channels, 0, size, 0, size, out, size, 0, 0);
      return out;
    }
    const pending: Promise<Area>[] = [];
    for (let by = by0; by <= by1; by++) for (let bx = bx0; bx <= bx1; bx++) pending.push(this.block(set, bx, by));
    const blocks = await Promise.all(pending);
    const out = windowArray(into, size, channels);
    let k = 0;
    for (let by = by0; by <= by1; by++) {
      for (let bx = bx0; bx <= bx1; bx++) {
        // The part of this block inside the window, in the block's down-scaled coordinates.
        const [bx0Out, by0Out] = [bx * blockOut, by * blockOut];
        const [x0, x1] = [Math.max(ox, bx0Out), Math.min(ox + size, bx0Out + blockOut)];
        const [y0, y1] = [Math.max(oy, by0Out), Math.min(oy + size, by0Out + blockOut)];
        copyArea(blocks[k++]!, channels, x0 - bx0Out, x1 - bx0Out, y0 - by0Out, y1 - by0Out, out, size, x0 - ox, y0 - oy);
      }
    }
    return out;
  }

  /**
   * Starts reading the blocks a later `read` of the window will need, if it is on a grid; returns
   * at once. A failed read is not kept, so the later `read` tries again and fails in its turn.
   */
  prefetch(region: Region, size: number, channels: 1 | 3): void {
    const span = this.spanOf(region, size, channels);
    if (span) this.startBlocks(span);
  }

  /** Starts reading the blocks of a window's span that are not held yet. */
  private startBlocks({ set, bx0, bx1, by0, by1 }: NonNullable<ReturnType<ScaledBlocks['spanOf']>>): void {
    for (let by = by0; by <= by1; by++) for (let bx = bx0; bx <= bx1; bx++) void this.block(set, bx, by);
  }

  /** Drops every block held. */
  clear(): void {
    this.sets.clear();
  }

  /** Where a window lies on its scale's grid (down-scaled origin, block range), or null when it does not. */
  private spanOf(region: Region, size: number, channels: 1 | 3) {
    if (region.width !== region.height) return null;
    const grid = blockGridFor(region.width, size);
    if (!grid || region.x % grid.unitIn !== 0 || region.y % grid.unitIn !== 0) return null;
    const ox = (region.x / grid.unitIn) * grid.unitOut;
    const oy = (region.y / grid.unitIn) * grid.unitOut;
    const { blockOut } = grid;
    return {
      set: this.setFor(grid, channels),
      ox,
      oy,
      bx0: Math.floor(ox / blockOut),
      bx1: Math.floor((ox + size - 1) / blockOut),
      by0: Math.floor(oy / blockOut),
      by1: Math.floor((oy + size - 1) / blockOut),
    };
  }

  private setFor(grid: BlockGrid, channels: 1 | 3): BlockSet {
    const key = `${grid.unitIn}:${grid.unitOut}:${channels}`;
    let set = this.sets.get(key);
    if (!set) {
      const blocksAlong = Math.ceil((Math.max(this.width, this.height) / grid.unitIn) * grid.unitOut / grid.blockOut) + 1;
      set = { grid, channels, blocks: new Map(), capacity: 3 * blocksAlong, warm: false, ownReads: 0 };
      this.sets.set(key, set);
    }
    return set;
  }

  /** Block (bx, by), read once while it stays among the set's most recently used. */
  private block(set: BlockSet, bx: number, by: number): Promise<Area> {
    const key = `${bx},${by}`;
    const held = set.blocks.get(key);
    if (held) {
      set.blocks.delete(key);
      set.blocks.set(key, held);
      return held;
    }
    const read = this.readBlock(set, bx, by);
    read.then(() => (set.warm = true), () => undefined);
    set.blocks.set(key, read);
    // A failed read is not kept: the next window asks again (and the failure reaches its caller).
    read.catch(() => set.blocks.get(key) === read && set.blocks.delete(key));
    while (set.blocks.size > set.capacity) set.blocks.delete(set.blocks.keys().next().value!);
    return read;
  }

  private async readBlock(set: BlockSet, bx: number, by: number): Promise<Area> {
    // Windows being read on their own go first, those asked for meanwhile too: the model is waiting for them.
    for (let seen: Promise<unknown> | null = null; seen !== this.ownReads; ) await (seen = this.ownReads);
    const { blockIn, blockOut } = set.grid;
    return this.readArea(set, bx * blockIn, by * blockIn, blockOut);
  }

  /**
   * The down-scaled pixels of the square of `sideOut` down-scaled pixels whose corner is image pixel
   * (`ax`, `ay`), on the set's grid: a lone read of the square with the grid's margin around it
   * (clipped to the image), kept as it was read, margin included (see `Area`: a copy without the
   * margin cost a fresh array and its first touches a block). Any square on the grid gets the same
   * pixels as the blocks it overlaps.
   */
  private async readArea(set: BlockSet, ax: number, ay: number, sideOut: number): Promise<Area> {
    const { unitIn, unitOut, marginIn, marginOut } = set.grid;
    const { channels } = set;
    // The square with its margin at full resolution, and the part of it inside the image.
    const side = (sideOut / unitOut) * unitIn + 2 * marginIn;
    const [x0, y0] = [ax - marginIn, ay - marginIn];
    const [ix0, iy0] = [Math.max(0, x0), Math.max(0, y0)];
    const [ix1, iy1] = [Math.min(this.width, x0 + side), Math.min(this.height, y0 + side)];
    if (ix0 >= ix1 || iy0 >= iy1) return { data: new Uint8Array(0), x: 0, y: 0, width: 0, height: 0 }; // wholly past the image: black
    // The inside part when it is whole steps (no padding: the resize repeats the image's edges);
    // else the whole square and margin, black past the image.
    let part: Region = { x: ix0, y: iy0, width: ix1 - ix0, height: iy1 - iy0 };
    if (part.width % unitIn !== 0 || part.height % unitIn !== 0) part = { x: x0, y: y0, width: side, height: side };
    const toOut = (length: number) => (length / unitIn) * unitOut;
    const [width, height] = [toOut(part.width), toOut(part.height)];
    const data = await this.readRegion(part, width, height, channels);
    // The read's place among the down-scaled pixels of the square (its margin lies before 0 and past sideOut).
    return { data, x: toOut(part.x - x0) - marginOut, y: toOut(part.y - y0) - marginOut, width, height };
  }
}

/**
 * A read of a square's pixels on a grid (a block, or a window read on its own): `width`×`height`
 * interleaved pixels whose corner lies at (`x`, `y`) in the square's down-scaled coordinates. It
 * may reach past the square (its margin) or cover only part of it (past the image); pixels of the
 * square it does not cover are black.
 */
interface Area {
  data: Uint8Array;
  x: number;
  y: number;
  width: number;
  height: number;
}

/** `into` when it has a window's length, else a fresh array. */
function windowArray(into: Uint8Array | undefined, size: number, channels: number): Uint8Array {
  return into?.length === size * size * channels ? into : new Uint8Array(size * size * channels);
}

/**
 * Copies columns [x0, x1) of rows [y0, y1) of an area's square into the window `out` (`side` pixels
 * wide) from its pixel (`dx`, `dy`) on, black where the area's read does not cover them (every byte
 * is written: `out` may be an array in reuse).
 */
function copyArea(area: Area, channels: number, x0: number, x1: number, y0: number, y1: number, out: Uint8Array, side: number, dx: number, dy: number): void {
  const [cx0, cx1] = [Math.max(x0, area.x), Math.min(x1, area.x + area.width)];
  const rowBytes = (x1 - x0) * channels;
  for (let y = y0; y < y1; y++) {
    const o = ((dy + y - y0) * side + dx) * channels;
    const ay = y - area.y;
    if (ay < 0 || ay >= area.height || cx0 >= cx1) {
      out.fill(0, o, o + rowBytes);
      continue;
    }
    const from = (ay * area.width + (cx0 - area.x)) * channels;
    out.fill(0, o, o + (cx0 - x0) * channels);
    out.set(area.data.subarray(from, from + (cx1 - cx0) * channels), o + (cx0 - x0) * channels);
    out.fill(0, o + (cx1 - x0) * channels, o + rowBytes);
  }
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}
