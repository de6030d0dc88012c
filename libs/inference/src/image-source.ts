import sharp, { type Sharp } from 'sharp';
import { ScaledBlocks } from './scaled-blocks.js';
import type { ImageSource, Region } from './types.js';

/** A pixel whose channels are all above this looks like empty glass or background (white). */
const NEAR_WHITE = 220;
/** A pixel whose channels are all below this looks like padding or a scanner border (black). */
const NEAR_BLACK = 20;
/** Side of the grid of samples taken from a region when there is no overview to look at. */
const TISSUE_SAMPLES = 32;
/** An overview is a pyramid level at most this many times smaller than the image. */
const MAX_OVERVIEW_FACTOR = 32;
/** Pyramid levels larger than this (in pixels) are not worth holding in memory as an overview. */
const MAX_OVERVIEW_PIXELS = 16_000_000;

export interface OpenImageOptions {
  /**
   * Hold a low-resolution pyramid level of a multi-page TIFF in memory and answer
   * `tissueFraction` from it (default true). Without one, each call reads the region itself.
   */
  overview?: boolean;
  /**
   * Read a down-scaled region from the pyramid level nearest its scale from above, as OpenSlide's
   * best level for a down-sample and GDAL's overviews do (default true; see `Level`). False reads
   * every region from the full-resolution image.
   */
  pyramid?: boolean;
}

/**
 * A pyramid level that reads can be taken from: `factor` (a power of two) image pixels a side per
 * level pixel, its size the image's divided by `factor`, rounded down (libvips, tifffile) or up
 * (other writers). A read down-scaled by at least `factor` that is whole level pixels, and whose
 * part inside the image lies within the level's whole pixels (not the last `width % factor` columns
 * or rows, which a level rounded down leaves out and one rounded up pads), is read from the level
 * instead: on HuBMAP's view (1024 px read at 320) the ½ level, a quarter of the tiles to decode.
 * The pixels are the level's (the writer's 2×2 averages, compressed again), not a resize of the
 * full-resolution ones: scores move a little (the HuBMAP baseline's README has both).
 */
interface Level {
  page: number;
  factor: number;
  width: number;
  height: number;
}

/** Full resolution, as a `Level`. */
const fullResolution = (width: number, height: number): Level => ({ page: 0, factor: 1, width, height });

/** A pyramid level held in memory: interleaved 8-bit pixels, `factor` image pixels per pixel. */
interface Overview {
  width: number;
  height: number;
  channels: number;
  factorX: number;
  factorY: number;
  pixels: Uint8Array;
}

/**
 * Opens an image file (a tiled pyramidal TIFF, PNG, JPEG…) for region reads with sharp. libvips
 * decodes lazily, so a read of a region of a tiled TIFF decodes only the tiles it overlaps: the
 * image is never held whole. Throws when the file cannot be read as an image.
 */
export async function openImage(path: string, id: string, options: OpenImageOptions = {}): Promise<ImageSource> {
  const meta = await sharp(path, { limitInputPixels: false }).metadata();
  if (!meta.width || !meta.height) throw new Error(`image ${id} (${path}) has no width or height`);
  // The other pages' sizes: an overview and pyramid levels are chosen among them.
  const wanted = options.overview !== false || options.pyramid !== false;
  const pages = wanted && (meta.pages ?? 1) > 1 ? await pageSizes(path, meta.pages!) : [];
  const overview = options.overview !== false ? await loadOverview(path, meta.width, meta.height, pages) : null;
  const levels = options.pyramid !== false ? pyramidLevels(meta.width, meta.height, pages) : [];
  return new SharpImageSource(path, id, meta.width, meta.height, overview, levels);
}

class SharpImageSource implements ImageSource {
  private closed = false;
  private readonly blocks: ScaledBlocks;

  constructor(
    private readonly path: string,
    readonly id: string,
    readonly width: number,
    readonly height: number,
    private readonly overview: Overview | null,
    /** Levels to read down-scaled regions from, the most down-scaled first. */
    private readonly levels: Level[],
  ) {
    this.blocks = new ScaledBlocks((region, w, h, channels) => this.readAlone(region, w, h, channels), width, height);
  }

