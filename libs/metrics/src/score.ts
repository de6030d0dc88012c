import { closeSync, fstatSync, openSync, read } from 'node:fs';
import { bootstrapInterval, type BootstrapOptions } from './bootstrap.js';
import { CsvReader, IgnoreSink, TextSink, type FieldProblem, type FieldSink } from './csv.js';
import { ScoringError } from './errors.js';
import { diceFromCounts, intersectRuns, scoreInstances, type InstanceSet } from './metrics.js';
import { rlePixelToRowCol, type RleOrder } from './rle.js';
import { RleSink, type RunArena } from './rle-sink.js';
import { warmUp } from './warm-up.js';

/** The two metrics of ARCHITECTURE.md. */
export type MetricName = 'dice' | 'instance-map';

/**
 * A CSV input: a file path (or file URL), the whole file in memory, or any async iterable of
 * byte chunks (a Node `Readable` without an encoding, a web stream's reader, …).
 */
export type CsvSource = string | URL | Uint8Array | AsyncIterable<Uint8Array>;

export interface ScoreOptions {
  metric: MetricName;
  /** `id,height,width,encoding` (dice) or `id,height,width,annotation` (instance), optional `Usage`. */
  solution: CsvSource;
  /** `id,predicted`. */
  submission: CsvSource;
  /**
   * Pixel order of the RLEs (default: `column` for dice, `row` for instance-map). Scores do not
   * depend on it (both files use the same order); messages use it to name a pixel's row and column.
   */
  rleOrder?: RleOrder;
  /** Bootstrap settings for the split intervals (default 1000 resamples, 95 %, fixed seed). */
  bootstrap?: BootstrapOptions;
  /**
   * Each image's size by id, for a solution without `height` and `width` columns (HuBMAP's
   * `train.csv` is `id,encoding`, as Kaggle's was): `holdout score --images DIR` reads them from the
   * images. A solution that has the columns is read as always.
   */
  sizes?: ReadonlyMap<string, { height: number; width: number }>;
}

/** The score of one split of the solution (Usage = Public or Private). */
export interface SplitScore {
  /** Mean of the per-image scores of the split. */
  score: number;
  /** Number of images in the split. */
  images: number;
  /** 95 % bootstrap interval of `score` (resampling images; seeded, so stable). */
  interval: [number, number];
}

/** `holdout score --json` prints this object. */
export interface ScoreResult {
  metric: MetricName;
  /** Mean over all images (public and private). */
  score: number;
  public: SplitScore | null;
  private: SplitScore | null;
  /** Score of each image, by id, in the solution's order. */
  perImage: Record<string, number>;
  /** The split of each image (the solution's Usage; `public` without one), by id. */
  perImageUsage: Record<string, 'public' | 'private'>;
}

/** Bytes read from a file at a time. */
const CHUNK_BYTES = 1 << 20;

/**
 * Scores a submission against a solution, streaming both files: memory is the solution's runs
 * plus one submission row (dice) or the submission's runs (instance-map), never a raster.
 * Throws `ScoringError` for any invalid input, naming the file, row and image.
 */
export async function scoreSubmission(options: ScoreOptions): Promise<ScoreResult> {
  return score(options, 1);
}

/**
 * `scoreSubmission`, with the instance scoring repeated `passes` times over the same runs (the
 * warm-up's case: see warm-up.ts).
 */
