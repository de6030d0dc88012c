import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { toCsv } from '../csv-write.js';
import { hash2, Rng } from '../rng.js';
import { runsToRle } from '@holdout/metrics';
import { intervalsToRuns } from './runs.js';
import { writePyramidalTiff } from './tiff.js';
import type { RecipeContext, RecipeGenerator } from './types.js';

// HuBMAP-like kidney slides: PAS-stained tissue (magenta interstitium, tubules with pale lumens and
// nucleated walls, purple nuclei, stain variation, grain) on glass, with glomeruli drawn as
// ellipses holding a lobulated, nucleus-dense tuft inside a pale Bowman's space and a capsule.
// The mask of a glomerulus is exactly the set of pixel centres inside its ellipse; the renderer
// and the RLE use the same predicate, so images and labels always agree.

const scaleParams = z.strictObject({
  /** Slide sides are drawn uniformly in [minSide, maxSide] pixels (rounded to 16). */
  minSide: z.number().int().min(256),
  maxSide: z.number().int().min(256),
  train: z.number().int().min(1),
  publicTest: z.number().int().min(1),
  privateTest: z.number().int().min(1),
});

export const hubmapParamsSchema = z.strictObject({
  /** Physical pixel size; HuBMAP's kidney slides were scanned at about 0.5 µm/px. */
  micronsPerPixel: z.number().positive().default(0.5),
  /** Range of glomerulus diameters; sizes are drawn around 200 µm and clipped to it. */
  glomerulusDiameterMicrons: z.tuple([z.number().positive(), z.number().positive()]).default([100, 350]),
  /** Glomeruli per mm² of tissue. */
  glomeruliPerMm2: z.number().positive().default(3),
  jpegQuality: z.number().int().min(50).max(100).default(85),
  /** Slides above this many pixels are written strip by strip through temporary files. */
  maxInMemoryPixels: z.number().int().positive().default(40_000_000),
  scales: z.strictObject({ demo: scaleParams, full: scaleParams }),
});
export type HubmapParams = z.output<typeof hubmapParamsSchema>;

/** A glomerulus: centre, semi-axes (px), rotation, tuft shape. */
export interface Glomerulus {
  cx: number;
  cy: number;
  a: number;
  b: number;
  angle: number;
  lobes: number;
  phase: number;
  /** Share of tuft dots that are nuclei (the rest are capillary lumens): low = paler, harder to see. */
  cellularity: number;
  /** Precomputed cos/a, sin/a, cos/b, sin/b. */
  c1: number;
  s1: number;
  c2: number;
  s2: number;
  x0: number;
  x1: number;
  y0: number;
  y1: number;
}

/** Squared normalised radius of pixel (x, y)'s centre in the ellipse; inside when ≤ 1. */
function ellipseF(g: Glomerulus, x: number, y: number): number {
  const dx = x + 0.5 - g.cx;
  const dy = y + 0.5 - g.cy;
  const u = dx * g.c1 + dy * g.s1;
  const v = -dx * g.s2 + dy * g.c2;
  return u * u + v * v;
}

function makeGlomerulus(cx: number, cy: number, a: number, b: number, angle: number, lobes: number, phase: number, cellularity: number, w: number, h: number): Glomerulus {
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const ext = Math.ceil(Math.max(a, b)) + 1;
  return {
    cx, cy, a, b, angle, lobes, phase, cellularity,
    c1: cos / a, s1: sin / a, c2: cos / b, s2: sin / b,
    x0: Math.max(0, Math.floor(cx - ext)), x1: Math.min(w - 1, Math.ceil(cx + ext)),
    y0: Math.max(0, Math.floor(cy - ext)), y1: Math.min(h - 1, Math.ceil(cy + ext)),
  };
}


