// A plain rasterising implementation of the metrics, written independently of the run-based
// code (own RLE decoding, pixel loops, float IoU), for property tests. Not exported by index.ts.

export type Order = 'column' | 'row';

/** Decodes an RLE into a row-major 0/1 mask, pixel by pixel. */
export function rasterise(rle: string, height: number, width: number, order: Order): Uint8Array {
  const mask = new Uint8Array(height * width);
  const tokens = rle.split(' ').filter((t) => t !== '').map(Number);
  for (let k = 0; k < tokens.length; k += 2) {
    for (let p = tokens[k]!; p < tokens[k]! + tokens[k + 1]!; p++) {
      const i = p - 1;
      const row = order === 'row' ? Math.floor(i / width) : i % height;
      const col = order === 'row' ? i % width : Math.floor(i / height);
      mask[row * width + col] = 1;
    }
  }
  return mask;
}

export function referenceDice(truth: Uint8Array, pred: Uint8Array): number {
  let a = 0;
  let b = 0;
  let both = 0;
  for (let i = 0; i < truth.length; i++) {
    a += truth[i]!;
    b += pred[i]!;
    both += truth[i]! & pred[i]!;
  }
  return a + b === 0 ? 1 : (2 * both) / (a + b);
}

/** DSB-2018 / Sartorius mAP of one image from per-instance masks, with a full IoU matrix. */
export function referenceInstanceScore(truth: Uint8Array[], pred: Uint8Array[]): number {
  if (pred.length === 0) return truth.length === 0 ? 1 : 0;
  const iou = truth.map((t) =>
    pred.map((p) => {
      let inter = 0;
      let union = 0;
      for (let i = 0; i < t.length; i++) {
        inter += t[i]! & p[i]!;
        union += t[i]! | p[i]!;
      }
      return union === 0 ? 0 : inter / union;
    }),
  );
  let total = 0;
  for (let k = 0; k < 10; k++) {
    const threshold = 0.5 + 0.05 * k;
    const t = Math.round(threshold * 100) / 100;
    const matchesPerTruth = iou.map((row) => row.filter((x) => x > t).length);
    const matchesPerPred = pred.map((_, j) => iou.filter((row) => row[j]! > t).length);
    const tp = matchesPerTruth.filter((m) => m === 1).length;
    const fn = matchesPerTruth.filter((m) => m === 0).length;
    const fp = matchesPerPred.filter((m) => m === 0).length;
    total += tp / (tp + fp + fn);
  }
  return total / 10;
}

/** A seeded PRNG for generating cases (xorshift32). */
export function prng(seed: number): { next(): number; int(lo: number, hi: number): number } {
  let x = seed >>> 0 || 1;
  const next = () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 4294967296;
  };
  return { next, int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)) };
}
