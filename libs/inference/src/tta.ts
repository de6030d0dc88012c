import type { TtaTransform } from './types.js';

// Each transform reads output pixel (r, c) from input index `start + r * rowStep + c * colStep` of
// the same channel plane: one affine walk per transform keeps the loop free of branches. The
// identity, the flips and rot180 move whole rows instead (copy, then reverse).
function walk(transform: TtaTransform, size: number): { start: number; rowStep: number; colStep: number } {
  const last = size - 1;
  switch (transform) {
    case 'identity':
      return { start: 0, rowStep: size, colStep: 1 };
    case 'hflip': // (r, c) <- (r, S-1-c)
      return { start: last, rowStep: size, colStep: -1 };
    case 'vflip': // (r, c) <- (S-1-r, c)
      return { start: last * size, rowStep: -size, colStep: 1 };
    case 'rot180': // (r, c) <- (S-1-r, S-1-c)
      return { start: last * size + last, rowStep: -size, colStep: -1 };
    case 'rot90': // counter-clockwise, as numpy.rot90 and torch.rot90(k=1): (r, c) <- (c, S-1-r)
      return { start: last, rowStep: -1, colStep: size };
    case 'rot270': // clockwise: (r, c) <- (S-1-c, r)
      return { start: last * size, rowStep: 1, colStep: -size };
  }
}

/** The transform that undoes `transform`: rotations swap, flips and the identity undo themselves. */
export function inverseTta(transform: TtaTransform): TtaTransform {
  if (transform === 'rot90') return 'rot270';
  if (transform === 'rot270') return 'rot90';
  return transform;
}

/**
 * Applies `transform` to planar CHW float32 patches of `channels` square `size`×`size` planes,
 * writing into `out` (allocated when omitted; must not alias `src`). `rot90` turns counter-clockwise
 * like `numpy.rot90`. Returns `out`.
 */
export function applyTta(
  transform: TtaTransform,
  src: Float32Array,
  channels: number,
  size: number,
  out: Float32Array = new Float32Array(channels * size * size),
): Float32Array {
  const plane = size * size;
  if (src.length < channels * plane || out.length < channels * plane) {
    throw new RangeError(`applyTta: ${channels}x${size}x${size} patches need ${channels * plane} values`);
  }
  if (transform === 'identity') {
    out.set(src.subarray(0, channels * plane));
    return out;
  }
  if (transform === 'vflip' || transform === 'hflip' || transform === 'rot180') {
    // Whole rows: copied (from the mirrored row for vflip and rot180), then reversed in place for
    // hflip and rot180 — the engine's copy and reverse are several times faster than an indexed
    // walk, and they move the same values.
    const fromRow = transform === 'hflip' ? (r: number) => r : (r: number) => size - 1 - r;
    const reverse = transform !== 'vflip';
    for (let ch = 0; ch < channels; ch++) {
      for (let r = 0; r < size; r++) {
        const from = ch * plane + fromRow(r) * size;
        const to = ch * plane + r * size;
        const row = out.subarray(to, to + size);
        row.set(src.subarray(from, from + size));
        if (reverse) row.reverse();
      }
    }
    return out;
  }
  const { start, rowStep, colStep } = walk(transform, size);
  for (let ch = 0; ch < channels; ch++) {
    const base = ch * plane;
    let o = base;
    for (let r = 0; r < size; r++) {
      let i = base + start + r * rowStep;
      for (let c = 0; c < size; c++) {
        out[o++] = src[i]!;
        i += colStep;
      }
    }
  }
  return out;
}

/** Undoes `transform` on a prediction made from a transformed patch (same layout as `applyTta`). */
export function undoTta(
  transform: TtaTransform,
  src: Float32Array,
  channels: number,
  size: number,
  out?: Float32Array,
): Float32Array {
  return applyTta(inverseTta(transform), src, channels, size, out);
}

/** Rows `[r0, r1)` and columns `[c0, c1)` of a `size`×`size` plane (model pixels, row-major). */
export interface PlaneRect {
  r0: number;
  r1: number;
  c0: number;
  c1: number;
}

/**
 * Adds one `size`×`size` plane of a prediction made from a `transform`ed patch, undone, into
 * `sum` from `offset`: `sum` gains exactly what `undoTta` would give, with no copy in between.
 * With `transposed`, `sum` gains the undone plane transposed (column-major), as
 * `LineAccumulator.add` takes planes for column lines: the same values, added in the same order.
 * With `rect`, only the undone plane's pixels in it are added (the rest of `sum` is left as it is).
 */
export function addUndone(transform: TtaTransform, src: Float32Array, size: number, sum: Float32Array, offset = 0, transposed = false, rect?: PlaneRect): void {
  const plane = size * size;
  if (src.length < plane || sum.length < offset + plane) throw new RangeError(`addUndone: a ${size}x${size} plane needs ${plane} values`);
  const { r0, r1, c0, c1 } = rect ?? { r0: 0, r1: size, c0: 0, c1: size };
  if (!(0 <= r0 && r0 <= r1 && r1 <= size && 0 <= c0 && c0 <= c1 && c1 <= size)) throw new RangeError(`addUndone: ${JSON.stringify(rect)} is not within a ${size}x${size} plane`);
  const { start, rowStep, colStep } = walk(inverseTta(transform), size);
  // Output (r, c) of the transposed plane is (c, r) of the undone one: the walk's steps swap.
  if (transposed) addWalk(src, start, colStep, rowStep, size, sum, offset, c0, c1, r0, r1);
  else addWalk(src, start, rowStep, colStep, size, sum, offset, r0, r1, c0, c1);
}

/** sum[offset + r × size + c] += src[start + r × rowStep + c × colStep] for r in [r0, r1), c in [c0, c1). */
function addWalk(src: Float32Array, start: number, rowStep: number, colStep: number, size: number, sum: Float32Array, offset: number, r0: number, r1: number, c0: number, c1: number): void {
  for (let r = r0; r < r1; r++) {
    let o = offset + r * size + c0;
    for (let c = c0, i = start + r * rowStep + c0 * colStep; c < c1; c++, i += colStep) sum[o++]! += src[i]!;
  }
}