/** Everything about a slide except its pixels. */
export interface SlidePlan {
  id: string;
  width: number;
  height: number;
  salt: number;
  /** Coarse tissue field (> 0 inside tissue) on a grid of `grid` px. */
  grid: number;
  gw: number;
  gh: number;
  tissue: Float32Array;
  stain: Float32Array;
  tubuleCell: number;
  tubules: Float32Array; // per cell: cx, cy, c1, s1, c2, s2 (c1 = 0 when empty)
  tw: number;
  glomeruli: Glomerulus[];
  /**
   * Look-alikes that are not glomeruli, drawn with the same ellipse geometry: lymphocyte
   * infiltrates (dense nuclei, no Bowman's space) and arteries (thick muscular wall, lumen).
   */
  distractors: Array<Glomerulus & { kind: 'infiltrate' | 'artery' }>;
}

/** Bilinear interpolation of a row-major grid `width` values wide at the fractional point (fx, fy). */
function bilinear(values: Float32Array, width: number, fx: number, fy: number): number {
  const ix = Math.floor(fx);
  const iy = Math.floor(fy);
  const tx = fx - ix;
  const ty = fy - iy;
  return (values[iy * width + ix]! * (1 - tx) + values[iy * width + ix + 1]! * tx) * (1 - ty) +
    (values[(iy + 1) * width + ix]! * (1 - tx) + values[(iy + 1) * width + ix + 1]! * tx) * ty;
}