  /**
   * Reads the region at `size`×`size` as planar CHW float32 in 0..1. The part of the region past
   * the image reads as 0. Down-scaling uses libvips's linear kernel, which for a reduction averages
   * over the whole footprint of an output pixel (close to OpenCV's INTER_AREA that training code
   * commonly uses) instead of ringing at sharp edges as sharp's default lanczos3 does. One channel
   * is libvips's greyscale (luminance); alpha is dropped.
   *
   * A down-scaled square region on its scale's grid (`ScaledBlocks`: every window of a usual view)
   * is the part of the whole image down-scaled (its edges repeated, as libvips resizes a whole
   * image), black beyond the image, that the region covers: it is copied from down-scaled blocks
   * that every window over them shares. Inside the image it differs from the region resized on
   * its own only on its outermost ring of pixels, which sees the image beyond the region instead
   * of repeating the region's edge.
   */
  async read(region: Region, size: number, channels: 1 | 3): Promise<Float32Array> {
    return toPlanar(await this.readBytes(region, size, channels), channels, size);
  }

  /** `read`'s pixels as they are decoded: 8-bit, interleaved HWC (in `into` when a window is copied from blocks). */
  async readBytes(region: Region, size: number, channels: 1 | 3, into?: Uint8Array): Promise<Uint8Array> {
    this.checkOpen();
    checkRegion(region);
    if (!Number.isSafeInteger(size) || size < 1) throw new RangeError(`read size must be a positive integer, got ${size}`);
    return (await this.blocks.read(region, size, channels, into)) ?? this.readAlone(region, size, size, channels);
  }

  /**
   * The region resized on its own to `width`×`height` (one libvips call, two where it reaches past
   * the image), from the pyramid level it can be read from (see `Level`): the part past the image
   * is black before resizing.
   */
  private async readAlone(region: Region, width: number, height: number, channels: 1 | 3): Promise<Uint8Array> {
    this.checkOpen();
    const level = this.levelFor(region, width, height);
    const f = level.factor;
    return this.readAt(level, { x: region.x / f, y: region.y / f, width: region.width / f, height: region.height / f }, width, height, channels);
  }

  /** The most down-scaled level that `region`, read at `width`×`height`, can be read from (see `Level`). */
  private levelFor(region: Region, width: number, height: number): Level {
    const inside = intersect(region, this.width, this.height);
    for (const level of this.levels) {
      const f = level.factor;
      if (region.width < f * width || region.height < f * height) continue;
      if (region.x % f !== 0 || region.y % f !== 0 || region.width % f !== 0 || region.height % f !== 0) continue;
      if (inside && (inside.x + inside.width > f * Math.floor(this.width / f) || inside.y + inside.height > f * Math.floor(this.height / f))) continue;
      return level;
    }
    return fullResolution(this.width, this.height);
  }

