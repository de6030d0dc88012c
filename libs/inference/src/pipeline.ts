import { LineAccumulator, normalisedAxisWeights } from './blend.js';
import { extractInstances } from './instances.js';
import { RleStreamEncoder } from './rle-stream.js';
import { planAxis, planWindows, validateView, type AxisPlan, type PlannedWindow } from './tiling.js';
import { PredictorError } from './session.js';
import { addUndone, applyTta, type PlaneRect } from './tta.js';
import {
  BLEND_MODES,
  structuralChannels,
  TTA_TRANSFORMS,
  type ImageSource,
  type PipelineConfig,
  type PixelOrder,
  type Predictor,
  type Progress,
  type ViewConfig,
} from './types.js';

/** Model inputs per predictor call unless told otherwise. */
export const DEFAULT_BATCH_SIZE = 8;

/** Calls' worth of windows after the one being prepared whose reads the source is told of in advance. */
const PREFETCH_CALLS = 3;

export interface PredictOptions {
  source: ImageSource;
  predictor: Predictor;
  config: PipelineConfig;
  /** The competition's RLE pixel order. */
  order: PixelOrder;
  /**
   * Model inputs in flight at once (default 8), shared among the predictor's parallel runs. A call
   * holds every TTA pass of its windows, so it holds floor(batchSize / (passes × parallelRuns))
   * windows, and at least one: two runs at once of half the batch hold about the model memory of
   * one run of the whole batch.
   */
  batchSize?: number;
  /** Called after each predictor call (and after runs of skipped windows). */
  onProgress?: (progress: Progress) => void;
  /** Checked between predictor calls; an aborted run rejects with `signal.reason`. */
  signal?: AbortSignal;
  /** Position of this image in its test set, for progress reports (default 0 of 1). */
  imageIndex?: number;
  images?: number;
}

/** One view's windows and blend weights over an image. */
export interface ViewPlan {
  view: ViewConfig;
  xs: AxisPlan;
  ys: AxisPlan;
  /** Normalised blend weights of each window column (`weightsX[ix]`) and row (`weightsY[iy]`). */
  weightsX: Float32Array[];
  weightsY: Float32Array[];
}

/** A window of one view, with its position along the RLE order's major axis. */
export interface PlanEntry {
  view: number;
  window: PlannedWindow;
  major: number;
}

/**
 * How an image is processed: the windows of every view in processing order (along the RLE
 * order's major axis: left to right for `column`, top to bottom for `row`), and the size of the
 * band of lines the accumulator holds.
 */
export interface InferencePlan {
  width: number;
  height: number;
  order: PixelOrder;
  views: ViewPlan[];
  windows: PlanEntry[];
  /** Lines along the major axis (image width for `column` order) and pixels per line. */
  lineCount: number;
  lineLength: number;
  /** Lines the accumulator holds at once: the largest window, or the whole image if smaller. */
  bandLines: number;
  /** Float32 values of the accumulator of `predictMask`: bandLines × lineLength. */
  accumulatorValues: number;
}

/**
 * Throws an Error naming the first problem of a pipeline configuration that cannot run (libs/
 * competition validates the same shape for authors; this guards the worker's side).
 */
