#!/usr/bin/env node
// Benchmark of libs/inference, the tiled ONNX pipeline of model submissions, with the HuBMAP
// bundle's pipeline (competitions/hubmap-glomeruli/competition.yaml `model:`: 1024 px windows
// every 512 resized to 320, centre-crop, identity+hflip+vflip TTA, threshold 0.4, tissue check).
// Three cases, each printing JSON lines on stdout (progress goes to stderr):
//
//  overhead   megapixels per second of the whole pipeline (openImage + predictMask, createPredictor)
//             over a synthetic slide, against bare onnxruntime `session.run` in the main thread on
//             the same batch shapes, as many calls, same model and intra-op threads, measured in
//             the same process one right after the other (the machine is shared: only the ratio
//             is comparable across runs). With and without the tissue skip. Goal: overheadRatio
//             = pipelineSeconds / bareSeconds - 1 ≤ 0.15.
//  memory     peak RSS of the pipeline over a 20000×30000 slide (6000×8000 with --quick), in a
//             child process of its own, with a 1×1 convolution for a model. Goal: ≤ 1 GB.
//  baselines  each bundle's baseline (competitions/<slug>/baseline/model.onnx, skipped while it
//             does not exist) over the bundle's whole test set at demo scale, as the worker runs a
//             model submission (apps/worker ModelRunService: same library calls, default threads),
//             scored with the scorer the worker uses: wall time and public/private/overall scores.
//             `--scale full` runs the full-scale data instead (about 20 min for HuBMAP's 15
//             slides on 2 cores, after a data build of about 25 min), so it is not run by default.
//
// Needs a build first: npx tsc -b libs/inference libs/competition libs/metrics apps/cli
//
// Usage: node bench/inference/run.mjs [--quick] [--cases overhead,memory,baselines] [--runs N]
//          [--threads N] [--parallel-runs N] [--scale demo|full] [--data-dir DIR] [--model SLUG=PATH]... [--keep]
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const competitionsDir = join(root, 'competitions');
const cli = join(root, 'apps', 'cli', 'dist', 'main.cjs');

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    cases: { type: 'string', default: 'overhead,memory,baselines' },
    runs: { type: 'string' },
    threads: { type: 'string' },
    'parallel-runs': { type: 'string' },
    scale: { type: 'string', default: 'demo' },
    'data-dir': { type: 'string' },
    model: { type: 'string', multiple: true, default: [] },
    keep: { type: 'boolean', default: false },
  },
});
const quick = values.quick;
const cases = values.cases.split(',').map((c) => c.trim());
for (const c of cases) if (!['overhead', 'memory', 'baselines'].includes(c)) usage(`unknown case '${c}' (overhead, memory, baselines)`);
// A run's ratio swings by ±0.15 on a shared machine, and an invocation's median of 3 by up to 0.1:
// 7 by default.
const runs = Number(values.runs ?? (quick ? 1 : 7));
// CPU threads of the predictor (split among its runs) and of the bare one-session reference: every
// core unless told, stated explicitly so that both sides use the same count (createPredictor's default too).
const threads = Number(values.threads ?? availableParallelism());
// The predictor's calls at once (createPredictor's parallelRuns; its default when absent).
const parallelRuns = values['parallel-runs'] === undefined ? undefined : Number(values['parallel-runs']);
if (parallelRuns !== undefined && !(Number.isSafeInteger(parallelRuns) && parallelRuns >= 1)) usage('--parallel-runs takes a positive whole number');
if (!Number.isSafeInteger(runs) || runs < 1 || !Number.isSafeInteger(threads) || threads < 1) usage('--runs and --threads take positive whole numbers');
if (values.scale !== 'demo' && values.scale !== 'full') usage('--scale is demo or full');
// --model <slug>=<path>: another model in place of a bundle's baseline (a candidate, a stand-in).
const modelOverrides = new Map(
  values.model.map((m) => {
    const at = m.indexOf('=');
    if (at < 1) usage(`--model takes <slug>=<path>, got '${m}'`);
    return [m.slice(0, at), m.slice(at + 1)];
  }),
);

for (const built of ['libs/inference/dist/index.js', 'libs/competition/dist/index.js', 'libs/metrics/dist/index.js', 'apps/cli/dist/main.cjs']) {
  if (!existsSync(join(root, built))) {
    console.error('build first: npx tsc -b libs/inference libs/competition libs/metrics apps/cli');
    process.exit(1);
  }
}

