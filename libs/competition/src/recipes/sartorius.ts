import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { z } from 'zod';
import { toCsv } from '../csv-write.js';
import { hash2, Rng } from '../rng.js';
import { runsToRle } from '@holdout/metrics';
import { intervalsToRuns } from './runs.js';
import type { RecipeContext, RecipeGenerator } from './types.js';

// Sartorius-like phase-contrast images: grey 520×704 frames of one neuronal cell type each.
// Cells are star-shaped outlines (bodies with lobes; astrocytes with long processes), drawn
// darker than the background with the bright halo that phase contrast puts around objects, and a
// faint bright seam where two cells touch. Training annotations are whole (amodal) cells, so like
// the real ones they may overlap a little where cells touch; the hidden solution holds the
// visible, non-overlapping part of each cell.

const scaleParams = z.strictObject({
  train: z.number().int().min(1),
  test: z.number().int().min(3),
});

export const sartoriusParamsSchema = z.strictObject({
  width: z.number().int().min(64).default(704),
  height: z.number().int().min(64).default(520),
  /** Test images copied into public/test for participants to try their kernel on (Kaggle: 3). */
  publicSamples: z.number().int().min(0).default(3),
  /** Share of test images scored on the public leaderboard. */
  publicShare: z.number().gt(0).lt(1).default(0.25),
  scales: z.strictObject({ demo: scaleParams, full: scaleParams }),
});
export type SartoriusParams = z.output<typeof sartoriusParamsSchema>;

export const CELL_TYPES = ['shsy5y', 'astro', 'cort'] as const;
export type CellType = (typeof CELL_TYPES)[number];

interface CellTypeSpec {
  count: [number, number];
  radius: [number, number];
  elongation: [number, number];
  /** Fraction of a new cell allowed to lie over earlier cells. */
  maxOverlap: number;
  arms: [number, number];
  armLength: [number, number];
  clusters: [number, number];
  /** Interior brightness relative to the background (negative = darker). */
  body: number;
}

const SPECS: Record<CellType, CellTypeSpec> = {
  shsy5y: { count: [90, 220], radius: [5.5, 9], elongation: [1.2, 2.2], maxOverlap: 0.25, arms: [0, 1], armLength: [6, 14], clusters: [3, 7], body: -0.1 },
  astro: { count: [12, 30], radius: [11, 17], elongation: [1.0, 1.6], maxOverlap: 0.15, arms: [2, 5], armLength: [14, 40], clusters: [0, 0], body: -0.06 },
  cort: { count: [25, 70], radius: [6.5, 9.5], elongation: [1.0, 1.25], maxOverlap: 0.04, arms: [0, 0], armLength: [0, 0], clusters: [0, 0], body: -0.13 },
};

/** A cell rasterised in its bounding box. */
interface CellMask {
  x0: number;
  y0: number;
  w: number;
  h: number;
  bits: Uint8Array;
  area: number;
}

const ANGLES = 72;

