import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import type { CompetitionDto, MetricName, RleOrder } from '@holdout/contracts';
import type { PipelineConfig, Predictor, Progress } from '@holdout/inference';
import { Presets, SingleBar } from 'cli-progress';
import { parseCommandLine, usageError } from '../args.cjs';
import { Api, errorOf } from '../client/api.js';
import { CliError, EXIT } from '../client/errors.js';
import { printJson } from '../client/output.js';

const USAGE = `Usage: holdout predict (-c SLUG | --bundle DIR) --model MODEL.onnx --images DIR --out FILE [options]

Runs a model through a competition's tiled inference pipeline, with the server's own code and
settings (views, blend, test-time augmentation, threshold, tissue check, instances), over every
image in DIR, and writes a prediction file (id,predicted). The model is first checked as the
server checks an upload. Predict the train images and score the file against the train masks
with holdout score: your local CV is then computed exactly as the leaderboard computes scores.

Options:
  -c, --competition <slug>  the pipeline of a competition on the server you signed in to
  --bundle <dir>            or of a competition bundle (its competition.yaml), offline
  --model <path>            an .onnx file, or a .tar of several (an ensemble, averaged)
  --images <dir>            the images: .png, .jpg, .jpeg, .tif, .tiff (id: the file name
                            without its extension)
  -o, --out <file>          the CSV to write
  --threads <n>             CPU threads for the model (default: the machine's CPUs)
  --json                    print {"images","seconds","out"} as JSON
  --quiet                   print nothing but errors
  -h, --help                show this help

Exit codes: 0 written; 1 bad command line, or a missing file or folder; 2 the model, an image or
the competition was refused (each problem is printed); 3 not signed in; 4 the server could not
be reached.

Example (local CV on the train images):
  holdout predict -c glomeruli --model model.onnx --images data/train --out train-predictions.csv
  holdout score --metric dice --solution data/train.csv --submission train-predictions.csv --images data/train
(--images gives each image's size where the masks' CSV has none, as HuBMAP's train.csv).
`;

// The competition and inference libraries load sharp and onnxruntime (about a second): they are
// imported when needed, not for --help or a bad command line.
const competitionLib = () => import('@holdout/competition');
const inferenceLib = () => import('@holdout/inference');

/** The competition's side of a prediction run: its pipeline and how its predictions are written. */
interface Competition {
  slug: string;
  metric: MetricName;
  order: RleOrder;
  /** The `model:` section: the pipeline, and the limit the server checks an upload against. */
  model: PipelineConfig & { maxSizeBytes: number };
}

/** One image of `--images`, with its size from the file's header. */
interface ImageFile {
  id: string;
  path: string;
  /** The file name, as messages name it. */
  file: string;
  width: number;
  height: number;
}

/** `holdout predict …` */
export async function run(args: string[]): Promise<void> {
  const line = parseCommandLine(args, {
    usage: USAGE,
    options: {
      competition: { type: 'string', short: 'c' },
      bundle: { type: 'string' },
      model: { type: 'string' },
      images: { type: 'string' },
      out: { type: 'string', short: 'o' },
      threads: { type: 'string' },
      json: { type: 'boolean' },
      quiet: { type: 'boolean' },
    },
    required: ['model', 'images', 'out'],
  });
  if (line === null) return;
  const v = line.values;
  const slug = v.competition as string | undefined;
  const bundle = v.bundle as string | undefined;
  if (slug === undefined && bundle === undefined) {
    usageError(USAGE, 'give -c SLUG (the pipeline from the server) or --bundle DIR (offline)');
    return;
  }
  const threads = v.threads === undefined ? undefined : /^[1-9]\d*$/.test(v.threads as string) ? Number(v.threads) : null;
  if (threads === null) {
    usageError(USAGE, `--threads must be a positive whole number, got ${JSON.stringify(v.threads)}`);
    return;
  }
  const modelPath = v.model as string;
  const out = v.out as string;
  const quiet = v.quiet === true || v.json === true;

  // What the command line names first (cheap, and no reason to ask the server), then the pipeline.
  if (!(await stat(modelPath).catch(() => null))?.isFile()) throw new CliError(`${modelPath}: no such file`, EXIT.usage);
  const files = await listImages(v.images as string);
  if ((await stat(out).catch(() => null))?.isDirectory()) throw new CliError(`${out} is a directory; --out names the CSV to write`, EXIT.usage);
  const competition = bundle !== undefined ? await fromBundle(bundle, slug) : await fromServer(slug!);
  const models = await checkModel(modelPath, competition.model);
  const images = await readHeaders(files);
  await mkdir(dirname(resolve(out)), { recursive: true });

  const started = performance.now();
  const rows = await predictAll({ modelPath, models, images, competition, threads, progress: !quiet && process.stderr.isTTY === true });
  // Written whole, then renamed: an interrupted run leaves no file that looks complete.
  const part = `${out}.part`;
  await writeFile(part, (await competitionLib()).toCsv(['id', 'predicted'], rows));
  await rename(part, out).catch(async (err: unknown) => {
    await rm(part, { force: true });
    throw err;
  });
  const seconds = (performance.now() - started) / 1000;

  if (v.json) return printJson({ images: images.length, seconds: Math.round(seconds * 1000) / 1000, out });
  if (quiet) return;
  const megapixels = images.reduce((n, i) => n + i.width * i.height, 0) / 1e6;
  process.stdout.write(`${out}: ${images.length} image${images.length === 1 ? '' : 's'} (${megapixels.toFixed(1)} MP) in ${seconds.toFixed(1)} s, ${(megapixels / Math.max(seconds, 1e-3)).toFixed(2)} MP/s\n`);
}