const inference = await import('@holdout/inference');
const competition = await import('@holdout/competition');
const { scoreSubmission } = await import('@holdout/metrics');
const { writeSlide } = await import('./slide.mjs');
const { smallConvNet, SMALL_CONV_NET } = await import('./models.mjs');
// The onnxruntime-node the library itself loads.
const ort = createRequire(join(root, 'libs', 'inference', 'package.json'))('onnxruntime-node');

const SIZES = {
  overhead: quick ? { width: 3072, height: 3072 } : { width: 6144, height: 6144 },
  memory: quick ? { width: 6000, height: 8000 } : { width: 20000, height: 30000 },
};
const GOALS = { overheadRatio: 0.15, maxRssMB: 1024 };

const hubmap = loadBundleConfig('hubmap-glomeruli');
const tmp = mkdtempSync(join(tmpdir(), 'holdout-bench-inference-'));
const started = performance.now();
try {
  if (cases.includes('overhead')) await overheadCase();
  if (cases.includes('memory')) await memoryCase();
  if (cases.includes('baselines')) for (const slug of ['hubmap-glomeruli', 'sartorius-cells']) await baselineCase(slug);
} finally {
  if (values.keep) progress(`kept ${tmp}`);
  else rmSync(tmp, { recursive: true, force: true });
  progress(`done in ${seconds(started).toFixed(1)} s`);
}

// ---- overhead ---------------------------------------------------------------------------------

