import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bootstrapInterval, mulberry32, quantile } from './bootstrap.js';
import { diceScore, instanceScore, scoreInstances, toInstanceSet } from './metrics.js';
import { encodeRle, maskToRuns, parseRle, type RleOrder } from './rle.js';
import { scoreSubmission, type CsvSource } from './score.js';
import { prng, rasterise, referenceDice, referenceInstanceScore } from './testing/reference.js';

const runs = (rle: string) => parseRle(rle);

describe('Dice, hand-computed', () => {
  const cases: Array<[name: string, truth: string, pred: string, expected: number]> = [
    // 2x2, row order: truth (0,0),(1,1); prediction the top row -> |X∩Y| = 1, 2·1/(2+2)
    ['2x2 image', '1 1 4 1', '1 2', 0.5],
    ['identical masks', '3 4 10 2', '3 4 10 2', 1],
    ['disjoint masks', '1 3', '4 3', 0],
    ['both empty', '', '', 1],
    ['empty truth, non-empty prediction', '', '1 1', 0],
    ['non-empty truth, empty prediction', '1 1', '', 0],
    // 3x5, row order: truth 01100/01110/00011, prediction 00110/01110/00001 -> 2·5/(7+6)
    ['3x5 case', '2 2 7 3 14 2', '3 2 7 3 15 1', 10 / 13],
    // runs that straddle each other
    ['partial overlaps across runs', '1 10 20 5', '5 20', (2 * (6 + 5)) / (15 + 20)],
  ];
  for (const [name, truth, pred, expected] of cases) {
    it(name, () => assert.equal(diceScore(runs(truth), runs(pred)), expected));
  }
});

describe('instance mAP, hand-computed', () => {
  const score = (truth: string[], pred: string[]) => instanceScore(truth.map(runs), pred.map(runs));

  it('IoU exactly 0.8 is not a hit at 0.8 (strict >), but is at 0.75', () => {
    // inter 4, union 5: hits at 0.50 … 0.75 (6 of 10 thresholds)
    assert.equal(score(['1 5'], ['1 4']), 0.6);
  });

  it('IoU exactly 0.5 is no hit at all', () => {
    assert.equal(score(['1 4'], ['1 2']), 0);
  });

  it('IoU just above 0.5 hits only at 0.50', () => {
    // inter 51, union 100
    assert.equal(score(['1 100'], ['1 51']), 0.1);
  });

  it('a perfect match scores 1', () => {
    assert.equal(score(['1 3', '10 2 20 2'], ['10 2 20 2', '1 3']), 1);
  });

  it('one of two truth objects matched: TP 1, FN 1 -> 0.5 at every threshold', () => {
    assert.equal(score(['1 3', '10 3'], ['1 3']), 0.5);
  });

  it('one match and one false positive -> 0.5', () => {
    assert.equal(score(['1 3'], ['1 3', '10 3']), 0.5);
  });

  it('no predictions scores 0; neither truth nor predictions scores 1; predictions without truth score 0', () => {
    assert.equal(score(['1 3'], []), 0);
    assert.equal(score([], []), 1);
    assert.equal(score([], ['1 3']), 0);
  });

  it('an instance whose runs interleave with another object is measured on its own pixels', () => {
    // truth A = 1-4 and 11-14 (8 px), truth B = 5-10 (6 px); prediction = 1-4, 11-13 (7 px):
    // IoU with A 7/8 (hits up to 0.85), with B 0.
    const expected = (8 * (1 / 2) + 2 * (0 / 3)) / 10; // TP 1, FN 1 for 8 thresholds; TP 0, FP 1, FN 2 above
    assert.equal(score(['1 4 11 4', '5 6'], ['1 4 11 3']), expected);
  });

  it('throws on overlapping predictions', () => {
    assert.throws(() => score(['1 3'], ['1 3', '3 2']), /overlap at pixel 3/);
  });
});