function planSlide(seed: number, id: string, params: HubmapParams, minSide: number, maxSide: number): SlidePlan {
  const rng = Rng.for(seed, 'hubmap', 'slide', id);
  const side = () => Math.round(rng.uniform(minSide, maxSide) / 16) * 16;
  const width = side();
  const height = side();
  const grid = 128;
  const gw = Math.ceil(width / grid) + 2;
  const gh = Math.ceil(height / grid) + 2;
  // Lattice noise every 6 grid points, interpolated onto the grid.
  const coarse = 6;
  const lw = Math.ceil(gw / coarse) + 2;
  const lh = Math.ceil(gh / coarse) + 2;
  const lattice = Float32Array.from({ length: lw * lh }, () => rng.uniform(-1, 1));
  const stainLattice = Float32Array.from({ length: lw * lh }, () => rng.uniform(-1, 1));
  const rx = 0.5 * rng.uniform(0.88, 1.05);
  const ry = 0.5 * rng.uniform(0.88, 1.05);
  const ox = rng.uniform(-0.04, 0.04);
  const oy = rng.uniform(-0.04, 0.04);
  const tissue = new Float32Array(gw * gh);
  const stain = new Float32Array(gw * gh);
  for (let gy = 0; gy < gh; gy++) {
    for (let gx = 0; gx < gw; gx++) {
      const nx = (gx * grid) / width - 0.5 - ox;
      const ny = (gy * grid) / height - 0.5 - oy;
      const ellipse = 1 - (nx / rx) ** 2 - (ny / ry) ** 2;
      tissue[gy * gw + gx] = ellipse + 0.3 * bilinear(lattice, lw, gx / coarse, gy / coarse) + 0.05 * rng.uniform(-1, 1);
      stain[gy * gw + gx] = bilinear(stainLattice, lw, gx / coarse, gy / coarse);
    }
  }
  const tissueAt = (x: number, y: number) => bilinear(tissue, gw, x / grid, y / grid);

  // Tubules: one per cell of a jittered grid, each inside its cell so a pixel only looks at its own.
  const tubuleCell = Math.round(55 / params.micronsPerPixel);
  const tw = Math.ceil(width / tubuleCell);
  const th = Math.ceil(height / tubuleCell);
  const tubules = new Float32Array(tw * th * 6);
  for (let ty = 0; ty < th; ty++) {
    for (let tx = 0; tx < tw; tx++) {
      const k = (ty * tw + tx) * 6;
      if (rng.next() < 0.12) continue; // interstitium only
      const major = tubuleCell * rng.uniform(0.3, 0.47);
      const minor = major * rng.uniform(0.55, 1);
      const slack = tubuleCell / 2 - major;
      const angle = rng.uniform(0, Math.PI);
      const cos = Math.cos(angle);
      const sin = Math.sin(angle);
      tubules[k] = (tx + 0.5) * tubuleCell + rng.uniform(-slack, slack);
      tubules[k + 1] = (ty + 0.5) * tubuleCell + rng.uniform(-slack, slack);
      tubules[k + 2] = cos / major;
      tubules[k + 3] = sin / major;
      tubules[k + 4] = sin / minor;
      tubules[k + 5] = cos / minor;
    }
  }

  // Glomeruli: sizes around 200 µm, centres well inside tissue, never touching each other.
  const [dMin, dMax] = params.glomerulusDiameterMicrons;
  let tissueArea = 0;
  for (let gy = 0; gy < gh - 2; gy++) for (let gx = 0; gx < gw - 2; gx++) if (tissue[gy * gw + gx]! > 0) tissueArea += grid * grid;
  const mm2 = (tissueArea * params.micronsPerPixel ** 2) / 1e6;
  const wanted = Math.max(1, Math.round(mm2 * params.glomeruliPerMm2 * rng.uniform(0.7, 1.3)));
  const glomeruli: Glomerulus[] = [];
  for (let attempt = 0; attempt < wanted * 60 && glomeruli.length < wanted; attempt++) {
    const diameter = Math.min(dMax, Math.max(dMin, rng.normal(200, 55)));
    const a = diameter / 2 / params.micronsPerPixel;
    const b = a * rng.uniform(0.78, 1);
    const cx = rng.uniform(a + 8, width - a - 8);
    const cy = rng.uniform(a + 8, height - a - 8);
    if (tissueAt(cx, cy) < 0.25) continue;
    if (glomeruli.some((g) => Math.hypot(g.cx - cx, g.cy - cy) < g.a + a + 24)) continue;
    glomeruli.push(
      makeGlomerulus(cx, cy, a, b, rng.uniform(0, Math.PI), rng.int(4, 7), rng.uniform(0, 2 * Math.PI), rng.uniform(0.3, 0.8), width, height),
    );
  }
  glomeruli.sort((p, q) => p.y0 - q.y0 || p.x0 - q.x0);

  // Look-alikes, about one for every two glomeruli, never touching a glomerulus.
  const distractors: SlidePlan['distractors'] = [];
  const wantedDistractors = Math.round(wanted * rng.uniform(0.4, 0.7));
  for (let attempt = 0; attempt < wantedDistractors * 60 && distractors.length < wantedDistractors; attempt++) {
    const kind = rng.next() < 0.55 ? ('infiltrate' as const) : ('artery' as const);
    const diameter = kind === 'infiltrate' ? rng.uniform(60, 220) : rng.uniform(80, 260);
    const a = diameter / 2 / params.micronsPerPixel;
    const b = a * rng.uniform(kind === 'infiltrate' ? 0.55 : 0.75, 1);
    const cx = rng.uniform(a + 8, width - a - 8);
    const cy = rng.uniform(a + 8, height - a - 8);
    if (tissueAt(cx, cy) < 0.15) continue;
    if ([...glomeruli, ...distractors].some((g) => Math.hypot(g.cx - cx, g.cy - cy) < g.a + a + 24)) continue;
    distractors.push({ ...makeGlomerulus(cx, cy, a, b, rng.uniform(0, Math.PI), 0, 0, 0, width, height), kind });
  }
  distractors.sort((p, q) => p.y0 - q.y0 || p.x0 - q.x0);
  return { id, width, height, salt: rng.nextUint32() | 0, grid, gw, gh, tissue, stain, tubuleCell, tubules, tw, glomeruli, distractors };
}

/** Column-major runs of a slide's glomeruli (HuBMAP's pixel order), computed per column. */
export function slideRuns(plan: SlidePlan): { starts: number[]; lengths: number[] } {
  const intervals: Array<{ line: number; from: number; to: number }> = [];
  for (const g of plan.glomeruli) {
    for (let x = g.x0; x <= g.x1; x++) {
      let from = -1;
      for (let y = g.y0; y <= g.y1 + 1; y++) {
        const inside = y <= g.y1 && ellipseF(g, x, y) <= 1;
        if (inside && from < 0) from = y;
        if (!inside && from >= 0) {
          intervals.push({ line: x, from, to: y - 1 });
          from = -1;
        }
      }
    }
  }
  return intervalsToRuns(intervals, plan.height);
}

