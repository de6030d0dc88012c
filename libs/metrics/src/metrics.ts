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
  return intersectRunRanges(a, 0, aCount, b, 0, bCount);
}

/** Pixels shared by runs `aFrom..aTo-1` of `a` and `bFrom..bTo-1` of `b` (each sorted, disjoint). */
function intersectRunRanges(a: Float64Array | Uint32Array, aFrom: number, aTo: number, b: Float64Array | Uint32Array, bFrom: number, bTo: number): number {
  let i = aFrom;
  let j = bFrom;
  let inter = 0;
  while (i < aTo && j < bTo) {
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
 * IoU is computed only for pairs that overlap, from the runs, never by rasterising: the scorer
 * finds the pairs through instance boxes (see `matchBoxes`); without the image's line length, or
 * when boxes would not pay, the truth's runs are bucket-sorted by start and each prediction's
 * walked in order against them. Truth objects may overlap each other; predictions must not (a
 * RangeError is thrown; `scoreInstances` tells where).
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
 * image size, is optional: any bound on the runs' ends works. `lineLength` (the image's width for
 * row-order RLE, its height for column order) enables the instance-box search (below); without
 * it, or when boxes would not pay, the runs are swept.
 */
export function scoreInstances(truth: InstanceSet, prediction: InstanceSet, pixels?: number, lineLength?: number): number | InstanceOverlap {
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
  resetHits(nT, nP);
  if (lineLength !== undefined && lineLength >= 1 && matchBoxes(truth, prediction, lineLength, pixels ?? Infinity)) return meanPrecision(nT, nP);
  resetHits(nT, nP);
  const tr = truthSorted.sort(truth);
  pairTable.reset(Math.min(nP * 4, 1 << 16));
  matchRuns(tr, prediction, pairTable);
  hitsFromPairs(truth, prediction, pairTable);
  return meanPrecision(nT, nP);
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

/**
 * Hits per threshold: `truthHits[level * nT + t]` counts the predictions whose IoU with truth
 * object t exceeds the level's threshold, `predHits[level * nP + p]` likewise.
 */
function resetHits(nT: number, nP: number): void {
  const levels = IOU_THRESHOLDS_PERCENT.length;
  if (truthHits.length < levels * nT) truthHits = new Int32Array(levels * nT * 2);
  if (predHits.length < levels * nP) predHits = new Int32Array(levels * nP * 2);
  truthHits.fill(0, 0, levels * nT);
  predHits.fill(0, 0, levels * nP);
}

/** Counts the hits of a pair that shares `inter` pixels (exact integer tests). */
function addHits(t: number, p: number, inter: number, union: number, nT: number, nP: number): void {
  // Exact: inter and union are integers below 2^53 / 100, so these products are exact.
  for (let level = 0; level < IOU_THRESHOLDS_PERCENT.length && 100 * inter > IOU_THRESHOLDS_PERCENT[level]! * union; level++) {
    truthHits[level * nT + t]!++;
    predHits[level * nP + p]!++;
  }
}

function hitsFromPairs(truth: InstanceSet, prediction: InstanceSet, pairs: PairTable): void {
  const nT = truth.count;
  const nP = prediction.count;
  const entries = pairs.collect();
  for (let slot = 0; slot < entries; slot++) {
    const key = pairs.keyAt(slot);
    const inter = pairs.valueAt(slot);
    const t = Math.floor(key / nP);
    const p = key - t * nP;
    addHits(t, p, inter, truth.areas[t]! + prediction.areas[p]! - inter, nT, nP);
  }
}

/** Mean over thresholds of TP / (TP + FP + FN), from the hits. */
function meanPrecision(nT: number, nP: number): number {
  const levels = IOU_THRESHOLDS_PERCENT.length;
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
 * Instance boxes. RLE pixel q lies on line floor(q / L), column q mod L (L: the image's width
 * for row-order RLE, its height for column order), so each instance has a box: its first and last
 * line, and the columns its runs cover (all of them where a run wraps to the next line). Instances
 * that share a pixel have overlapping boxes, so only such pairs are intersected, run list against
 * run list. Truth boxes are sorted by first line, with the largest last line so far, so each
 * prediction visits only the truth objects on its lines. A microscopy cell meets a few neighbours:
 * this does a fraction of the sweep's work. Instances sprawling over the image (boxes that all
 * overlap) would make it quadratic, so it stops past a budget proportional to the runs and the
 * sweep takes over.
 */
class InstanceBoxes {
  /** [first line, last line, first column, end column] of each instance. */
  box = new Float64Array(16);

  /** Fills the boxes of `set`, whose runs end below 2^31 - L (see `matchBoxes`). */
  fill(set: InstanceSet, L: number): void {
    const n = set.count;
    if (this.box.length < 4 * n) this.box = new Float64Array(8 * n);
    fillBoxes(set, L, this.box);
  }
}

/**
 * `InstanceBoxes.fill`, in 32-bit integer arithmetic (every quantity is below 2^31): about twice
 * as fast as in doubles.
 */
function fillBoxes(set: InstanceSet, L: number, box: Float64Array): void {
  const { runs, runStart, runCount } = set;
  for (let i = 0; i < set.count; i++) {
    const from = runStart[i]!;
    const to = from + runCount[i]!;
    if (from === to) {
      setEmptyBox(box, 4 * i);
      continue;
    }
    // (q / L) | 0 is floor(q / L) exactly: q and L are below 2^31.
    let line = (runs[2 * from]! / L) | 0;
    const first = line;
    let lineEnd = (line + 1) * L;
    let x0 = L;
    let x1 = 0;
    for (let k = from; k < to; k++) {
      const start = runs[2 * k]! | 0;
      const end = runs[2 * k + 1]! | 0;
      if (start >= lineEnd) {
        // Most runs of a mask start on the next line: no division for those.
        if (start < lineEnd + L) line++;
        else line = (start / L) | 0;
        lineEnd = (line + 1) * L;
      }
      if (end > lineEnd) {
        // The run wraps onto the next lines: every column.
        x0 = 0;
        x1 = L;
        line = ((end - 1) / L) | 0;
        lineEnd = (line + 1) * L;
        continue;
      }
      const base = lineEnd - L;
      if (start - base < x0) x0 = start - base;
      if (end - base > x1) x1 = end - base;
    }
    box[4 * i] = first;
    box[4 * i + 1] = line;
    box[4 * i + 2] = x0;
    box[4 * i + 3] = x1;
  }
}

/** Images smaller than this (with a line to spare) are matched through boxes. */
const INT_LINES = 2 ** 31;

/** Lines past any real one: an instance without runs meets nothing. */
function setEmptyBox(box: Float64Array, at: number): void {
  box[at] = 2 ** 31;
  box[at + 1] = -1;
  box[at + 2] = 0;
  box[at + 3] = 0;
}

const truthBoxes = new InstanceBoxes();
const predBoxes = new InstanceBoxes();
/** Truth objects in first-line order (sort keys, then indices), and the largest last line so far. */
let boxKeys = new Float64Array(16);
let boxOrder = new Int32Array(16);
let boxReach = new Float64Array(16);
/** Sort keys pack first line · 2^21 + index: exact below 2^53. */
const BOX_INDEX = 2 ** 21;
/** Work allowed per run (box tests plus runs intersected) before the sweep takes over. */
const BOX_BUDGET_PER_RUN = 8;

/**
 * Adds the hits of every overlapping (truth, prediction) pair found through the boxes. False when
 * the boxes would not pay (the hits are then partial and the caller starts again by sweeping).
 * `pixels` bounds the runs' ends (Infinity when unknown).
 */
function matchBoxes(truth: InstanceSet, pred: InstanceSet, L: number, pixels: number): boolean {
  const nT = truth.count;
  const nP = pred.count;
  // Boxes are computed in 32-bit integers: larger images (and callers without a size) are swept.
  if (nT >= BOX_INDEX || !(pixels + L < INT_LINES)) return false;
  truthBoxes.fill(truth, L);
  predBoxes.fill(pred, L);
  const tb = truthBoxes.box;
  const pb = predBoxes.box;
  if (boxKeys.length < nT) {
    boxKeys = new Float64Array(2 * nT);
    boxOrder = new Int32Array(2 * nT);
    boxReach = new Float64Array(2 * nT);
  }
  let runs = 0;
  for (let t = 0; t < nT; t++) {
    boxKeys[t] = tb[4 * t]! * BOX_INDEX + t;
    runs += truth.runCount[t]!;
  }
  for (let p = 0; p < nP; p++) runs += pred.runCount[p]!;
  sortBoxes(nT);
  return visitBoxes(truth, pred, tb, pb, BOX_BUDGET_PER_RUN * runs + nT + nP);
}

function sortBoxes(nT: number): void {
  boxKeys.subarray(0, nT).sort();
  let most = -1;
  for (let k = 0; k < nT; k++) {
    const key = boxKeys[k]!;
    const t = key - Math.floor(key / BOX_INDEX) * BOX_INDEX;
    boxOrder[k] = t;
    const last = truthBoxes.box[4 * t + 1]!;
    if (last > most) most = last;
    boxReach[k] = most;
  }
}

function visitBoxes(truth: InstanceSet, pred: InstanceSet, tb: Float64Array, pb: Float64Array, budget: number): boolean {
  const nT = truth.count;
  const nP = pred.count;
  let cost = 0;
  for (let p = 0; p < nP; p++) {
    const first = pb[4 * p]!;
    const last = pb[4 * p + 1]!;
    const x0 = pb[4 * p + 2]!;
    const x1 = pb[4 * p + 3]!;
    const pFrom = pred.runStart[p]!;
    const pTo = pFrom + pred.runCount[p]!;
    // The first truth object (in first-line order) whose lines may reach this prediction's.
    let lo = 0;
    let hi = nT;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (boxReach[mid]! < first) lo = mid + 1;
      else hi = mid;
    }
    for (let k = lo; k < nT; k++) {
      const t = boxOrder[k]!;
      if (tb[4 * t]! > last) break;
      cost++;
      if (tb[4 * t + 1]! < first || tb[4 * t + 2]! >= x1 || tb[4 * t + 3]! <= x0) {
        if (cost > budget) return false;
        continue;
      }
      const tFrom = truth.runStart[t]!;
      const tTo = tFrom + truth.runCount[t]!;
      cost += tTo - tFrom + pTo - pFrom;
      if (cost > budget) return false;
      const inter = intersectRunRanges(truth.runs, tFrom, tTo, pred.runs, pFrom, pTo);
      if (inter > 0) addHits(t, p, inter, truth.areas[t]! + pred.areas[p]! - inter, nT, nP);
    }
  }
  return true;
}


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
