import { bilinearTaps, type BilinearTaps } from './resize.js';
import type { AxisPlan } from './tiling.js';
import { KernelMemory } from './kernels/blend-kernels.js';
import type { PlaneRect } from './tta.js';
import type { BlendMode, PixelOrder, Region } from './types.js';

// Every blend mode's weight map is a product of one profile along x and one along y, and the
// windows of a view form a grid, so the total weight at (x, y) is (sum of x profiles at x) ×
// (sum of y profiles at y). Dividing each window's profiles by those sums up front makes every
// window's contribution final when it is added: the accumulator holds blended probabilities, not
// a sum and a weight, which halves its memory and lets views share one accumulator. This relies on
// every window of the grid contributing (a skipped window contributes zeros with its usual weight).

/** MONAI's sliding-window default: sigma = window / 8. */
const GAUSSIAN_SIGMA_SCALE = 1 / 8;

/**
 * The un-normalised weight of each of a window's `window` pixels along one axis:
 * - `center-crop`: 1 on `[keepFrom, keepTo)` (window coordinates), 0 elsewhere;
 * - `count`: 1 everywhere, so overlaps are averaged;
 * - `gaussian`: exp(-d² / 2σ²) with σ = window / 8 and d the distance to the window's centre,
 *   scaled to a maximum of 1 (as MONAI). Never 0: about exp(-8) ≈ 3e-4 at the edges.
 * The 2-D weight of a window pixel is the product of its x and y profiles.
 */
export function axisProfile(mode: BlendMode, window: number, keepFrom = 0, keepTo = window): Float32Array {
  const profile = new Float32Array(window);
  switch (mode) {
    case 'center-crop':
      profile.fill(1, Math.max(0, keepFrom), Math.min(window, keepTo));
      break;
    case 'count':
      profile.fill(1);
      break;
    case 'gaussian': {
      const centre = (window - 1) / 2;
      const sigma = window * GAUSSIAN_SIGMA_SCALE;
      let max = 0;
      for (let i = 0; i < window; i++) {
        const v = Math.exp(-((i - centre) ** 2) / (2 * sigma * sigma));
        profile[i] = v;
        max = Math.max(max, v);
      }
      for (let i = 0; i < window; i++) profile[i]! /= max;
      break;
    }
  }
  return profile;
}

/**
 * Normalised weights of every window along one axis of a view: entry `i` holds, for each pixel of
 * window `i`, its profile divided by the sum of the profiles of all windows covering that image
 * pixel (0 past the image's end). Along the axis the weights of the windows covering a pixel sum
 * to 1, so the product of an x and a y weight, summed over a grid of windows, is 1 at every pixel.
 */
export function normalisedAxisWeights(mode: BlendMode, axis: AxisPlan): Float32Array[] {
  const { length, window, positions, keepStart, keepEnd } = axis;
  const profiles = positions.map((p, i) => axisProfile(mode, window, keepStart[i]! - p, keepEnd[i]! - p));
  const total = new Float64Array(length);
  positions.forEach((p, i) => {
    const profile = profiles[i]!;
    for (let t = 0, end = Math.min(window, length - p); t < end; t++) total[p + t]! += profile[t]!;
  });
  return positions.map((p, i) => {
    const profile = profiles[i]!;
    const weights = new Float32Array(window);
    for (let t = 0, end = Math.min(window, length - p); t < end; t++) {
      const sum = total[p + t]!;
      weights[t] = sum > 0 ? profile[t]! / sum : 0;
    }
    return weights;
  });
}

/**
 * Blended probabilities of a band of image lines, kept in a ring of `capacity` lines. A line is a
 * column of the image for `column` orientation (the column-order RLE walks down columns) and a row
 * for `row`. Windows are added with their normalised x and y weights (`normalisedAxisWeights`);
 * once no later window touches a line, its values are final: read them with `line`, then `release`
 * the line so that its slot can take the next line. With `capacity` equal to the number of lines
 * the ring is the whole image, line-major (row-major for `row`).
 */