/** The competition's pipeline from the server (`GET /api/competitions/:slug`). */
async function fromServer(slug: string): Promise<Competition> {
  let api: Api;
  try {
    api = await Api.signedIn();
  } catch (err) {
    if (err instanceof CliError) throw new CliError(`${err.message}; or run offline with --bundle DIR (a competition bundle)`, err.exitCode);
    throw err;
  }
  const res = await api.fetch(`/competitions/${encodeURIComponent(slug)}`);
  if (res.status === 404) throw new CliError(`no competition ${JSON.stringify(slug)} on ${api.url} that you can see (holdout competitions list shows them)`, EXIT.refused);
  if (!res.ok) throw await errorOf(res);
  const c = (await res.json()) as CompetitionDto;
  if (!c.model) throw new CliError(`${slug} takes no model submissions (it takes ${c.submissionKinds.join(', ')}): it has no pipeline to run`, EXIT.refused);
  return await checked({ slug: c.slug, metric: c.metric, order: c.rleOrder, model: c.model });
}

/** The pipeline of a bundle directory's competition.yaml (or of that file itself), offline. */
async function fromBundle(path: string, slug: string | undefined): Promise<Competition> {
  const { CompetitionBundleError, CONFIG_FILE, parseCompetitionConfig } = await competitionLib();
  const info = await stat(path).catch(() => null);
  if (!info) throw new CliError(`${path}: no such bundle directory`, EXIT.usage);
  const file = info.isDirectory() ? join(path, CONFIG_FILE) : path;
  const text = await readFile(file, 'utf8').catch(() => null);
  if (text === null) throw new CliError(`${file}: not found (a competition bundle holds a ${CONFIG_FILE})`, EXIT.usage);
  let config;
  try {
    config = parseCompetitionConfig(text, file);
  } catch (err) {
    if (err instanceof CompetitionBundleError) throw new CliError(err.message, EXIT.refused);
    throw err;
  }
  if (slug !== undefined && slug !== config.slug) throw new CliError(`--competition ${slug} does not match the bundle's competition (${config.slug}); give one of them`, EXIT.usage);
  if (!config.model) throw new CliError(`${config.slug} takes no model submissions (${file} has no model: section): it has no pipeline to run`, EXIT.refused);
  return await checked({ slug: config.slug, metric: config.metric.name, order: config.metric.rleOrder, model: config.model });
}

/** Refuses a pipeline the inference library cannot run before any model is loaded. */
async function checked(c: Competition): Promise<Competition> {
  const { checkPipelineConfig } = await inferenceLib();
  try {
    checkPipelineConfig(c.model);
  } catch (err) {
    throw new CliError(`${c.slug}'s model pipeline cannot run: ${(err as Error).message}`, EXIT.refused);
  }
  return c;
}