// PAS-like palette (RGB), indexed by region code.
const GLASS = 0;
const INTERSTITIUM = 1;
const EPITHELIUM = 2;
const BRUSH = 3;
const LUMEN = 4;
const NUCLEUS = 5;
const CAPSULE = 6;
const BOWMAN = 7;
const TUFT = 8;
const CAPILLARY = 9;
const PALETTE = Float32Array.from([
  243, 241, 246, // glass
  226, 186, 212, // interstitium
  206, 124, 176, // tubule epithelium
  184, 92, 158, // brush border
  240, 226, 236, // tubule lumen
  104, 66, 148, // nucleus
  192, 104, 164, // Bowman's capsule
  246, 234, 242, // Bowman's space
  196, 98, 160, // glomerular tuft
  236, 196, 222, // capillary lumen
]);
// Nucleus probability per 12 px cell, by region.
const NUCLEUS_DENSITY = Float32Array.from([0, 0.12, 0.55, 0.1, 0, 0, 0, 0, 0, 0]);

/** Grain: a fixed table of small offsets, read along each row from a per-row random start. */
const GRAIN_SIZE = 1 << 16;
const GRAIN = (() => {
  const table = new Float32Array(GRAIN_SIZE);
  for (let i = 0; i < GRAIN_SIZE; i++) table[i] = (hash2(i, 7, 0x2f6b1d) - 0.5) * 16;
  return table;
})();

