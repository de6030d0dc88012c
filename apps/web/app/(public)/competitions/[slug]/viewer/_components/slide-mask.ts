import type { RleOrder } from '@holdout/contracts';

/**
 * Paints RLE masks of a `width`×`height` image into a label grid `factor` times smaller on each
 * side (a cell is set when any of its pixels is), so a whole-slide mask never needs a
 * full-resolution buffer. Runs are walked line by line (rows in row order, columns in column
 * order), so the cost follows the number of runs, not the pixels they cover.
 */
export function paintRleDownsampled(rles: string[], width: number, height: number, order: RleOrder, factor: number): { label: Uint16Array; w: number; h: number } {
  const w = Math.ceil(width / factor);
  const h = Math.ceil(height / factor);
  const label = new Uint16Array(w * h);
  const line = order === 'column' ? height : width; // pixels along one line of the pixel order
  const total = width * height;
  rles.forEach((rle, k) => {
    const t = rle.split(/\s+/).filter(Boolean).map(Number);
    for (let i = 0; i + 1 < t.length; i += 2) {
      let p = t[i]! - 1;
      const end = Math.min(p + t[i + 1]!, total);
      if (!(p >= 0)) continue;
      while (p < end) {
        const lineNo = Math.floor(p / line);
        const from = p - lineNo * line;
        const to = Math.min(end - lineNo * line, line); // exclusive, within this line
        const c0 = Math.floor(from / factor);
        const c1 = Math.floor((to - 1) / factor);
        const other = Math.floor(lineNo / factor);
        for (let c = c0; c <= c1; c++) {
          // column order: the line is a column (x = lineNo), positions along it are y.
          const idx = order === 'column' ? c * w + other : other * w + c;
          label[idx] = k + 1;
        }
        p = lineNo * line + to;
      }
    }
  });
  return { label, w, h };
}