export class LineAccumulator {
  /** Number of float32 values held: capacity × line length × channels. */
  readonly allocated: number;
  private readonly lineLength: number;
  private readonly lineCount: number;
  /** First line not yet released; lines `[released, released + capacity)` may be written. */
  private released = 0;
  /**
   * The channels' planes, then the scratch of `add`, in one WebAssembly memory that the blend's
   * kernels work in (`planes` and `f32` are views of it, made again when the scratch grows it).
   */
  private readonly memory: KernelMemory;
  private planes: Float32Array[] = [];
  private f32 = new Float32Array(0);
  private readonly planeBytes: number;
  /** Byte offset of `thresholdEdges`'s output. */
  private readonly edges: number;
  private scratch: Scratch | null = null;
  private disposed = false;
  private lastTaps: { modelSize: number; side: number; taps: BilinearTaps } | null = null;

  constructor(
    readonly orientation: PixelOrder,
    readonly width: number,
    readonly height: number,
    readonly capacity: number,
    readonly channels = 1,
  ) {
    this.lineLength = orientation === 'column' ? height : width;
    this.lineCount = orientation === 'column' ? width : height;
    if (!Number.isSafeInteger(capacity) || capacity < 1 || capacity > this.lineCount) {
      throw new RangeError(`accumulator capacity ${capacity} is not between 1 and ${this.lineCount} lines`);
    }
    this.allocated = channels * capacity * this.lineLength;
    this.planeBytes = capacity * this.lineLength * 4;
    // The planes, then `thresholdEdges`'s output (at most one edge a position), then `add`'s scratch.
    this.edges = this.allocated * 4;
    this.memory = new KernelMemory(this.edges + 4 * this.lineLength);
    this.view();
  }

  /** The first line that has not been released yet. */
  get firstOpenLine(): number {
    return this.released;
  }

  /**
   * Adds `scale` × weight × probability for a square window. `probabilities` holds `channels`
   * row-major `modelSize`×`modelSize` planes; when `modelSize` differs from the window's side they
   * are resized to it bilinearly while being added, exactly as `resizeBilinear` would, but only
   * where the weights are non-zero and without a window-sized intermediate. `weightsX` and
   * `weightsY` are the window's normalised weights along x and y. The part past the image is
   * ignored. Throws a RangeError when the window touches a released line or one beyond the ring.
   * With `layout` `line-major` the planes are laid out along this accumulator's lines already
   * (column-major for `column` lines, as `addUndone` writes them transposed), which spares a
   * transpose; for `row` lines the two layouts are the same.
   */
  add(
    window: Region,
    probabilities: Float32Array,
    modelSize: number,
    weightsX: Float32Array,
    weightsY: Float32Array,
    scale = 1,
    layout: 'row-major' | 'line-major' = 'row-major',
  ): void {
    const side = window.width;
    if (this.disposed) throw new Error('the accumulator was disposed');
    if (window.height !== side || probabilities.length < this.channels * modelSize * modelSize) {
      throw new RangeError(`add: a ${window.width}x${window.height} window with ${probabilities.length} values of ${modelSize}x${modelSize}`);
    }
    const [x0, x1] = nonZeroRange(weightsX, window.x, this.width);
    const [y0, y1] = nonZeroRange(weightsY, window.y, this.height);
    if (x0 >= x1 || y0 >= y1) return;
    // In line terms: a line is a column for `column` orientation, and a position runs along it.
    const column = this.orientation === 'column';
    const [firstLine, endLine, lineStart, lineWeights] = column ? [x0, x1, window.x, weightsX] : [y0, y1, window.y, weightsY];
    const [firstPos, endPos, posStart, posWeights] = column ? [y0, y1, window.y, weightsY] : [x0, x1, window.x, weightsX];
    if (firstLine < this.released || endLine > this.released + this.capacity) {
      throw new RangeError(
        `window at (${window.x}, ${window.y}) writes lines ${firstLine}..${endLine - 1}, outside the open lines ${this.released}..${this.released + this.capacity - 1}`,
      );
    }
    const plane = modelSize * modelSize;
    const taps = modelSize === side ? null : this.tapsFor(modelSize, side);
    const scratch = this.scratchFor(modelSize, side, taps);
    const { f32 } = this;
    const kernels = this.memory.kernels;
    const [from, to] = [firstPos - posStart, endPos - posStart];
    const n = to - from;
    // Centre-crop weights are 1 over the kept range: multiplying by them is then exact, and left out.
    const unitWeights = isAll(posWeights, from, to, 1);
    if (!unitWeights) f32.set(posWeights.subarray(from, to), scratch.weights / 4 + from);
    const weights = scratch.weights + 4 * from;
    /** Model line `modelLine` of the plane in scratch, resized along the line into `out` at positions [from, to). */
    const resize = (modelLine: number, out: number) =>
      kernels.resizeLine(scratch.src + 4 * modelLine * modelSize, scratch.lo + 4 * from, scratch.hi + 4 * from, scratch.frac + 4 * from, n, out + 4 * from);
    for (let ch = 0; ch < this.channels; ch++) {
      // The model plane, line-major (transposed for columns, so that both orientations read along lines).
      const src = probabilities.subarray(ch * plane, (ch + 1) * plane);
      const into = f32.subarray(scratch.src / 4, scratch.src / 4 + plane);
      if (column && layout === 'row-major') transposePlane(src, modelSize, into);
      else into.set(src);
      const plane0 = ch * this.planeBytes;
      // Two model lines resized along the line: consecutive window lines interpolate between the same pair.
      let [low, high] = [scratch.low, scratch.high];
      let lowLine = -1; // the model lines now in low and high
      let highLine = -1;
      for (let line = firstLine; line < endLine; line++) {
        const t = line - lineStart;
        const lineWeight = lineWeights[t]! * scale;
        const dst = plane0 + 4 * ((line % this.capacity) * this.lineLength + posStart + from);
        if (!taps) {
          const row = scratch.src + 4 * (t * side + from);
          if (unitWeights) kernels.addScaled(dst, row, n, lineWeight);
          else kernels.addScaledWeighted(dst, row, weights, n, lineWeight);
          continue;
        }
        const lo = taps.lo[t]!;
        const hi = taps.hi[t]!;
        if (lo !== lowLine) {
          if (lo === highLine) [low, high, lowLine, highLine] = [high, low, highLine, -1];
          else resize(lo, low);
          lowLine = lo;
        }
        if (hi !== lo && hi !== highLine) {
          resize(hi, high);
          highLine = hi;
        }
        const a = low + 4 * from;
        const b = (hi === lo ? low : high) + 4 * from;
        const f = taps.frac[t]!;
        if (unitWeights) kernels.addLerp(dst, a, b, n, f, lineWeight);
        else kernels.addLerpWeighted(dst, a, b, weights, n, f, lineWeight);
      }
    }
  }