async function score(options: ScoreOptions, passes: number): Promise<ScoreResult> {
  const { metric } = options;
  if (metric !== 'dice' && metric !== 'instance-map') {
    throw new ScoringError('invalid_options', `unknown metric ${JSON.stringify(metric)}; use dice or instance-map`);
  }
  const order: RleOrder = options.rleOrder ?? (metric === 'dice' ? 'column' : 'row');
  if (order !== 'column' && order !== 'row') {
    throw new ScoringError('invalid_options', `unknown RLE order ${JSON.stringify(order)}; use column or row`);
  }
  // Files are opened (and their first chunks read) now, while the warm-up runs. `take` hands one
  // to `pump`, which closes it; one never taken (an earlier error) is closed at the end.
  const opened = {
    solution: isFile(options.solution) ? openFile(options.solution, 'solution') : null,
    submission: isFile(options.submission) ? openFile(options.submission, 'submission') : null,
  };
  const take = (file: keyof typeof opened) => {
    const taken = opened[file];
    opened[file] = null;
    return taken;
  };
  try {
    await warmUp(metric, score);
    const solution = new SolutionReader(metric, options.sizes);
    await pump(options.solution, take('solution'), new CsvReader('solution', solution), 'solution', (bytes) => metric === 'instance-map' && solution.truth.expect(bytes));
    if (solution.images.length === 0) throw new ScoringError('empty_solution', 'solution: the file has no images', null);

    const submission = new SubmissionReader(metric, solution.byId);
    await pump(options.submission, take('submission'), new CsvReader('submission', submission), 'submission', (bytes) => metric === 'instance-map' && submission.pred.expect(bytes));

    const missing = solution.images.filter((img) => img.seenRow === 0);
    if (missing.length > 0) {
      const names = missing.slice(0, 5).map((img) => JSON.stringify(img.id)).join(', ');
      const more = missing.length > 5 ? ` and ${missing.length - 5} more` : '';
      const hint = metric === 'dice' ? 'one row per image; an empty mask has an empty predicted' : 'an image with no predicted instance needs one row with an empty predicted';
      throw new ScoringError(
        'missing_image_id',
        `submission: no row for ${missing.length} image${missing.length === 1 ? '' : 's'} of the solution: ${names}${more} (${hint})`,
        null,
      );
    }

    if (metric === 'instance-map') {
      for (let pass = 0; pass < passes; pass++) scoreInstanceImages(solution.images, solution.truth, submission.pred, order);
    }
    return summarise(metric, solution.images, options.bootstrap);
  } finally {
    await Promise.all([closeUnread(opened.solution), closeUnread(opened.submission)]);
  }
}

/**
 * Instance mAP of each image, in solution order; the first image whose predictions overlap is
 * the error.
 */
function scoreInstanceImages(images: Image[], truth: InstanceStore, pred: InstanceStore, order: RleOrder): void {
  const truthSet = new SetScratch();
  const predSet = new SetScratch();
  for (const img of images) {
    truth.gather(img.truthHead, truthSet);
    pred.gather(img.predHead, predSet);
    const result = scoreInstances(truthSet, predSet, img.pixels, order === 'row' ? img.width : img.height);
    if (typeof result !== 'number') {
      const rows = [predSet.rows[result.first]!, predSet.rows[result.second]!].sort((a, b) => a - b);
      const { row, col } = rlePixelToRowCol(result.pixel + 1, img.height, img.width, order);
      throw new ScoringError(
        'overlapping_instances',
        `submission rows ${rows[0]} and ${rows[1]} (image ${JSON.stringify(img.id)}): predicted instances overlap at pixel ${result.pixel + 1} (row ${row}, col ${col}); instances must not share pixels`,
        rows[1]!,
      );
    }
    img.score = result;
  }
}

function isFile(source: CsvSource): source is string | URL {
  return typeof source === 'string' || source instanceof URL;
}

function summarise(metric: MetricName, images: Image[], bootstrap: BootstrapOptions | undefined): ScoreResult {
  const split = (which: Usage): SplitScore | null => {
    const scores = images.filter((img) => img.usage === which).map((img) => img.score);
    if (scores.length === 0) return null;
    return { score: mean(scores), images: scores.length, interval: bootstrapInterval(scores, bootstrap) };
  };
  return {
    metric,
    score: mean(images.map((img) => img.score)),
    public: split('public'),
    private: split('private'),
    perImage: Object.fromEntries(images.map((img) => [img.id, img.score])),
    perImageUsage: Object.fromEntries(images.map((img) => [img.id, img.usage])),
  };
}