/** The image files of `dir` (not its subfolders), sorted by id, as the server orders test images. */
async function listImages(dir: string): Promise<Omit<ImageFile, 'width' | 'height'>[]> {
  const { IMAGE_EXTENSIONS } = await competitionLib();
  const entries = await readdir(dir, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
    throw new CliError(err.code === 'ENOTDIR' ? `${dir} is not a folder; --images names a folder of images` : `${dir}: no such folder`, EXIT.usage);
  });
  const byId = new Map<string, Omit<ImageFile, 'width' | 'height'>>();
  for (const e of entries) {
    const ext = extname(e.name).toLowerCase();
    if (!(e.isFile() || e.isSymbolicLink()) || !(IMAGE_EXTENSIONS as readonly string[]).includes(ext)) continue;
    const id = e.name.slice(0, -ext.length);
    const twin = byId.get(id);
    if (twin) throw new CliError(`${twin.file} and ${e.name} both have the id ${JSON.stringify(id)}; keep one of them`, EXIT.refused);
    byId.set(id, { id, path: join(dir, e.name), file: e.name });
  }
  if (byId.size === 0) throw new CliError(`${dir} holds no images (${IMAGE_EXTENSIONS.join(', ')})`, EXIT.usage);
  return [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/**
 * The size of each image of `dir` by id, found as `--images` finds them: for `holdout score
 * --images`, whose solution (HuBMAP's train.csv) may give no sizes.
 */
export async function imageSizes(dir: string): Promise<Map<string, { height: number; width: number }>> {
  const images = await readHeaders(await listImages(dir));
  return new Map(images.map((i) => [i.id, { height: i.height, width: i.width }]));
}

/** Each image's size from its header: an unreadable file is named before any model runs. */
async function readHeaders(files: Omit<ImageFile, 'width' | 'height'>[]): Promise<ImageFile[]> {
  const { DEFAULT_MAX_IMAGE_PIXELS, readImageHeader } = await competitionLib();
  const images: ImageFile[] = [];
  for (const f of files) {
    const header = await readImageHeader(f.path, DEFAULT_MAX_IMAGE_PIXELS);
    if ('problem' in header) throw new CliError(`${f.path} ${header.problem}`, EXIT.refused);
    images.push({ ...f, width: header.width, height: header.height });
  }
  return images;
}

/** The server's check of an uploaded model (libs/inference checkModelFor, as the API and worker call it); the models' bytes. */
async function checkModel(path: string, model: Competition['model']): Promise<Uint8Array[]> {
  const { checkModelFor } = await inferenceLib();
  const name = basename(path);
  const check = await checkModelFor(model, path, name, { keepBytes: true });
  if (!check.ok) {
    throw new CliError([`${name} is refused (the server would refuse it too):`, ...check.problems.map((p) => `  - ${p.message}`)].join('\n'), EXIT.refused);
  }
  return check.members.map((m) => m.bytes);
}

/**
 * Every image through the pipeline in id order, as the worker runs a model submission
 * (apps/worker ModelRunService.predictAll): Dice, one row an image; instance-map, one row an
 * instance and one empty row for an image without any.
 */
async function predictAll(o: { modelPath: string; models: Uint8Array[]; images: ImageFile[]; competition: Competition; threads: number | undefined; progress: boolean }): Promise<(string | number)[][]> {
  const { createPredictor, openImage, predictInstances, predictMask, PredictorError } = await inferenceLib();
  const { images, competition } = o;
  const config: PipelineConfig = competition.model;
  let predictor: Predictor;
  try {
    // The pipeline never reuses a batch's input or the checked models: the thread may take both over instead of copying them.
    predictor = await createPredictor({ models: o.models, transferModels: true, outputKind: config.output.kind, transferInput: true, ...(o.threads ? { threads: o.threads } : {}) });
  } catch (err) {
    if (err instanceof PredictorError && err.modelFault) throw new CliError(`${basename(o.modelPath)}: ${err.message}`, EXIT.refused);
    throw err;
  }
  const bar = o.progress ? new SingleBar({ format: 'image {image}/{images} {id} |{bar}| {value}/{total} windows', hideCursor: true, clearOnComplete: true }, Presets.shades_classic) : null;
  let shown = -1;
  const onProgress = (p: Progress) => {
    if (!bar) return;
    const payload = { image: p.imageIndex + 1, images: p.images, id: p.imageId };
    if (shown < 0) bar.start(p.total, p.done, payload);
    else if (shown !== p.imageIndex) bar.setTotal(p.total);
    shown = p.imageIndex;
    bar.update(p.done, payload);
  };
  const rows: (string | number)[][] = [];
  try {
    for (const [index, image] of images.entries()) {
      const source = await openImage(image.path, image.id).catch((err: unknown) => {
        throw new CliError(`${image.path}: cannot be read as an image (${(err as Error).message})`, EXIT.refused);
      });
      try {
        const run = { source, predictor, config, order: competition.order, onProgress, imageIndex: index, images: images.length };
        if (competition.metric === 'dice') rows.push([image.id, await predictMask(run)]);
        else {
          const instances = await predictInstances(run);
          if (instances.length === 0) rows.push([image.id, '']);
          for (const rle of instances) rows.push([image.id, rle]);
        }
      } catch (err) {
        // The model's faults (NaN, a wrong output shape, a failed run) and unreadable pixels are
        // the input's (exit 2); a crashed inference thread is not.
        if (err instanceof CliError || !(err instanceof Error)) throw err;
        if (err instanceof PredictorError && !err.modelFault) throw new CliError(`inference failed on ${image.file}: ${err.message}`, EXIT.usage);
        throw new CliError(`${image.file}: ${err.message}`, EXIT.refused);
      } finally {
        await source.close();
      }
    }
  } finally {
    bar?.stop();
    await predictor.close();
  }
  return rows;
}

