/**
 * Kaggle run-length encoding: `start length start length …`, 1-indexed, space separated, runs
 * sorted and not overlapping.
 *
 * Pixels are numbered in one of two orders (the competition's `rleOrder`):
 * - `column`: top to bottom, then left to right (HuBMAP): pixel p (1-based) is at
 *   row `(p-1) % height`, col `floor((p-1) / height)`;
 * - `row`: left to right, then top to bottom (Sartorius): pixel p is at
 *   row `floor((p-1) / width)`, col `(p-1) % width`.
 *
 * Masks handed to and returned by this module are always laid out row-major in memory
 * (`mask[row * width + col]`, non-zero = inside), whatever the RLE order, so that an order
 * mistake changes the encoded string and is caught by tests on the mapping itself.
 */

/** Pixel numbering of an RLE string; see the module comment. */
export type RleOrder = 'column' | 'row';

/** Runs of a mask as parallel arrays of 1-based start pixels and lengths (both > 0). */
export interface Runs {
  starts: number[];
  lengths: number[];
}

/**
 * Maps a 1-based RLE pixel number to its 0-based (row, col) in a `height`×`width` image.
 * Throws a RangeError when the pixel is not in the image.
 */
export function rlePixelToRowCol(
  pixel: number,
  height: number,
  width: number,
  order: RleOrder,
): { row: number; col: number } {
  if (!Number.isSafeInteger(pixel) || pixel < 1 || pixel > height * width) {
    throw new RangeError(`pixel ${pixel} is outside a ${height}x${width} image`);
  }
  const i = pixel - 1;
  return order === 'column'
    ? { row: i % height, col: Math.floor(i / height) }
    : { row: Math.floor(i / width), col: i % width };
}

/**
 * Maps a 0-based (row, col) to its 1-based RLE pixel number in a `height`×`width` image.
 * Throws a RangeError when (row, col) is not in the image.
 */
export function rowColToRlePixel(row: number, col: number, height: number, width: number, order: RleOrder): number {
  if (!Number.isSafeInteger(row) || !Number.isSafeInteger(col) || row < 0 || col < 0 || row >= height || col >= width) {
    throw new RangeError(`(${row}, ${col}) is outside a ${height}x${width} image`);
  }
  return order === 'column' ? col * height + row + 1 : row * width + col + 1;
}

/**
 * Formats runs as an RLE string. `starts` are 1-based pixel numbers; runs must already be
 * sorted, non-overlapping and of positive length (checked; a RangeError names the bad run).
 */
export function runsToRle(starts: ArrayLike<number>, lengths: ArrayLike<number>): string {
  if (starts.length !== lengths.length) {
    throw new RangeError(`runsToRle: ${starts.length} starts but ${lengths.length} lengths`);
  }
  const parts: string[] = new Array(starts.length * 2);
  let prevEnd = 1; // first pixel not covered by the previous run
  for (let k = 0; k < starts.length; k++) {
    const s = starts[k]!;
    const l = lengths[k]!;
    if (!Number.isSafeInteger(s) || !Number.isSafeInteger(l) || s < 1 || l < 1) {
      throw new RangeError(`runsToRle: run ${k} (start ${s}, length ${l}) is not positive integers`);
    }
    if (s < prevEnd) throw new RangeError(`runsToRle: run ${k} (start ${s}) overlaps or precedes the previous run`);
    prevEnd = s + l;
    parts[2 * k] = String(s);
    parts[2 * k + 1] = String(l);
  }
  return parts.join(' ');
}

/**
 * Finds the runs of a row-major `height`×`width` mask (non-zero = inside) in the given pixel
 * order. Adjacent pixels in pixel order form one run (in column order a run continues from the
 * bottom of one column to the top of the next, as in Kaggle's encoders).
 */
