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
  const pred = sortedRuns(prediction);
  // Within one instance runs are already validated, so any overlap is between two instances.
  for (let k = 1; k < pred.n; k++) {
    if (pred.s[k]! < pred.e[k - 1]!) {
      const a = pred.label[k - 1]!;
      const b = pred.label[k]!;
      return { first: Math.min(a, b), second: Math.max(a, b), pixel: pred.s[k]! };
    }
  }
  if (nP === 0) return nT === 0 ? 1 : 0;
  if (nT === 0) return 0;

  const tr = sortedRuns(truth);
  const pairs = pairTable;
  pairs.reset(Math.min(pred.n, 1 << 16));
  // Sweep: predicted runs in order (disjoint, so their ends increase too); `active` holds the
  // truth runs that started before the current predicted run ends and may still overlap it.
  const active = activeRuns.length >= tr.n ? activeRuns : (activeRuns = new Int32Array(tr.n));
  let nActive = 0;
  let j = 0;
  for (let k = 0; k < pred.n; k++) {
    const ps = pred.s[k]!;
    const pe = pred.e[k]!;
    let keep = 0;
    for (let a = 0; a < nActive; a++) {
      const r = active[a]!;
      if (tr.e[r]! > ps) active[keep++] = r;
    }
    nActive = keep;
    while (j < tr.n && tr.s[j]! < pe) {
      if (tr.e[j]! > ps) active[nActive++] = j;
      j++;
    }
    const p = pred.label[k]!;
    for (let a = 0; a < nActive; a++) {
      const r = active[a]!;
      const ts = tr.s[r]!;
      const te = tr.e[r]!;
      const ov = (te < pe ? te : pe) - (ts > ps ? ts : ps);
      if (ov > 0) pairs.add(tr.label[r]! * nP + p, ov);
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

interface SortedRuns {
  n: number;
  s: Float64Array;
  e: Float64Array;
  label: Int32Array;
}

/** All runs of a set of instances sorted by start, each labelled with its instance. */
function sortedRuns(set: InstanceSet): SortedRuns {
  const n = set.count === 0 ? 0 : set.offsets[set.count]!;
  const s = new Float64Array(n);
  const e = new Float64Array(n);
  const label = new Int32Array(n);
  let sorted = true;
  let maxStart = 0;
  for (let i = 0; i < set.count; i++) {
    for (let k = set.offsets[i]!; k < set.offsets[i + 1]!; k++) {
      s[k] = set.runs[2 * k]!;
      e[k] = set.runs[2 * k + 1]!;
      label[k] = i;
      if (k > 0 && s[k]! < s[k - 1]!) sorted = false;
      if (s[k]! > maxStart) maxStart = s[k]!;
    }
  }
  if (sorted) return { n, s, e, label };
  // Sort packed keys start·2^b + index natively when they fit in 53 bits; else a comparator sort.
  const bits = Math.ceil(Math.log2(n + 1));
  const scale = 2 ** bits;
  let order: ArrayLike<number>;
  if ((maxStart + 1) * scale <= Number.MAX_SAFE_INTEGER) {
    const keys = new Float64Array(n);
    for (let k = 0; k < n; k++) keys[k] = s[k]! * scale + k;
    keys.sort();
    const idx = new Int32Array(n);
    for (let k = 0; k < n; k++) idx[k] = keys[k]! % scale;
    order = idx;
  } else {
    order = Int32Array.from({ length: n }, (_, k) => k).sort((x, y) => s[x]! - s[y]! || x - y);
  }
  const s2 = new Float64Array(n);
  const e2 = new Float64Array(n);
  const l2 = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    const from = order[k]!;
    s2[k] = s[from]!;
    e2[k] = e[from]!;
    l2[k] = label[from]!;
  }
  return { n, s: s2, e: e2, label: l2 };
}

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
