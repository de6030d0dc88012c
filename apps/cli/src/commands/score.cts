import { scoreSubmission, ScoringError, type MetricName, type RleOrder, type ScoreResult } from '@holdout/metrics/scorer';
import { writeSync } from 'node:fs';
import { parseCommandLine } from '../args.cjs';

/** Exit code for an invalid solution or submission (a stable contract, see ARCHITECTURE.md). */
export const EXIT_INVALID_INPUT = 2;

interface ScoreCommandOptions {
  metric: string;
  solution: string;
  submission: string;
  rleOrder?: string;
  images?: string;
  json?: boolean;
}

const USAGE = `Usage: holdout score --metric <metric> --solution <file> --submission <file> [options]

Score a submission against a solution offline, exactly as the server does.

Options:
  --metric <metric>      dice | instance-map
  --solution <file>      solution CSV (id,height,width,encoding|annotation[,Usage])
  --submission <file>    submission CSV (id,predicted)
  --rle-order <order>    RLE pixel order: column (HuBMAP) | row (Sartorius);
                         default column for dice, row for instance-map
  --images <dir>         the images the solution describes: each one's size is read from
                         its file when the solution has no height and width columns
                         (HuBMAP's train.csv is id,encoding)
  --json                 print one JSON object (errors as {"error":{code,message,row}})
  -h, --help             show this help

Exit codes: 0 scored, 2 invalid solution or submission, 1 bad command line.

Local CV on the train images (holdout predict runs the server's model pipeline):
  holdout predict -c glomeruli --model model.onnx --images data/train --out train-predictions.csv
  holdout score --metric dice --solution data/train.csv --submission train-predictions.csv --images data/train
`;

/**
 * `holdout score --metric dice|instance-map --solution S.csv --submission P.csv
 *  [--rle-order column|row] [--images DIR] [--json]`
 */
export async function run(args: string[]): Promise<void> {
  const line = parseCommandLine(args, {
    usage: USAGE,
    options: { metric: { type: 'string' }, solution: { type: 'string' }, submission: { type: 'string' }, 'rle-order': { type: 'string' }, images: { type: 'string' }, json: { type: 'boolean' } },
    required: ['metric', 'solution', 'submission'],
  });
  if (line === null) return;
  const v = line.values;
  process.exitCode = await runScore({
    metric: v.metric as string,
    solution: v.solution as string,
    submission: v.submission as string,
    rleOrder: v['rle-order'] as string | undefined,
    images: v.images as string | undefined,
    json: v.json === true,
  });
}

async function runScore(opts: ScoreCommandOptions): Promise<number> {
  let result: ScoreResult;
  let sizes: Map<string, { height: number; width: number }> | undefined;
  if (opts.images !== undefined) {
    // Loaded only here: image headers need sharp, which the plain score path never pays for.
    const { imageSizes } = await import('./predict.js');
    const { CliError } = await import('../client/errors.js');
    try {
      sizes = await imageSizes(opts.images);
    } catch (err) {
      if (!(err instanceof CliError)) throw err;
      writeOut(2, `error: ${err.message}\n`);
      return err.exitCode;
    }
  }
  try {
    result = await scoreSubmission({
      metric: opts.metric as MetricName,
      solution: opts.solution,
      submission: opts.submission,
      rleOrder: opts.rleOrder as RleOrder | undefined,
      sizes,
    });
  } catch (err) {
    if (!(err instanceof ScoringError)) throw err;
    if (opts.json) writeOut(1, `${JSON.stringify({ error: err.toJSON() })}\n`);
    else {
      const hint = err.code === 'bad_header' && opts.images === undefined && /missing column height/.test(err.message) ? ' (give --images DIR to read each image\'s size from the images)' : '';
      writeOut(2, `error (${err.code}): ${err.message}${hint}\n`);
    }
    return EXIT_INVALID_INPUT;
  }
  // The documented JSON: the per-image split stays inside the platform.
  const { perImageUsage: _split, ...printed } = result;
  writeOut(1, opts.json ? `${JSON.stringify(printed)}\n` : formatResult(result));
  return 0;
}

/**
 * Writes with plain write(2) calls: the first use of process.stdout loads Node's stream and
 * socket modules, ~7 ms of a process that is timed as a whole. A non-blocking descriptor that is
 * full (EAGAIN) falls back to the stream; a closed pipe (EPIPE, as in `holdout score … | head`)
 * ends the output quietly.
 */
function writeOut(fd: 1 | 2, text: string): void {
  const bytes = Buffer.from(text);
  let at = 0;
  try {
    while (at < bytes.length) at += writeSync(fd, bytes, at);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EPIPE') return;
    if (code !== 'EAGAIN') throw err;
    (fd === 1 ? process.stdout : process.stderr).write(bytes.subarray(at));
  }
}

function formatResult(r: ScoreResult): string {
  const fmt = (x: number) => x.toFixed(6);
  const lines = [`${r.metric}: ${fmt(r.score)} over ${Object.keys(r.perImage).length} images`];
  for (const [name, split] of [
    ['public', r.public],
    ['private', r.private],
  ] as const) {
    if (split !== null) {
      lines.push(`  ${name.padEnd(8)} ${fmt(split.score)}  (${split.images} images, 95% CI ${fmt(split.interval[0])}–${fmt(split.interval[1])})`);
    }
  }
  return `${lines.join('\n')}\n`;
}
