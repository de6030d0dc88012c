import type { Runs } from './rle.js';

/**
 * The metrics, computed on runs (never on rasterised masks), so time and memory follow the number
 * of runs, not the number of pixels.
 *
 * Internal layout: runs are interleaved 0-based [start, end) pairs in a Float64Array,
 * [s0, e0, s1, e1, …], sorted and non-overlapping within one mask.
 */

/** Pixels in both of two sorted, non-overlapping run lists (interval intersection, O(n + m)). */
export function intersectRuns(a: Float64Array, aCount: number, b: Float64Array, bCount: number): number {
  let i = 0;
  let j = 0;
  let inter = 0;
  while (i < aCount && j < bCount) {
    const as = a[2 * i]!;
    const ae = a[2 * i + 1]!;
    const bs = b[2 * j]!;
    const be = b[2 * j + 1]!;
    const lo = as > bs ? as : bs;
    const hi = ae < be ? ae : be;
    if (hi > lo) inter += hi - lo;
    if (ae <= be) i++;
    else j++;
  }
  return inter;
}

/** Dice `2|X∩Y| / (|X|+|Y|)` from areas and the intersection; 1 when both masks are empty. */
export function diceFromCounts(intersection: number, areaA: number, areaB: number): number {
  const total = areaA + areaB;
  return total === 0 ? 1 : (2 * intersection) / total;
}

/**
 * Dice of one image from 1-based runs (see `parseRle`). Runs must be sorted and non-overlapping.
 */
export function diceScore(truth: Runs, prediction: Runs): number {
  const a = toInterleaved(truth);
  const b = toInterleaved(prediction);
  return diceFromCounts(intersectRuns(a, truth.starts.length, b, prediction.starts.length), sum(truth.lengths), sum(prediction.lengths));
}

/** IoU thresholds of the instance metric, in percent: IoU > t ⇔ 100·inter > T·union, exactly. */
export const IOU_THRESHOLDS_PERCENT: readonly number[] = [50, 55, 60, 65, 70, 75, 80, 85, 90, 95];

/**
 * The instances of one image: instance i owns runs `offsets[i] .. offsets[i+1]-1` of `runs`
 * (interleaved 0-based [start, end)), and covers `areas[i]` pixels.
 */
export interface InstanceSet {
  count: number;
  runs: Float64Array;
  offsets: ArrayLike<number>;
  areas: ArrayLike<number>;
  /** Optional: the instance of each run (saves recomputing it from `offsets`). */
  labels?: Int32Array<ArrayBufferLike>;
}

/** Two predicted instances that share a pixel (0-based pixel index). */
export interface InstanceOverlap {
  first: number;
  second: number;
  pixel: number;
}

/**
 * Instance mAP of one image: for each threshold t in 0.50 … 0.95 a prediction hits a truth object
 * when IoU > t (compared exactly in integers); precision(t) = TP / (TP + FP + FN) with Kaggle's
 * (DSB 2018) counting: TP = truth objects hit by exactly one prediction, FN = truth objects hit by
 * none, FP = predictions that hit none; the image's score is the mean over thresholds. No
 * predictions → 0; neither truth nor predictions → 1.
 *
 * IoU is computed only for pairs that overlap, by sweeping both sets' runs in pixel order, so the
 * cost is O(R log R) in the number of runs R. Truth objects may overlap each other; predictions
 * must not (a RangeError is thrown; `findInstanceOverlap` tells where).
 */
export function instanceImageScore(truth: InstanceSet, prediction: InstanceSet): number {
  const result = scoreInstances(truth, prediction);
  if (typeof result !== 'number') {
    throw new RangeError(`predicted instances ${result.first} and ${result.second} overlap at pixel ${result.pixel + 1}`);
  }
  return result;
}

/** Like `instanceImageScore` on 1-based runs per instance (one `Runs` per object). */
export function instanceScore(truth: Runs[], prediction: Runs[]): number {
  return instanceImageScore(toInstanceSet(truth), toInstanceSet(prediction));
}