function drawCell(rng: Rng, spec: CellTypeSpec, cx: number, cy: number, width: number, height: number): CellMask | null {
  const radius = rng.uniform(...spec.radius);
  const elong = rng.uniform(...spec.elongation);
  const rot = rng.uniform(0, Math.PI);
  // Polar outline: wavy body plus Gaussian bumps for processes.
  const profile = new Float32Array(ANGLES + 1);
  const waves = [1, 2, 3].map((k) => ({ k: k + 1, amp: rng.uniform(0, 0.08), phase: rng.uniform(0, 2 * Math.PI) }));
  const arms = Array.from({ length: rng.int(...spec.arms) }, () => ({
    at: rng.uniform(0, 2 * Math.PI),
    len: rng.uniform(...spec.armLength),
    width: rng.uniform(0.12, 0.3),
  }));
  let reach = 0;
  for (let i = 0; i <= ANGLES; i++) {
    const theta = (i / ANGLES) * 2 * Math.PI;
    let r = radius * (1 + waves.reduce((s, w) => s + w.amp * Math.cos(w.k * theta + w.phase), 0));
    for (const arm of arms) {
      let d = Math.abs(theta - arm.at) % (2 * Math.PI);
      if (d > Math.PI) d = 2 * Math.PI - d;
      r += (arm.len / elong) * Math.exp(-((d / arm.width) ** 2));
    }
    profile[i] = r;
    reach = Math.max(reach, r);
  }
  const ext = Math.ceil(reach * elong) + 1;
  const x0 = Math.max(0, Math.floor(cx - ext));
  const y0 = Math.max(0, Math.floor(cy - ext));
  const x1 = Math.min(width - 1, Math.ceil(cx + ext));
  const y1 = Math.min(height - 1, Math.ceil(cy + ext));
  if (x1 < x0 || y1 < y0) return null;
  const w = x1 - x0 + 1;
  const h = y1 - y0 + 1;
  const bits = new Uint8Array(w * h);
  const cos = Math.cos(rot);
  const sin = Math.sin(rot);
  let area = 0;
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const dx = x + 0.5 - cx;
      const dy = y + 0.5 - cy;
      const u = (dx * cos + dy * sin) / elong;
      const v = -dx * sin + dy * cos;
      const rho = Math.sqrt(u * u + v * v);
      if (rho > reach) continue;
      let theta = Math.atan2(v, u);
      if (theta < 0) theta += 2 * Math.PI;
      const f = (theta / (2 * Math.PI)) * ANGLES;
      const i = Math.min(ANGLES - 1, f | 0);
      const r = profile[i]! + (profile[i + 1]! - profile[i]!) * (f - i);
      if (rho <= r) {
        bits[(y - y0) * w + (x - x0)] = 1;
        area++;
      }
    }
  }
  return area >= 12 ? { x0, y0, w, h, bits, area } : null;
}

/** One generated image: pixels and its cells (whole and visible). */
export interface SartoriusImage {
  id: string;
  cellType: CellType;
  pixels: Uint8Array;
  /** Whole cells (may overlap), row-major runs. */
  amodal: Array<{ starts: number[]; lengths: number[] }>;
  /** Visible parts (never overlap), row-major runs. */
  visible: Array<{ starts: number[]; lengths: number[] }>;
}

function maskRuns(width: number, cell: CellMask, keep: (x: number, y: number) => boolean) {
  const intervals: Array<{ line: number; from: number; to: number }> = [];
  for (let yy = 0; yy < cell.h; yy++) {
    let from = -1;
    for (let xx = 0; xx <= cell.w; xx++) {
      const on = xx < cell.w && cell.bits[yy * cell.w + xx] === 1 && keep(cell.x0 + xx, cell.y0 + yy);
      if (on && from < 0) from = xx;
      if (!on && from >= 0) {
        intervals.push({ line: cell.y0 + yy, from: cell.x0 + from, to: cell.x0 + xx - 1 });
        from = -1;
      }
    }
  }
  return intervalsToRuns(intervals, width);
}