export function checkPipelineConfig(config: PipelineConfig): void {
  const { input, views, tta, threshold, tissue, blend } = config;
  if (input.channels !== 1 && input.channels !== 3) throw new Error(`input channels must be 1 or 3, got ${input.channels}`);
  if (input.mean.length !== input.channels || input.std.length !== input.channels) {
    throw new Error(`input mean and std need ${input.channels} values each, got ${input.mean.length} and ${input.std.length}`);
  }
  if (input.std.some((s) => !Number.isFinite(s) || s === 0) || input.mean.some((m) => !Number.isFinite(m))) {
    throw new Error('input mean must be finite and std finite and non-zero');
  }
  if (!Number.isSafeInteger(config.output.channels) || config.output.channels < 1) {
    throw new Error(`output channels must be a positive integer, got ${config.output.channels}`);
  }
  if (views.length === 0) throw new Error('at least one view is needed');
  views.forEach(validateView);
  if (tta.length === 0) throw new Error('at least one TTA transform is needed (identity is the plain prediction)');
  for (const t of tta) if (!TTA_TRANSFORMS.includes(t)) throw new Error(`unknown TTA transform "${t}"`);
  if (!BLEND_MODES.includes(blend)) throw new Error(`unknown blend mode "${blend}"`);
  if (!Number.isFinite(threshold)) throw new Error(`threshold must be a number, got ${threshold}`);
  if (!(tissue.minTissue >= 0 && tissue.minTissue <= 1)) throw new Error(`minTissue must be within 0..1, got ${tissue.minTissue}`);
  const { instances } = config;
  if (instances && instances.method !== 'components' && instances.method !== 'watershed') {
    throw new Error(`unknown instance method "${instances.method}"`);
  }
  if (instances && !(Number.isSafeInteger(instances.minArea) && instances.minArea >= 0)) {
    throw new Error(`instances minArea must be a non-negative integer, got ${instances.minArea}`);
  }
  const classes = instances?.classes;
  if (classes) {
    if (classes.length === 0) throw new Error('instances classes, when given, name at least one class');
    const names = new Set<string>();
    for (const c of classes) {
      if (!c.name || names.has(c.name)) throw new Error(`instances classes need distinct non-empty names, got "${c.name}" twice or empty`);
      names.add(c.name);
      if (!(Number.isSafeInteger(c.minArea) && c.minArea >= 0)) throw new Error(`class "${c.name}" minArea must be a non-negative integer, got ${c.minArea}`);
    }
    const structural = structuralChannels(config);
    if (structural < 1 || structural > 3) {
      throw new Error(`output channels (${config.output.channels}) must be 1 to 3 (foreground, boundary, centre) plus one per class (${classes.length})`);
    }
  }
}

/** Plans the windows of every view of `config` over a `width`×`height` image (see `InferencePlan`). */
export function planInference(width: number, height: number, config: PipelineConfig, order: PixelOrder): InferencePlan {
  checkPipelineConfig(config);
  const views = config.views.map((view): ViewPlan => {
    const xs = planAxis(width, view.window, view.stride);
    const ys = planAxis(height, view.window, view.stride);
    return { view, xs, ys, weightsX: normalisedAxisWeights(config.blend, xs), weightsY: normalisedAxisWeights(config.blend, ys) };
  });
  const windows: PlanEntry[] = [];
  views.forEach((plan, v) => {
    for (const window of planWindows(width, height, plan.view)) {
      windows.push({ view: v, window, major: order === 'column' ? window.x : window.y });
    }
  });
  // By major position, then view, then minor position: each band of a view stays together, so a
  // batch (one view) breaks only where a band ends.
  const minor = (e: PlanEntry) => (order === 'column' ? e.window.y : e.window.x);
  windows.sort((a, b) => a.major - b.major || a.view - b.view || minor(a) - minor(b));
  const [lineCount, lineLength] = order === 'column' ? [width, height] : [height, width];
  const bandLines = Math.min(lineCount, Math.max(...config.views.map((v) => v.window)));
  return { width, height, order, views, windows, lineCount, lineLength, bandLines, accumulatorValues: bandLines * lineLength };
}

/**
 * Predicts the binary mask of a semantic-segmentation image and returns its RLE in `order`.
 *
 * Memory is bounded by a band of the image, not the image: windows are processed along the RLE
 * order's major axis, and each line (a column for `column` order) is thresholded, streamed to the
 * encoder and dropped as soon as no later window of any view touches it (`planInference` reports
 * the band's size).
 *
 * Per window: read at the view's size, normalise, run every TTA pass batched through
 * `predictor.run`, undo each pass, average the passes, resize back to the window (bilinear, as
 * `resizeBilinear`) and add with the blend weights. Views are averaged with equal weight;
 * foreground is where the average is ≥ `config.threshold`.
 *
 * A window with less tissue than `config.tissue.minTissue` is not read or run: it counts as a
 * prediction of 0 with its usual blend weight, so it pulls down its neighbours' overlap the way a
 * model that saw only background would.
 */
