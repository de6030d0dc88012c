// The contracts between the parts of the tiled inference pipeline. Everything here is plain data:
// the competition's `model:` section (libs/competition validates it) is structurally a
// `PipelineConfig`, and a worker passes it through unchanged.

/** Kaggle's two pixel orders: HuBMAP numbers pixels down each column, Sartorius along each row. */
export type PixelOrder = 'column' | 'row';

/** A test-time augmentation; each is undone on the prediction before blending. */
export const TTA_TRANSFORMS = ['identity', 'hflip', 'vflip', 'rot90', 'rot180', 'rot270'] as const;
export type TtaTransform = (typeof TTA_TRANSFORMS)[number];

/** How overlapping patch predictions are merged. */
export const BLEND_MODES = ['center-crop', 'count', 'gaussian'] as const;
export type BlendMode = (typeof BLEND_MODES)[number];

/**
 * One way of looking at the slide: read `window`×`window` slide pixels every `stride` slide pixels,
 * resize each to `size`×`size` model pixels. HuBMAP's 1st place: { window: 1024, size: 320, stride: 512 }.
 */
export interface ViewConfig {
  /** Side of the square read from the image, in image pixels. */
  window: number;
  /** Side of the square fed to the model (the window is resized to it). */
  size: number;
  /** Distance between neighbouring windows, in image pixels (≤ window). */
  stride: number;
}

export interface PipelineConfig {
  /**
   * The model's input: NCHW float32, `channels` (1 = grey, 3 = RGB), pixels scaled to 0..1 then
   * normalised per channel as (x - mean) / std (mean 0 and std 1 = "divide by 255").
   */
  input: { channels: 1 | 3; mean: number[]; std: number[] };
  /**
   * The model's output: NCHW float32 of the input's spatial size, `channels` of them. `logits` get a
   * sigmoid (each channel on its own), `probabilities` are used as they are. Channel 0 is the
   * foreground; instance competitions may add a boundary (1) and a centre (2) channel for the
   * watershed, and with `instances.classes` the last `classes.length` channels are one probability
   * per class (see `structuralChannels`).
   */
  output: { kind: 'logits' | 'probabilities'; channels: number };
  /** One or more views; their probabilities are averaged. */
  views: ViewConfig[];
  blend: BlendMode;
  /** At least one; `identity` is the plain prediction. */
  tta: TtaTransform[];
  /** Foreground where the blended probability is ≥ threshold. */
  threshold: number;
  /**
   * Background windows (mostly white or black) are skipped and predicted empty. `minTissue` is the
   * fraction of a window's low-resolution pixels that must look like tissue; 0 turns the check off.
   */
  tissue: { minTissue: number };
  /**
   * Instance competitions only: how the foreground becomes non-overlapping instances, and the
   * smallest instance kept (pixels). With `classes`, each instance takes the class of highest mean
   * probability over its pixels and is kept when it has at least that class's `minArea` pixels; the
   * model then outputs exactly `output.channels` channels, the class channels last.
   */
  instances?: { method: 'components' | 'watershed'; minArea: number; classes?: InstanceClass[] };
}

/** A class of an instance competition (Sartorius: a cell type), and its smallest instance kept in pixels. */
export interface InstanceClass {
  name: string;
  minArea: number;
}

/**
 * The output channels that are not class probabilities: the foreground and, where the model has
 * them, boundary and centre (1 to 3).
 */
export function structuralChannels(config: Pick<PipelineConfig, 'output' | 'instances'>): number {
  return config.output.channels - (config.instances?.classes?.length ?? 0);
}

/** An image read region by region (a whole-slide TIFF is never held whole). */
export interface ImageSource {
  readonly id: string;
  readonly width: number;
  readonly height: number;
  /**
   * Pixels of the region (which may extend past the image: outside pixels are 0), resized to
   * `size`×`size`, as planar float32 CHW in 0..1 with the pipeline's channel count.
   */
  read(region: Region, size: number, channels: 1 | 3): Promise<Float32Array>;
  /**
   * Optional: the same pixels as `read`, as the 8-bit values they come from, interleaved HWC
   * (`read` is these divided by 255, made planar). The pipeline prefers it: it normalises the bytes
   * straight into the model's input, with no float copy of the patch in between. A source may
   * write the pixels into `into` (the caller's, of the read's length) and return it, and the caller
   * then reuses it: a fresh array's first touch costs more than the copy.
   */
  readBytes?(region: Region, size: number, channels: 1 | 3, into?: Uint8Array): Promise<Uint8Array>;
  /**
   * Optional: a hint that the region will be read at `size` soon. A source that reads in blocks
   * starts reading the blocks the region needs, in the background, so that the read finds them
   * ready. Returns at once and never throws: a failed read fails the later read instead.
   */
  prefetch?(region: Region, size: number, channels: 1 | 3): void;
  /**
   * The fraction of the region that looks like tissue, from a cheap low-resolution look
   * (used to skip background windows). Sources without a cheap look return 1.
   */
  tissueFraction(region: Region): Promise<number>;
  close(): Promise<void>;
}

export interface Region {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * Runs the model on a batch of normalised patches: `input` is N×C×S×S float32, the result is
 * N×K×S×S float32 of probabilities (activation applied, ensemble members averaged).
 */
export interface Predictor {
  readonly outputChannels: number;
  /**
   * Optional: how many `run` calls the predictor works on at once (default 1). The pipeline keeps
   * this many calls in flight, and adds their outputs in the order it made them.
   */
  readonly parallelRuns?: number;
  run(input: Float32Array, batch: number, channels: number, size: number): Promise<Float32Array>;
  /**
   * Optional: a buffer of `length` values for a later run's input, recycled from the inputs of
   * earlier runs where the predictor can (its contents are arbitrary: the caller writes every
   * value). A batch is megabytes; allocating, zeroing and collecting one per call costs the calling
   * thread about as much as filling it.
   */
  inputBuffer?(length: number): Float32Array;
  /**
   * Optional: hands back an output of `run` that the caller is done with (it must not touch it
   * again), for the predictor to write a later output into. Outputs are megabytes a call, and a
   * fresh one each time makes the calling thread's collector run for them.
   */
  releaseOutput?(output: Float32Array): void;
  close(): Promise<void>;
}

/** Progress of one image: windows done out of all windows (over every view and TTA pass). */
export interface Progress {
  imageId: string;
  imageIndex: number;
  images: number;
  done: number;
  total: number;
}
