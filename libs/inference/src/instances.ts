import type { PixelOrder } from './types.js';

/** Per-pixel probabilities of a whole image (row-major `width`×`height`) and how to split them. */
export interface InstanceMaps {
  width: number;
  height: number;
  /** Channel 0 of the model: foreground probability. */
  foreground: Float32Array;
  /** Channel 1, when the model has it: probability of lying on a boundary between touching instances. */
  boundary?: Float32Array;
  /** Channel 2, when the model has it: probability of lying near an instance's centre. */
  centre?: Float32Array;
  /** A pixel is foreground (boundary, centre) where its probability is ≥ threshold. */
  threshold: number;
  /**
   * - `components`: 8-connected components of foreground minus boundary;
   * - `watershed`: seeds (components of the centre channel, or of the eroded foreground minus
   *   boundary without one) grown over the whole foreground, most confident pixels first.
   */
  method: 'components' | 'watershed';
  /** Instances with fewer pixels are dropped (with `classes`: the minimum of each class instead). */
  minArea: number;
  /**
   * Instance competitions with classes: one probability plane per class (the model's channels after
   * foreground, boundary and centre) and the smallest instance kept of each. An instance's class is
   * the one of highest mean probability over its pixels (the first on a tie), and it is dropped when
   * smaller than that class's `minArea`.
   */
  classes?: { probabilities: Float32Array[]; minArea: number[] };
}

/** A label image: 0 is background, instances are 1..count, row-major. */
export interface Labels {
  labels: Int32Array;
  count: number;
  /** With classes: the class index of each instance (`classOf[label]`, entry 0 unused). */
  classOf?: Int32Array;
}

/**
 * Splits the foreground into non-overlapping instances and labels them (see `InstanceMaps` for
 * the methods). Under `watershed`, a foreground component that holds no seed becomes an instance
 * of its own rather than being lost. Instances smaller than `minArea` (with classes: their
 * class's) are dropped; the rest are numbered in raster order of their first seed.
 */
export function labelInstances(maps: InstanceMaps): Labels {
  const { width, height, foreground, boundary, centre, threshold } = maps;
  const n = width * height;
  for (const [name, plane] of [
    ['foreground', foreground],
    ['boundary', boundary],
    ['centre', centre],
    ...(maps.classes?.probabilities.map((p, k) => [`class ${k}`, p] as const) ?? []),
  ] as const) {
    if (plane && plane.length !== n) throw new RangeError(`${name} has ${plane.length} pixels, expected ${width}x${height}`);
  }
  if (maps.classes && (maps.classes.probabilities.length === 0 || maps.classes.probabilities.length !== maps.classes.minArea.length)) {
    throw new RangeError(`classes: ${maps.classes.probabilities.length} probability planes for ${maps.classes.minArea.length} minimum areas`);
  }
  // Foreground with the boundaries between instances cut out.
  const cut = new Uint8Array(n);
  for (let i = 0; i < n; i++) cut[i] = foreground[i]! >= threshold && !(boundary && boundary[i]! >= threshold) ? 1 : 0;

  let labelled: Labels;
  if (maps.method === 'components') {
    labelled = components(cut, width, height);
  } else {
    const grow = new Uint8Array(n);
    for (let i = 0; i < n; i++) grow[i] = foreground[i]! >= threshold ? 1 : 0;
    let seeds: Uint8Array;
    if (centre) {
      seeds = new Uint8Array(n);
      for (let i = 0; i < n; i++) seeds[i] = centre[i]! >= threshold && grow[i] ? 1 : 0;
    } else {
      seeds = erode(cut, width, height);
    }
    labelled = components(seeds, width, height);
    flood(labelled, grow, foreground, width, height);
  }
  if (!maps.classes) {
    const { labels, count } = dropSmall(labelled, () => maps.minArea);
    return { labels, count };
  }
  const classOf = classify(labelled, maps.classes.probabilities);
  const { minArea } = maps.classes;
  const kept = dropSmall(labelled, (label) => minArea[classOf[label]!]!);
  // Renumbered in the same order: the kept labels' classes, shifted down.
  const keptClassOf = new Int32Array(kept.count + 1);
  for (let label = 1, next = 1; label < classOf.length; label++) if (kept.renumber[label]) keptClassOf[next++] = classOf[label]!;
  return { labels: kept.labels, count: kept.count, classOf: keptClassOf };
}