  /**
   * The model pixels `add` reads of a window's planes (rows are y, columns x): where the window's
   * weights are not zero, widened by the resize's taps. Null when the window adds nothing. With
   * centre-crop blending this is about the centre quarter of the plane: the rest need not be made.
   */
  modelRect(window: Region, modelSize: number, weightsX: Float32Array, weightsY: Float32Array): PlaneRect | null {
    const [x0, x1] = nonZeroRange(weightsX, window.x, this.width);
    const [y0, y1] = nonZeroRange(weightsY, window.y, this.height);
    if (x0 >= x1 || y0 >= y1) return null;
    const taps = modelSize === window.width ? null : this.tapsFor(modelSize, window.width);
    // Taps never go back along an axis: the first position's low tap and the last one's high tap bound them all.
    const span = (from: number, to: number): [number, number] => (taps ? [taps.lo[from]!, taps.hi[to - 1]! + 1] : [from, to]);
    const [c0, c1] = span(x0 - window.x, x1 - window.x);
    const [r0, r1] = span(y0 - window.y, y1 - window.y);
    return { r0, r1, c0, c1 };
  }

  /** The blended values of an open line (a view into the ring, valid until the line is released or the next `add`). */
  line(index: number, channel = 0): Float32Array {
    this.checkOpen(index);
    const start = (index % this.capacity) * this.lineLength;
    return this.planes[channel]!.subarray(start, start + this.lineLength);
  }

  /**
   * Where open line `index` of channel 0, thresholded (value ≥ `threshold`), changes: each position
   * whose state differs from the position before's, outside before position 0 (so a line that
   * starts inside starts with 0). A view valid until the next call; `RleStreamEncoder.pushEdges`
   * takes it.
   */
  thresholdEdges(index: number, threshold: number): Int32Array {
    this.checkOpen(index);
    const line = 4 * (index % this.capacity) * this.lineLength;
    const count = this.memory.kernels.thresholdEdges(line, this.lineLength, threshold, this.edges);
    return new Int32Array(this.memory.buffer, this.edges, count);
  }

