import { z } from 'zod';
import { parseByteSize, parseDuration, parseTimePoint, type TimePoint } from './units.js';

// competition.yaml, schema version 1. Input keys are camelCase and objects are strict, so a typo
// ("rle_order") is reported by name instead of being ignored. Human units are parsed here:
// the validated config carries seconds and bytes.

export const METRIC_NAMES = ['dice', 'instance-map'] as const;
export type MetricName = (typeof METRIC_NAMES)[number];
export const RLE_ORDERS = ['column', 'row'] as const;
export type RleOrder = (typeof RLE_ORDERS)[number];
export const SUBMISSION_KINDS = ['file', 'kernel', 'model'] as const;
export type SubmissionKind = (typeof SUBMISSION_KINDS)[number];
export const DATA_SCALES = ['demo', 'full'] as const;
/** `demo`: small enough to build at start-up; `full`: the sizes of the real competition. */
export type DataScale = (typeof DATA_SCALES)[number];

/** Kaggle's thresholds for instance mAP: 0.50, 0.55, …, 0.95. */
export const DEFAULT_IOU_THRESHOLDS: readonly number[] = Array.from({ length: 10 }, (_, i) => Number((0.5 + i * 0.05).toFixed(2)));

const slug = z
  .string({ error: 'expected a slug' })
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, { error: 'expected lowercase letters, digits and single dashes (e.g. "my-cells")' });

const nonEmpty = z.string({ error: 'expected text' }).trim().min(1, { error: 'must not be empty' });
const positiveInt = z.number({ error: 'expected a whole number' }).int({ error: 'expected a whole number' }).positive({ error: 'must be at least 1' });
const nonNegativeInt = z.number({ error: 'expected a whole number' }).int({ error: 'expected a whole number' }).min(0, { error: 'must not be negative' });
const fraction = z.number({ error: 'expected a number' }).gt(0, { error: 'must be above 0' }).lt(1, { error: 'must be below 1' });

const duration = z.string({ error: 'expected a duration like "9h" or "1h30m"' }).transform((text, ctx) => {
  const seconds = parseDuration(text);
  if (seconds === null) {
    ctx.addIssue({ code: 'custom', message: `expected a duration like "9h", "1h30m" or "90s", got "${text}"` });
    return z.NEVER;
  }
  return seconds;
});

const byteSize = z.union([z.string(), z.number()], { error: 'expected a size like "16g"' }).transform((text, ctx) => {
  const bytes = parseByteSize(text);
  if (bytes === null) {
    ctx.addIssue({ code: 'custom', message: `expected a size like "16g", "16GiB" or "512MB", got "${text}"` });
    return z.NEVER;
  }
  return bytes;
});

const timePoint = z
  .union([z.string(), z.date()], { error: 'expected a timestamp like "2026-09-01T00:00:00Z" or a relative time like "now+60d"' })
  .transform((value, ctx): TimePoint => {
    // YAML turns unquoted timestamps into Dates; accept those too.
    if (value instanceof Date) return { kind: 'absolute', at: value };
    const point = parseTimePoint(value);
    if (point === null) {
      ctx.addIssue({
        code: 'custom',
        message: `expected a timestamp with a zone like "2026-09-01T00:00:00Z" or a relative time like "now+60d", got "${value}"`,
      });
      return z.NEVER;
    }
    return point;
  });

const iouThresholds = z
  .array(fraction, { error: 'expected a list of IoU thresholds between 0 and 1' })
  .min(1, { error: 'must list at least one threshold' })
  .refine((list) => list.every((t, i) => i === 0 || t > list[i - 1]!), { error: 'thresholds must be strictly increasing' });

const metric = z.discriminatedUnion(
  'name',
  [
    z.strictObject({
      name: z.literal('dice'),
      /** Pixel numbering of the RLE: `column` = top to bottom, then left to right (HuBMAP). */
      rleOrder: z.enum(RLE_ORDERS, { error: 'expected "column" or "row"' }),
    }),
    z.strictObject({
      name: z.literal('instance-map'),
      rleOrder: z.enum(RLE_ORDERS, { error: 'expected "column" or "row"' }),
      iouThresholds: iouThresholds.default([...DEFAULT_IOU_THRESHOLDS]),
    }),
  ],
  { error: `expected name to be one of ${METRIC_NAMES.map((m) => `"${m}"`).join(', ')}` },
);

