import { resolve } from 'node:path';
import { SingleBar, Presets } from 'cli-progress';
import {
  buildCompetitionData,
  CompetitionBundleError,
  DATA_SCALES,
  listBundledCompetitions,
  loadBundle,
  validateCompetitionData,
  resolveCompetitionData,
  type BuildProgress,
  type DataScale,
} from '@holdout/competition';
import { parseCommandLine, usageError } from '../args.cjs';

/** Where data goes when --data-dir is not given: $HOLDOUT_DATA_DIR, else ./data. */
function defaultDataDir(): string {
  return process.env.HOLDOUT_DATA_DIR ?? resolve('data');
}

function parseSeed(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) > 2 ** 32 - 1) throw new Error(`--seed must be a whole number below 2^32 (got "${text}")`);
  return Number(text);
}

function fail(error: unknown): never {
  if (error instanceof CompetitionBundleError) {
    console.error(error.message);
    process.exit(2);
  }
  throw error;
}

const USAGE = `Usage: holdout bundles <build|list|validate> [options]

Competition bundles and their data.

Commands:
  build <slug>      generate a bundled competition's data into
                    <data-dir>/competitions/<slug>/<recipe-hash>/ (cached)
  list              list the bundled competitions and whether their data is built
  validate <dir>    check a bundle directory: competition.yaml, pages, and for
                    data-as-files bundles the data itself

Run holdout bundles <command> --help for the command's options.
`;

const BUILD_USAGE = `Usage: holdout bundles build <slug> [options]

Generate a bundled competition's data into <data-dir>/competitions/<slug>/<recipe-hash>/ (cached).
<slug> is a bundle under competitions/ (e.g. hubmap-glomeruli), or a path to a bundle directory.

Options:
  --scale <scale>     demo (quick start) or full (the real competition's sizes); default: the bundle's
  --seed <n>          seed of the data recipe (default: the bundle's)
  --data-dir <dir>    data directory (default: $HOLDOUT_DATA_DIR or ./data)
  --json              print the result as JSON instead of a progress bar and summary
  -h, --help          show this help
`;

const LIST_USAGE = `Usage: holdout bundles list [options]

List the bundled competitions and whether their data is built.

Options:
  --data-dir <dir>    data directory (default: $HOLDOUT_DATA_DIR or ./data)
  -h, --help          show this help
`;

const VALIDATE_USAGE = `Usage: holdout bundles validate <dir>

Check a bundle directory: competition.yaml, pages, and for data-as-files bundles the data itself.
`;

/** `holdout bundles build|list|validate`. */
export async function run(args: string[]): Promise<void> {
  const [command, ...rest] = args;
  if (command === undefined || command === '--help' || command === '-h') process.stdout.write(USAGE);
  else if (command === 'build') await build(rest);
  else if (command === 'list') await list(rest);
  else if (command === 'validate') await validate(rest);
  else usageError(USAGE, `unknown command ${JSON.stringify(command)}`);
}

async function build(args: string[]): Promise<void> {
  const line = parseCommandLine(args, {
    usage: BUILD_USAGE,
    options: { scale: { type: 'string' }, seed: { type: 'string' }, 'data-dir': { type: 'string' }, json: { type: 'boolean' } },
    positionals: ['slug'],
  });
  if (line === null) return;
  const slug = line.positionals[0]!;
  const scale = line.values.scale as string | undefined;
  if (scale !== undefined && !(DATA_SCALES as readonly string[]).includes(scale)) {
    usageError(BUILD_USAGE, `--scale must be one of ${DATA_SCALES.join(', ')} (got "${scale}")`);
    return;
  }
  let seed: number | undefined;
  try {
    seed = line.values.seed === undefined ? undefined : parseSeed(line.values.seed as string);
  } catch (err) {
    usageError(BUILD_USAGE, (err as Error).message);
    return;
  }
  const json = line.values.json === true;
  const ref = slug.includes('/') ? { bundleDir: resolve(slug) } : { slug };
  const dataDir = resolve((line.values['data-dir'] as string | undefined) ?? defaultDataDir());
  const bar = new SingleBar(
    { format: '{step} |{bar}| {percentage}% | {eta_formatted} left', hideCursor: true, etaBuffer: 50 },
    Presets.shades_classic,
  );
  let step = '';
  const onProgress = (p: BuildProgress) => {
    if (json || !process.stderr.isTTY) return;
    if (p.step !== step) {
      if (step) bar.stop();
      step = p.step;
      bar.start(p.total, p.done, { step: p.step.padEnd(14) });
    } else bar.update(p.done);
  };
  const started = Date.now();
  try {
    const result = await buildCompetitionData({ ...ref, dataDir, scale: scale as DataScale | undefined, seed, onProgress });
    if (step) bar.stop();
    const seconds = (Date.now() - started) / 1000;
    if (json) {
      console.log(JSON.stringify({ ...result, seconds }));
      return;
    }
    console.log(
      `${result.slug}: ${result.cached ? 'already built' : `built in ${seconds.toFixed(1)} s`}` +
        (result.scale ? ` (scale ${result.scale}, seed ${result.seed}, recipe ${result.recipeHash})` : ''),
    );
    console.log(`  public: ${result.paths.publicDir}`);
    console.log(`  hidden: ${result.paths.hiddenDir}`);
  } catch (error) {
    if (step) bar.stop();
    fail(error);
  }
}

async function list(args: string[]): Promise<void> {
  const line = parseCommandLine(args, { usage: LIST_USAGE, options: { 'data-dir': { type: 'string' } } });
  if (line === null) return;
  const dataDir = resolve((line.values['data-dir'] as string | undefined) ?? defaultDataDir());
  try {
    for (const bundle of await listBundledCompetitions()) {
      const data = await resolveCompetitionData({ bundle, dataDir });
      const kinds = bundle.config.submissions.kinds.join('+');
      console.log(`${bundle.slug.padEnd(22)} ${bundle.config.metric.name.padEnd(13)} ${kinds.padEnd(18)} ${data.built ? `built at ${data.paths.root}` : 'not built'}`);
    }
  } catch (error) {
    fail(error);
  }
}

async function validate(args: string[]): Promise<void> {
  const line = parseCommandLine(args, { usage: VALIDATE_USAGE, positionals: ['dir'] });
  if (line === null) return;
  try {
    const bundle = await loadBundle(line.positionals[0]!);
    if (bundle.config.data.files) {
      const { paths } = await resolveCompetitionData({ bundle, dataDir: '.' });
      const issues = await validateCompetitionData(bundle.config, paths);
      if (issues.length > 0) throw new CompetitionBundleError(bundle.dir, issues);
    }
    console.log(`${bundle.slug}: valid`);
  } catch (error) {
    fail(error);
  }
}