export function maskToRuns(mask: ArrayLike<number>, height: number, width: number, order: RleOrder): Runs {
  checkShape(mask.length, height, width);
  const starts: number[] = [];
  const lengths: number[] = [];
  const n = height * width;
  let runStart = -1;
  for (let i = 0; i < n; i++) {
    // i is the 0-based pixel number in RLE order; find its place in the row-major mask.
    const at = order === 'row' ? i : (i % height) * width + Math.floor(i / height);
    const inside = mask[at] !== 0;
    if (inside && runStart < 0) runStart = i;
    else if (!inside && runStart >= 0) {
      starts.push(runStart + 1);
      lengths.push(i - runStart);
      runStart = -1;
    }
  }
  if (runStart >= 0) {
    starts.push(runStart + 1);
    lengths.push(n - runStart);
  }
  return { starts, lengths };
}

/** Encodes a row-major `height`×`width` mask (non-zero = inside) as an RLE string. */
export function encodeRle(mask: ArrayLike<number>, height: number, width: number, order: RleOrder): string {
  const { starts, lengths } = maskToRuns(mask, height, width, order);
  return runsToRle(starts, lengths);
}

/**
 * Parses an RLE string into runs, validating it the way the scorer does (integer tokens, an
 * even count, positive, sorted, non-overlapping, and — when `pixelCount` is given — inside the
 * image). Throws a RangeError describing the first problem. Meant for small strings (tests,
 * bundle tools); the scorer parses files with its own byte-level reader.
 */
export function parseRle(rle: string, pixelCount?: number): Runs {
  const tokens = rle.trim() === '' ? [] : rle.trim().split(/ +/);
  if (tokens.length % 2 !== 0) throw new RangeError(`odd number of tokens (${tokens.length})`);
  const starts: number[] = [];
  const lengths: number[] = [];
  let prevStart = 0;
  let prevEnd = 1;
  for (let k = 0; k < tokens.length; k += 2) {
    const [s, l] = [tokens[k]!, tokens[k + 1]!].map((t) => {
      if (!/^\d{1,15}$/.test(t)) throw new RangeError(`token "${t}" is not a non-negative integer`);
      return Number(t);
    }) as [number, number];
    if (s < 1 || l < 1) throw new RangeError(`run ${k / 2 + 1} (start ${s}, length ${l}) is not positive`);
    if (s < prevStart) throw new RangeError(`runs are not sorted (start ${s} after ${prevStart})`);
    if (s < prevEnd) throw new RangeError(`runs overlap (start ${s} inside the run ending at ${prevEnd - 1})`);
    if (pixelCount !== undefined && s + l - 1 > pixelCount) {
      throw new RangeError(`run ${s} ${l} ends at pixel ${s + l - 1}, past the image's last pixel ${pixelCount}`);
    }
    starts.push(s);
    lengths.push(l);
    prevStart = s;
    prevEnd = s + l;
  }
  return { starts, lengths };
}

/** Decodes an RLE string into a row-major `height`×`width` mask of 0/1 (validated as in `parseRle`). */
export function decodeRle(rle: string, height: number, width: number, order: RleOrder): Uint8Array {
  checkShape(height * width, height, width);
  const { starts, lengths } = parseRle(rle, height * width);
  const mask = new Uint8Array(height * width);
  for (let k = 0; k < starts.length; k++) {
    const end = starts[k]! - 1 + lengths[k]!;
    if (order === 'row') mask.fill(1, starts[k]! - 1, end);
    else for (let i = starts[k]! - 1; i < end; i++) mask[(i % height) * width + Math.floor(i / height)] = 1;
  }
  return mask;
}

function checkShape(length: number, height: number, width: number): void {
  if (!Number.isSafeInteger(height) || !Number.isSafeInteger(width) || height < 1 || width < 1) {
    throw new RangeError(`image size ${height}x${width} is not positive integers`);
  }
  if (length !== height * width) throw new RangeError(`mask has ${length} pixels, expected ${height}x${width}`);
}