async function overheadCase() {
  const { width, height } = SIZES.overhead;
  const slide = join(tmp, 'overhead.tif');
  progress(`overhead: writing a ${width}×${height} slide`);
  await writeSlide({ path: slide, width, height, tmpDir: tmp });
  const model = overheadModel();
  const config = hubmap.model;
  // A copy of its own: createPredictor moves its "copy" (Buffer#slice, a view for a Node Buffer)
  // to the thread, which detaches a Buffer's memory.
  const predictor = await inference.createPredictor({ models: [new Uint8Array(model.bytes)], outputKind: config.output.kind, transferInput: true, threads, parallelRuns });
  // How the predictor splits the threads: runs at once, onnxruntime threads each.
  const layout = inference.threadLayout({ threads, parallelRuns });
  // The options the predictor's threads give onnxruntime (libs/inference session.thread.ts).
  const sessionOptions = (intraOpNumThreads) => ({
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    interOpNumThreads: 1,
    intraOpNumThreads,
    logSeverityLevel: 3,
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  });
  // Every thread in one session: bare session.run as a caller would make it.
  const session = await ort.InferenceSession.create(model.bytes, sessionOptions(threads));
  const { size: viewSize } = config.views[0];
  // And the predictor's own layout, bare: as many worker threads as it runs calls at once, each with
  // a session of its intra-op threads, taking the calls in turn.
  const bareThreads = layout.parallelRuns > 1 ? await startBareThreads(model.bytes, sessionOptions(layout.intraOpThreads), layout.parallelRuns, config.input.channels, viewSize) : null;
  try {
    const passes = config.tta.length;
    const { size } = config.views[0];
    const channels = config.input.channels;
    // First runs allocate onnxruntime's buffers: both sides are warmed on a full call first.
    const full = Math.max(1, Math.floor(inference.DEFAULT_BATCH_SIZE / passes)) * passes;
    await predictor.run(new Float32Array(full * channels * size * size), full, channels, size);
    await bareRun(session, [full], channels, size);
    if (bareThreads) await bareParallelRun(bareThreads, [full, full, full, full]);
    // And the pipeline once, untimed: the first run pays libvips's start-up and V8's compilation
    // of the hot loops (about twice the time of a later run).
    progress('overhead: warm-up run');
    await pipelineRun(slide, predictor, config);
    const megapixels = (width * height) / 1e6;
    for (const tissueSkip of [true, false]) {
      const cfg = tissueSkip ? config : { ...config, tissue: { minTissue: 0 } };
      const pairs = [];
      for (let run = 0; run < runs; run++) {
        progress(`overhead: ${tissueSkip ? 'with' : 'without'} the tissue skip, run ${run + 1}/${runs}`);
        const p = await pipelineRun(slide, predictor, cfg);
        const bare = await bareRun(session, p.calls, channels, size);
        const bareParallel = bareThreads ? await bareParallelRun(bareThreads, p.calls) : null;
        // Everything but the model: where the overhead goes when the two above differ.
        const noModel = await pipelineRun(slide, instantPredictor(predictor.outputChannels), cfg);
        const pair = {
          pipelineSeconds: p.seconds,
          modelBusySeconds: p.modelBusySeconds,
          firstCallSeconds: p.firstCallSeconds,
          bareOneSessionSeconds: bare.seconds,
          ...(bareParallel !== null ? { bareParallelSeconds: bareParallel.seconds, bareParallelCpuSeconds: bareParallel.cpuSeconds } : {}),
          // The faster of the two bare references is the one the pipeline is held to.
          bareSeconds: Math.min(bare.seconds, bareParallel?.seconds ?? Infinity),
          noModelSeconds: noModel.seconds,
          pipelineCpuSeconds: p.cpuSeconds,
          bareCpuSeconds: bare.cpuSeconds,
          noModelCpuSeconds: noModel.cpuSeconds,
        };
        pairs.push(pair);
        emit({
          bench: 'inference',
          case: 'overhead',
          tissueSkip,
          run,
          ...Object.fromEntries(Object.entries(pair).map(([k, v]) => [k, round(v, 3)])),
          overheadRatio: round(p.seconds / pair.bareSeconds - 1, 3),
        });
        if (run === runs - 1) {
          const med = (key) => median(pairs.map((x) => x[key]));
          const pipelineSeconds = med('pipelineSeconds');
          const bareSeconds = med('bareSeconds');
          // The ratio of each run's own pair (both measured back to back), median over the runs.
          const overheadRatio = median(pairs.map((x) => x.pipelineSeconds / x.bareSeconds - 1));
          emit({
            bench: 'inference',
            case: 'overhead',
            summary: true,
            tissueSkip,
            model: model.name,
            modelSha256: model.sha256 ?? null,
            slide: { width, height, megapixels: round(megapixels) },
            pipeline: { views: cfg.views, tta: cfg.tta, minTissue: cfg.tissue.minTissue, batchSize: inference.DEFAULT_BATCH_SIZE },
            threads,
            parallelRuns: layout.parallelRuns,
            intraOpThreads: layout.intraOpThreads,
            runs,
            windows: p.windows,
            windowsRun: p.windowsRun,
            windowsSkipped: p.windows - p.windowsRun,
            calls: p.calls.length,
            patches: p.calls.reduce((n, b) => n + b, 0),
            pipelineSeconds: round(pipelineSeconds, 3),
            bareSeconds: round(bareSeconds, 3),
            // The two bare references: one session with every thread in the main thread, and the
            // predictor's layout (parallelRuns worker threads of intraOpThreads each) when it has more than one run.
            bareOneSessionSeconds: round(med('bareOneSessionSeconds'), 3),
            ...(bareThreads ? { bareParallelSeconds: round(med('bareParallelSeconds'), 3) } : {}),
            pipelineMegapixelsPerSecond: round(megapixels / pipelineSeconds),
            bareMegapixelsPerSecond: round(megapixels / bareSeconds),
            overheadRatio: round(overheadRatio, 3),
            // Where the overhead goes: pipelineSeconds = modelBusySeconds (a call in flight) + the
            // time the model waited on the pipeline, of which firstCallSeconds is the start (opening
            // the image, the first windows' tissue checks and reads). modelSlowdown = modelBusy /
            // bare - 1 is the model's calls taking longer than bare ones: the predictor's thread and
            // its messages, and the pipeline's work on the same cores.
            modelBusySeconds: round(med('modelBusySeconds'), 3),
            firstCallSeconds: round(med('firstCallSeconds'), 3),
            modelSlowdown: round(median(pairs.map((x) => x.modelBusySeconds / x.bareSeconds - 1)), 3),
            // The same pipeline with a model that answers at once (zeros): reads, tissue checks,
            // normalisation, TTA, blending and RLE alone. They overlap the model in a real run,
            // but only where a core is free.
            noModelSeconds: round(med('noModelSeconds'), 3),
            // CPU time of the whole process (all threads) over the same spans: less sensitive to
            // other load on a shared machine than wall time (onnxruntime's spinning threads count).
            pipelineCpuSeconds: round(med('pipelineCpuSeconds'), 3),
            bareCpuSeconds: round(med('bareCpuSeconds'), 3),
            noModelCpuSeconds: round(med('noModelCpuSeconds'), 3),
            ...(bareThreads ? { bareParallelCpuSeconds: round(med('bareParallelCpuSeconds'), 3) } : {}),
            // Against the CPU time of the bare reference the run's goal ratio used (the faster one).
            cpuOverheadRatio: round(median(pairs.map((x) => x.pipelineCpuSeconds / bareCpuOf(x) - 1)), 3),
            goals: { overheadRatio: GOALS.overheadRatio, overheadMet: overheadRatio <= GOALS.overheadRatio },
            loadavg: loadavg().map((x) => round(x)),
          });
        }
      }
    }
  } finally {
    await predictor.close();
    await session.release();
    if (bareThreads) await Promise.all(bareThreads.map((w) => w.terminate()));
  }
}