export async function predictMask(options: PredictOptions): Promise<string> {
  const { source, config, order } = options;
  const plan = planInference(source.width, source.height, config, order);
  const acc = new LineAccumulator(order, source.width, source.height, plan.bandLines, 1);
  const encoder = new RleStreamEncoder(plan.lineLength, plan.lineCount);
  const finalise = (end: number) => {
    // A band at a time: past a stretch of skipped background wider than the band, lines no window
    // wrote come into the ring as they are released (empty), rather than being read outside it.
    while (acc.firstOpenLine < end) {
      const stop = Math.min(end, acc.firstOpenLine + plan.bandLines);
      for (let line = acc.firstOpenLine; line < stop; line++) encoder.pushEdges(acc.thresholdEdges(line, config.threshold));
      acc.releaseUpTo(stop);
    }
  };
  try {
    await runWindows(options, plan, acc, 1, finalise);
    finalise(plan.lineCount);
  } finally {
    acc.dispose();
  }
  return encoder.finish();
}

/**
 * Predicts the instances of an instance-segmentation image (small images: the whole image's
 * probabilities are held) and returns one RLE per instance in `order`. Channel 0 of the model is
 * the foreground; channels 1 (boundary) and 2 (centre), when the model has them, feed
 * `config.instances` (see `labelInstances`; by default connected components, minArea 1). With
 * `instances.classes`, the model's last channels are class probabilities, averaged over each
 * instance to choose its class and so its minimum area; the model must then give every channel.
 */
export async function predictInstances(options: PredictOptions): Promise<string[]> {
  const { source, config, order, predictor } = options;
  const { width, height } = source;
  const plan = planInference(width, height, config, order);
  const classes = config.instances?.classes ?? [];
  if (classes.length > 0 && predictor.outputChannels !== config.output.channels) {
    throw new PredictorError(
      'MODEL_OUTPUT_SHAPE',
      `the model has ${predictor.outputChannels} output channels; this pipeline reads ${config.output.channels} (${structuralChannels(config)} for the instances, then one per class: ${classes.map((c) => c.name).join(', ')})`,
    );
  }
  // The channels the model gives (without classes, an instance model may have fewer than the pipeline reads).
  const structural = classes.length > 0 ? structuralChannels(config) : Math.min(3, predictor.outputChannels, config.output.channels);
  const channels = structural + classes.length;
  // Rows of the whole image: the ring then is the row-major image and nothing is ever released.
  const acc = new LineAccumulator('row', width, height, height, channels);
  const planeOf = (channel: number) => {
    const plane = new Float32Array(width * height);
    for (let y = 0; y < height; y++) plane.set(acc.line(y, channel), y * width);
    return plane;
  };
  const method = config.instances ?? { method: 'components', minArea: 1 };
  try {
    await runWindows(options, plan, acc, channels, () => undefined);
    return extractInstances(
      {
        width,
        height,
        foreground: planeOf(0),
        boundary: structural > 1 ? planeOf(1) : undefined,
        centre: structural > 2 ? planeOf(2) : undefined,
        threshold: config.threshold,
        method: method.method,
        minArea: method.minArea,
        ...(classes.length > 0 ? { classes: { probabilities: classes.map((_, k) => planeOf(structural + k)), minArea: classes.map((c) => c.minArea) } } : {}),
      },
      order,
    );
  } finally {
    acc.dispose();
  }
}

/** A predictor call's worth of windows, read and turned into model input. */
interface Batch {
  view: number;
  entries: PlanEntry[];
  /** Model input: entries × passes patches, in a buffer of its own (see `runWindows`). */
  input: Float32Array;
  /** Windows this batch accounts for, skipped ones included. */
  consumed: number;
  /** Index in the plan's window list after this batch's last window. */
  end: number;
}

