// Decoding a submission's RLE masks in the browser for the overlay viewer.
import type { RleOrder } from '@holdout/contracts';

/**
 * The masks (second column) of a CSV's rows for one image id: a submission (`id,predicted`) or a
 * training file with more columns after the mask (`id,annotation,width,…`); tolerant of quotes and CRLF.
 */
export function rowsFor(csv: string, imageId: string): string[] {
  const out: string[] = [];
  for (const raw of csv.split(/\r?\n/)) {
    const comma = raw.indexOf(',');
    if (comma < 0) continue;
    const id = raw.slice(0, comma).replace(/^"|"$/g, '');
    if (id !== imageId) continue;
    const next = raw.indexOf(',', comma + 1); // an RLE has no commas
    out.push(raw.slice(comma + 1, next < 0 ? undefined : next).replace(/^"|"$/g, '').trim());
  }
  return out;
}

/** Paints each RLE (one per instance) into `label` (0 = background, k = k-th mask). */
export function paintRle(label: Uint16Array, rles: string[], width: number, height: number, order: RleOrder): void {
  rles.forEach((rle, k) => {
    const t = rle.split(/\s+/).filter(Boolean).map(Number);
    for (let i = 0; i + 1 < t.length; i += 2) {
      const start = t[i]! - 1;
      for (let p = start; p < start + t[i + 1]! && p < width * height; p++) {
        // Pixel numbers run down columns (column order) or along rows (row order).
        const idx = order === 'column' ? (p % height) * width + Math.floor(p / height) : p;
        label[idx] = k + 1;
      }
    }
  });
}

const MASK_COLOURS = [
  [255, 64, 64],
  [64, 200, 255],
  [255, 200, 0],
  [120, 255, 120],
  [255, 100, 255],
] as const;

/** The RGB colour of mask k (1-based, as painted into a label image), cycling through a palette. */
export function maskColour(k: number): readonly [number, number, number] {
  return MASK_COLOURS[(k - 1) % MASK_COLOURS.length]!;
}