/** Renders rows [y0, y0 + rows) of a slide into `out` (RGB). */
export function renderSlideStrip(plan: SlidePlan, y0: number, rows: number, out: Uint8ClampedArray): void {
  const { width, grid, gw, tissue, stain, tubuleCell, tubules, tw, salt } = plan;
  const nucleusCell = 12;
  const rowTissue = new Float32Array(gw);
  const rowStain = new Float32Array(gw);
  const invGrid = 1 / grid;
  for (let y = y0; y < y0 + rows; y++) {
    const fy = y / grid;
    const iy = Math.floor(fy);
    const ty = fy - iy;
    for (let gx = 0; gx < gw; gx++) {
      rowTissue[gx] = tissue[iy * gw + gx]! * (1 - ty) + tissue[(iy + 1) * gw + gx]! * ty;
      rowStain[gx] = stain[iy * gw + gx]! * (1 - ty) + stain[(iy + 1) * gw + gx]! * ty;
    }
    const tRow = Math.floor(y / tubuleCell) * tw;
    const nyCell = Math.floor(y / nucleusCell);
    const grainStart = (hash2(y, 0, salt) * GRAIN_SIZE) | 0;
    const py = y + 0.5;
    let base = (y - y0) * width * 3;
    let nxCell = -1;
    let nucleusX = 0;
    let nucleusY = 0;
    let nucleusR2 = 0;
    let nucleusP = 0;
    let tubeX = 0; // tubule cell column
    let tubeNext = tubuleCell; // first x of the next tubule cell
    let nucleusNext = 0;
    for (let x = 0; x < width; x++, base += 3) {
      if (x === tubeNext) {
        tubeX++;
        tubeNext += tubuleCell;
      }
      const fx = x * invGrid;
      const ix = fx | 0;
      const tx = fx - ix;
      const t = rowTissue[ix]! + (rowTissue[ix + 1]! - rowTissue[ix]!) * tx;
      const grain = GRAIN[(grainStart + x) & (GRAIN_SIZE - 1)]!;
      if (t <= 0) {
        out[base] = 243 + grain * 0.4;
        out[base + 1] = 241 + grain * 0.4;
        out[base + 2] = 246 + grain * 0.4;
        continue;
      }
      // Tubule of this cell: normalised elliptical radius q (lumen < 0.42 < brush < 0.52 < wall < 1).
      const k = (tRow + tubeX) * 6;
      let region = INTERSTITIUM;
      const c1 = tubules[k + 2]!;
      if (c1 !== 0) {
        const dx = x + 0.5 - tubules[k]!;
        const dy = py - tubules[k + 1]!;
        const u = dx * c1 + dy * tubules[k + 3]!;
        const v = -dx * tubules[k + 4]! + dy * tubules[k + 5]!;
        const q2 = u * u + v * v;
        region = q2 >= 1 ? INTERSTITIUM : q2 >= 0.2704 ? EPITHELIUM : q2 >= 0.1764 ? BRUSH : LUMEN;
      }
      // Nuclei: at most one per 12 px cell, cached while x stays in the cell.
      if (x === nucleusNext) {
        nxCell++;
        nucleusNext += nucleusCell;
        nucleusP = hash2(nxCell, nyCell, salt ^ 0x51ed27);
        const r = 2.5 + 2 * hash2(nxCell, nyCell, salt ^ 0x2545f491);
        nucleusR2 = r * r;
        nucleusX = nxCell * nucleusCell + r + (nucleusCell - 2 * r) * hash2(nxCell, nyCell, salt ^ 0x7f4a7c15);
        nucleusY = nyCell * nucleusCell + r + (nucleusCell - 2 * r) * hash2(nxCell, nyCell, salt ^ 0x1b873593);
      }
      if (nucleusP < NUCLEUS_DENSITY[region]!) {
        const dx = x + 0.5 - nucleusX;
        const dy = py - nucleusY;
        if (dx * dx + dy * dy < nucleusR2) region = NUCLEUS;
      }
      const s = rowStain[ix]! + (rowStain[ix + 1]! - rowStain[ix]!) * tx;
      const p = region * 3;
      if (t >= 0.04) {
        out[base] = PALETTE[p]! * (1 + 0.04 * s) + grain;
        out[base + 1] = PALETTE[p + 1]! * (1 - 0.06 * s) + grain;
        out[base + 2] = PALETTE[p + 2]! * (1 + 0.02 * s) + grain;
      } else {
        const edge = t / 0.04;
        out[base] = 243 + (PALETTE[p]! * (1 + 0.04 * s) + grain - 243) * edge;
        out[base + 1] = 241 + (PALETTE[p + 1]! * (1 - 0.06 * s) + grain - 241) * edge;
        out[base + 2] = 246 + (PALETTE[p + 2]! * (1 + 0.02 * s) + grain - 246) * edge;
      }
    }
    for (const d of plan.distractors) {
      if (d.y0 > y) break;
      if (d.y1 < y) continue;
      if (d.kind === 'infiltrate') renderInfiltrateRow(d, y, (y - y0) * width * 3, grainStart, salt, out);
      else renderArteryRow(d, y, (y - y0) * width * 3, grainStart, salt, out);
    }
    // Glomeruli overwrite the row inside their ellipses.
    for (const g of plan.glomeruli) {
      if (g.y0 > y) break;
      if (g.y1 < y) continue;
      renderGlomerulusRow(g, y, (y - y0) * width * 3, grainStart, salt, out);
    }
  }
}

/** Lymphocytes: small dark nuclei crowded over the tissue, thinning towards the edge. */
function renderInfiltrateRow(d: Glomerulus, y: number, rowBase: number, grainStart: number, salt: number, out: Uint8ClampedArray): void {
  const cell = 6;
  const cy = (y / cell) | 0;
  for (let x = d.x0; x <= d.x1; x++) {
    const f = ellipseF(d, x, y);
    if (f > 1) continue;
    const cx = (x / cell) | 0;
    if (hash2(cx, cy, salt ^ 0x4b1d) > 0.95 * (1 - f * f * f)) continue;
    const px = cx * cell + 2.5 + hash2(cx, cy, salt ^ 0x2a2a);
    const py = cy * cell + 2.5 + hash2(cx, cy, salt ^ 0x3b3b);
    if ((x + 0.5 - px) ** 2 + (y + 0.5 - py) ** 2 >= 6.5) continue;
    const grain = GRAIN[(grainStart + x) & (GRAIN_SIZE - 1)]!;
    const i = rowBase + x * 3;
    out[i] = 88 + grain;
    out[i + 1] = 52 + grain;
    out[i + 2] = 132 + grain;
  }
}