/**
 * Runs every window of the plan through the model and adds it to `acc`, calling `finalise(line)`
 * whenever no later window touches lines before `line`.
 *
 * Three stages overlap: while the model runs batch k+1 (and up to `predictor.parallelRuns` − 1
 * batches after it), the main thread blends batch k, and the image reads of the next batch proceed
 * in libvips's threads. Each batch's input is a fresh buffer that the pipeline never touches again,
 * so a predictor may take it over (the onnxruntime predictor's `transferInput`) instead of copying it.
 */
async function runWindows(
  options: PredictOptions,
  plan: InferencePlan,
  acc: LineAccumulator,
  channels: number,
  finalise: (end: number) => void,
): Promise<void> {
  const { source, predictor, config, signal } = options;
  // Channel 0 is the foreground; the pipeline reads up to `output.channels`, a model may give fewer.
  const modelChannels = predictor.outputChannels;
  if (!Number.isSafeInteger(modelChannels) || modelChannels < 1 || modelChannels > config.output.channels) {
    // The model's fault (a symbolic channel count passes the upload check): charged like a wrong shape.
    throw new PredictorError('MODEL_OUTPUT_SHAPE', `the model has ${modelChannels} output channels; this pipeline reads 1 to ${config.output.channels}`);
  }
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new Error(`batch size must be a positive integer, got ${batchSize}`);
  const passes = config.tta.length;
  // Calls in flight at once: as many as the predictor runs at once.
  const depth = Math.max(1, Math.floor(predictor.parallelRuns ?? 1));
  const perCall = Math.max(1, Math.floor(batchSize / (passes * depth)));
  const inputChannels = config.input.channels;
  const scales = config.input.std.map((s) => 1 / s);
  const offsets = config.input.mean.map((m, c) => -m * scales[c]!);
  // Each channel's normalised value of each byte, exactly as a read's float (byte / 255, rounded to
  // float32) would be normalised: the byte path and the float path give the same input, bit for bit.
  const byteLuts = scales.map((scale, c) => Float32Array.from({ length: 256 }, (_, v) => Math.fround(v / 255) * scale + offsets[c]!));
  const identityPass = config.tta.indexOf('identity');
  let scratchInput: Float32Array | undefined;
  // Arrays lent to byte reads, back from them (at most a call's windows are read at once).
  const spareBytes: Uint8Array[] = [];
  const takeBytes = (length: number) => {
    const spare = spareBytes.pop();
    return spare?.length === length ? spare : new Uint8Array(length);
  };
  const total = plan.windows.length * passes;
  const windowScale = 1 / (passes * plan.views.length);
  const scratch = plan.views.map((v) => new ViewScratch(v.view, channels));
  // The passes are summed straight into the accumulator's line layout (transposed for column lines).
  const lineMajor = acc.orientation === 'column';
  const majorOf = (index: number) => (index < plan.windows.length ? plan.windows[index]!.major : plan.lineCount);
  let next = 0;
  let done = 0;
  // Windows before this one have been handed to `source.prefetch` (or found to be background).
  let hinted = 0;
  // Tissue fractions asked for ahead of the window's batch, by plan index (each asked for once).
  const fractions = new Map<number, Promise<number>>();
  const tissueOf = (index: number): Promise<number> => {
    const asked = fractions.get(index);
    if (asked) {
      fractions.delete(index);
      return asked;
    }
    return source.tissueFraction(plan.windows[index]!.window);
  };
  const skipped = async (index: number) => config.tissue.minTissue > 0 && (await tissueOf(index)) < config.tissue.minTissue;

  /**
   * Tells the source which windows the next few calls will read, so that a source reading in
   * blocks reads a new block while the model runs, rather than the model waiting for it (a block
   * can take longer to read than a call takes to run). Background windows are left out.
   */
  const hint = async () => {
    hinted = Math.max(hinted, next);
    const end = Math.min(plan.windows.length, next + PREFETCH_CALLS * perCall);
    for (; hinted < end; hinted++) {
      const { window, view } = plan.windows[hinted]!;
      if (config.tissue.minTissue > 0) {
        const fraction = source.tissueFraction(window);
        fractions.set(hinted, fraction);
        if ((await fraction) < config.tissue.minTissue) continue;
      }
      source.prefetch!(window, plan.views[view]!.view.size, inputChannels);
    }
  };

  const prepare = async (): Promise<Batch | null> => {
    if (next >= plan.windows.length) return null;
    const start = next;
    const view = plan.windows[start]!.view;
    const entries: PlanEntry[] = [];
    // Gather windows of one view until the call is full, leaving out background windows.
    while (entries.length < perCall && next < plan.windows.length && plan.windows[next]!.view === view) {
      const candidates: number[] = [];
      while (candidates.length < perCall - entries.length && next < plan.windows.length && plan.windows[next]!.view === view) {
        candidates.push(next++);
      }
      const background = await Promise.all(candidates.map(skipped));
      candidates.forEach((index, k) => background[k] || entries.push(plan.windows[index]!));
    }
    const { size } = plan.views[view]!.view;
    const plane = size * size;
    const patch = inputChannels * plane;
    const input = predictor.inputBuffer?.(entries.length * passes * patch) ?? new Float32Array(entries.length * passes * patch);
    // This call's reads first, then the hints for later calls' (which must not queue ahead of them).
    // Byte reads are lent an array of the pipeline's to copy into: a fresh one per window cost more
    // in first touches of its pages than the copy.
    const lent = source.readBytes ? entries.map(() => takeBytes(patch)) : [];
    const reading = Promise.all(
      entries.map((e, w) => (source.readBytes ? source.readBytes(e.window, size, inputChannels, lent[w]) : source.read(e.window, size, inputChannels))),
    );
    reading.catch(() => undefined); // awaited below, after the hints
    if (source.prefetch) await hint();
    const pixels = await reading;
    pixels.forEach((x, w) => {
      if (x.length !== patch) throw new Error(`image ${source.id}: a read returned ${x.length} values, expected ${inputChannels}x${size}x${size}`);
      // Normalised straight into the identity pass's slot (the other passes are copied from it),
      // or into scratch when no pass is the identity.
      const normalised = identityPass >= 0 ? input.subarray((w * passes + identityPass) * patch, (w * passes + identityPass + 1) * patch) : (scratchInput ??= new Float32Array(patch));
      if (x instanceof Uint8Array) normaliseBytes(x, normalised, byteLuts, inputChannels, plane);
      else {
        for (let c = 0; c < inputChannels; c++) {
          const scale = scales[c]!;
          const offset = offsets[c]!;
          for (let i = c * plane, end = i + plane; i < end; i++) normalised[i] = x[i]! * scale + offset;
        }
      }
      config.tta.forEach((t, k) => k !== identityPass && applyTta(t, normalised, inputChannels, size, input.subarray((w * passes + k) * patch)));
    });
    // Lent arrays are the pipeline's again, written into or not; a source's own are left as they are
    // (a source may hand out cached pixels).
    spareBytes.push(...lent);
    return { view, entries, input, consumed: next - start, end: next };
  };

  const run = (batch: Batch | null): Promise<Float32Array> | null => {
    if (!batch || batch.entries.length === 0) return null;
    const { size } = plan.views[batch.view]!.view;
    return predictor.run(batch.input, batch.entries.length * passes, inputChannels, size);
  };

  const blend = (batch: Batch, output: Float32Array | null) => {
    if (output) {
      const { size } = plan.views[batch.view]!.view;
      const expected = batch.entries.length * passes * modelChannels * size * size;
      if (output.length !== expected) {
        throw new Error(`the model returned ${output.length} values for ${batch.entries.length * passes} patches, expected ${expected}`);
      }
      batch.entries.forEach((entry, w) => {
        // Every window before this one in the plan is in: lines before it are final.
        finalise(entry.major);
        const viewPlan = plan.views[entry.view]!;
        const { window } = entry;
        const [weightsX, weightsY] = [viewPlan.weightsX[window.ix]!, viewPlan.weightsY[window.iy]!];
        // Only the part of the planes the blend reads is summed (centre-crop keeps about a quarter).
        const rect = acc.modelRect(window, viewPlan.view.size, weightsX, weightsY);
        if (!rect) return;
        const probabilities = scratch[entry.view]!.sumPasses(output, w, config.tta, modelChannels, lineMajor, rect);
        acc.add(window, probabilities, viewPlan.view.size, weightsX, weightsY, windowScale, 'line-major');
      });
    }
    if (output) predictor.releaseOutput?.(output);
    finalise(majorOf(batch.end));
    done += batch.consumed * passes;
    options.onProgress?.({ imageId: source.id, imageIndex: options.imageIndex ?? 0, images: options.images ?? 1, done, total });
  };

  signal?.throwIfAborted();
  // In flight at any time: the model on the batches of `inFlight` (`depth` of them), the reads of
  // `pending`. Outputs are blended in the order the batches were made.
  const inFlight: { batch: Batch; output: Promise<Float32Array> | null }[] = [];
  // A call or a read may fail while the loop awaits another: each is marked handled when made, and
  // its failure surfaces where it is awaited, not as an unhandled rejection in the meantime.
  const handled = <T>(promise: Promise<T>): Promise<T> => {
    promise.catch(() => undefined);
    return promise;
  };
  let pending: Promise<Batch | null> | null = handled(prepare());
  /** Hands prepared batches to the model until it holds `depth` (a batch of background windows holds none). */
  const fill = async () => {
    while (pending && inFlight.filter((b) => b.output).length < depth) {
      const batch = await pending;
      signal?.throwIfAborted();
      if (!batch) {
        pending = null;
        break;
      }
      pending = handled(prepare());
      const output = run(batch);
      inFlight.push({ batch, output: output && handled(output) });
    }
  };
  await fill();
  for (let head = inFlight.shift(); head; head = inFlight.shift()) {
    const output = head.output ? await head.output : null;
    signal?.throwIfAborted();
    // The next batch goes to the model before this one is blended: it never waits on the blend.
    await fill();
    blend(head.batch, output);
    signal?.throwIfAborted();
  }
}