/** Each label's class: the plane of highest mean (equivalently, sum) over the label's pixels; the first on a tie. */
function classify({ labels, count }: Labels, planes: Float32Array[]): Int32Array {
  const sums = planes.map(() => new Float64Array(count + 1));
  for (let p = 0; p < labels.length; p++) {
    const label = labels[p]!;
    if (label) for (let k = 0; k < planes.length; k++) sums[k]![label]! += planes[k]![p]!;
  }
  const classOf = new Int32Array(count + 1);
  for (let label = 1; label <= count; label++) {
    let best = 0;
    for (let k = 1; k < planes.length; k++) if (sums[k]![label]! > sums[best]![label]!) best = k;
    classOf[label] = best;
  }
  return classOf;
}

/**
 * The RLE of each instance of a label image in the given pixel order, in label order. One pass
 * over the image, whatever the number of instances.
 */
export function instancesToRle({ labels, count }: Labels, width: number, height: number, order: PixelOrder): string[] {
  const starts: number[][] = Array.from({ length: count + 1 }, () => []);
  const lengths: number[][] = Array.from({ length: count + 1 }, () => []);
  const [lineCount, lineLength] = order === 'column' ? [width, height] : [height, width];
  const [lineStep, pixelStep] = order === 'column' ? [1, width] : [width, 1];
  let current = 0;
  let runStart = 0;
  let pixel = 0;
  for (let line = 0; line < lineCount; line++) {
    let at = line * lineStep;
    for (let k = 0; k < lineLength; k++, pixel++, at += pixelStep) {
      const label = labels[at]!;
      if (label === current) continue;
      if (current > 0) {
        starts[current]!.push(runStart + 1);
        lengths[current]!.push(pixel - runStart);
      }
      current = label;
      runStart = pixel;
    }
  }
  if (current > 0) {
    starts[current]!.push(runStart + 1);
    lengths[current]!.push(pixel - runStart);
  }
  const rles: string[] = [];
  for (let label = 1; label <= count; label++) rles.push(pairs(starts[label]!, lengths[label]!));
  return rles;
}

/** `start length start length …`, the competition file's RLE. */
function pairs(starts: number[], lengths: number[]): string {
  const parts: string[] = new Array(starts.length * 2);
  for (let i = 0; i < starts.length; i++) {
    parts[2 * i] = String(starts[i]);
    parts[2 * i + 1] = String(lengths[i]);
  }
  return parts.join(' ');
}

/** Labels the instances of `maps` and returns one RLE per instance in `order` (see `labelInstances`). */
export function extractInstances(maps: InstanceMaps, order: PixelOrder): string[] {
  return instancesToRle(labelInstances(maps), maps.width, maps.height, order);
}

/** 8-connected components of a 0/1 mask, numbered in raster order. */
function components(mask: Uint8Array, width: number, height: number): Labels {
  const labels = new Int32Array(mask.length);
  const queue = new Int32Array(mask.length);
  let count = 0;
  for (let start = 0; start < mask.length; start++) {
    if (!mask[start] || labels[start]) continue;
    const label = ++count;
    labels[start] = label;
    let head = 0;
    let tail = 0;
    queue[tail++] = start;
    while (head < tail) {
      const p = queue[head++]!;
      const px = p % width;
      const py = (p - px) / width;
      for (let y = Math.max(0, py - 1); y <= Math.min(height - 1, py + 1); y++) {
        for (let x = Math.max(0, px - 1); x <= Math.min(width - 1, px + 1); x++) {
          const q = y * width + x;
          if (mask[q] && !labels[q]) {
            labels[q] = label;
            queue[tail++] = q;
          }
        }
      }
    }
  }
  return { labels, count };
}