const timeline = z
  .strictObject({
    opensAt: timePoint,
    teamMergeDeadline: timePoint,
    closesAt: timePoint,
  })
  .superRefine((t, ctx) => {
    const order: Array<keyof typeof t> = ['opensAt', 'teamMergeDeadline', 'closesAt'];
    for (let i = 1; i < order.length; i++) {
      const [a, b] = [t[order[i - 1]!], t[order[i]!]];
      const comparable = a.kind === b.kind;
      if (!comparable) continue; // mixed forms are checked when resolved (resolveTimeline)
      const before = a.kind === 'absolute' ? a.at.getTime() : a.offsetSeconds;
      const after = b.kind === 'absolute' ? (b as { at: Date }).at.getTime() : (b as { offsetSeconds: number }).offsetSeconds;
      if (before > after || (order[i] === 'closesAt' && before === after)) {
        ctx.addIssue({ code: 'custom', path: [order[i]!], message: `must be after ${order[i - 1]}` });
      }
    }
  });

const limits = z.strictObject({
  dailySubmissions: positiveInt.default(5),
  finalSelections: positiveInt.default(2),
  maxTeamSize: positiveInt.default(5),
});

const kernel = z
  .strictObject({
    /**
     * Container image of the kernel runtime, `name[:tag]`, or pinned `name[:tag]@sha256:<64 hex>`
     * (the worker then refuses another build of that name: pin in production).
     */
    image: nonEmpty.refine((v) => !v.includes('@') || /^[^@\s]+@sha256:[0-9a-f]{64}$/.test(v), { error: 'a pinned image is name[:tag]@sha256: followed by 64 lowercase hex digits' }),
    timeLimit: duration.default(9 * 3600),
    gpus: nonNegativeInt.default(1),
    memory: byteSize.default(16 * 1024 ** 3),
    cpus: z.number({ error: 'expected a number of CPUs' }).positive({ error: 'must be above 0' }).default(4),
    /** Largest `/kaggle/working` output collected after a run. */
    outputLimit: byteSize.default(1024 ** 3),
    /** Whether participants may read the log of the run over the hidden test data (Kaggle: no). */
    showHiddenDataLogs: z.boolean({ error: 'expected true or false' }).default(false),
    /** Processes and threads a run may have at once (a fork bomb stops here, not at the host's limit). */
    processes: positiveInt.max(32_768, { error: 'must be at most 32768' }).default(256),
    /** Public runs (every kernel submission's first run, and runs without submitting) a team may start per UTC day. */
    publicRunsPerDay: positiveInt.max(1000, { error: 'must be at most 1000' }).default(20),
  })
  .transform(({ timeLimit, memory, outputLimit, ...rest }) => ({
    ...rest,
    timeLimitSeconds: timeLimit,
    memoryBytes: memory,
    outputLimitBytes: outputLimit,
  }));

/**
 * One way the model looks at an image: `window`×`window` image pixels read every `stride` pixels
 * and resized to `size`×`size` model pixels. HuBMAP's 1st place read 1024 px every 512 px (50 %
 * overlap) at 320: `{ window: 1024, size: 320, stride: 512 }`.
 */
const view = z
  .strictObject({
    window: positiveInt.max(16_384, { error: 'must be at most 16384' }),
    size: positiveInt.max(4096, { error: 'must be at most 4096' }),
    stride: positiveInt,
  })
  .refine((v) => v.stride <= v.window, { path: ['stride'], error: 'must not exceed window (windows would leave gaps)' })
  .refine((v) => v.size <= v.window, { path: ['size'], error: 'must not exceed window (the pipeline down-scales, never up)' });

/** Most classes an instance competition's model may tell apart (one output channel each). */
export const MAX_INSTANCE_CLASSES = 16;

/** A class of instances (Sartorius: a cell type) and the smallest instance of it kept. */
const instanceClass = z.strictObject({
  name: nonEmpty,
  /** Pixels; the instances' `minArea` when absent. */
  minArea: nonNegativeInt.optional(),
});

/**
 * Instance competitions: how the foreground becomes instances, and the smallest kept (pixels).
 * With `classes`, the model's last output channels are one probability per class; each instance
 * takes the class of highest mean probability and is dropped when smaller than its class's minArea.
 */
const instances = z
  .strictObject({
    method: z.enum(['components', 'watershed'], { error: 'expected "components" or "watershed"' }).default('components'),
    minArea: nonNegativeInt.default(0),
    classes: z
      .array(instanceClass)
      .min(1, { error: 'name at least one class, or leave classes out' })
      .max(MAX_INSTANCE_CLASSES, { error: `at most ${MAX_INSTANCE_CLASSES} classes` })
      .refine((cs) => new Set(cs.map((c) => c.name)).size === cs.length, { error: 'names a class twice' })
      .optional(),
  })
  // Each class's minimum resolved here, so the pipeline, the DTO and the rules text read one number.
  .transform(({ classes, ...rest }): typeof rest & { classes?: { name: string; minArea: number }[] } =>
    classes ? { ...rest, classes: classes.map((c) => ({ name: c.name, minArea: c.minArea ?? rest.minArea })) } : rest,
  );