/** Generates one image deterministically from (seed, id, cell type). */
export function generateSartoriusImage(seed: number, id: string, cellType: CellType, width: number, height: number): SartoriusImage {
  const rng = Rng.for(seed, 'sartorius', 'image', id);
  const spec = SPECS[cellType];
  const labels = new Int32Array(width * height); // visible cell index + 1
  const cells: CellMask[] = [];
  const wanted = rng.int(...spec.count);
  const clusters = Array.from({ length: rng.int(...spec.clusters) }, () => ({
    x: rng.uniform(0, width),
    y: rng.uniform(0, height),
    spread: rng.uniform(30, 90),
  }));
  for (let attempt = 0; attempt < wanted * 8 && cells.length < wanted; attempt++) {
    let cx: number;
    let cy: number;
    if (clusters.length > 0 && rng.next() < 0.8) {
      const c = rng.pick(clusters);
      cx = rng.normal(c.x, c.spread);
      cy = rng.normal(c.y, c.spread);
    } else {
      cx = rng.uniform(0, width);
      cy = rng.uniform(0, height);
    }
    if (cx < 0 || cy < 0 || cx >= width || cy >= height) continue;
    const cell = drawCell(rng, spec, cx, cy, width, height);
    if (!cell) continue;
    let overlap = 0;
    for (let yy = 0; yy < cell.h; yy++)
      for (let xx = 0; xx < cell.w; xx++)
        if (cell.bits[yy * cell.w + xx] && labels[(cell.y0 + yy) * width + cell.x0 + xx] !== 0) overlap++;
    if (overlap > spec.maxOverlap * cell.area) continue;
    cells.push(cell);
    const label = cells.length;
    for (let yy = 0; yy < cell.h; yy++)
      for (let xx = 0; xx < cell.w; xx++) {
        const i = (cell.y0 + yy) * width + cell.x0 + xx;
        if (cell.bits[yy * cell.w + xx] && labels[i] === 0) labels[i] = label;
      }
  }

  const pixels = renderPhaseContrast(rng, spec, labels, cells.length, width, height);
  const amodal = cells.map((cell) => maskRuns(width, cell, () => true));
  const visible = cells.map((cell, k) => maskRuns(width, cell, (x, y) => labels[y * width + x] === k + 1));
  return { id, cellType, pixels, amodal, visible };
}

function renderPhaseContrast(rng: Rng, spec: CellTypeSpec, labels: Int32Array, count: number, width: number, height: number): Uint8Array {
  const n = width * height;
  // Halo: a blurred foreground (separable box blur, radius 3, twice ≈ Gaussian).
  let blur = new Float32Array(n);
  for (let i = 0; i < n; i++) blur[i] = labels[i] !== 0 ? 1 : 0;
  const tmp = new Float32Array(n);
  const boxPass = (src: Float32Array, dst: Float32Array, horizontal: boolean, r: number) => {
    const lines = horizontal ? height : width;
    const len = horizontal ? width : height;
    const stride = horizontal ? 1 : width;
    for (let line = 0; line < lines; line++) {
      const start = horizontal ? line * width : line;
      let sum = 0;
      for (let k = -r; k <= r; k++) sum += src[start + Math.min(len - 1, Math.max(0, k)) * stride]!;
      for (let j = 0; j < len; j++) {
        dst[start + j * stride] = sum / (2 * r + 1);
        sum += src[start + Math.min(len - 1, j + r + 1) * stride]! - src[start + Math.max(0, j - r) * stride]!;
      }
    }
  };
  for (let pass = 0; pass < 2; pass++) {
    boxPass(blur, tmp, true, 3);
    boxPass(tmp, blur, false, 3);
  }
  const cellTone = Float32Array.from({ length: count + 1 }, () => rng.uniform(-0.04, 0.04));
  const gx = rng.uniform(-0.06, 0.06) / width;
  const gy = rng.uniform(-0.06, 0.06) / height;
  const level = rng.uniform(0.46, 0.54);
  const salt = rng.nextUint32() | 0;
  const out = new Uint8Array(n);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const label = labels[i]!;
      let v = level + gx * (x - width / 2) + gy * (y - height / 2);
      if (label === 0) {
        v += 0.3 * blur[i]!;
      } else {
        v += spec.body + cellTone[label]! - 0.08 * (1 - blur[i]!);
        // A faint bright seam where two cells touch.
        const right = x + 1 < width ? labels[i + 1]! : label;
        const down = y + 1 < height ? labels[i + width]! : label;
        if ((right !== 0 && right !== label) || (down !== 0 && down !== label)) v += 0.09;
      }
      v += (hash2(x, y, salt) + hash2(y, x, salt ^ 0x5bd1e995) - 1) * 0.09;
      out[i] = Math.max(0, Math.min(255, Math.round(v * 255)));
    }
  }
  return out;
}