/** The score, or the first overlap between predicted instances. */
export function scoreInstances(truth: InstanceSet, prediction: InstanceSet): number | InstanceOverlap {
  const nT = truth.count;
  const nP = prediction.count;
  const pred = predOrder.sort(prediction);
  const pRuns = prediction.runs;
  const pOrder = pred.order;
  const pLabels = pred.labels;
  // Within one instance runs are already validated, so any overlap is between two instances.
  for (let k = 1; k < pred.n; k++) {
    const cur = pOrder[k]!;
    const before = pOrder[k - 1]!;
    if (pRuns[2 * cur]! < pRuns[2 * before + 1]!) {
      const a = pLabels[before]!;
      const b = pLabels[cur]!;
      return { first: Math.min(a, b), second: Math.max(a, b), pixel: pRuns[2 * cur]! };
    }
  }
  if (nP === 0) return nT === 0 ? 1 : 0;
  if (nT === 0) return 0;

  const tr = truthOrder.sort(truth);
  const tRuns = truth.runs;
  const tOrder = tr.order;
  const tLabels = tr.labels;
  const pairs = pairTable;
  pairs.reset(Math.min(pred.n, 1 << 16));
  // Sweep: predicted runs in order (disjoint, so their ends increase too); `active` holds the
  // truth runs that started before the current predicted run ends and may still overlap it.
  const active = activeRuns.length >= tr.n ? activeRuns : (activeRuns = new Int32Array(tr.n));
  let nActive = 0;
  let j = 0;
  for (let k = 0; k < pred.n; k++) {
    const pk = pOrder[k]!;
    const ps = pRuns[2 * pk]!;
    const pe = pRuns[2 * pk + 1]!;
    let keep = 0;
    for (let a = 0; a < nActive; a++) {
      const r = active[a]!;
      if (tRuns[2 * r + 1]! > ps) active[keep++] = r;
    }
    nActive = keep;
    while (j < tr.n) {
      const r = tOrder[j]!;
      if (tRuns[2 * r]! >= pe) break;
      if (tRuns[2 * r + 1]! > ps) active[nActive++] = r;
      j++;
    }
    const p = pLabels[pk]!;
    for (let a = 0; a < nActive; a++) {
      const r = active[a]!;
      const ts = tRuns[2 * r]!;
      const te = tRuns[2 * r + 1]!;
      const ov = (te < pe ? te : pe) - (ts > ps ? ts : ps);
      if (ov > 0) pairs.add(tLabels[r]! * nP + p, ov);
    }
  }

  const levels = IOU_THRESHOLDS_PERCENT.length;
  const truthHits = new Int32Array(levels * nT);
  const predHits = new Int32Array(levels * nP);
  const entries = pairs.collect();
  for (let slot = 0; slot < entries; slot++) {
    const key = pairs.keyAt(slot);
    const inter = pairs.valueAt(slot);
    const t = Math.floor(key / nP);
    const p = key - t * nP;
    const union = truth.areas[t]! + prediction.areas[p]! - inter;
    // Exact: inter and union are integers below 2^53 / 100, so these products are exact.
    for (let level = 0; level < levels && 100 * inter > IOU_THRESHOLDS_PERCENT[level]! * union; level++) {
      truthHits[level * nT + t]!++;
      predHits[level * nP + p]!++;
    }
  }
  let total = 0;
  for (let level = 0; level < levels; level++) {
    let tp = 0;
    let fn = 0;
    let fp = 0;
    for (let t = 0; t < nT; t++) {
      const h = truthHits[level * nT + t]!;
      if (h === 1) tp++;
      else if (h === 0) fn++;
    }
    for (let p = 0; p < nP; p++) if (predHits[level * nP + p] === 0) fp++;
    total += tp / (tp + fp + fn);
  }
  return total / levels;
}

/**
 * Orders the runs of a set of instances by start (stable) as a permutation of run indices, with
 * buffers reused across images. A set already in pixel order costs one pass; otherwise a counting
 * sort on start buckets (about one run per bucket) plus an insertion sort inside each bucket keeps
 * it O(R) for real data, and a native sort of any crowded bucket keeps adversarial input
 * O(R log R).
 */
class RunOrder {
  n = 0;
  order = new Int32Array(256);
  /** The instance of each run (the set's own `labels`, or computed into a scratch buffer). */
  labels: Int32Array<ArrayBufferLike> = new Int32Array(0);
  private scratchLabels = new Int32Array(256);
  private counts = new Int32Array(257);

  sort(set: InstanceSet): this {
    const n = set.count === 0 ? 0 : set.offsets[set.count]!;
    if (this.order.length < n) {
      const size = Math.max(n, this.order.length * 2);
      this.order = new Int32Array(size);
      this.scratchLabels = new Int32Array(size);
      this.counts = new Int32Array(size + 1);
    }
    this.n = n;
    const { order, counts } = this;
    if (set.labels !== undefined) this.labels = set.labels;
    else {
      const labels = this.scratchLabels;
      for (let i = 0; i < set.count; i++) labels.fill(i, set.offsets[i]!, set.offsets[i + 1]!);
      this.labels = labels;
    }
    const runs = set.runs;
    let maxStart = 0;
    let sorted = true;
    let prev = -1;
    for (let k = 0; k < n; k++) {
      const start = runs[2 * k]!;
      if (start < prev) sorted = false;
      if (start > maxStart) maxStart = start;
      prev = start;
    }
    if (sorted) {
      for (let k = 0; k < n; k++) order[k] = k;
      return this;
    }
    const width = Math.floor(maxStart / n) + 1;
    counts.fill(0, 0, n + 1);
    for (let k = 0; k < n; k++) counts[Math.floor(runs[2 * k]! / width) + 1]!++;
    for (let b = 1; b <= n; b++) counts[b]! += counts[b - 1]!;
    for (let k = 0; k < n; k++) order[counts[Math.floor(runs[2 * k]! / width)]!++] = k;
    // counts[b] is now the end of bucket b.
    let from = 0;
    for (let b = 0; b < n; b++) {
      const to = counts[b]!;
      if (to - from > 32) this.sortRange(runs, from, to);
      else {
        for (let k = from + 1; k < to; k++) {
          const o = order[k]!;
          const key = runs[2 * o]!;
          let j = k - 1;
          while (j >= from && runs[2 * order[j]!]! > key) {
            order[j + 1] = order[j]!;
            j--;
          }
          order[j + 1] = o;
        }
      }
      from = to;
    }
    return this;
  }