/** The CPU seconds of the faster of a run's bare references (the one its overhead ratio is taken against). */
function bareCpuOf(pair) {
  return pair.bareParallelSeconds !== undefined && pair.bareParallelSeconds < pair.bareOneSessionSeconds ? pair.bareParallelCpuSeconds : pair.bareCpuSeconds;
}

/** Worker threads (bare-thread.mjs) each holding a session of the model with `options`. */
async function startBareThreads(bytes, options, count, channels, size) {
  const workers = Array.from({ length: count }, () => new Worker(join(here, 'bare-thread.mjs'), { workerData: { model: new Uint8Array(bytes), options, channels, size } }));
  await Promise.all(workers.map((w) => new Promise((resolve, reject) => w.once('message', resolve).once('error', reject))));
  return workers;
}

/**
 * Bare `session.run` on the threads of `startBareThreads`, the calls dealt to them in turn (as the
 * predictor deals them when each thread finishes its calls at the same pace); returns the seconds
 * from the first call out to the last one back.
 */
async function bareParallelRun(workers, batches) {
  const start = performance.now();
  const cpu = process.cpuUsage();
  await Promise.all(
    workers.map((w, k) => {
      const mine = batches.filter((_, i) => i % workers.length === k);
      return new Promise((resolve, reject) => {
        w.once('message', resolve).once('error', reject);
        w.postMessage(mine);
      });
    }),
  );
  return { seconds: seconds(start), cpuSeconds: cpuSeconds(cpu) };
}

/** The trained HuBMAP baseline when it exists, else a small conv net of about its cost per pixel. */
function overheadModel() {
  const baseline = join(competitionsDir, 'hubmap-glomeruli', 'baseline', 'model.onnx');
  if (existsSync(baseline)) {
    const bytes = readFileSync(baseline);
    return { name: 'hubmap-glomeruli/baseline/model.onnx', bytes, sha256: sha256(bytes) };
  }
  return { name: SMALL_CONV_NET, bytes: smallConvNet() };
}

/**
 * The whole pipeline over the slide (open, predict, close), with the predictor's calls recorded:
 * the batch size of each, in order.
 */
async function pipelineRun(slide, predictor, config) {
  const calls = [];
  // When each call went out and came back: the model is busy while a call is in flight, and waits
  // on the pipeline the rest of the time.
  const spans = [];
  const counting = {
    get outputChannels() {
      return predictor.outputChannels;
    },
    get parallelRuns() {
      return predictor.parallelRuns;
    },
    run(input, batch, channels, size) {
      calls.push(batch);
      const span = [performance.now(), NaN];
      spans.push(span);
      return predictor.run(input, batch, channels, size).then((output) => {
        span[1] = performance.now();
        return output;
      });
    },
    // The worker hands the pipeline the predictor itself: its recycled input buffers too.
    inputBuffer: predictor.inputBuffer ? (length) => predictor.inputBuffer(length) : undefined,
    releaseOutput: predictor.releaseOutput ? (output) => predictor.releaseOutput(output) : undefined,
    close: () => predictor.close(),
  };
  const start = performance.now();
  const cpu = process.cpuUsage();
  const source = await inference.openImage(slide, 'overhead');
  let windows;
  try {
    windows = inference.planInference(source.width, source.height, config, hubmap.metric.rleOrder).windows.length;
    await inference.predictMask({ source, predictor: counting, config, order: hubmap.metric.rleOrder });
  } finally {
    await source.close();
  }
  // The time with at least one call in flight (calls overlap where the predictor runs several at once).
  let modelBusySeconds = 0;
  let covered = -Infinity;
  for (const [from, to] of [...spans].sort((a, b) => a[0] - b[0])) {
    if (to > covered) modelBusySeconds += (to - Math.max(from, covered)) / 1000;
    covered = Math.max(covered, to);
  }
  const firstCallSeconds = spans.length > 0 ? (spans[0][0] - start) / 1000 : null;
  return { seconds: seconds(start), cpuSeconds: cpuSeconds(cpu), calls, windows, windowsRun: calls.reduce((n, b) => n + b, 0) / config.tta.length, modelBusySeconds, firstCallSeconds };
}

