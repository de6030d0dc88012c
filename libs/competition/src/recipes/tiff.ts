import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';

/** Fills `rows` rows of RGB pixels, starting at row `y0`, into `out` (row-major, 3 bytes a pixel). */
export type StripRenderer = (y0: number, rows: number, out: Uint8ClampedArray) => void;

export interface PyramidalTiffOptions {
  path: string;
  width: number;
  height: number;
  render: StripRenderer;
  /** Rows rendered at a time; memory is about width × stripRows × 3 bytes. */
  stripRows?: number;
  /** Slides with more pixels than this are written through temporary strip files (bounded memory). */
  maxInMemoryPixels?: number;
  tmpDir: string;
  tileSize?: number;
  quality?: number;
  onStrip?: (rowsDone: number) => void;
}

const DEFAULT_MAX_IN_MEMORY_PIXELS = 40_000_000;

/**
 * Writes a tiled, pyramidal, JPEG-compressed RGB TIFF from a strip renderer. Small slides are
 * rendered into one buffer; large ones strip by strip into temporary libvips files that are
 * joined lazily, so no full-slide buffer exists at any time (libvips streams the join into the
 * pyramid writer).
 *
 * Resolves once every pixel is rendered, with `encoded` settling when the file is written: a
 * caller can render the next slide while libvips encodes this one on its own threads.
 */
export async function writePyramidalTiff(options: PyramidalTiffOptions): Promise<{ encoded: Promise<void> }> {
  const { width, height, render, tmpDir } = options;
  const stripRows = options.stripRows ?? 512;
  const tiff = {
    tile: true,
    tileWidth: options.tileSize ?? 512,
    tileHeight: options.tileSize ?? 512,
    pyramid: true,
    compression: 'jpeg' as const,
    quality: options.quality ?? 85,
  };
  if (width * height <= (options.maxInMemoryPixels ?? DEFAULT_MAX_IN_MEMORY_PIXELS)) {
    const pixels = new Uint8ClampedArray(width * height * 3);
    for (let y0 = 0; y0 < height; y0 += stripRows) {
      const rows = Math.min(stripRows, height - y0);
      render(y0, rows, pixels.subarray(y0 * width * 3, (y0 + rows) * width * 3));
      options.onStrip?.(y0 + rows);
    }
    const encoded = sharp(pixels, { raw: { width, height, channels: 3 } }).tiff(tiff).toFile(options.path);
    return { encoded: handled(encoded.then(() => undefined)) };
  }
  const dir = await mkdtemp(join(tmpDir, 'strips-'));
  const files: string[] = [];
  try {
    const strip = new Uint8ClampedArray(width * stripRows * 3);
    for (let y0 = 0; y0 < height; y0 += stripRows) {
      const rows = Math.min(stripRows, height - y0);
      const view = strip.subarray(0, width * rows * 3);
      render(y0, rows, view);
      const file = join(dir, `${String(y0).padStart(8, '0')}.v`);
      await sharp(view, { raw: { width, height: rows, channels: 3 } }).toFile(file);
      files.push(file);
      options.onStrip?.(y0 + rows);
    }
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  // arrayjoin gives every cell the largest strip's size: crop the padding of the last one. The
  // pixel limit is this image's own padded size (the strips are ours), never "no limit".
  const paddedPixels = width * stripRows * Math.ceil(height / stripRows);
  const encoded = sharp(files, { join: { across: 1 }, limitInputPixels: paddedPixels, sequentialRead: true })
    .extract({ left: 0, top: 0, width, height })
    .tiff(tiff)
    .toFile(options.path)
    .then(() => undefined)
    .finally(() => rm(dir, { recursive: true, force: true }));
  return { encoded: handled(encoded) };
}

/** Marks a promise as handled (the caller awaits it later) so an early failure is not reported as unhandled. */
function handled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}