  /** `readAlone` on one level: `region` is in the level's pixels. */
  private async readAt(level: Level, region: Region, width: number, height: number, channels: 1 | 3): Promise<Uint8Array> {
    const inside = intersect(region, level.width, level.height);
    if (!inside) return new Uint8Array(channels * width * height);
    const resize = region.width !== width || region.height !== height;
    let pipeline: Sharp;
    if (sameRegion(inside, region)) {
      pipeline = colour(this.open(level.page).extract(toSharp(inside)), channels);
    } else {
      // sharp extends after resizing whatever the call order, so pad at the level's resolution first.
      const padded = await colour(this.open(level.page).extract(toSharp(inside)), channels)
        .extend({
          left: inside.x - region.x,
          top: inside.y - region.y,
          right: region.x + region.width - (inside.x + inside.width),
          bottom: region.y + region.height - (inside.y + inside.height),
          background: { r: 0, g: 0, b: 0 },
        })
        .raw()
        .toBuffer();
      if (!resize) return padded;
      // Raw grey input would come out as sRGB: its colour space is said again, as for a file.
      pipeline = sharp(padded, { raw: { width: region.width, height: region.height, channels } });
      if (channels === 1) pipeline = pipeline.toColourspace('b-w');
    }
    if (resize) pipeline = pipeline.resize(width, height, { fit: 'fill', kernel: 'linear' });
    const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== channels || info.width !== width || info.height !== height) {
      throw new Error(`image ${this.id}: read ${info.width}x${info.height}x${info.channels}, expected ${width}x${height}x${channels}`);
    }
    return data;
  }

  /** Starts reading the down-scaled blocks a later read of the region needs (see `ScaledBlocks`). */
  prefetch(region: Region, size: number, channels: 1 | 3): void {
    if (this.closed || !Number.isSafeInteger(size) || size < 1) return;
    this.blocks.prefetch(region, size, channels);
  }

  /**
   * The fraction of the region that looks like tissue: of a grid of samples over the region, those
   * that are neither near-white (every channel > 220: glass, background) nor near-black (every
   * channel < 20: padding, scanner borders). Samples past the image are not tissue. Samples come
   * from the in-memory overview when the TIFF has a pyramid, else from a 32×32 nearest-neighbour
   * read of the region.
   */
  async tissueFraction(region: Region): Promise<number> {
    this.checkOpen();
    checkRegion(region);
    const inside = intersect(region, this.width, this.height);
    if (!inside) return 0;
    return this.overview ? overviewTissue(this.overview, region, inside) : this.sampledTissue(region, inside);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.blocks.clear();
  }

  private async sampledTissue(region: Region, inside: Region): Promise<number> {
    const w = Math.max(1, Math.min(inside.width, Math.round((TISSUE_SAMPLES * inside.width) / region.width)));
    const h = Math.max(1, Math.min(inside.height, Math.round((TISSUE_SAMPLES * inside.height) / region.height)));
    const { data, info } = await this.open()
      .extract(toSharp(inside))
      .removeAlpha()
      .resize(w, h, { fit: 'fill', kernel: 'nearest' })
      .raw()
      .toBuffer({ resolveWithObject: true });
    const tissue = countTissue(data, info.channels, 0, info.width * info.height);
    return (tissue / (w * h)) * ((inside.width * inside.height) / (region.width * region.height));
  }

  private open(page = 0): Sharp {
    // Random access: a tiled TIFF then decodes only the tiles under the extracted region.
    return sharp(this.path, { limitInputPixels: false, sequentialRead: false, page });
  }

  private checkOpen(): void {
    if (this.closed) throw new Error(`image ${this.id} is closed`);
  }
}

/** The size of each page of a multi-page file after the first, in page order. */
async function pageSizes(path: string, pages: number): Promise<{ page: number; width: number; height: number }[]> {
  const sizes = [];
  for (let page = 1; page < pages; page++) {
    const meta = await sharp(path, { page, limitInputPixels: false }).metadata();
    if (meta.width && meta.height) sizes.push({ page, width: meta.width, height: meta.height });
  }
  return sizes;
}

/** The pages that are levels reads can be taken from (see `Level`), the most down-scaled first. */
function pyramidLevels(width: number, height: number, pages: { page: number; width: number; height: number }[]): Level[] {
  const levels: Level[] = [];
  for (const p of pages) {
    const f = 2 ** Math.round(Math.log2(width / p.width));
    const fits = (side: number, full: number) => side === Math.floor(full / f) || side === Math.ceil(full / f);
    if (f >= 2 && fits(p.width, width) && fits(p.height, height) && !levels.some((l) => l.factor === f)) levels.push({ ...p, factor: f });
  }
  return levels.sort((a, b) => b.factor - a.factor);
}

/** Picks the smallest pyramid level that is still at most 32× smaller than the image and loads it. */
async function loadOverview(path: string, width: number, height: number, pages: { page: number; width: number; height: number }[]): Promise<Overview | null> {
  let best: { page: number; width: number; height: number } | null = null;
  for (const meta of pages) {
    const fx = width / meta.width;
    const fy = height / meta.height;
    // Other pages of a slide (label, macro photo, thumbnail) do not share the image's aspect ratio.
    const isLevel = Math.abs(fx - fy) / fx < 0.05 && fx > 1;
    if (!isLevel || fx > MAX_OVERVIEW_FACTOR || meta.width * meta.height > MAX_OVERVIEW_PIXELS) continue;
    if (!best || meta.width < best.width) best = meta;
  }
  if (!best) return null;
  const { data, info } = await sharp(path, { page: best.page, limitInputPixels: false })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return {
    width: info.width,
    height: info.height,
    channels: info.channels,
    factorX: width / info.width,
    factorY: height / info.height,
    pixels: new Uint8Array(data.buffer, data.byteOffset, data.length),
  };
}