function mean(xs: number[]): number {
  let total = 0;
  for (const x of xs) total += x;
  return total / xs.length;
}

/** A file opened and sized, with its first chunk being read into the first of two buffers. */
interface OpenedFile {
  fd: number;
  size: number;
  buffers: [Buffer, Buffer];
  first: Promise<number>;
}

/**
 * Opens a file, sizes it and starts reading its first chunk, without waiting for the read: the
 * scorer opens both of its files before the warm-up, so that libuv's thread pool (started by the
 * first read of the process) and the first reads overlap that work. Opening and sizing are
 * synchronous (microseconds) because the warm-up never yields to the event loop: an asynchronous
 * open's callback would only run after it. A failure is reported when the file's turn comes, so
 * the solution's errors still come before the submission's.
 */
function openFile(source: string | URL, file: string): Promise<OpenedFile> {
  let fd: number;
  let size: number;
  try {
    fd = openSync(source, 'r');
  } catch (err) {
    return deferred(unreadable(file, source, err));
  }
  try {
    size = fstatSync(fd).size;
  } catch (err) {
    closeSync(fd);
    return deferred(unreadable(file, source, err));
  }
  const buffers: [Buffer, Buffer] = [Buffer.allocUnsafe(CHUNK_BYTES), Buffer.allocUnsafe(CHUNK_BYTES)];
  const first = readChunk(fd, buffers[0]);
  first.catch(() => {}); // awaited by pump or closeUnread
  return Promise.resolve({ fd, size, buffers, first });
}

/** A rejected promise that is not reported as unhandled before its turn. */
function deferred(error: ScoringError): Promise<never> {
  const p = Promise.reject(error);
  p.catch(() => {});
  return p;
}

/** Reads the next chunk of a file (on libuv's thread pool); resolves to the bytes read. */
function readChunk(fd: number, buf: Buffer): Promise<number> {
  return new Promise((resolve, reject) => read(fd, buf, 0, CHUNK_BYTES, null, (err, bytesRead) => (err ? reject(err) : resolve(bytesRead))));
}

/** Closes a file that `pump` never read (an earlier error stopped the scoring). */
async function closeUnread(opened: Promise<OpenedFile> | null): Promise<void> {
  const file = await opened?.catch(() => null);
  if (!file) return;
  await file.first.catch(() => {});
  closeSync(file.fd);
}

/**
 * Feeds a source to a reader; `sized` hears the byte count first when it is known. A file is
 * read from `opened` (see `openFile`), two buffers in turn: the next chunk is read on libuv's
 * thread pool while this one is parsed, so the parser never waits on the disk or the page cache.
 */
async function pump(source: CsvSource, opened: Promise<OpenedFile> | null, reader: CsvReader, file: string, sized: (bytes: number) => unknown): Promise<void> {
  if (source instanceof Uint8Array) {
    sized(source.length);
    reader.write(source);
  } else if (isFile(source)) {
    const { fd, size, buffers, first } = await (opened ?? openFile(source, file));
    const readOrFail = (pending: Promise<number>) =>
      pending.catch((err: unknown) => {
        throw unreadable(file, source, err);
      });
    let pending = readOrFail(first);
    try {
      sized(size);
      let [current, spare] = buffers;
      for (;;) {
        const bytesRead = await pending;
        if (bytesRead === 0) break;
        pending = readOrFail(readChunk(fd, spare));
        reader.write(current.subarray(0, bytesRead));
        [current, spare] = [spare, current];
      }
    } finally {
      await pending.catch(() => {}); // never close the file under a read in flight
      closeSync(fd);
    }
  } else {
    for await (const chunk of source) {
      reader.write(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk);
    }
  }
  reader.close();
}

function unreadable(file: string, source: string | URL, err: unknown): ScoringError {
  const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
  return new ScoringError('unreadable_file', `cannot read the ${file} file ${String(source)} (${reason})`, null);
}

