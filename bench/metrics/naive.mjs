// A straightforward rasterising scorer, the way one first writes it: read each file as a string,
// split lines and commas, decode every RLE with split(' ').map(Number) into full-size masks, and
// count pixels. Same semantics as the scorer on valid input (mean over images; instance mAP with
// IoU > t), no validation. Usage: node bench/metrics/naive.mjs dice|instance-map SOLUTION SUBMISSION ORDER
import { readFileSync } from 'node:fs';

const [metric, solutionPath, submissionPath] = process.argv.slice(2);

function table(path) {
  const lines = readFileSync(path, 'utf8').replace(/^\uFEFF/, '').split(/\r?\n/).filter((l) => l !== '');
  const header = lines[0].split(',');
  return lines.slice(1).map((line) => Object.fromEntries(line.split(',').map((v, i) => [header[i], v])));
}

function paint(mask, rle, value) {
  const t = rle.split(' ').filter((x) => x !== '').map(Number);
  for (let k = 0; k < t.length; k += 2) mask.fill(value, t[k] - 1, t[k] - 1 + t[k + 1]);
}

const solution = table(solutionPath);
const submission = table(submissionPath);
const scores = [];

if (metric === 'dice') {
  const predicted = new Map(submission.map((r) => [r.id, r.predicted]));
  for (const row of solution) {
    // Pixel order does not matter for counting, so the flat RLE index is used directly.
    const n = Number(row.height) * Number(row.width);
    const truth = new Uint8Array(n);
    const pred = new Uint8Array(n);
    paint(truth, row.encoding, 1);
    paint(pred, predicted.get(row.id), 1);
    let a = 0;
    let b = 0;
    let both = 0;
    for (let i = 0; i < n; i++) {
      a += truth[i];
      b += pred[i];
      both += truth[i] & pred[i];
    }
    scores.push(a + b === 0 ? 1 : (2 * both) / (a + b));
  }
} else {
  const group = (rows, column) => {
    const m = new Map();
    for (const r of rows) {
      if (!m.has(r.id)) m.set(r.id, []);
      if (r[column]) m.get(r.id).push(r[column]);
    }
    return m;
  };
  const truthById = group(solution, 'annotation');
  const predById = group(submission, 'predicted');
  for (const row of solution) {
    if (!truthById.has(row.id)) continue;
    const truths = truthById.get(row.id);
    truthById.delete(row.id);
    const preds = predById.get(row.id) ?? [];
    const n = Number(row.height) * Number(row.width);
    const tl = new Int32Array(n);
    const pl = new Int32Array(n);
    truths.forEach((rle, i) => paint(tl, rle, i + 1));
    preds.forEach((rle, i) => paint(pl, rle, i + 1));
    const tArea = new Array(truths.length + 1).fill(0);
    const pArea = new Array(preds.length + 1).fill(0);
    const inter = new Map();
    for (let i = 0; i < n; i++) {
      tArea[tl[i]]++;
      pArea[pl[i]]++;
      if (tl[i] && pl[i]) {
        const key = tl[i] * (preds.length + 1) + pl[i];
        inter.set(key, (inter.get(key) ?? 0) + 1);
      }
    }
    if (preds.length === 0) {
      scores.push(truths.length === 0 ? 1 : 0);
      continue;
    }
    let total = 0;
    for (let k = 0; k < 10; k++) {
      const t = [0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95][k];
      const tHits = new Array(truths.length + 1).fill(0);
      const pHits = new Array(preds.length + 1).fill(0);
      for (const [key, count] of inter) {
        const ti = Math.floor(key / (preds.length + 1));
        const pi = key % (preds.length + 1);
        if (count / (tArea[ti] + pArea[pi] - count) > t) {
          tHits[ti]++;
          pHits[pi]++;
        }
      }
      let tp = 0;
      let fn = 0;
      let fp = 0;
      for (let i = 1; i <= truths.length; i++) if (tHits[i] === 1) tp++;
      else if (tHits[i] === 0) fn++;
      for (let i = 1; i <= preds.length; i++) if (pHits[i] === 0) fp++;
      total += tp / (tp + fp + fn);
    }
    scores.push(total / 10);
  }
}
process.stdout.write(`${JSON.stringify({ metric, score: scores.reduce((a, b) => a + b, 0) / scores.length, images: scores.length })}\n`);
