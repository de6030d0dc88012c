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
 * The instances of one image: instance i owns runs `runStart[i] .. runStart[i]+runCount[i]-1` of
 * `runs` (interleaved 0-based [start, end), sorted and disjoint within the instance) and covers
 * `areas[i]` pixels. `runs` may be shared by many images (the scorer keeps one array per file).
 */
export interface InstanceSet {
  count: number;
  runs: Float64Array | Uint32Array;
  runStart: ArrayLike<number>;
  runCount: ArrayLike<number>;
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
 * IoU is computed only for pairs that overlap, from the runs (the truth's bucket-sorted by start,
 * each prediction's walked in order against them), never by rasterising. Truth objects may overlap
 * each other; predictions must not (a RangeError is thrown; `scoreInstances` tells where).
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

/**
 * The score, or the first overlap (in pixel order) between predicted instances. `pixels`, the
 * image size, is optional: any bound on the runs' ends works.
 */
export function scoreInstances(truth: InstanceSet, prediction: InstanceSet, pixels?: number): number | InstanceOverlap {
  const nT = truth.count;
  const nP = prediction.count;
  if (nP > 1 && !predictionsDisjoint(prediction, pixels)) {
    // Rare (the submission is rejected): sort to name the first overlap in pixel order.
    const overlap = findOverlap(predSorted.sort(prediction));
    if (overlap === null) throw new Error('scoreInstances: overlap check disagrees with the sorted runs');
    return overlap;
  }
  if (nP === 0) return nT === 0 ? 1 : 0;
  if (nT === 0) return 0;
  const tr = truthSorted.sort(truth);
  pairTable.reset(Math.min(nP * 4, 1 << 16));
  matchRuns(tr, prediction, pairTable);
  return meanPrecision(truth, prediction, pairTable);
}

// The steps are separate functions so that V8 optimises each hot loop on its own (one function
// holding them all is compiled on-stack before its later loops have type feedback, then deopts);
// likewise nothing follows a hot loop inside its function.

/** Images up to this many pixels are checked for overlapping predictions with a bitset. */
const BITSET_PIXELS = 1 << 27; // 16 MiB of bits

let bits = new Int32Array(16);

/**
 * Whether no two predicted instances share a pixel: paints the runs into a bitset of the image,
 * a word at a time (O(runs) for short runs), or for huge images sorts the runs.
 */
function predictionsDisjoint(set: InstanceSet, pixels: number | undefined): boolean {
  let bound = pixels ?? 0;
  if (pixels === undefined) {
    for (let i = 0; i < set.count; i++) {
      if (set.runCount[i]! > 0) bound = Math.max(bound, set.runs[2 * (set.runStart[i]! + set.runCount[i]! - 1) + 1]!);
    }
  }
  if (bound > BITSET_PIXELS) return findOverlap(predSorted.sort(set)) === null;
  const words = Math.ceil(bound / 32);
  if (bits.length < words) bits = new Int32Array(Math.max(words, bits.length * 2));
  else bits.fill(0, 0, words);
  return paintDisjoint(set, bits);
}

function paintDisjoint(set: InstanceSet, bits: Int32Array): boolean {
  const { runs, runStart, runCount } = set;
  for (let i = 0; i < set.count; i++) {
    const to = runStart[i]! + runCount[i]!;
    for (let k = runStart[i]!; k < to; k++) {
      const s = runs[2 * k]!;
      const last = runs[2 * k + 1]! - 1;
      let w = s >>> 5;
      const lastWord = last >>> 5;
      const head = -1 << (s & 31);
      const tail = -1 >>> (31 - (last & 31));
      if (w === lastWord) {
        const mask = head & tail;
        if ((bits[w]! & mask) !== 0) return false;
        bits[w] = bits[w]! | mask;
        continue;
      }
      if ((bits[w]! & head) !== 0) return false;
      bits[w] = bits[w]! | head;
      for (w++; w < lastWord; w++) {
        if (bits[w] !== 0) return false;
        bits[w] = -1;
      }
      if ((bits[w]! & tail) !== 0) return false;
      bits[w] = bits[w]! | tail;
    }
  }
  return true;
}

/** Within one instance runs are already validated, so any overlap is between two instances. */
function findOverlap(sorted: SortedRuns): InstanceOverlap | null {
  const { s, e, label } = sorted;
  for (let k = 1; k < sorted.n; k++) {
    if (s[k]! < e[k - 1]!) {
      const a = label[k - 1]!;
      const b = label[k]!;
      return { first: Math.min(a, b), second: Math.max(a, b), pixel: s[k]! };
    }
  }
  return null;
}

let reach = new Float64Array(16);

/**
 * Sums the overlap of every (truth, prediction) pair that shares pixels. The truth runs are sorted
 * by start, with `reach[j]` = the largest end among runs 0..j (equal to the run's own end when the
 * truth objects do not overlap); each predicted instance walks its runs in order and, for each,
 * gallops forward to the first truth run that reaches past its start, then visits the truth runs
 * that start before its end. Only overlapping pairs are touched; a prediction's running partner
 * and sum go to the hash table once per change of partner.
 */
function matchRuns(tr: SortedRuns, pred: InstanceSet, pairs: PairTable): void {
  const tn = tr.n;
  if (reach.length < tn) reach = new Float64Array(tn * 2);
  fillReach(tr, reach);
  matchLoop(tr, reach, pred, pairs);
}

function fillReach(tr: SortedRuns, reach: Float64Array): void {
  let most = 0;
  for (let j = 0; j < tr.n; j++) {
    const end = tr.e[j]!;
    if (end > most) most = end;
    reach[j] = most;
  }
}

function matchLoop(tr: SortedRuns, reach: Float64Array, pred: InstanceSet, pairs: PairTable): void {
  const tS = tr.s;
  const tE = tr.e;
  const tL = tr.label;
  const tn = tr.n;
  const { runs, runStart, runCount } = pred;
  const nP = pred.count;
  for (let p = 0; p < nP; p++) {
    const to = runStart[p]! + runCount[p]!;
    let j = 0;
    let partner = -1;
    let sum = 0;
    for (let k = runStart[p]!; k < to; k++) {
      const ps = runs[2 * k]!;
      const pe = runs[2 * k + 1]!;
      if (j < tn && reach[j]! <= ps) {
        // Gallop: reach[lo] <= ps; find the first index in (lo, hi] with reach > ps.
        let lo = j;
        let step = 1;
        let hi = lo + 1;
        while (hi < tn && reach[hi]! <= ps) {
          lo = hi;
          step *= 2;
          hi = lo + step;
        }
        if (hi > tn) hi = tn;
        while (hi - lo > 1) {
          const mid = (lo + hi) >>> 1;
          if (reach[mid]! <= ps) lo = mid;
          else hi = mid;
        }
        j = hi;
      }
      for (let q = j; q < tn && tS[q]! < pe; q++) {
        const te = tE[q]!;
        if (te <= ps) continue;
        const ts = tS[q]!;
        const ov = (te < pe ? te : pe) - (ts > ps ? ts : ps);
        const t = tL[q]!;
        if (t === partner) sum += ov;
        else {
          if (partner >= 0) pairs.add(partner * nP + p, sum);
          partner = t;
          sum = ov;
        }
      }
    }
    if (partner >= 0) pairs.add(partner * nP + p, sum);
  }
}

/** Mean over thresholds of TP / (TP + FP + FN), from the pairs' overlaps (exact integer tests). */
function meanPrecision(truth: InstanceSet, prediction: InstanceSet, pairs: PairTable): number {
  const nT = truth.count;
  const nP = prediction.count;
  const levels = IOU_THRESHOLDS_PERCENT.length;
  if (truthHits.length < levels * nT) truthHits = new Int32Array(levels * nT * 2);
  if (predHits.length < levels * nP) predHits = new Int32Array(levels * nP * 2);
  truthHits.fill(0, 0, levels * nT);
  predHits.fill(0, 0, levels * nP);
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

let truthHits = new Int32Array(16);
let predHits = new Int32Array(16);

/**
 * The runs of all instances of one image in start order, as parallel arrays (start, end,
 * instance), with buffers reused across images. Sorting is a counting sort on start buckets
 * (about one run per bucket) straight from the instances' runs, then an insertion sort inside
 * each bucket: O(R) for real data; a crowded bucket (adversarial input) gets a comparison sort,
 * so the worst case stays O(R log R).
 */
class SortedRuns {
  n = 0;
  s = new Float64Array(16);
  e = new Float64Array(16);
  label = new Int32Array(16);
  private counts = new Int32Array(17);
  /** The bucket of each run, in the order the instances' runs are visited. */
  private bucket = new Int32Array(16);

  sort(set: InstanceSet): this {
    const { runs, runStart, runCount } = set;
    const instances = set.count;
    // Each instance's runs are sorted: its first and last runs bound its starts.
    let n = 0;
    let low = Infinity;
    let high = 0;
    for (let i = 0; i < instances; i++) {
      const c = runCount[i]!;
      n += c;
      if (c > 0) {
        const first = runs[2 * runStart[i]!]!;
        const last = runs[2 * (runStart[i]! + c - 1)]!;
        if (first < low) low = first;
        if (last > high) high = last;
      }
    }
    if (this.s.length < n) {
      const size = Math.max(n, this.s.length * 2);
      this.s = new Float64Array(size);
      this.e = new Float64Array(size);
      this.label = new Int32Array(size);
      this.counts = new Int32Array(size + 1);
      this.bucket = new Int32Array(size);
    }
    this.n = n;
    if (n === 0) return this;
    const { s, e, label, counts, bucket } = this;
    counts.fill(0, 0, n + 1);
    // Bucket b (of n) of each run, computed once: a shift when the starts span less than 2^32
    // (always for the scorer's 32-bit runs), else a division (a division per run cost a sixth of
    // the scoring time).
    const span = high - low;
    let m = 0;
    if (span < 4294967296 && n > 1) {
      let shift = 0;
      while (span >>> shift >= n) shift++;
      for (let i = 0; i < instances; i++) {
        const from = runStart[i]!;
        const to = from + runCount[i]!;
        for (let k = from; k < to; k++) {
          const b = (runs[2 * k]! - low) >>> shift;
          bucket[m++] = b;
          counts[b + 1]!++;
        }
      }
    } else {
      const width = Math.floor(span / n) + 1;
      for (let i = 0; i < instances; i++) {
        const from = runStart[i]!;
        const to = from + runCount[i]!;
        for (let k = from; k < to; k++) {
          const b = Math.floor((runs[2 * k]! - low) / width);
          bucket[m++] = b;
          counts[b + 1]!++;
        }
      }
    }
    for (let b = 1; b <= n; b++) counts[b]! += counts[b - 1]!;
    m = 0;
    for (let i = 0; i < instances; i++) {
      const from = runStart[i]!;
      const to = from + runCount[i]!;
      for (let k = from; k < to; k++) {
        const at = counts[bucket[m++]!]!++;
        s[at] = runs[2 * k]!;
        e[at] = runs[2 * k + 1]!;
        label[at] = i;
      }
    }
    // counts[b] is now the end of bucket b; sort inside each bucket (stable).
    let from = 0;
    for (let b = 0; b < n; b++) {
      const to = counts[b]!;
      if (to - from > 32) this.sortRange(from, to);
      else {
        for (let k = from + 1; k < to; k++) {
          const ks = s[k]!;
          if (s[k - 1]! <= ks) continue;
          const ke = e[k]!;
          const kl = label[k]!;
          let j = k - 1;
          while (j >= from && s[j]! > ks) {
            s[j + 1] = s[j]!;
            e[j + 1] = e[j]!;
            label[j + 1] = label[j]!;
            j--;
          }
          s[j + 1] = ks;
          e[j + 1] = ke;
          label[j + 1] = kl;
        }
      }
      from = to;
    }
    return this;
  }

  /** Stable comparison sort of [from, to) by start. */
  private sortRange(from: number, to: number): void {
    const idx = Array.from({ length: to - from }, (_, k) => from + k);
    idx.sort((x, y) => this.s[x]! - this.s[y]! || x - y);
    const s = idx.map((k) => this.s[k]!);
    const e = idx.map((k) => this.e[k]!);
    const l = idx.map((k) => this.label[k]!);
    this.s.set(s, from);
    this.e.set(e, from);
    this.label.set(l, from);
  }
}

const predSorted = new SortedRuns();
const truthSorted = new SortedRuns();

/** Open-addressing map from an integer pair key to an accumulated overlap, reused across images. */
class PairTable {
  private slots = new Float64Array(64); // key + 1, 0 = empty; only [0, cap) is in use
  private sums = new Float64Array(64);
  private usedKeys = new Float64Array(16);
  private usedSums = new Float64Array(16);
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
    const home = Math.imul((k1 | 0) ^ ((k1 / 4294967296) | 0), 0x9e3779b1) & mask;
    // Linear probing, written so that every call runs the same code (the step comes before the
    // first look, from the slot before home): a first collision late in a run would otherwise
    // deoptimise the scorer's hot loop, which has this method inlined.
    let h = (home + mask) & mask;
    let at: number;
    do {
      h = (h + 1) & mask;
      at = this.slots[h]!;
    } while (at !== k1 && at !== 0);
    if (at === k1) {
      this.sums[h]! += value;
      return;
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
  const runStart: number[] = [];
  const runCount: number[] = [];
  const areas: number[] = [];
  let total = 0;
  for (const inst of instances) {
    runStart.push(total);
    runCount.push(inst.starts.length);
    areas.push(sum(inst.lengths));
    total += inst.starts.length;
  }
  const runs = new Float64Array(total * 2);
  instances.forEach((inst, i) => runs.set(toInterleaved(inst), runStart[i]! * 2));
  return { count: instances.length, runs, runStart, runCount, areas };
}

function sum(xs: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < xs.length; i++) total += xs[i]!;
  return total;
}