/** An artery in cross-section: lumen, dark elastic lamina, thick muscular media, pale adventitia. */
function renderArteryRow(d: Glomerulus, y: number, rowBase: number, grainStart: number, salt: number, out: Uint8ClampedArray): void {
  const cell = 8;
  const cy = (y / cell) | 0;
  for (let x = d.x0; x <= d.x1; x++) {
    const f = ellipseF(d, x, y);
    if (f > 1) continue;
    const r = Math.sqrt(f);
    let rgb: [number, number, number];
    if (r < 0.42) rgb = [244, 228, 236];
    else if (r < 0.5) rgb = [168, 66, 138];
    else if (r < 0.92) {
      const cx = (x / cell) | 0;
      const px = cx * cell + 4;
      const py = cy * cell + 4;
      const nucleus = hash2(cx, cy, salt ^ 0x5c5c) < 0.45 && (x + 0.5 - px) ** 2 / 9 + (y + 0.5 - py) ** 2 / 2 < 1;
      rgb = nucleus ? [110, 70, 150] : [214, 118, 150];
    } else rgb = [232, 204, 222];
    const grain = GRAIN[(grainStart + x) & (GRAIN_SIZE - 1)]!;
    const i = rowBase + x * 3;
    out[i] = rgb[0] + grain;
    out[i + 1] = rgb[1] + grain;
    out[i + 2] = rgb[2] + grain;
  }
}

function renderGlomerulusRow(g: Glomerulus, y: number, rowBase: number, grainStart: number, salt: number, out: Uint8ClampedArray): void {
  for (let x = g.x0; x <= g.x1; x++) {
    const f = ellipseF(g, x, y);
    if (f > 1) continue;
    const r = Math.sqrt(f);
    const dx = x + 0.5 - g.cx;
    const dy = y + 0.5 - g.cy;
    const theta = Math.atan2(-dx * g.s2 + dy * g.c2, dx * g.c1 + dy * g.s1);
    const tuftEdge = 0.78 * (1 + 0.07 * Math.sin(g.lobes * theta + g.phase) + 0.035 * Math.sin((g.lobes + 3) * theta - g.phase));
    let colour: number;
    if (r > 0.93) {
      colour = CAPSULE;
    } else if (r > tuftEdge) {
      colour = BOWMAN;
    } else {
      // Tuft: capillary loops (pale dots) and crowded nuclei.
      const cell = 9;
      const cx = (x / cell) | 0;
      const cy = (y / cell) | 0;
      const h = hash2(cx, cy, salt ^ 0x3c6ef372);
      const px = cx * cell + 2.5 + 4 * hash2(cx, cy, salt ^ 0x5be0cd19);
      const py = cy * cell + 2.5 + 4 * hash2(cx, cy, salt ^ 0x6a09e667);
      const d2 = (x + 0.5 - px) ** 2 + (y + 0.5 - py) ** 2;
      colour = d2 < 7 ? (h < g.cellularity ? NUCLEUS : CAPILLARY) : r > tuftEdge - 0.04 ? CAPSULE : TUFT;
    }
    const grain = GRAIN[(grainStart + x) & (GRAIN_SIZE - 1)]!;
    const i = rowBase + x * 3;
    out[i] = PALETTE[colour * 3]! + grain;
    out[i + 1] = PALETTE[colour * 3 + 1]! + grain;
    out[i + 2] = PALETTE[colour * 3 + 2]! + grain;
  }
}

interface SlideEntry {
  plan: SlidePlan;
  split: 'train' | 'test';
  usage?: 'Public' | 'Private';
}

