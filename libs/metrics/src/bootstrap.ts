/** Options of `bootstrapInterval`. */
export interface BootstrapOptions {
  /** Number of resamples (default 1000). */
  resamples?: number;
  /** Coverage of the interval (default 0.95). */
  confidence?: number;
  /** PRNG seed (default 20231); the same seed and values give the same interval. */
  seed?: number;
}

/** Default seed of the bootstrap, fixed so that a score's interval never changes between runs. */
export const DEFAULT_BOOTSTRAP_SEED = 20231;

/**
 * Percentile bootstrap interval of the mean of `values` (per-image scores): draws `resamples`
 * samples of the images with replacement using a seeded PRNG (mulberry32), takes each sample's
 * mean, and returns the (1-confidence)/2 and (1+confidence)/2 quantiles of those means (linear
 * interpolation between order statistics, as numpy's default). One value gives [v, v].
 */
export function bootstrapInterval(values: ArrayLike<number>, options: BootstrapOptions = {}): [number, number] {
  const { resamples = 1000, confidence = 0.95, seed = DEFAULT_BOOTSTRAP_SEED } = options;
  const n = values.length;
  if (n === 0) throw new RangeError('bootstrapInterval: no values');
  if (!(resamples >= 1) || !(confidence > 0 && confidence < 1)) throw new RangeError('bootstrapInterval: bad options');
  const xs = Float64Array.from(values);
  const means = new Float64Array(resamples);
  // mulberry32 (as `mulberry32` below), inlined: this loop runs resamples × images times.
  let a = seed >>> 0;
  for (let r = 0; r < resamples; r++) {
    let total = 0;
    for (let i = 0; i < n; i++) {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      total += xs[Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n)]!;
    }
    means[r] = total / n;
  }
  means.sort();
  return [quantile(means, (1 - confidence) / 2), quantile(means, (1 + confidence) / 2)];
}

/** Quantile of sorted values with linear interpolation (numpy's default method). */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  const v = sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
  // Interpolating between equal values must give that value exactly.
  return sorted[lo] === sorted[hi] ? sorted[lo]! : v;
}

/** mulberry32: a small, fast 32-bit PRNG with good statistical quality; returns [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
