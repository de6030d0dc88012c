// Bilinear resampling of one float32 plane, used to bring model-resolution probabilities back to
// image resolution. Sampling follows libvips and OpenCV (half-pixel centres): output pixel d reads
// input coordinate (d + 0.5) * in / out - 0.5, clamped to the edge pixels.

/**
 * Where each of `outSize` output pixels samples an axis of `inSize` input pixels: between input
 * `lo[d]` and `hi[d]` (= lo + 1, or lo at the clamped ends), `frac[d]` of the way.
 */
export interface BilinearTaps {
  lo: Int32Array;
  hi: Int32Array;
  frac: Float32Array;
}

/** The bilinear taps of one axis (half-pixel centres, clamped to the edge pixels). */
export function bilinearTaps(inSize: number, outSize: number): BilinearTaps {
  const lo = new Int32Array(outSize);
  const hi = new Int32Array(outSize);
  const frac = new Float32Array(outSize);
  const scale = inSize / outSize;
  for (let d = 0; d < outSize; d++) {
    const s = Math.min(Math.max((d + 0.5) * scale - 0.5, 0), inSize - 1);
    const i = Math.floor(s);
    lo[d] = i;
    hi[d] = Math.min(i + 1, inSize - 1);
    frac[d] = s - i;
  }
  return { lo, hi, frac };
}

/**
 * Resizes a row-major `inWidth`×`inHeight` float32 plane to `outWidth`×`outHeight` by bilinear
 * interpolation with half-pixel centres (as libvips and OpenCV's INTER_LINEAR). Meant for
 * up-scaling: down-scaling reads only the 2×2 nearest inputs and aliases. Writes into `out`
 * (allocated when omitted) and returns it.
 */
export function resizeBilinear(
  src: Float32Array,
  inWidth: number,
  inHeight: number,
  outWidth: number,
  outHeight: number,
  out: Float32Array = new Float32Array(outWidth * outHeight),
): Float32Array {
  if (src.length < inWidth * inHeight || out.length < outWidth * outHeight) {
    throw new RangeError(`resizeBilinear: planes smaller than ${inWidth}x${inHeight} -> ${outWidth}x${outHeight}`);
  }
  const xs = bilinearTaps(inWidth, outWidth);
  const ys = bilinearTaps(inHeight, outHeight);
  const xLo = xs.lo;
  const xHi = xs.hi;
  const xFrac = xs.frac;
  let o = 0;
  for (let y = 0; y < outHeight; y++) {
    const top = ys.lo[y]! * inWidth;
    const bottom = ys.hi[y]! * inWidth;
    const fy = ys.frac[y]!;
    for (let x = 0; x < outWidth; x++) {
      const l = xLo[x]!;
      const h = xHi[x]!;
      const fx = xFrac[x]!;
      const a = src[top + l]! + (src[top + h]! - src[top + l]!) * fx;
      const b = src[bottom + l]! + (src[bottom + h]! - src[bottom + l]!) * fx;
      out[o++] = a + (b - a) * fy;
    }
  }
  return out;
}