/**
 * A predictor whose every output is zeros, returned at once. Like the onnxruntime predictor it hands
 * the pipeline back the input buffers of finished calls (`inputBuffer`) and writes later outputs into
 * those the pipeline hands back (`releaseOutput`): without that, the no-model run paid for a fresh
 * input and output per call (page faults and collections) that the real run does not.
 */
function instantPredictor(outputChannels) {
  const spare = [];
  const spareOutputs = [];
  const take = (list, length) => {
    const at = list.findIndex((b) => b.length === length);
    return at < 0 ? new Float32Array(length) : list.splice(at, 1)[0];
  };
  return {
    outputChannels,
    inputBuffer: (length) => take(spare, length),
    releaseOutput(output) {
      spareOutputs.push(output);
      if (spareOutputs.length > 3) spareOutputs.shift();
    },
    run: async (input, batch, channels, size) => {
      spare.push(input);
      if (spare.length > 3) spare.shift();
      // Written, as onnxruntime writes its output: the pages are touched by the time the pipeline reads them.
      return take(spareOutputs, batch * outputChannels * size * size).fill(0);
    },
    close: async () => undefined,
  };
}

/**
 * Bare `session.run` on random inputs of the given batch sizes, one call each (split as the
 * predictor's thread splits them when the model fixes its batch size); returns the seconds.
 */
async function bareRun(session, batches, channels, size) {
  const fixed = session.inputMetadata[0]?.shape?.[0];
  const perCall = typeof fixed === 'number' && fixed > 0 ? fixed : null;
  const inputs = new Map();
  const feedOf = (n) => {
    if (!inputs.has(n)) {
      const data = new Float32Array(n * channels * size * size);
      for (let i = 0; i < data.length; i++) data[i] = Math.random() * 4 - 2;
      inputs.set(n, data);
    }
    return new ort.Tensor('float32', inputs.get(n), [n, channels, size, size]);
  };
  for (const n of new Set(batches)) feedOf(perCall ?? n);
  const [input] = session.inputNames;
  const [output] = session.outputNames;
  const start = performance.now();
  const cpu = process.cpuUsage();
  for (const n of batches) {
    for (let done = 0; done < n; done += perCall ?? n) await session.run({ [input]: feedOf(perCall ?? n) }, [output]);
  }
  return { seconds: seconds(start), cpuSeconds: cpuSeconds(cpu) };
}

// ---- memory ----------------------------------------------------------------------------------

async function memoryCase() {
  const { width, height } = SIZES.memory;
  const slide = join(tmp, 'memory.tif');
  progress(`memory: writing a ${width}×${height} slide (strip by strip)`);
  const writeStart = performance.now();
  let shown = 0;
  await writeSlide({
    path: slide,
    width,
    height,
    tmpDir: tmp,
    onStrip: (rows) => {
      if (rows - shown < height / 10 && rows < height) return;
      shown = rows;
      progress(`memory: rendered ${rows}/${height} rows`);
    },
  });
  const writeSeconds = seconds(writeStart);
  const fileMB = round(statSync(slide).size / 2 ** 20);
  progress(`memory: slide written in ${writeSeconds.toFixed(1)} s (${fileMB} MB); running the pipeline in a child process`);
  const wallStart = performance.now();
  const stdout = await child(join(here, 'rss-child.mjs'), [JSON.stringify({ slide, config: hubmap.model, order: hubmap.metric.rleOrder, threads, parallelRuns })]);
  const wallSeconds = seconds(wallStart);
  rmSync(slide, { force: true });
  const r = JSON.parse(stdout.trim().split('\n').at(-1));
  emit({
    bench: 'inference',
    case: 'memory',
    summary: true,
    model: '1x1-conv',
    slide: { width: r.width, height: r.height, megapixels: round((r.width * r.height) / 1e6), fileMB },
    pipeline: { views: hubmap.model.views, tta: hubmap.model.tta, minTissue: hubmap.model.tissue.minTissue },
    threads,
    ...inference.threadLayout({ threads, parallelRuns }),
    maxRssMB: round(r.maxRssMB),
    vmHwmMB: round(r.vmHwmMB),
    // The child's RSS with its modules, the model and the predictor thread loaded, before the slide is opened.
    rssBeforePipelineMB: round(r.rssBeforeMB),
    seconds: round(r.seconds, 2),
    childWallSeconds: round(wallSeconds, 2),
    megapixelsPerSecond: round((r.width * r.height) / 1e6 / r.seconds),
    windows: r.windows,
    windowsRun: r.windowsRun,
    windowsSkipped: r.windowsSkipped,
    slideWriteSeconds: round(writeSeconds, 1),
    goals: { maxRssMB: GOALS.maxRssMB, rssMet: r.maxRssMB <= GOALS.maxRssMB },
    loadavg: loadavg().map((x) => round(x)),
  });
}