/** Interleaved HWC bytes (1 or 3 channels) → planar CHW normalised float32 through each channel's table. */
function normaliseBytes(bytes: Uint8Array, out: Float32Array, luts: Float32Array[], channels: 1 | 3, plane: number): void {
  if (channels === 1) {
    const lut = luts[0]!;
    for (let p = 0; p < plane; p++) out[p] = lut[bytes[p]!]!;
    return;
  }
  // One pass over the pixels, each channel to its plane: about 30 % faster than a pass a channel.
  const [lut0, lut1, lut2] = luts as [Float32Array, Float32Array, Float32Array];
  for (let p = 0, i = 0; p < plane; p++, i += 3) {
    out[p] = lut0[bytes[i]!]!;
    out[plane + p] = lut1[bytes[i + 1]!]!;
    out[2 * plane + p] = lut2[bytes[i + 2]!]!;
  }
}

/** Per-view buffers for turning a window's TTA outputs into one probability map. */
class ViewScratch {
  private readonly sum: Float32Array;

  constructor(
    private readonly view: ViewConfig,
    private readonly channels: number,
  ) {
    this.sum = new Float32Array(channels * view.size * view.size);
  }

  /**
   * The sum over TTA passes (each undone) of the first `channels` output channels of window `w` of
   * a batch, at model resolution: the accumulator resizes it to the window while adding, and the
   * caller divides by the number of passes. Summing before resizing is exact: resizing is linear.
   * With `transposed`, each plane of the sum is column-major. With `rect`, only its pixels are
   * summed (the rest of each plane is 0).
   */
  sumPasses(output: Float32Array, w: number, tta: PipelineConfig['tta'], outputChannels: number, transposed: boolean, rect?: PlaneRect): Float32Array {
    const { size } = this.view;
    const plane = size * size;
    const passes = tta.length;
    const sum = this.sum;
    sum.fill(0);
    for (let k = 0; k < passes; k++) {
      const transform = tta[k]!;
      for (let c = 0; c < this.channels; c++) {
        const from = ((w * passes + k) * outputChannels + c) * plane;
        addUndone(transform, output.subarray(from, from + plane), size, sum, c * plane, transposed, rect);
      }
    }
    return sum;
  }
}