type Usage = 'public' | 'private';

interface Image {
  id: string;
  row: number;
  height: number;
  width: number;
  pixels: number;
  usage: Usage;
  /** Row of the image's first submission row; 0 until seen. */
  seenRow: number;
  score: number;
  /** dice: the truth mask's runs. */
  runs: Float64Array | null;
  runCount: number;
  area: number;
  /** instance-map: first and last instance of the image in the truth / prediction store (-1: none). */
  truthHead: number;
  truthTail: number;
  predHead: number;
  predTail: number;
}

/**
 * All instances of one file in a few growing arrays (not one object per image or instance, which
 * would leave the GC lots to do): instance i has runs `start[i] .. start[i]+count[i]-1` of `runs`,
 * and the instances of an image form a list through `next` (rows of an image need not be adjacent).
 */
class InstanceStore implements RunArena {
  runs: Uint32Array = new Uint32Array(1 << 12);
  /** Whether `expect` is still allowed (only before anything is written). */
  private used = false;
  runCount = 0;
  start = new Int32Array(16);
  count = new Int32Array(16);
  area = new Float64Array(16);
  row = new Int32Array(16);
  next = new Int32Array(16);
  n = 0;

  /**
   * Sizes the arena for a file of `bytes` bytes (an RLE run takes about 10 bytes of CSV; the guess errs high, since growing means a copy), so it
   * is not grown and copied over and over; it still grows if the guess is short. Only instance
   * files keep runs, so only they use it.
   */
  expect(bytes: number): void {
    const runs = Math.ceil(bytes / 8);
    if (this.used || runs * 2 <= this.runs.length) return;
    this.runs = new Uint32Array(runs * 2);
  }

  grow(length: number): Uint32Array {
    const grown = new Uint32Array(Math.max(length, this.runs.length * 2));
    grown.set(this.runs);
    this.runs = grown;
    return grown;
  }

  /** Keeps the field just parsed by `sink` (whose runs were written into this arena). */
  add(sink: RleSink, row: number, img: Image, truth: boolean): void {
    const i = this.n;
    if (i === this.start.length) this.growInstances();
    this.used = true;
    this.start[i] = this.runCount;
    this.count[i] = sink.count;
    this.area[i] = sink.area;
    this.row[i] = row;
    this.next[i] = -1;
    this.runCount += sink.count;
    this.n = i + 1;
    const tail = truth ? img.truthTail : img.predTail;
    if (tail < 0) {
      if (truth) img.truthHead = i;
      else img.predHead = i;
    } else this.next[tail] = i;
    if (truth) img.truthTail = i;
    else img.predTail = i;
  }

  /** Points `out` at the instances of the list starting at `head` (no runs are copied). */
  gather(head: number, out: SetScratch): void {
    let local = 0;
    for (let i = head; i >= 0; i = this.next[i]!) local++;
    out.reserve(local);
    out.runs = this.runs;
    local = 0;
    for (let i = head; i >= 0; i = this.next[i]!) {
      out.runStart[local] = this.start[i]!;
      out.runCount[local] = this.count[i]!;
      out.areas[local] = this.area[i]!;
      out.rows[local] = this.row[i]!;
      local++;
    }
    out.count = local;
  }

  private growInstances(): void {
    const size = this.start.length * 2;
    const grow = <T extends Int32Array | Float64Array>(a: T, make: (n: number) => T): T => {
      const b = make(size);
      b.set(a);
      return b;
    };
    this.start = grow(this.start, (n) => new Int32Array(n));
    this.count = grow(this.count, (n) => new Int32Array(n));
    this.area = grow(this.area, (n) => new Float64Array(n));
    this.row = grow(this.row, (n) => new Int32Array(n));
    this.next = grow(this.next, (n) => new Int32Array(n));
  }
}