// ---- baselines --------------------------------------------------------------------------------

/**
 * The bundle's baseline over its whole test set, with the worker's library calls in the worker's
 * order (apps/worker/src/models/model-run.service.ts run() and predictAll()), then scored with
 * `scoreSubmission` as the worker's scorer thread scores it. The scores are exact: they are the
 * baseline's scores on the platform for this data.
 */
async function baselineCase(slug) {
  const modelPath = modelOverrides.get(slug) ?? join(competitionsDir, slug, 'baseline', 'model.onnx');
  const modelName = relative(root, modelPath);
  if (!existsSync(modelPath)) {
    emit({ bench: 'inference', case: 'baseline', competition: slug, skipped: `no ${modelName} yet` });
    return;
  }
  const config = loadBundleConfig(slug);
  const settings = config.model;
  const data = await competitionData(slug, values.scale);
  const images = await competition.testImagesOf({ dataDir: data.paths.root, publicDir: data.paths.publicDir, solutionPath: data.paths.solutionCsv });
  const modelBytes = readFileSync(modelPath);
  progress(`baseline ${slug}: ${images.length} test images (${values.scale} scale, ${data.paths.root})`);
  const start = performance.now();
  // As the worker: one check that hands back the bytes it read, then the predictor on them.
  const check = await inference.checkModelFor(settings, modelPath, 'model.onnx', { keepBytes: true });
  if (!check.ok) {
    emit({ bench: 'inference', case: 'baseline', competition: slug, refused: check.problems.map((p) => p.message) });
    return;
  }
  // As the worker with no HOLDOUT_MODEL_THREADS and one model run at a time: createPredictor's default threads (the machine's CPUs), and --parallel-runs as HOLDOUT_MODEL_PARALLEL_RUNS.
  const predictor = await inference.createPredictor({ models: check.members.map((m) => m.bytes), transferModels: true, outputKind: settings.output.kind, transferInput: true, parallelRuns });
  const loadSeconds = seconds(start);
  const rows = [];
  try {
    for (const [index, image] of images.entries()) {
      progress(`baseline ${slug}: image ${index + 1}/${images.length} ${image.id} (${image.width}×${image.height})`);
      const imageStart = performance.now();
      const imageCpu = process.cpuUsage();
      const source = await inference.openImage(image.path, image.id);
      try {
        const o = { source, predictor, config: settings, order: config.metric.rleOrder, imageIndex: index, images: images.length };
        if (config.metric.name === 'dice') rows.push([image.id, await inference.predictMask(o)]);
        else {
          const instances = await inference.predictInstances(o);
          if (instances.length === 0) rows.push([image.id, '']);
          for (const rle of instances) rows.push([image.id, rle]);
        }
      } finally {
        await source.close();
      }
      // Per image: the sum over a whole-slide test set takes long enough for the load to change.
      emit({
        bench: 'inference',
        case: 'baseline-image',
        competition: slug,
        scale: values.scale,
        image: image.id,
        width: image.width,
        height: image.height,
        seconds: round(seconds(imageStart), 2),
        cpuSeconds: round(cpuSeconds(imageCpu), 2),
        loadavg: loadavg().map((x) => round(x)),
      });
    }
  } finally {
    await predictor.close();
  }
  const submission = join(tmp, `${slug}-submission.csv`);
  writeFileSync(submission, competition.toCsv(['id', 'predicted'], rows));
  const pipelineSeconds = seconds(start);
  const scoreStart = performance.now();
  const r = await scoreSubmission({ metric: config.metric.name, rleOrder: config.metric.rleOrder, solution: data.paths.solutionCsv, submission });
  const scoreSeconds = seconds(scoreStart);
  emit({
    bench: 'inference',
    case: 'baseline',
    summary: true,
    competition: slug,
    scale: values.scale,
    recipeHash: data.recipeHash,
    model: { path: modelName, bytes: modelBytes.length, sha256: sha256(modelBytes) },
    images: images.length,
    megapixels: round(images.reduce((n, i) => n + i.width * i.height, 0) / 1e6),
    // Model load, every image through the pipeline and the CSV written (what a model run takes).
    seconds: round(pipelineSeconds, 2),
    modelLoadSeconds: round(loadSeconds, 2),
    scoreSeconds: round(scoreSeconds, 2),
    metric: r.metric,
    // Unrounded: these are the platform's scores for the baseline on this data.
    public: r.public?.score ?? null,
    private: r.private?.score ?? null,
    overall: r.score,
    publicImages: r.public?.images ?? 0,
    privateImages: r.private?.images ?? 0,
    publicInterval: r.public?.interval ?? null,
    privateInterval: r.private?.interval ?? null,
    loadavg: loadavg().map((x) => round(x)),
  });
}