function overviewTissue(o: Overview, region: Region, inside: Region): number {
  // Overview pixels whose centres fall inside the in-image part of the region.
  const x0 = Math.max(0, Math.ceil(inside.x / o.factorX - 0.5));
  const x1 = Math.min(o.width, Math.ceil((inside.x + inside.width) / o.factorX - 0.5));
  const y0 = Math.max(0, Math.ceil(inside.y / o.factorY - 0.5));
  const y1 = Math.min(o.height, Math.ceil((inside.y + inside.height) / o.factorY - 0.5));
  let tissue = 0;
  for (let y = y0; y < y1; y++) tissue += countTissue(o.pixels, o.channels, y * o.width + x0, y * o.width + x1);
  // A region smaller than an overview pixel may hold no centre: look at the nearest pixel instead.
  if (x0 >= x1 || y0 >= y1) {
    const x = Math.min(o.width - 1, Math.floor((inside.x + inside.width / 2) / o.factorX));
    const y = Math.min(o.height - 1, Math.floor((inside.y + inside.height / 2) / o.factorY));
    const inImage = (inside.width * inside.height) / (region.width * region.height);
    return countTissue(o.pixels, o.channels, y * o.width + x, y * o.width + x + 1) * inImage;
  }
  const samples = (region.width / o.factorX) * (region.height / o.factorY);
  return Math.min(1, tissue / samples);
}

/** Counts pixels `from..to` (pixel indices of interleaved `channels`-channel data) that look like tissue. */
function countTissue(data: Uint8Array, channels: number, from: number, to: number): number {
  let tissue = 0;
  for (let p = from; p < to; p++) {
    let white = true;
    let black = true;
    for (let c = 0, i = p * channels; c < channels; c++, i++) {
      const v = data[i]!;
      if (v <= NEAR_WHITE) white = false;
      if (v >= NEAR_BLACK) black = false;
    }
    if (!white && !black) tissue++;
  }
  return tissue;
}

function colour(pipeline: Sharp, channels: 1 | 3): Sharp {
  return channels === 1 ? pipeline.removeAlpha().toColourspace('b-w') : pipeline.removeAlpha().toColourspace('srgb');
}

/** Interleaved 8-bit HWC → planar float32 CHW in 0..1. */
function toPlanar(data: Uint8Array, channels: number, size: number): Float32Array {
  const plane = size * size;
  const out = new Float32Array(channels * plane);
  for (let c = 0; c < channels; c++) {
    for (let p = 0, i = c; p < plane; p++, i += channels) out[c * plane + p] = data[i]! / 255;
  }
  return out;
}

function checkRegion(r: Region): void {
  if (![r.x, r.y, r.width, r.height].every(Number.isSafeInteger) || r.width < 1 || r.height < 1) {
    throw new RangeError(`region ${JSON.stringify(r)} is not integers with a positive size`);
  }
}

function intersect(r: Region, width: number, height: number): Region | null {
  const x0 = Math.max(0, r.x);
  const y0 = Math.max(0, r.y);
  const x1 = Math.min(width, r.x + r.width);
  const y1 = Math.min(height, r.y + r.height);
  return x0 < x1 && y0 < y1 ? { x: x0, y: y0, width: x1 - x0, height: y1 - y0 } : null;
}

function sameRegion(inner: Region, outer: Region): boolean {
  return inner.x === outer.x && inner.y === outer.y && inner.width === outer.width && inner.height === outer.height;
}

function toSharp(r: Region): { left: number; top: number; width: number; height: number } {
  return { left: r.x, top: r.y, width: r.width, height: r.height };
}
