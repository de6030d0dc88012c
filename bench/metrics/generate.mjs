// Deterministic benchmark inputs for the scorer (seeded; the same bytes on every machine).
//   hubmap:    10 images of 20000x30000 px, ~300 glomeruli each, column order, dice
//   sartorius: 240 images of 520x704 px, ~35k truth and ~35k predicted instances, row order
// Files go to bench/output/metrics/<case>/{solution,submission}.csv with a stamp; an up-to-date
// stamp skips generation. Usage: node bench/metrics/generate.mjs [hubmap|sartorius ...]
import { mkdirSync, readFileSync, writeFileSync, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const VERSION = 3; // bump when the generated data changes
export const OUTPUT = join(dirname(fileURLToPath(import.meta.url)), '..', 'output', 'metrics');

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const hexId = (rnd) => Array.from({ length: 9 }, () => '0123456789abcdef'[Math.floor(rnd() * 16)]).join('');

/** Writes rows through a stream so no file-sized string is ever built. */
async function writeCsv(path, header, rows) {
  const out = createWriteStream(path);
  out.write(`${header}\n`);
  for (const row of rows) if (!out.write(`${row}\n`)) await once(out, 'drain');
  out.end();
  await once(out, 'finish');
}

/** Sorts [start, length] runs (0-based starts) and merges overlapping or adjacent ones. */
function mergeRuns(starts, lengths) {
  const order = Array.from(starts.keys()).sort((a, b) => starts[a] - starts[b]);
  const out = [];
  let s = -1;
  let e = -1;
  for (const k of order) {
    if (starts[k] <= e) e = Math.max(e, starts[k] + lengths[k]);
    else {
      if (s >= 0) out.push(s + 1, e - s);
      s = starts[k];
      e = starts[k] + lengths[k];
    }
  }
  if (s >= 0) out.push(s + 1, e - s);
  return out.join(' ');
}

/** Column-order runs of a wobbly ellipse (one run per column it spans). */
function blobRuns(b, H, W, starts, lengths) {
  const x0 = Math.max(0, Math.ceil(b.cx - b.rx));
  const x1 = Math.min(W - 1, Math.floor(b.cx + b.rx));
  for (let x = x0; x <= x1; x++) {
    const u = (x - b.cx) / b.rx;
    if (u * u >= 1) continue;
    const hh = b.ry * Math.sqrt(1 - u * u) * (1 + 0.07 * Math.sin(x * b.freq + b.phase));
    const y0 = Math.max(0, Math.round(b.cy - hh));
    const y1 = Math.min(H, Math.round(b.cy + hh));
    if (y1 <= y0) continue;
    starts.push(x * H + y0);
    lengths.push(y1 - y0);
  }
}

async function hubmap(dir) {
  const rnd = mulberry32(0x4b1b);
  const H = 20000;
  const W = 30000;
  const images = 10;
  const sol = [];
  const sub = [];
  for (let i = 0; i < images; i++) {
    const id = hexId(rnd);
    const count = 290 + Math.floor(rnd() * 21);
    // 20k … 130k runs per image: a blob spans ~2·r columns.
    const targetRuns = 20000 + (110000 * i) / (images - 1);
    const r = targetRuns / (2 * count);
    const blobs = [];
    while (blobs.length < count) {
      const rx = r * (0.8 + 0.4 * rnd());
      const ry = r * (0.8 + 0.4 * rnd());
      const b = { cx: rx + 20 + rnd() * (W - 2 * rx - 40), cy: ry + 20 + rnd() * (H - 2 * ry - 40), rx, ry, freq: 0.02 + 0.05 * rnd(), phase: rnd() * 6.28 };
      const clash = blobs.some((o) => Math.hypot(o.cx - b.cx, o.cy - b.cy) < 1.4 * (Math.max(o.rx, o.ry) + Math.max(b.rx, b.ry)) + 10);
      if (!clash) blobs.push(b);
    }
    const ts = [];
    const tl = [];
    const ps = [];
    const pl = [];
    for (const b of blobs) {
      blobRuns(b, H, W, ts, tl);
      if (rnd() < 0.04) continue; // missed
      const p = { ...b, cx: b.cx + (rnd() - 0.5) * 0.16 * b.rx, cy: b.cy + (rnd() - 0.5) * 0.16 * b.ry, rx: b.rx * (0.85 + 0.3 * rnd()), ry: b.ry * (0.85 + 0.3 * rnd()), phase: rnd() * 6.28 };
      blobRuns(p, H, W, ps, pl);
    }
    for (let k = 0; k < Math.round(count * 0.04); k++) {
      const rx = r * (0.5 + 0.5 * rnd());
      blobRuns({ cx: rx + rnd() * (W - 2 * rx), cy: rx + rnd() * (H - 2 * rx), rx, ry: rx, freq: 0.03, phase: rnd() * 6.28 }, H, W, ps, pl);
    }
    sol.push(`${id},${H},${W},${mergeRuns(ts, tl)},${i % 2 === 0 ? 'Public' : 'Private'}`);
    sub.push(`${id},${mergeRuns(ps, pl)}`);
  }
  await writeCsv(join(dir, 'solution.csv'), 'id,height,width,encoding,Usage', sol);
  await writeCsv(join(dir, 'submission.csv'), 'id,predicted', sub);
}

/** Paints a wobbly ellipse into a label image where free; returns the pixels painted. */
function paintCell(labels, H, W, c, label, requireFree) {
  const y0 = Math.max(0, Math.ceil(c.cy - c.ry - 2));
  const y1 = Math.min(H - 1, Math.floor(c.cy + c.ry + 2));
  const x0 = Math.max(0, Math.ceil(c.cx - c.rx - 2));
  const x1 = Math.min(W - 1, Math.floor(c.cx + c.rx + 2));
  const inside = (y, x) => {
    const dy = (y - c.cy) / c.ry;
    const dx = (x - c.cx) / c.rx;
    const wob = 1 + 0.1 * Math.sin(Math.atan2(dy, dx) * 3 + c.phase);
    return dx * dx + dy * dy <= wob * wob;
  };
  if (requireFree) {
    for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) if (inside(y, x) && labels[y * W + x] !== 0) return 0;
  }
  let n = 0;
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      if (inside(y, x) && labels[y * W + x] === 0) {
        labels[y * W + x] = label;
        n++;
      }
    }
  }
  return n;
}

