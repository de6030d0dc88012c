import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
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

/** `holdout competitions build|list|validate`. */
export function registerCompetitionsCommand(program: Command): void {
  const competitions = program.command('competitions').description('competition bundles and their data');

  competitions
    .command('build')
    .description('generate a bundled competition\'s data into <data-dir>/competitions/<slug>/<recipe-hash>/ (cached)')
    .argument('<slug>', 'a bundle under competitions/ (e.g. hubmap-glomeruli), or a path to a bundle directory')
    .addOption(new Option('--scale <scale>', 'demo (quick start) or full (the real competition\'s sizes); default: the bundle\'s').choices([...DATA_SCALES]))
    .option('--seed <n>', 'seed of the data recipe (default: the bundle\'s)', parseSeed)
    .option('--data-dir <dir>', 'data directory (default: $HOLDOUT_DATA_DIR or ./data)')
    .option('--json', 'print the result as JSON instead of a progress bar and summary')
    .action(async (slug: string, opts: { scale?: DataScale; seed?: number; dataDir?: string; json?: boolean }) => {
      const ref = slug.includes('/') ? { bundleDir: resolve(slug) } : { slug };
      const dataDir = resolve(opts.dataDir ?? defaultDataDir());
      const bar = new SingleBar(
        { format: '{step} |{bar}| {percentage}% | {eta_formatted} left', hideCursor: true, etaBuffer: 50 },
        Presets.shades_classic,
      );
      let step = '';
      const onProgress = (p: BuildProgress) => {
        if (opts.json || !process.stderr.isTTY) return;
        if (p.step !== step) {
          if (step) bar.stop();
          step = p.step;
          bar.start(p.total, p.done, { step: p.step.padEnd(14) });
        } else bar.update(p.done);
      };
      const started = Date.now();
      try {
        const result = await buildCompetitionData({ ...ref, dataDir, scale: opts.scale, seed: opts.seed, onProgress });
        if (step) bar.stop();
        const seconds = (Date.now() - started) / 1000;
        if (opts.json) {
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
    });

  competitions
    .command('list')
    .description('list the bundled competitions and whether their data is built')
    .option('--data-dir <dir>', 'data directory (default: $HOLDOUT_DATA_DIR or ./data)')
    .action(async (opts: { dataDir?: string }) => {
      const dataDir = resolve(opts.dataDir ?? defaultDataDir());
      try {
        for (const bundle of await listBundledCompetitions()) {
          const data = await resolveCompetitionData({ bundle, dataDir });
          const kinds = bundle.config.submissions.kinds.join('+');
          console.log(`${bundle.slug.padEnd(22)} ${bundle.config.metric.name.padEnd(13)} ${kinds.padEnd(18)} ${data.built ? `built at ${data.paths.root}` : 'not built'}`);
        }
      } catch (error) {
        fail(error);
      }
    });

  competitions
    .command('validate')
    .description('check a bundle directory: competition.yaml, pages, and for data-as-files bundles the data itself')
    .argument('<dir>', 'bundle directory')
    .action(async (dir: string) => {
      try {
        const bundle = await loadBundle(dir);
        if (bundle.config.data.files) {
          const { paths } = await resolveCompetitionData({ bundle, dataDir: '.' });
          const issues = await validateCompetitionData(bundle.config, paths);
          if (issues.length > 0) throw new CompetitionBundleError(bundle.dir, issues);
        }
        console.log(`${bundle.slug}: valid`);
      } catch (error) {
        fail(error);
      }
    });
}