/** One image's instances as an `InstanceSet` over a store's runs, in reusable buffers. */
class SetScratch implements InstanceSet {
  count = 0;
  runs: Uint32Array = new Uint32Array(0);
  runStart = new Int32Array(16);
  runCount = new Int32Array(16);
  areas = new Float64Array(16);
  /** File row of each instance. */
  rows = new Int32Array(16);

  reserve(instances: number): void {
    if (instances <= this.runStart.length) return;
    const size = Math.max(instances, this.runStart.length * 2);
    this.runStart = new Int32Array(size);
    this.runCount = new Int32Array(size);
    this.areas = new Float64Array(size);
    this.rows = new Int32Array(size);
  }
}

function describe(file: string, row: number, id: string | null, detail: string): string {
  return id === null ? `${file} row ${row}: ${detail}` : `${file} row ${row} (image ${JSON.stringify(id)}): ${detail}`;
}

function fail(file: string, row: number, id: string | null, problem: FieldProblem): ScoringError {
  return new ScoringError(problem.code, describe(file, row, id, problem.detail), row);
}

function headerError(file: string, expected: string, names: string[], why: string): ScoringError {
  return new ScoringError(
    'bad_header',
    `${file} row 1: ${why}; expected the columns ${expected} (in any order), found ${names.map((n) => JSON.stringify(n)).join(',')}`,
    1,
  );
}

/** Maps header names to column positions; unknown names are an error unless `allowExtra`. */
function mapColumns(file: string, names: string[], required: string[], optional: string[], allowExtra: boolean, expected: string) {
  const at = new Map<string, number>();
  names.forEach((raw, i) => {
    const name = raw.toLowerCase();
    if (!required.includes(name) && !optional.includes(name)) {
      if (!allowExtra) throw headerError(file, expected, names, `unexpected column ${JSON.stringify(raw)}`);
      return;
    }
    if (at.has(name)) throw headerError(file, expected, names, `column ${JSON.stringify(raw)} appears twice`);
    at.set(name, i);
  });
  const missing = required.filter((name) => !at.has(name));
  if (missing.length > 0) throw headerError(file, expected, names, `missing column ${missing.join(', ')}`);
  return at;
}

/** Text of a sink, or a row-level error for a control byte / invalid UTF-8. */
function text(sink: TextSink, file: string, row: number, id: string | null): string {
  const problem = sink.problem();
  if (problem !== null) throw fail(file, row, id, problem);
  return sink.text();
}

class SolutionReader {
  readonly images: Image[] = [];
  /** instance-map: the truth objects of all images. */
  readonly truth = new InstanceStore();
  readonly byId = new Map<string, Image>();
  private readonly id = new TextSink();
  private readonly height = new TextSink();
  private readonly width = new TextSink();
  private readonly usage = new TextSink();
  private readonly rle: RleSink;
  private hasUsage = false;
  /** The previous row's image. */
  private last: Image | null = null;

  /** Whether the rows' sizes come from `sizes`: the solution has no height and width columns. */
  private sized = false;

  constructor(
    private readonly metric: MetricName,
    private readonly sizes: ScoreOptions['sizes'],
  ) {
    this.rle = new RleSink(metric === 'instance-map' ? this.truth : null);
  }

  header(names: string[]): FieldSink[] {
    const rleColumn = this.metric === 'dice' ? 'encoding' : 'annotation';
    const lower = names.map((n) => n.toLowerCase());
    this.sized = this.sizes !== undefined && !lower.includes('height') && !lower.includes('width');
    const { sized } = this;
    const expected = sized ? `id,${rleColumn} and optionally Usage (the sizes given by the caller)` : `id,height,width,${rleColumn} and optionally Usage`;
    const at = mapColumns('solution', names, sized ? ['id', rleColumn] : ['id', 'height', 'width', rleColumn], ['usage'], true, expected);
    this.hasUsage = at.has('usage');
    const sinks: FieldSink[] = names.map(() => new IgnoreSink());
    sinks[at.get('id')!] = this.id;
    if (!sized) {
      sinks[at.get('height')!] = this.height;
      sinks[at.get('width')!] = this.width;
    }
    sinks[at.get(rleColumn)!] = this.rle;
    if (this.hasUsage) sinks[at.get('usage')!] = this.usage;
    return sinks;
  }