export const hubmapGenerator: RecipeGenerator<HubmapParams> = {
  name: 'hubmap-glomeruli',
  version: 2,
  paramsSchema: hubmapParamsSchema,
  async generate(ctx: RecipeContext<HubmapParams>): Promise<void> {
    const { params, seed, publicDir, hiddenDir } = ctx;
    const sizes = params.scales[ctx.scale];
    const idRng = Rng.for(seed, 'hubmap', 'ids');
    const ids = new Set<string>();
    const total = sizes.train + sizes.publicTest + sizes.privateTest;
    while (ids.size < total) ids.add(idRng.hexId(9));
    const all = [...ids];
    const trainIds = all.slice(0, sizes.train).sort();
    const testIds = all.slice(sizes.train).sort();
    const publicIds = new Set(Rng.for(seed, 'hubmap', 'usage').shuffle(testIds).slice(0, sizes.publicTest));

    const entries: SlideEntry[] = [
      ...trainIds.map((id) => ({ plan: planSlide(seed, id, params, sizes.minSide, sizes.maxSide), split: 'train' as const })),
      ...testIds.map((id) => ({
        plan: planSlide(seed, id, params, sizes.minSide, sizes.maxSide),
        split: 'test' as const,
        usage: publicIds.has(id) ? ('Public' as const) : ('Private' as const),
      })),
    ];
    await mkdir(join(publicDir, 'train'), { recursive: true });
    await mkdir(join(publicDir, 'test'), { recursive: true });
    await mkdir(hiddenDir, { recursive: true });

    const totalRows = entries.reduce((sum, e) => sum + e.plan.height, 0);
    let rowsBefore = 0;
    // While libvips encodes one slide on its threads, JavaScript renders the next.
    let encoding: Promise<void> = Promise.resolve();
    for (const entry of entries) {
      const { plan } = entry;
      ctx.onProgress({ step: `${entry.split} slides`, done: rowsBefore, total: totalRows });
      const { encoded } = await writePyramidalTiff({
        path: join(publicDir, entry.split, `${plan.id}.tiff`),
        width: plan.width,
        height: plan.height,
        render: (y0, rows, out) => renderSlideStrip(plan, y0, rows, out),
        tmpDir: ctx.tmpDir,
        quality: params.jpegQuality,
        maxInMemoryPixels: params.maxInMemoryPixels,
        onStrip: (done) => ctx.onProgress({ step: `${entry.split} slides`, done: rowsBefore + done, total: totalRows }),
      });
      await encoding;
      encoding = encoded;
      // Whole-slide sizes: one libvips pipeline at a time keeps memory flat.
      if (plan.width * plan.height > params.maxInMemoryPixels) await encoding;
      rowsBefore += plan.height;
    }
    await encoding;

    const rle = (plan: SlidePlan) => {
      const runs = slideRuns(plan);
      return runsToRle(runs.starts, runs.lengths);
    };
    const train = entries.filter((e) => e.split === 'train');
    const test = entries.filter((e) => e.split === 'test');
    await writeFile(join(publicDir, 'train.csv'), toCsv(['id', 'encoding'], train.map((e) => [e.plan.id, rle(e.plan)])));
    await writeFile(
      join(publicDir, 'slides.csv'),
      toCsv(
        ['id', 'split', 'width', 'height', 'microns_per_pixel', 'glomeruli'],
        entries.map((e) => [e.plan.id, e.split, e.plan.width, e.plan.height, params.micronsPerPixel, e.split === 'train' ? e.plan.glomeruli.length : '']),
      ),
    );
    await writeFile(join(publicDir, 'sample_submission.csv'), toCsv(['id', 'predicted'], test.map((e) => [e.plan.id, ''])));
    await writeFile(
      join(hiddenDir, 'solution.csv'),
      toCsv(['id', 'height', 'width', 'encoding', 'Usage'], test.map((e) => [e.plan.id, e.plan.height, e.plan.width, rle(e.plan), e.usage!])),
    );
    ctx.onProgress({ step: 'labels', done: totalRows, total: totalRows });
  },
};