describe('property: run-based metrics equal a plain rasterising implementation', () => {
  for (const order of ['column', 'row'] as const) {
    it(`Dice on random masks (${order} order), through the CSV scorer with random chunking`, async () => {
      const rnd = prng(order === 'row' ? 101 : 202);
      for (let trial = 0; trial < 60; trial++) {
        const images = rnd.int(1, 6);
        const sol = ['id,height,width,encoding,Usage'];
        const sub = ['id,predicted'];
        const expected: Record<string, number> = {};
        for (let k = 0; k < images; k++) {
          const h = rnd.int(1, 16);
          const w = rnd.int(1, 16);
          const truth = randomMask(rnd, h * w);
          const pred = rnd.next() < 0.2 ? truth.slice() : randomMask(rnd, h * w);
          const id = `img${k}`;
          const tr = encodeRle(truth, h, w, order);
          const pr = encodeRle(pred, h, w, order);
          sol.push(`${id},${h},${w},${tr},${rnd.next() < 0.5 ? 'Public' : 'Private'}`);
          sub.push(`${id},${pr}`);
          // The reference rasterises the strings itself, so an encoder bug shows up here too.
          expected[id] = referenceDice(rasterise(tr, h, w, order), rasterise(pr, h, w, order));
          assert.equal(expected[id], referenceDice(truth, pred));
        }
        const result = await scoreSubmission({
          metric: 'dice',
          rleOrder: order,
          solution: chunked(sol.join('\n'), rnd),
          submission: chunked(sub.join('\r\n') + '\r\n', rnd),
        });
        assert.deepEqual({ ...result.perImage }, expected);
        const values = Object.values(expected);
        assert.ok(Math.abs(result.score - values.reduce((a, b) => a + b, 0) / values.length) < 1e-12);
      }
    });

    it(`instance mAP on random instances (${order} order), through the CSV scorer with random chunking`, async () => {
      const rnd = prng(order === 'row' ? 303 : 404);
      for (let trial = 0; trial < 60; trial++) {
        const images = rnd.int(1, 4);
        const sol = ['id,height,width,annotation'];
        const sub = ['id,predicted'];
        const expected: Record<string, number> = {};
        for (let k = 0; k < images; k++) {
          const h = rnd.int(4, 20);
          const w = rnd.int(4, 20);
          const id = `im${k}`;
          // Truth objects may overlap one another (separate masks); predictions may not.
          const truth = Array.from({ length: rnd.int(0, 5) }, () => randomBlob(rnd, h, w));
          const preds = randomPredictions(rnd, truth, rnd.int(0, 6), h, w);
          const truthNonEmpty = truth.filter((m) => m.some((v) => v === 1));
          if (truthNonEmpty.length === 0) sol.push(`${id},${h},${w},`);
          for (const m of truthNonEmpty) sol.push(`${id},${h},${w},${encodeRle(m, h, w, order)}`);
          if (preds.length === 0) sub.push(`${id},`);
          for (const m of preds) sub.push(`${id},${encodeRle(m, h, w, order)}`);
          expected[id] = referenceInstanceScore(
            truthNonEmpty.map((m) => rasterise(encodeRle(m, h, w, order), h, w, order)),
            preds.map((m) => rasterise(encodeRle(m, h, w, order), h, w, order)),
          );
        }
        // Rows of one image need not be adjacent.
        const shuffled = [sub[0]!, ...shuffle(rnd, sub.slice(1))];
        const result = await scoreSubmission({
          metric: 'instance-map',
          rleOrder: order,
          solution: chunked(sol.join('\n'), rnd),
          submission: chunked(shuffled.join('\n'), rnd),
        });
        for (const [id, value] of Object.entries(expected)) {
          assert.ok(Math.abs(result.perImage[id]! - value) < 1e-12, `${id}: ${result.perImage[id]} vs ${value}`);
        }
      }
    });
  }

  it('instance mAP agrees with the reference on many touching instances in one image', () => {
    const rnd = prng(9);
    for (let trial = 0; trial < 30; trial++) {
      const h = rnd.int(8, 30);
      const w = rnd.int(8, 30);
      // A grid of touching cells as truth, the grid shifted by one pixel as prediction.
      const cell = rnd.int(2, 5);
      const truth = grid(h, w, cell, 0);
      const pred = grid(h, w, cell, rnd.int(0, 1));
      const order: RleOrder = rnd.next() < 0.5 ? 'row' : 'column';
      const toRuns = (m: Uint8Array) => maskToRuns(m, h, w, order);
      assert.equal(instanceScore(truth.map(toRuns), pred.map(toRuns)), referenceInstanceScore(truth, pred));
    }
  });
});