/**
 * Where the bundle's built data is: the first of --data-dir, $HOLDOUT_DATA_DIR, /tmp/baseline-data
 * and bench/output/inference/data that holds this recipe, scale and seed (the recipe hash names
 * the generator's version, parameters, scale, seed and libvips version: the same hash is the same
 * data); else built with the CLI (`holdout bundles build`) into --data-dir, $HOLDOUT_DATA_DIR or
 * bench/output/inference/data (gitignored, kept for the next run, as bench/metrics keeps its inputs).
 */
async function competitionData(slug, scale) {
  const cache = join(root, 'bench', 'output', 'inference', 'data');
  const candidates = [values['data-dir'], process.env.HOLDOUT_DATA_DIR, '/tmp/baseline-data', cache].filter(Boolean);
  for (const dataDir of candidates) {
    const found = await competition.resolveCompetitionData({ slug, competitionsDir, dataDir, scale });
    if (found.built) return found;
  }
  const dataDir = values['data-dir'] ?? process.env.HOLDOUT_DATA_DIR ?? cache;
  progress(`baseline ${slug}: building the ${scale} data into ${dataDir}`);
  await child(cli, ['bundles', 'build', slug, '--scale', scale, '--data-dir', dataDir, '--json']);
  const built = await competition.resolveCompetitionData({ slug, competitionsDir, dataDir, scale });
  if (!built.built) throw new Error(`holdout bundles build ${slug} finished but ${built.paths.root} has no manifest`);
  return built;
}

// ---- helpers ----------------------------------------------------------------------------------

function loadBundleConfig(slug) {
  const file = join(competitionsDir, slug, 'competition.yaml');
  const config = competition.parseCompetitionConfig(readFileSync(file, 'utf8'), file);
  if (!config.model) throw new Error(`${file} has no model: section`);
  return config;
}

/** Runs `node script args…` from the repository root; resolves with its stdout (stderr passes through). */
function child(script, args) {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [script, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`${script} ${args.join(' ')} exited ${code}: ${stdout}`))));
  });
}

function emit(obj) {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}

function progress(message) {
  process.stderr.write(`inference: ${message}\n`);
}

function usage(message) {
  console.error(`${message}\nusage: node bench/inference/run.mjs [--quick] [--cases overhead,memory,baselines] [--runs N] [--threads N] [--parallel-runs N] [--scale demo|full] [--data-dir DIR] [--model SLUG=PATH]... [--keep]`);
  process.exit(2);
}

function seconds(since) {
  return (performance.now() - since) / 1000;
}

/** CPU seconds of the whole process (every thread: onnxruntime's, libvips's) since `since` (process.cpuUsage()). */
function cpuSeconds(since) {
  const { user, system } = process.cpuUsage(since);
  return (user + system) / 1e6;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function round(x, digits = 2) {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function sha256(bytes) {
  return createHash('sha256').update(bytes).digest('hex');
}
