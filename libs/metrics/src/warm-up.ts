import type { MetricName, ScoreOptions, ScoreResult } from './score.js';

/**
 * Warms the scorer up before its first real input, once per process and metric.
 *
 * `holdout score` is a short-lived process, and most of its time went to V8 tiering up: a hot loop
 * is first compiled from what the *first* rows exercised, then thrown away (deoptimised) and
 * compiled again whenever a branch runs for the first time — the line feed after the last RLE
 * field (the solution's RLE is followed by a comma), a number cut by a chunk boundary, the
 * submission's first instance, the first growth of a scratch buffer (V8 had assumed the field
 * constant), and so on. Every such deopt cost a 5–30 ms recompilation, with the loop running
 * slowly meanwhile.
 *
 * Scoring a small synthetic case first (about a thousand runs, cut into uneven chunks) runs each
 * of those branches once, mostly in the interpreter, for ~20 ms; the real files then get
 * optimised code built from complete type feedback. (Scratch buffers start small so that the
 * warm-up grows them.) The case is deterministic and its result is checked, so a scorer that
 * scores it wrong fails loudly rather than silently.
 */
export async function warmUp(metric: MetricName, score: (options: ScoreOptions, scoringPasses: number) => Promise<ScoreResult>): Promise<void> {
  if (warmed.has(metric)) return;
  warmed.add(metric);
  const { solution, submission } = syntheticCase(metric);
  const options: ScoreOptions = { metric, solution: chunked(solution), submission: chunked(submission), rleOrder: 'row', bootstrap: { resamples: 20 } };
  const result = await score(options, SCORING_PASSES);
  if (!(result.score > 0 && result.score < 1)) throw new Error(`scorer warm-up: unexpected score ${result.score}`);
}

const warmed = new Set<MetricName>();

/**
 * Times the instance scoring runs over the case. Once left V8 to optimise the scoring loops while
 * the real images were scored (the first tenth of a Sartorius-scale case took 44 ms, the rest
 * ~7 ms per tenth); three times gets them optimised on a background thread while the real files
 * are parsed, for ~5 ms more here (scoring phase 100-109 -> 79 ms, 20 interleaved runs).
 */
const SCORING_PASSES = 3;

/** Images of the synthetic case, each W×H with a grid of G×G boxes. */
const IMAGES = 4;
const W = 72;
const H = 60;
const G = 6;

/** Row order, 1-based: the last 2 pixels of line 9 and the first of line 10, then line 12's first. */
const WRAPPING = `${10 * W - 1} 3 ${12 * W + 1} 1`;

/**
 * Truth: one box per grid cell (instance-map) or their union (dice); prediction: the same boxes
 * shifted and resized a little, some missing, so IoUs spread over the thresholds.
 */
function syntheticCase(metric: MetricName): { solution: string; submission: string } {
  const truthRows: string[] = [];
  const predRows: string[] = [];
  for (let img = 0; img < IMAGES; img++) {
    const id = `warm${img}`;
    const usage = img % 2 === 0 ? 'Public' : 'Private';
    const truth: string[] = [];
    const pred: string[] = [];
    for (let cell = 0; cell < G * G; cell++) {
      const x = (cell % G) * (W / G) + 1;
      const y = Math.floor(cell / G) * (H / G) + 1;
      const k = img * G * G + cell;
      // Some truth objects reach into the next cell (instance truths may overlap), so that
      // predictions there overlap two of them.
      const wide = metric === 'instance-map' && k % 4 === 0;
      truth.push(box(x, y, wide ? Math.min(14, W - x) : 8 - (k % 3), 7 - (k % 2)));
      if (k % 5 !== 0) pred.push(box(x + (k % 2), y + (k % 3 === 0 ? 1 : 0), 8 - (k % 4), 7 - (k % 3)));
    }
    if (metric === 'instance-map') {
      // An instance whose first run wraps onto the next line and which skips a line: branches
      // of the instance boxes that grid boxes never take (in free pixels: column 0, line 9).
      truth.push(WRAPPING);
      pred.push(WRAPPING);
    }
    if (metric === 'dice') {
      truthRows.push(`${id},${H},${W},${merge(truth)},${usage}`);
      predRows.push(`${id},${merge(pred)}`);
    } else {
      for (const t of truth) truthRows.push(`${id},${H},${W},${t},${usage}`);
      for (const p of pred.reverse()) predRows.push(`${id},${p}`);
    }
  }
  const column = metric === 'dice' ? 'encoding' : 'annotation';
  return {
    solution: `id,height,width,${column},Usage\n${truthRows.join('\n')}\n`,
    submission: `id,predicted\n${predRows.join('\n')}\n`,
  };
}

/** The RLE (row order, 1-based) of a w×h box at column x, row y of a W-wide image. */
function box(x: number, y: number, w: number, h: number): string {
  const runs: string[] = [];
  for (let row = y; row < y + h; row++) runs.push(`${row * W + x + 1} ${w}`);
  return runs.join(' ');
}

/** The union of disjoint boxes' RLEs as one sorted RLE. */
function merge(rles: string[]): string {
  const pairs = rles.flatMap((rle) => {
    const t = rle.split(' ').map(Number);
    return Array.from({ length: t.length / 2 }, (_, i) => [t[2 * i]!, t[2 * i + 1]!] as const);
  });
  return pairs
    .sort((a, b) => a[0] - b[0])
    .map(([s, l]) => `${s} ${l}`)
    .join(' ');
}

/** The text as chunks of uneven sizes, so that numbers and fields are cut between chunks. */
async function* chunked(text: string): AsyncIterable<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  for (let at = 0, size = 7; at < bytes.length; at += size, size = (size * 5) % 197 + 3) {
    yield bytes.subarray(at, Math.min(bytes.length, at + size));
  }
}