describe('instance mAP: instance boxes', () => {
  it("give the sweep's score whatever the line length (wrapping runs, overlapping truths)", () => {
    const rnd = prng(77);
    for (let trial = 0; trial < 80; trial++) {
      const h = rnd.int(3, 16);
      const w = rnd.int(3, 16);
      const order: RleOrder = rnd.next() < 0.5 ? 'row' : 'column';
      const truth = Array.from({ length: rnd.int(1, 8) }, () => randomBlob(rnd, h, w)).filter((m) => m.some((v) => v === 1));
      const preds = randomPredictions(rnd, truth, rnd.int(1, 8), h, w);
      if (truth.length === 0 || preds.length === 0) continue;
      const toSet = (masks: Uint8Array[]) => toInstanceSet(masks.map((m) => maskToRuns(m, h, w, order)));
      const [t, p] = [toSet(truth), toSet(preds)];
      const expected = referenceInstanceScore(truth, preds);
      assert.equal(scoreInstances(t, p, h * w), expected);
      for (const line of [1, 2, 3, w, h, h * w, h * w + 5]) {
        // The image's size picks the box search; a bound of 2^40 (or none) the sweep.
        for (const pixels of [h * w, 2 ** 40, undefined]) assert.equal(scoreInstances(t, p, pixels, line), expected, `line length ${line}, pixels ${pixels}`);
      }
    }
  });

  it('hand instances that sprawl over the image back to the sweep (the work budget)', () => {
    // 10 truth objects and 10 predictions, each two full columns about 10 apart: every box
    // overlaps every other, so intersecting them all would cost more than the budget allows.
    const h = 20;
    const w = 20;
    const stripes = (columns: (i: number) => number[]) =>
      Array.from({ length: 10 }, (_, i) => {
        const m = new Uint8Array(h * w);
        for (let r = 0; r < h; r++) for (const c of columns(i)) m[r * w + c] = 1;
        return m;
      });
    const truth = stripes((i) => [i, i + 10]);
    // Even predictions are exact; odd ones take half of two truth objects (IoU 1/3 with each).
    const preds = stripes((i) => (i % 2 === 0 ? [i, i + 10] : [i, ((i + 2) % 10) + 10]));
    const toSet = (masks: Uint8Array[]) => toInstanceSet(masks.map((m) => maskToRuns(m, h, w, 'row')));
    const expected = referenceInstanceScore(truth, preds);
    assert.ok(Math.abs(expected - 1 / 3) < 1e-12); // TP 5, FP 5, FN 5 at every threshold
    assert.equal(scoreInstances(toSet(truth), toSet(preds), h * w, w), expected);
  });
});

describe('instance mAP: sorting edge cases', () => {
  it('a crowded start bucket (many short runs far from one long-range run) sorts correctly', () => {
    // 1 x 20000 image; pixel i (1-based, i <= 400) belongs to truth i % 4 and to prediction
    // (i + 1) % 4 (or i % 4 where i % 5 == 0); one far run per set makes the buckets coarse.
    const w = 20_000;
    const toMask = (pixels: number[]) => {
      const m = new Uint8Array(w);
      for (const p of pixels) m[p - 1] = 1;
      return m;
    };
    const truth = [0, 1, 2, 3].map((k) => toMask([...Array.from({ length: 100 }, (_, j) => 4 * j + k + 1), ...(k === 0 ? [w] : [])]));
    const pred = [0, 1, 2, 3].map((k) =>
      toMask(Array.from({ length: 400 }, (_, j) => j + 1).filter((i) => (i % 5 === 0 ? i % 4 : (i + 1) % 4) === (k + 1) % 4)),
    );
    pred[0]![w - 3] = 1;
    const toRuns = (m: Uint8Array) => maskToRuns(m, 1, w, 'row');
    const expected = referenceInstanceScore(truth, pred);
    assert.equal(instanceScore(truth.map(toRuns), pred.map(toRuns)), expected);
    assert.ok(expected > 0, 'the case should have hits');
  });
});