export const sartoriusGenerator: RecipeGenerator<SartoriusParams> = {
  name: 'sartorius-cells',
  version: 1,
  paramsSchema: sartoriusParamsSchema,
  async generate(ctx: RecipeContext<SartoriusParams>): Promise<void> {
    const { params, seed, publicDir, hiddenDir } = ctx;
    const { width, height } = params;
    const sizes = ctx.scale === 'demo' ? params.scales.demo : params.scales.full;
    // Ids, cell types and the public samples are drawn per stream in generation order, so a demo
    // build's images are the first ones of the full build (and its sample_submission.csv the same).
    const ids = new Set<string>();
    const draw = (stream: string, count: number) => {
      const rng = Rng.for(seed, 'sartorius', stream);
      const offset = rng.int(0, CELL_TYPES.length - 1);
      const out: Array<{ id: string; cellType: CellType }> = [];
      while (out.length < count) {
        const id = rng.hexId(12);
        if (ids.has(id)) continue;
        ids.add(id);
        out.push({ id, cellType: CELL_TYPES[(out.length + offset) % CELL_TYPES.length]! });
      }
      return out;
    };
    const train = draw('train-ids', sizes.train);
    const testInOrder = draw('test-ids', sizes.test);
    const samples = new Set(testInOrder.slice(0, Math.min(params.publicSamples, testInOrder.length)).map((t) => t.id));
    const test = [...testInOrder].sort((a, b) => (a.id < b.id ? -1 : 1));
    train.sort((a, b) => (a.id < b.id ? -1 : 1));
    const publicCount = Math.max(1, Math.round(test.length * params.publicShare));
    const publicIds = new Set(Rng.for(seed, 'sartorius', 'usage').shuffle(test.map((t) => t.id)).slice(0, publicCount));

    await mkdir(join(publicDir, 'train'), { recursive: true });
    await mkdir(join(publicDir, 'test'), { recursive: true });
    await mkdir(join(hiddenDir, 'test'), { recursive: true });
    const total = train.length + test.length;
    let done = 0;
    const trainRows: Array<[string, string, number, number, string]> = [];
    const solutionRows: Array<[string, number, number, string, string]> = [];
    const png = (image: SartoriusImage, path: string) =>
      sharp(image.pixels, { raw: { width, height, channels: 1 } }).toColourspace('b-w').png({ compressionLevel: 6 }).toFile(path);

    for (const { id, cellType } of train) {
      const image = generateSartoriusImage(seed, id, cellType, width, height);
      await png(image, join(publicDir, 'train', `${id}.png`));
      for (const runs of image.amodal) trainRows.push([id, runsToRle(runs.starts, runs.lengths), width, height, cellType]);
      ctx.onProgress({ step: 'train images', done: ++done, total });
    }
    for (const { id, cellType } of test) {
      const image = generateSartoriusImage(seed, id, cellType, width, height);
      const path = join(hiddenDir, 'test', `${id}.png`);
      await png(image, path);
      if (samples.has(id)) await copyFile(path, join(publicDir, 'test', `${id}.png`));
      const usage = publicIds.has(id) ? 'Public' : 'Private';
      if (image.visible.length === 0) solutionRows.push([id, height, width, '', usage]);
      for (const runs of image.visible) solutionRows.push([id, height, width, runsToRle(runs.starts, runs.lengths), usage]);
      ctx.onProgress({ step: 'test images', done: ++done, total });
    }
    await writeFile(join(publicDir, 'train.csv'), toCsv(['id', 'annotation', 'width', 'height', 'cell_type'], trainRows));
    await writeFile(join(publicDir, 'sample_submission.csv'), toCsv(['id', 'predicted'], [...samples].sort().map((id) => [id, ''])));
    await writeFile(join(hiddenDir, 'solution.csv'), toCsv(['id', 'height', 'width', 'annotation', 'Usage'], solutionRows));
  },
};