/**
 * Model submissions (schema version 2): the tiled ONNX pipeline the platform runs a submitted model
 * through, as libs/inference's PipelineConfig (the worker passes it through unchanged).
 */
const model = z
  .strictObject({
    format: z.literal('onnx', { error: 'only "onnx" models are supported' }).default('onnx'),
    /** NCHW float32: channels (3 = RGB, 1 = grey), pixels in 0..1 normalised as (x - mean) / std (mean 0, std 1 = divide by 255). */
    input: z
      .strictObject({
        channels: z.union([z.literal(1), z.literal(3)], { error: 'expected 1 or 3' }),
        mean: z.array(z.number()).min(1),
        std: z.array(z.number().positive({ error: 'must be above 0' })).min(1),
      })
      .refine((i) => i.mean.length === i.channels && i.std.length === i.channels, {
        error: 'mean and std need one value per channel',
      }),
    /**
     * What the model returns: logits (a sigmoid is applied) or probabilities; channel 0 is the
     * foreground, instance models may add boundary and centre channels, then one channel per class
     * of `instances.classes` (`channels` counts them all).
     */
    output: z
      .strictObject({
        kind: z.enum(['logits', 'probabilities'], { error: 'expected "logits" or "probabilities"' }).default('logits'),
        // At most 3 without classes: checked below, where the classes are known.
        channels: positiveInt.max(3 + MAX_INSTANCE_CLASSES, { error: `must be at most ${3 + MAX_INSTANCE_CLASSES} (foreground, boundary, centre and ${MAX_INSTANCE_CLASSES} classes)` }).default(1),
      })
      .prefault({}),
    /** One or more views whose probabilities are averaged (the 17th place used two scales). */
    views: z.array(view).min(1, { error: 'give at least one view' }).max(4, { error: 'at most 4 views' }),
    /** How overlapping windows are merged: keep only each window's centre, average overlaps, or weight them by a Gaussian. */
    blend: z.enum(['center-crop', 'count', 'gaussian'], { error: 'expected "center-crop", "count" or "gaussian"' }).default('count'),
    /** Test-time augmentation, each undone before blending; identity is the plain prediction. */
    tta: z
      .array(z.enum(['identity', 'hflip', 'vflip', 'rot90', 'rot180', 'rot270'], { error: 'expected identity, hflip, vflip, rot90, rot180 or rot270' }))
      .min(1, { error: 'list at least "identity"' })
      .refine((t) => new Set(t).size === t.length, { error: 'lists a transform twice' })
      .default(['identity']),
    /** Foreground where the blended probability is at least this (the lecture's tuned 0.4). */
    threshold: fraction.default(0.4),
    /** Windows with less tissue than this fraction (mostly white or black) are skipped; 0 = run every window. */
    tissue: z.strictObject({ minTissue: z.number({ error: 'expected a number' }).min(0).max(1, { error: 'must be at most 1' }).default(0) }).prefault({}),
    instances: instances.optional(),
    /** Largest accepted upload (one .onnx, or a .tar of several averaged as an ensemble). */
    maxSize: byteSize.default(100 * 1024 ** 2),
    /** Wall-clock limit for running the model over the whole test set. */
    timeLimit: duration.default(3600),
  })
  .superRefine((m, ctx) => {
    // The output channels are 1 to 3 for the instances (foreground, boundary, centre), then one per class.
    const classes = m.instances?.classes?.length ?? 0;
    const structural = m.output.channels - classes;
    if (structural > 3) {
      const message = classes > 0 ? `must be at most ${3 + classes} (foreground, boundary, centre, then one per class: ${classes})` : 'must be at most 3 (foreground, boundary, centre)';
      ctx.addIssue({ code: 'custom', path: ['output', 'channels'], message });
    }
    if (structural < 1) {
      ctx.addIssue({ code: 'custom', path: ['output', 'channels'], message: `must be at least ${classes + 1}: the foreground, then one channel per class of instances.classes (${classes})` });
    }
  })
  .transform(({ timeLimit, maxSize, ...rest }) => ({ ...rest, timeLimitSeconds: timeLimit, maxSizeBytes: maxSize }));