describe('instance mAP on a whole-slide-sized image (runs, not bitset, for the overlap check)', () => {
  // 20000 x 30000 = 6e8 pixels: above the bitset limit, so overlaps are found by sorting runs.
  const big = (rle: string) => parseRle(rle, 20_000 * 30_000);
  it('scores by runs', () => {
    const truth = ['100000000 50 100020000 50', '500000000 30'].map(big);
    const pred = ['500000000 30', '100000010 40 100020000 50'].map(big);
    // truth 0 vs pred 1: inter 40 + 50 = 90, union 100 -> IoU 0.9 (hits up to 0.85); truth 1 exact.
    assert.ok(Math.abs(instanceScore(truth, pred) - (8 * 1 + 2 * (1 / 3)) / 10) < 1e-12);
  });
  it('finds overlapping predictions', () => {
    assert.throws(() => instanceScore([big('1 1')], ['599999990 5', '5 3', '599999993 4'].map(big)), /instances 0 and 2 overlap at pixel 599999993/);
  });
  it('sorts runs whose starts span more than 2^32 pixels (the bucket sort divides instead of shifting)', () => {
    const huge = (rle: string) => parseRle(rle, 2 ** 46);
    const far = 2 ** 40;
    const truth = [`3 4 ${far} 10`, `20 5 ${far + 20} 5`].map(huge);
    const pred = [`3 4 ${far} 9`, `${far + 20} 5`].map(huge);
    // truth 0 vs pred 0: 13 / 14 (hits up to 0.90); truth 1 vs pred 1: 5 / 10 (no hit).
    assert.ok(Math.abs(instanceScore(truth, pred) - (9 * (1 / 3) + 1 * 0) / 10) < 1e-12);
  });
});

describe('overlapping predictions are found whatever the layout', () => {
  it('agrees with a pixel-by-pixel check on random instances (bitset word edges included)', () => {
    const rnd = prng(77);
    for (let trial = 0; trial < 300; trial++) {
      const w = rnd.int(1, 200);
      const h = rnd.int(1, 3);
      const masks = Array.from({ length: rnd.int(2, 4) }, () => {
        const m = new Uint8Array(h * w);
        const a = rnd.int(0, h * w - 1);
        const b = rnd.int(a, Math.min(h * w - 1, a + rnd.int(0, rnd.next() < 0.5 ? 8 : 150)));
        const holes = rnd.next() < 0.5 ? 0 : 0.1;
        for (let i = a; i <= b; i++) if (rnd.next() >= holes) m[i] = 1;
        return m;
      }).filter((m) => m.some((v) => v === 1));
      if (masks.length < 2) continue;
      const overlapping = masks.some((m, i) => masks.some((o, j) => j > i && m.some((v, k) => v === 1 && o[k] === 1)));
      const runs = masks.map((m) => maskToRuns(m, h, w, 'row'));
      // Paint in both orders: a short run inside a long one is caught by either end's check.
      for (const pred of [runs, runs.slice().reverse()]) {
        const call = () => instanceScore(runs, pred);
        if (overlapping) assert.throws(call, /overlap/);
        else assert.equal(call(), 1);
      }
    }
  });
});

describe('bootstrap interval', () => {
  it('is deterministic for a seed and changes with the seed', () => {
    const values = [0.1, 0.5, 0.9, 0.3, 0.7, 0.2];
    assert.deepEqual(bootstrapInterval(values), bootstrapInterval(values));
    assert.notDeepEqual(bootstrapInterval(values, { seed: 1 }), bootstrapInterval(values, { seed: 2 }));
  });

  it('brackets the mean and lies within the range of the values', () => {
    const rnd = prng(5);
    const values = Array.from({ length: 50 }, () => rnd.next());
    const m = values.reduce((a, b) => a + b, 0) / values.length;
    const [lo, hi] = bootstrapInterval(values);
    assert.ok(lo < m && m < hi, `${lo} < ${m} < ${hi}`);
    assert.ok(lo >= Math.min(...values) && hi <= Math.max(...values));
    // The standard error of a mean of 50 U(0,1) is ~0.041: a 95 % interval is ~0.16 wide.
    assert.ok(hi - lo > 0.1 && hi - lo < 0.22, `width ${hi - lo}`);
  });

  it('collapses to the value for constant scores and one image', () => {
    assert.deepEqual(bootstrapInterval([0.25, 0.25, 0.25]), [0.25, 0.25]);
    assert.deepEqual(bootstrapInterval([0.7]), [0.7, 0.7]);
  });

  it('uses numpy-style linear quantiles', () => {
    assert.equal(quantile([1, 2, 3, 4], 0.5), 2.5);
    assert.equal(quantile([0, 10], 0.025), 0.25);
    assert.equal(quantile([5], 0.975), 5);
  });

  it('draws the resamples from mulberry32 (the inlined generator matches it)', () => {
    const values = [0.91, 0.12, 0.55, 0.34, 0.78, 0.05, 0.66, 0.23, 0.47, 0.99];
    const next = mulberry32(11);
    const means = Array.from({ length: 100 }, () => {
      let total = 0;
      for (let i = 0; i < values.length; i++) total += values[Math.floor(next() * values.length)]!;
      return total / values.length;
    }).sort((x, y) => x - y);
    assert.deepEqual(bootstrapInterval(values, { resamples: 100, seed: 11 }), [quantile(means, 0.025), quantile(means, 0.975)]);
  });

  it('mulberry32 is reproducible and in [0, 1)', () => {
    const a = mulberry32(3);
    const b = mulberry32(3);
    for (let i = 0; i < 1000; i++) {
      const x = a();
      assert.equal(x, b());
      assert.ok(x >= 0 && x < 1);
    }
  });
});