  /** Stable native sort of order[from, to) by start. */
  private sortRange(runs: Float64Array, from: number, to: number): void {
    const part = Array.from(this.order.subarray(from, to));
    part.sort((x, y) => runs[2 * x]! - runs[2 * y]! || x - y);
    this.order.set(part, from);
  }
}

const predOrder = new RunOrder();
const truthOrder = new RunOrder();

/** Open-addressing map from an integer pair key to an accumulated overlap, reused across images. */
class PairTable {
  private slots = new Float64Array(64); // key + 1, 0 = empty; only [0, cap) is in use
  private sums = new Float64Array(64);
  private usedKeys = new Float64Array(64);
  private usedSums = new Float64Array(64);
  private cap = 64;
  size = 0;

  reset(expected: number): void {
    this.cap = 2 ** Math.max(6, Math.ceil(Math.log2(expected * 2 + 1)));
    if (this.cap > this.slots.length) {
      this.slots = new Float64Array(this.cap);
      this.sums = new Float64Array(this.cap);
    } else this.slots.fill(0, 0, this.cap);
    this.size = 0;
  }

  add(key: number, value: number): void {
    const k1 = key + 1;
    const mask = this.cap - 1;
    let h = Math.imul((k1 | 0) ^ ((k1 / 4294967296) | 0), 0x9e3779b1) & mask;
    for (;;) {
      const at = this.slots[h]!;
      if (at === k1) {
        this.sums[h]! += value;
        return;
      }
      if (at === 0) break;
      h = (h + 1) & mask;
    }
    if ((this.size + 1) * 2 > this.cap) {
      this.grow();
      this.add(key, value);
      return;
    }
    this.slots[h] = k1;
    this.sums[h] = value;
    this.size++;
  }

  /** Copies the entries out (order arbitrary but deterministic); read them with `keyAt`/`valueAt`. */
  collect(): number {
    if (this.usedKeys.length < this.size) {
      this.usedKeys = new Float64Array(this.size * 2);
      this.usedSums = new Float64Array(this.size * 2);
    }
    let n = 0;
    for (let h = 0; h < this.cap; h++) {
      if (this.slots[h] !== 0) {
        this.usedKeys[n] = this.slots[h]! - 1;
        this.usedSums[n] = this.sums[h]!;
        n++;
      }
    }
    return n;
  }

  keyAt(i: number): number {
    return this.usedKeys[i]!;
  }

  valueAt(i: number): number {
    return this.usedSums[i]!;
  }

  private grow(): void {
    const n = this.collect();
    this.reset(this.cap); // doubles: capacity for `cap` expected entries is 2·cap
    for (let i = 0; i < n; i++) this.add(this.usedKeys[i]!, this.usedSums[i]!);
  }
}

const pairTable = new PairTable();
let activeRuns = new Int32Array(1024);

/** Converts 1-based runs to the interleaved 0-based layout. */
export function toInterleaved(runs: Runs): Float64Array {
  const out = new Float64Array(runs.starts.length * 2);
  for (let k = 0; k < runs.starts.length; k++) {
    out[2 * k] = runs.starts[k]! - 1;
    out[2 * k + 1] = runs.starts[k]! - 1 + runs.lengths[k]!;
  }
  return out;
}

/** Builds an `InstanceSet` from 1-based runs, one `Runs` per instance. */
export function toInstanceSet(instances: Runs[]): InstanceSet {
  const offsets = [0];
  const areas: number[] = [];
  const parts: Float64Array[] = [];
  for (const inst of instances) {
    parts.push(toInterleaved(inst));
    offsets.push(offsets[offsets.length - 1]! + inst.starts.length);
    areas.push(sum(inst.lengths));
  }
  const runs = new Float64Array(offsets[offsets.length - 1]! * 2);
  let at = 0;
  for (const p of parts) {
    runs.set(p, at);
    at += p.length;
  }
  return { count: instances.length, runs, offsets, areas };
}

function sum(xs: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < xs.length; i++) total += xs[i]!;
  return total;
}