const recipe = z.strictObject({
  /** Name of a registered generator (see `RECIPE_GENERATORS`). */
  generator: nonEmpty,
  /** Seed used when none is given on the command line. */
  seed: nonNegativeInt.max(2 ** 32 - 1, { error: 'must fit in 32 bits' }),
  defaultScale: z.enum(DATA_SCALES, { error: 'expected "demo" or "full"' }).default('demo'),
  /** Generator-specific parameters, validated by the generator. */
  params: z.record(z.string(), z.unknown()).default({}),
});

const files = z.strictObject({
  /** Directory (relative to the bundle) laid out like built `public/`. */
  public: nonEmpty,
  /** Directory (relative to the bundle) laid out like built `hidden/`. */
  hidden: nonEmpty,
});

const data = z
  .strictObject({
    recipe: recipe.optional(),
    files: files.optional(),
    /** Largest image (width × height) accepted in uploads, data builds and the tile route; default 50 000². */
    maxImagePixels: positiveInt.optional(),
  })
  .refine((d) => (d.recipe === undefined) !== (d.files === undefined), { error: 'set exactly one of data.recipe or data.files' });

export const competitionConfigSchema = z
  .strictObject({
    /** 2 adds the tiled pipeline of model submissions (`model:`); 1 is read as before. */
    schemaVersion: z.union([z.literal(1), z.literal(2)], { error: 'expected 1 or 2 (the schema versions this platform reads)' }),
    slug,
    title: nonEmpty,
    /** One or two paragraphs of Markdown shown on the competition card. */
    description: nonEmpty,
    metric,
    timeline,
    limits: limits.prefault({}),
    submissions: z.strictObject({
      kinds: z
        .array(
          z.enum(SUBMISSION_KINDS, { error: 'expected "file", "kernel" or "model"' }),
        )
        .min(1, { error: 'allow at least one kind' })
        .refine((k) => new Set(k).size === k.length, { error: 'lists a kind twice' }),
    }),
    kernel: kernel.optional(),
    model: model.optional(),
    /** What participants learn of their scores beyond the public one. */
    feedback: z
      .strictObject({
        /**
         * Per-image public scores on each submission. Off by default, as on Kaggle: they would
         * tell which test images are on the public leaderboard. Staff always see them, and
         * everyone after the reveal.
         */
        perImagePublic: z.boolean({ error: 'expected true or false' }).default(false),
      })
      .prefault({}),
    /** How participants see the leaderboards (instructors and TAs always see the live board with names). */
    leaderboard: z
      .strictObject({
        /** Other teams appear under stable pseudonyms to participants. */
        anonymous: z.boolean({ error: 'expected true or false' }).default(false),
        /** The public board freezes for participants this many days before the close (0: never). */
        freezeDays: nonNegativeInt.max(60, { error: 'must be at most 60' }).default(0),
      })
      .prefault({}),
    data,
  })
  .superRefine((c, ctx) => {
    if (c.submissions.kinds.includes('kernel') && c.kernel === undefined) {
      ctx.addIssue({ code: 'custom', path: ['kernel'], message: 'required because submissions.kinds allows "kernel"' });
    }
    if (c.model && c.schemaVersion < 2) {
      ctx.addIssue({ code: 'custom', path: ['model'], message: 'needs schemaVersion: 2 (the tiled pipeline: input, output, views, blend, tta, threshold)' });
    }
    if (c.submissions.kinds.includes('model') && c.model === undefined) {
      ctx.addIssue({ code: 'custom', path: ['model'], message: 'required because submissions.kinds allows "model"' });
    }
    if (c.model?.instances && c.metric.name === 'dice') {
      ctx.addIssue({ code: 'custom', path: ['model', 'instances'], message: 'only applies to instance-map competitions' });
    }
    if (c.model && c.metric.name === 'dice' && c.model.output.channels > 1) {
      ctx.addIssue({ code: 'custom', path: ['model', 'output', 'channels'], message: 'a Dice competition takes one foreground channel' });
    }
  });

/** What competition.yaml looks like before validation (units as text). */
export type CompetitionConfigInput = z.input<typeof competitionConfigSchema>;
/** A validated competition.yaml: units parsed (seconds, bytes), defaults filled in. */
export type CompetitionConfig = z.output<typeof competitionConfigSchema>;
export type MetricConfig = CompetitionConfig['metric'];
export type TimelineConfig = CompetitionConfig['timeline'];
export type LimitsConfig = CompetitionConfig['limits'];
export type KernelConfig = NonNullable<CompetitionConfig['kernel']>;
export type ModelConfig = NonNullable<CompetitionConfig['model']>;
export type RecipeConfig = NonNullable<CompetitionConfig['data']['recipe']>;
export type FilesDataConfig = NonNullable<CompetitionConfig['data']['files']>;