function randomMask(rnd: ReturnType<typeof prng>, n: number): Uint8Array {
  const kind = rnd.next();
  if (kind < 0.1) return new Uint8Array(n);
  if (kind < 0.15) return new Uint8Array(n).fill(1);
  const density = rnd.next();
  return Uint8Array.from({ length: n }, () => (rnd.next() < density ? 1 : 0));
}

/** A random filled rectangle or scattered blob. */
function randomBlob(rnd: ReturnType<typeof prng>, h: number, w: number): Uint8Array {
  const m = new Uint8Array(h * w);
  const r0 = rnd.int(0, h - 1);
  const c0 = rnd.int(0, w - 1);
  const r1 = rnd.int(r0, Math.min(h - 1, r0 + 6));
  const c1 = rnd.int(c0, Math.min(w - 1, c0 + 6));
  const holes = rnd.next() < 0.3 ? 0.3 : 0;
  for (let r = r0; r <= r1; r++) for (let c = c0; c <= c1; c++) if (rnd.next() >= holes) m[r * w + c] = 1;
  return m;
}

/** The mask shifted by up to one pixel, with a few pixels flipped. */
/**
 * `count` predictions, mostly jittered copies of the truth objects, else random blobs; a later one
 * takes the pixels it shares with an earlier one, so they never overlap. Empty ones are dropped.
 */
function randomPredictions(rnd: ReturnType<typeof prng>, truth: Uint8Array[], count: number, h: number, w: number): Uint8Array[] {
  const labels = new Int32Array(h * w);
  for (let p = 1; p <= count; p++) {
    const base = p <= truth.length && rnd.next() < 0.7 ? jitter(rnd, truth[p - 1]!, h, w) : randomBlob(rnd, h, w);
    base.forEach((v, i) => {
      if (v) labels[i] = p;
    });
  }
  return Array.from({ length: count }, (_, p) => Uint8Array.from(labels, (l) => (l === p + 1 ? 1 : 0))).filter((m) => m.some((v) => v === 1));
}

function jitter(rnd: ReturnType<typeof prng>, mask: Uint8Array, h: number, w: number): Uint8Array {
  const dr = rnd.int(-1, 1);
  const dc = rnd.int(-1, 1);
  const out = new Uint8Array(h * w);
  for (let r = 0; r < h; r++) {
    for (let c = 0; c < w; c++) {
      const sr = r - dr;
      const sc = c - dc;
      if (sr >= 0 && sr < h && sc >= 0 && sc < w) out[r * w + c] = mask[sr * w + sc]!;
      if (rnd.next() < 0.05) out[r * w + c] ^= 1;
    }
  }
  return out;
}

function grid(h: number, w: number, cell: number, shift: number): Uint8Array[] {
  const masks = new Map<string, Uint8Array>();
  for (let r = 0; r < h; r++) {
    for (let c = 0; c < w; c++) {
      const key = `${Math.floor((r + shift) / cell)},${Math.floor((c + shift) / cell)}`;
      let m = masks.get(key);
      if (m === undefined) masks.set(key, (m = new Uint8Array(h * w)));
      m[r * w + c] = 1;
    }
  }
  return [...masks.values()];
}

function shuffle<T>(rnd: ReturnType<typeof prng>, xs: T[]): T[] {
  const out = xs.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = rnd.int(0, i);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** The text as an async stream of random-sized chunks (sometimes one byte at a time). */
function chunked(text: string, rnd: ReturnType<typeof prng>): CsvSource {
  const bytes = Buffer.from(text, 'utf8');
  const max = rnd.next() < 0.3 ? 1 : rnd.int(1, 64);
  return (async function* () {
    for (let i = 0; i < bytes.length; ) {
      const n = rnd.int(1, max);
      yield bytes.subarray(i, i + n);
      i += n;
    }
  })();
}