  record(row: number): void {
    // The common row of an instance solution: the previous row's image again, with the same size
    // and Usage byte for byte (so already checked), and valid runs: nearly every row of an
    // instance file, which need not be parsed or looked up again.
    const img = this.last;
    const rle = this.rle;
    if (
      img !== null &&
      this.metric === 'instance-map' &&
      this.id.repeated &&
      !this.sized &&
      this.height.repeated &&
      this.width.repeated &&
      (this.usage.repeated || !this.hasUsage) &&
      rle.problem === null
    ) {
      checkInImage(rle, img.pixels, img.height, img.width, 'solution', row, img.id);
      if (!rle.empty) this.truth.add(rle, row, img, true);
      return;
    }
    this.anyRecord(row);
  }

  /** Any row: a new image, a dice row, or one with something to check or to report. */
  private anyRecord(row: number): void {
    // Instance solutions repeat an image over consecutive rows: reuse the last image when the id's bytes match.
    let img: Image | undefined;
    let id: string;
    if (this.last !== null && this.id.repeated) {
      img = this.last;
      id = img.id;
    } else {
      id = text(this.id, 'solution', row, null);
      if (id === '') throw new ScoringError('malformed_csv', describe('solution', row, null, 'the id is empty'), row);
      img = this.byId.get(id);
    }
    const { height, width } = this.sized ? this.givenSize(row, id) : { height: this.dimension(this.height, 'height', row, id), width: this.dimension(this.width, 'width', row, id) };
    const pixels = height * width;
    const limit = this.metric === 'dice' ? MAX_PIXELS : MAX_INSTANCE_PIXELS;
    if (pixels > limit) {
      const what = this.metric === 'dice' ? '' : ' for instance-map images';
      throw new ScoringError('invalid_dimensions', describe('solution', row, id, `${height}x${width} is larger than the ${limit}-pixel limit${what}`), row);
    }
    let usage: Usage = 'public';
    if (this.hasUsage) {
      if (this.usage.equals(PUBLIC)) usage = 'public';
      else if (this.usage.equals(PRIVATE)) usage = 'private';
      else {
        const raw = text(this.usage, 'solution', row, id).trim().toLowerCase();
        if (raw !== 'public' && raw !== 'private') {
          throw new ScoringError('invalid_usage', describe('solution', row, id, `Usage is ${JSON.stringify(this.usage.text())}; use Public or Private`), row);
        }
        usage = raw;
      }
    }
    const rle = this.rle;
    if (rle.problem !== null) throw fail('solution', row, id, rle.problem);
    checkInImage(rle, pixels, height, width, 'solution', row, id);

    if (img !== undefined) {
      if (this.metric === 'dice') {
        throw new ScoringError('duplicate_image_id', describe('solution', row, id, `the image already has row ${img.row}; a dice solution has one row per image`), row);
      }
      if (img.height !== height || img.width !== width) {
        throw new ScoringError('invalid_dimensions', describe('solution', row, id, `size ${height}x${width} differs from ${img.height}x${img.width} in row ${img.row}`), row);
      }
      if (img.usage !== usage) {
        throw new ScoringError('invalid_usage', describe('solution', row, id, `Usage differs from row ${img.row} of the same image`), row);
      }
    } else {
      img = { id, row, height, width, pixels, usage, seenRow: 0, score: 0, runs: null, runCount: 0, area: 0, truthHead: -1, truthTail: -1, predHead: -1, predTail: -1 };
      if (this.metric === 'dice') {
        img.runs = (rle.runs as Float64Array).slice(0, rle.count * 2); // dice: the sink's own buffer (doubles), base 0
        img.runCount = rle.count;
        img.area = rle.area;
      }
      this.images.push(img);
      this.byId.set(id, img);
    }
    this.last = img;
    if (this.metric === 'instance-map' && !rle.empty) this.truth.add(rle, row, img, true);
  }