/** 3×3 erosion; neighbours outside the image are ignored, so the border does not erode. */
function erode(mask: Uint8Array, width: number, height: number): Uint8Array {
  const out = new Uint8Array(mask.length);
  for (let py = 0; py < height; py++) {
    for (let px = 0; px < width; px++) {
      if (!mask[py * width + px]) continue;
      let keep = 1;
      for (let y = Math.max(0, py - 1); y <= Math.min(height - 1, py + 1) && keep; y++) {
        for (let x = Math.max(0, px - 1); x <= Math.min(width - 1, px + 1); x++) {
          if (!mask[y * width + x]) {
            keep = 0;
            break;
          }
        }
      }
      out[py * width + px] = keep;
    }
  }
  return out;
}

/**
 * Seeded watershed by priority flooding: from the seeds, the unlabelled foreground neighbour of the
 * most confident labelled pixel is labelled next (ties first come, first served), so a pixel goes
 * to the first basin that reaches it. Foreground components without a seed are labelled as new
 * instances afterwards.
 */
function flood(seeds: Labels, grow: Uint8Array, priority: Float32Array, width: number, height: number): void {
  const { labels } = seeds;
  const heap = new PixelHeap(priority, labels.length);
  for (let p = 0; p < labels.length; p++) if (labels[p]) heap.push(p);
  while (heap.size > 0) {
    const p = heap.pop();
    const label = labels[p]!;
    const px = p % width;
    const py = (p - px) / width;
    for (let y = Math.max(0, py - 1); y <= Math.min(height - 1, py + 1); y++) {
      for (let x = Math.max(0, px - 1); x <= Math.min(width - 1, px + 1); x++) {
        const q = y * width + x;
        if (grow[q] && !labels[q]) {
          labels[q] = label;
          heap.push(q);
        }
      }
    }
  }
  const rest = new Uint8Array(labels.length);
  for (let p = 0; p < labels.length; p++) rest[p] = grow[p] && !labels[p] ? 1 : 0;
  const orphans = components(rest, width, height);
  for (let p = 0; p < labels.length; p++) if (orphans.labels[p]) labels[p] = seeds.count + orphans.labels[p]!;
  seeds.count += orphans.count;
}

/** Drops instances under their `minArea(label)` pixels and renumbers the rest 1..count in their order (`renumber[old]`, 0 when dropped). */
function dropSmall({ labels, count }: Labels, minArea: (label: number) => number): Labels & { renumber: Int32Array } {
  const area = new Int32Array(count + 1);
  for (let p = 0; p < labels.length; p++) area[labels[p]!]!++;
  const renumber = new Int32Array(count + 1);
  let kept = 0;
  for (let label = 1; label <= count; label++) if (area[label]! >= minArea(label) && area[label]! > 0) renumber[label] = ++kept;
  for (let p = 0; p < labels.length; p++) labels[p] = renumber[labels[p]!]!;
  return { labels, count: kept, renumber };
}

/**
 * A binary max-heap of pixel indices keyed by `priority[pixel]`, ties broken by push order. Each
 * pixel is pushed at most once, so the arrays are sized to the image.
 */
class PixelHeap {
  size = 0;
  private readonly items: Int32Array;
  private readonly order: Float64Array;
  private pushed = 0;

  constructor(
    private readonly priority: Float32Array,
    capacity: number,
  ) {
    this.items = new Int32Array(capacity);
    this.order = new Float64Array(capacity);
  }

  push(pixel: number): void {
    this.order[pixel] = this.pushed++;
    let i = this.size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(pixel, this.items[parent]!)) break;
      this.items[i] = this.items[parent]!;
      i = parent;
    }
    this.items[i] = pixel;
  }

  pop(): number {
    const top = this.items[0]!;
    const last = this.items[--this.size]!;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= this.size) break;
      const right = left + 1;
      const child = right < this.size && this.before(this.items[right]!, this.items[left]!) ? right : left;
      if (!this.before(this.items[child]!, last)) break;
      this.items[i] = this.items[child]!;
      i = child;
    }
    this.items[i] = last;
    return top;
  }

  private before(a: number, b: number): boolean {
    const pa = this.priority[a]!;
    const pb = this.priority[b]!;
    return pa > pb || (pa === pb && this.order[a]! < this.order[b]!);
  }
}