/** Row-order RLE of each label of a label image, in label order. */
function labelRles(labels, count) {
  const runs = Array.from({ length: count + 1 }, () => []);
  let prev = 0;
  let start = 0;
  for (let i = 0; i <= labels.length; i++) {
    const l = i < labels.length ? labels[i] : 0;
    if (l !== prev) {
      if (prev !== 0) runs[prev].push(start + 1, i - start);
      start = i;
      prev = l;
    }
  }
  return runs.slice(1).filter((r) => r.length > 0).map((r) => r.join(' '));
}

async function sartorius(dir) {
  const rnd = mulberry32(0x5a27);
  const H = 520;
  const W = 704;
  const sol = [];
  const sub = [];
  for (let i = 0; i < 240; i++) {
    const id = hexId(rnd);
    const usage = i % 3 === 0 ? 'Private' : 'Public';
    const truth = new Int32Array(H * W);
    const pred = new Int32Array(H * W);
    const target = i < 2 ? 0 : 100 + Math.floor(rnd() * 93); // two images without cells
    const cells = [];
    for (let tries = 0; cells.length < target && tries < target * 20; tries++) {
      const c = { cx: rnd() * W, cy: rnd() * H, rx: 6 + rnd() * 14, ry: 6 + rnd() * 14, phase: rnd() * 6.28 };
      if (paintCell(truth, H, W, c, cells.length + 1, true) > 0) cells.push(c);
    }
    let p = 0;
    for (const c of cells) {
      if (rnd() < 0.05) continue; // missed
      const q = { cx: c.cx + (rnd() - 0.5) * 4, cy: c.cy + (rnd() - 0.5) * 4, rx: c.rx * (0.85 + 0.3 * rnd()), ry: c.ry * (0.85 + 0.3 * rnd()), phase: rnd() * 6.28 };
      if (paintCell(pred, H, W, q, p + 1, false) > 0) p++;
    }
    for (let k = 0; k < Math.round(cells.length * 0.05); k++) {
      if (paintCell(pred, H, W, { cx: rnd() * W, cy: rnd() * H, rx: 5 + rnd() * 8, ry: 5 + rnd() * 8, phase: 0 }, p + 1, false) > 0) p++;
    }
    const tr = labelRles(truth, cells.length);
    const pr = labelRles(pred, p);
    if (tr.length === 0) sol.push(`${id},${H},${W},,${usage}`);
    for (const r of tr) sol.push(`${id},${H},${W},${r},${usage}`);
    if (pr.length === 0) sub.push(`${id},`);
    for (const r of pr) sub.push(`${id},${r}`);
  }
  await writeCsv(join(dir, 'solution.csv'), 'id,height,width,annotation,Usage', sol);
  await writeCsv(join(dir, 'submission.csv'), 'id,predicted', sub);
}

export const CASES = { hubmap, sartorius };

/** Generates a case unless its stamp says it is current; returns its directory. */
export async function ensureCase(name) {
  const dir = join(OUTPUT, name);
  const stamp = join(dir, 'stamp.json');
  try {
    if (JSON.parse(readFileSync(stamp, 'utf8')).version === VERSION) return dir;
  } catch {}
  mkdirSync(dir, { recursive: true });
  await CASES[name](dir);
  writeFileSync(stamp, JSON.stringify({ version: VERSION }));
  return dir;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const name of process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(CASES)) {
    const t = Date.now();
    console.log(`${name}: ${await ensureCase(name)} (${Date.now() - t} ms)`);
  }
}