  private givenSize(row: number, id: string): { height: number; width: number } {
    const size = this.sizes!.get(id);
    if (!size) throw new ScoringError('invalid_dimensions', describe('solution', row, id, 'the solution gives no height and width, and no image has this id'), row);
    return size;
  }

  private dimension(sink: TextSink, name: string, row: number, id: string): number {
    const value = sink.positiveInt();
    if (value < 0) {
      const raw = text(sink, 'solution', row, id).trim();
      throw new ScoringError('invalid_dimensions', describe('solution', row, id, `${name} ${JSON.stringify(raw)} is not a positive integer`), row);
    }
    return value;
  }
}

const PUBLIC = Buffer.from('Public');
const PRIVATE = Buffer.from('Private');

/** Images up to this many pixels: keeps 100·intersection and 95·union exact in doubles. */
const MAX_PIXELS = 2 ** 46;
/** Instance runs are kept as 32-bit integers (half the memory of doubles), so run ends fit. */
const MAX_INSTANCE_PIXELS = 2 ** 32 - 1;

function checkInImage(rle: RleSink, pixels: number, height: number, width: number, file: string, row: number, id: string): void {
  if (rle.lastEnd <= pixels) return;
  const { start, length } = rle.lastRun;
  throw new ScoringError(
    'run_out_of_image',
    describe(file, row, id, `run ${start} ${length} ends at pixel ${start + length - 1}, past the last pixel ${pixels} of the ${height}x${width} image`),
    row,
  );
}

class SubmissionReader {
  /** instance-map: the predicted instances of all images. */
  readonly pred = new InstanceStore();
  private readonly id = new TextSink();
  private readonly rle: RleSink;
  /** The previous row's image: instance submissions repeat an id on consecutive rows. */
  private lastImage: Image | null = null;

  constructor(
    private readonly metric: MetricName,
    private readonly byId: Map<string, Image>,
  ) {
    this.rle = new RleSink(metric === 'instance-map' ? this.pred : null);
  }

  header(names: string[]): FieldSink[] {
    const at = mapColumns('submission', names, ['id', 'predicted'], [], false, 'id,predicted');
    const sinks: FieldSink[] = [];
    sinks[at.get('id')!] = this.id;
    sinks[at.get('predicted')!] = this.rle;
    return sinks;
  }

  record(row: number): void {
    const img = this.image(row);
    const rle = this.rle;
    if (rle.problem !== null) throw fail('submission', row, img.id, rle.problem);
    checkInImage(rle, img.pixels, img.height, img.width, 'submission', row, img.id);
    if (this.metric === 'dice') {
      if (img.seenRow !== 0) {
        throw new ScoringError('duplicate_image_id', describe('submission', row, img.id, `the image already has row ${img.seenRow}; submit one row per image`), row);
      }
      img.score = diceFromCounts(intersectRuns(img.runs!, img.runCount, rle.runs as Float64Array, rle.count), img.area, rle.area);
    } else if (!rle.empty) {
      this.pred.add(rle, row, img, false);
    }
    if (img.seenRow === 0) img.seenRow = row;
  }

  private image(row: number): Image {
    if (this.lastImage !== null && this.id.repeated) return this.lastImage;
    const id = text(this.id, 'submission', row, null);
    const img = this.byId.get(id);
    if (img === undefined) {
      const detail = id === '' ? 'the id is empty' : `unknown image id ${JSON.stringify(id)}: the solution has no such image`;
      throw new ScoringError('unknown_image_id', describe('submission', row, null, detail), row);
    }
    this.lastImage = img;
    return img;
  }
}