  /** Releases lines up to `end` (exclusive): they are cleared and their slots reused for later lines. */
  releaseUpTo(end: number): void {
    for (; this.released < end; this.released++) {
      const start = (this.released % this.capacity) * this.lineLength;
      for (const acc of this.planes) acc.fill(0, start, start + this.lineLength);
    }
  }

  private tapsFor(modelSize: number, side: number): BilinearTaps {
    if (this.lastTaps?.modelSize !== modelSize || this.lastTaps.side !== side) {
      this.lastTaps = { modelSize, side, taps: bilinearTaps(modelSize, side) };
    }
    return this.lastTaps.taps;
  }

  /**
   * Byte offsets of `add`'s scratch for a `modelSize` plane added to a `side` window, after the
   * planes: the model plane (line-major), two resized model lines, the position weights and the
   * taps (copied in when they change). Grows the memory where it must, and makes the views again.
   */
  private scratchFor(modelSize: number, side: number, taps: BilinearTaps | null): Scratch {
    let scratch = this.scratch;
    if (scratch?.modelSize !== modelSize || scratch.side !== side) {
      const at = (offset: number, floats: number) => [offset, offset + 4 * floats] as const;
      const [src, low] = at(this.edges + 4 * this.lineLength, modelSize * modelSize);
      const [, high] = at(low, side);
      const [, weights] = at(high, side);
      const [, lo] = at(weights, side);
      const [, hi] = at(lo, side);
      const [, frac] = at(hi, side);
      const [, end] = at(frac, side);
      scratch = this.scratch = { modelSize, side, src, low, high, weights, lo, hi, frac, taps: null };
      if (this.memory.reserve(end)) this.view();
    }
    if (taps && scratch.taps !== taps) {
      new Int32Array(this.memory.buffer, scratch.lo, side).set(taps.lo);
      new Int32Array(this.memory.buffer, scratch.hi, side).set(taps.hi);
      this.f32.set(taps.frac, scratch.frac / 4);
      scratch.taps = taps;
    }
    return scratch;
  }

  /** (Re)makes the views of the memory: after construction, and after it grew. */
  private view(): void {
    const { buffer } = this.memory;
    const length = this.capacity * this.lineLength;
    this.planes = Array.from({ length: this.channels }, (_, ch) => new Float32Array(buffer, ch * this.planeBytes, length));
    this.f32 = new Float32Array(buffer);
  }

  /**
   * Ends the accumulator: its memory goes to the next accumulator made (whose first touches of it
   * then cost nothing), and every view `line` gave is then that accumulator's. Nothing may be called after.
   */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.planes = [];
    this.f32 = new Float32Array(0);
    this.memory.release();
  }

  private checkOpen(index: number): void {
    if (this.disposed) throw new Error('the accumulator was disposed');
    if (index < this.released || index >= this.released + this.capacity || index >= this.lineCount) {
      throw new RangeError(`line ${index} is not open (open lines ${this.released}..${this.released + this.capacity - 1})`);
    }
  }
}

/** Whether `values[from..to)` all equal `value`. */
function isAll(values: Float32Array, from: number, to: number, value: number): boolean {
  for (let k = from; k < to; k++) if (values[k] !== value) return false;
  return true;
}

/** `plane` (size×size, row-major) transposed into `out`. */
function transposePlane(plane: Float32Array, size: number, out: Float32Array): Float32Array {
  for (let r = 0; r < size; r++) for (let c = 0, i = r * size; c < size; c++, i++) out[c * size + r] = plane[i]!;
  return out;
}

/** The image range `[from, to)` over which a window at `position` has non-zero weight. */
function nonZeroRange(weights: Float32Array, position: number, length: number): [number, number] {
  let from = Math.max(0, position);
  let to = Math.min(length, position + weights.length);
  while (from < to && weights[from - position] === 0) from++;
  while (to > from && weights[to - 1 - position] === 0) to--;
  return [from, to];
}

/** Where `LineAccumulator.add`'s scratch lies in its memory (byte offsets), for one model size and window side. */
interface Scratch {
  modelSize: number;
  side: number;
  src: number;
  low: number;
  high: number;
  weights: number;
  lo: number;
  hi: number;
  frac: number;
  /** The taps copied into `lo`, `hi` and `frac`. */
  taps: BilinearTaps | null;
}
