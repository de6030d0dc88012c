import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeRle, parseRle, scoreSubmission, type ScoreResult } from '@holdout/metrics';
import sharp from 'sharp';
import { readCsvFile } from '../csv-read.js';
import { loadBundledCompetition, type CompetitionBundle } from '../loader.js';
import { notebookCode } from '../notebook.js';
import { buildCompetitionData, hashDataFiles, readDataManifest, type BuiltCompetitionData } from './build.js';
import { kernelInputMounts } from './paths.js';

// Builds both bundled competitions at demo scale once, then checks the data, the sample
// submissions and the starter kernels against the scorer. Needs Debian's python3-numpy,
// python3-pil and python3-skimage for the kernels.

const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const SLUGS = ['hubmap-glomeruli', 'sartorius-cells'] as const;

let dataDir: string;
const built = new Map<string, BuiltCompetitionData>();
const bundles = new Map<string, CompetitionBundle>();
const buildSeconds = new Map<string, number>();

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'holdout-competition-data-'));
  for (const slug of SLUGS) {
    const started = performance.now();
    bundles.set(slug, await loadBundledCompetition(slug));
    built.set(slug, await buildCompetitionData({ slug, dataDir, scale: 'demo' }));
    buildSeconds.set(slug, (performance.now() - started) / 1000);
  }
  console.log(`demo builds: ${[...buildSeconds].map(([s, t]) => `${s} ${t.toFixed(1)} s`).join(', ')}`);
});

after(async () => {
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

const data = (slug: string) => built.get(slug)!;

async function imageIds(dir: string): Promise<string[]> {
  return (await readdir(dir).catch(() => [] as string[])).map((n) => n.replace(/\.(png|tiff)$/, '')).sort();
}

async function score(slug: string, submission: string, solution = data(slug).paths.solutionCsv): Promise<ScoreResult> {
  const config = bundles.get(slug)!.config;
  return scoreSubmission({ metric: config.metric.name, rleOrder: config.metric.rleOrder, solution, submission });
}

describe('demo data of the bundled competitions', () => {
  it('builds both in well under two minutes and reuses the build', async () => {
    const total = [...buildSeconds.values()].reduce((a, b) => a + b, 0);
    assert.ok(total < 120, `demo builds took ${total.toFixed(1)} s`);
    for (const slug of SLUGS) {
      assert.equal(data(slug).cached, false);
      const started = performance.now();
      const again = await buildCompetitionData({ slug, dataDir, scale: 'demo' });
      assert.equal(again.cached, true);
      assert.equal(again.paths.root, data(slug).paths.root);
      assert.ok(performance.now() - started < 2000);
    }
  });

  it('records every file with its checksum in manifest.json', async () => {
    for (const slug of SLUGS) {
      const manifest = await readDataManifest(data(slug).paths);
      assert.equal(manifest?.recipeHash, data(slug).recipeHash);
      assert.deepEqual(manifest?.files, await hashDataFiles(data(slug).paths.root));
      assert.ok(manifest!.files.some((f) => f.path === 'hidden/solution.csv'));
    }
  });

  it('HuBMAP-like: 15 train and 15 downloadable test slides as tiled pyramidal TIFFs, sizes in slides.csv', async () => {
    const { paths } = data('hubmap-glomeruli');
    const train = await imageIds(join(paths.publicDir, 'train'));
    const test = await imageIds(paths.publicTestDir);
    assert.equal(train.length, 15);
    assert.equal(test.length, 15);
    assert.equal(paths.kernelTestDir, paths.publicTestDir);
    assert.deepEqual(await readdir(paths.hiddenDir), ['solution.csv']);
    const slides = await readCsvFile(join(paths.publicDir, 'slides.csv'));
    assert.deepEqual(slides.rows.map((r) => r.values.id).sort(), [...train, ...test].sort());
    const first = slides.rows[0]!.values;
    const meta = await sharp(join(paths.publicDir, first.split!, `${first.id}.tiff`)).metadata();
    assert.equal(meta.format, 'tiff');
    assert.equal(meta.width, Number(first.width));
    assert.equal(meta.height, Number(first.height));
    assert.ok((meta.pages ?? 1) >= 3, 'pyramid levels');
    assert.ok(Math.max(meta.width!, meta.height!) >= 2560);
  });

  it('Sartorius-like: 520×704 grey images; test images hidden except 3 samples', async () => {
    const { paths } = data('sartorius-cells');
    const hidden = await imageIds(paths.kernelTestDir);
    const samples = await imageIds(paths.publicTestDir);
    assert.equal(hidden.length, 24);
    assert.equal(samples.length, 3);
    assert.ok(samples.every((id) => hidden.includes(id)));
    const meta = await sharp(join(paths.publicTestDir, `${samples[0]}.png`)).metadata();
    assert.deepEqual([meta.height, meta.width, meta.channels], [520, 704, 1]);
    const train = await readCsvFile(paths.trainCsv);
    assert.deepEqual(train.columns, ['id', 'annotation', 'width', 'height', 'cell_type']);
    assert.deepEqual([...new Set(train.rows.map((r) => r.values.cell_type))].sort(), ['astro', 'cort', 'shsy5y']);
    assert.equal(new Set(train.rows.map((r) => r.values.id)).size, 60);
  });

  it('the solution covers every test image exactly once, with seeded Public/Private usage', async () => {
    for (const slug of SLUGS) {
      const { paths } = data(slug);
      const solution = await readCsvFile(paths.solutionCsv);
      const usage = new Map<string, string>();
      for (const { values } of solution.rows) {
        assert.ok(!usage.has(values.id!) || usage.get(values.id!) === values.Usage, `${values.id} has one Usage`);
        usage.set(values.id!, values.Usage!);
      }
      assert.deepEqual([...usage.keys()].sort(), await imageIds(paths.kernelTestDir));
      if (slug === 'hubmap-glomeruli') {
        assert.equal(solution.rows.length, 15, 'one row per slide');
        assert.equal([...usage.values()].filter((u) => u === 'Public').length, 5);
        assert.equal([...usage.values()].filter((u) => u === 'Private').length, 10);
      } else {
        assert.equal([...usage.values()].filter((u) => u === 'Public').length, 6);
      }
      const trainIds = new Set((await readCsvFile(paths.trainCsv)).rows.map((r) => r.values.id));
      assert.ok([...usage.keys()].every((id) => !trainIds.has(id)), 'no test image is also a train image');
    }
  });

  it('every truth RLE decodes inside its image; test instances never overlap, train cells sometimes do', async () => {
    // HuBMAP: solution and train masks, column-major, inside the slide; glomeruli cover a plausible share.
    const h = data('hubmap-glomeruli').paths;
    const slides = new Map((await readCsvFile(join(h.publicDir, 'slides.csv'))).rows.map((r) => [r.values.id!, r.values]));
    for (const [file, column] of [[h.solutionCsv, 'encoding'], [h.trainCsv, 'encoding']] as const) {
      for (const { values } of (await readCsvFile(file)).rows) {
        const slide = slides.get(values.id!)!;
        const pixels = Number(slide.width) * Number(slide.height);
        const runs = parseRle(values[column]!, pixels);
        const covered = runs.lengths.reduce((a, b) => a + b, 0) / pixels;
        assert.ok(covered > 0.003 && covered < 0.3, `${values.id}: glomeruli cover ${(covered * 100).toFixed(2)} %`);
      }
    }
    // Sartorius: row-major instances inside 520×704.
    const s = data('sartorius-cells').paths;
    const perImage = new Map<string, Uint8Array>();
    for (const { values } of (await readCsvFile(s.solutionCsv)).rows) {
      const mask = decodeRle(values.annotation!, 520, 704, 'row');
      const sum = perImage.get(values.id!) ?? new Uint8Array(520 * 704);
      for (let i = 0; i < mask.length; i++) sum[i]! += mask[i]!;
      perImage.set(values.id!, sum);
    }
    for (const [id, sum] of perImage) assert.ok(sum.every((v) => v <= 1), `${id}: test instances overlap`);
    let trainOverlaps = 0;
    const trainSums = new Map<string, Uint8Array>();
    for (const { values } of (await readCsvFile(s.trainCsv)).rows) {
      assert.equal(values.width, '704');
      assert.equal(values.height, '520');
      const mask = decodeRle(values.annotation!, 520, 704, 'row');
      const sum = trainSums.get(values.id!) ?? new Uint8Array(520 * 704);
      for (let i = 0; i < mask.length; i++) if (mask[i] && sum[i]++) trainOverlaps++;
      trainSums.set(values.id!, sum);
    }
    assert.ok(trainOverlaps > 0, 'train annotations overlap somewhere, like the real ones');
  });

  it('the sample submissions pass the scorer, and the bundles ship the default seed\'s', async () => {
    const empty = await score('hubmap-glomeruli', data('hubmap-glomeruli').paths.sampleSubmissionCsv);
    assert.equal(empty.public?.images, 5);
    assert.equal(empty.score, 0);
    // Sartorius's sample names the 3 public test images only: score it against their rows.
    const s = data('sartorius-cells').paths;
    const sample = await readCsvFile(s.sampleSubmissionCsv);
    const ids = new Set(sample.rows.map((r) => r.values.id));
    const solution = (await readFile(s.solutionCsv, 'utf8')).split('\n');
    const subset = [solution[0], ...solution.slice(1).filter((line) => ids.has(line.split(',')[0]))].join('\n');
    const result = await scoreSubmission({ metric: 'instance-map', solution: Buffer.from(subset), submission: s.sampleSubmissionCsv });
    assert.equal(Object.keys(result.perImage).length, 3);
    for (const slug of SLUGS) {
      // The committed sample is the default seed's (Sartorius: the samples do not depend on scale).
      const shipped = await readFile(bundles.get(slug)!.files.sampleSubmission!, 'utf8');
      assert.equal(shipped, await readFile(data(slug).paths.sampleSubmissionCsv, 'utf8'));
    }
  });
});

/** Gives a kernel Kaggle's view of the data (the mounts a sandbox would make) with symlinks. */
async function kernelInput(slug: string, into: string): Promise<string> {
  const [base, ...over] = kernelInputMounts(slug, data(slug).paths);
  const dir = join(into, 'input', slug);
  await mkdir(dir, { recursive: true });
  const overTargets = new Set(over.map((m) => m.target.slice(base!.target.length + 1)));
  for (const name of await readdir(base!.source)) {
    if (!overTargets.has(name)) await symlink(join(base!.source, name), join(dir, name));
  }
  for (const m of over) await symlink(m.source, join(dir, m.target.slice(base!.target.length + 1)));
  return dir;
}

function runPython(file: string, input: string, working: string): void {
  const run = spawnSync(PYTHON, [file], {
    env: { ...process.env, KAGGLE_INPUT_DIR: input, KAGGLE_WORKING_DIR: working },
    encoding: 'utf8',
    timeout: 600_000,
  });
  assert.equal(run.status, 0, `${file} failed:\n${run.stdout}\n${run.stderr}`);
}

describe('starter kernels', () => {
  it('the system python has numpy, Pillow and scikit-image', () => {
    const run = spawnSync(PYTHON, ['-c', 'import numpy, PIL, skimage'], { encoding: 'utf8' });
    assert.equal(run.status, 0, `install them: apt-get install -y python3-numpy python3-pil python3-skimage\n${run.stderr}`);
  });

  for (const slug of SLUGS) {
    it(`${slug}: the script and the notebook write the same valid submission, beating an empty one on both splits`, async () => {
      const work = await mkdtemp(join(tmpdir(), `holdout-kernel-${slug}-`));
      try {
        const input = await kernelInput(slug, work);
        const bundle = bundles.get(slug)!;
        await mkdir(join(work, 'py'));
        runPython(bundle.files.starterKernel.py!, input, join(work, 'py'));
        const notebook = JSON.parse(await readFile(bundle.files.starterKernel.ipynb!, 'utf8'));
        await writeFile(join(work, 'notebook.py'), notebookCode(notebook));
        await mkdir(join(work, 'nb'));
        runPython(join(work, 'notebook.py'), input, join(work, 'nb'));
        const submission = join(work, 'py', 'submission.csv');
        assert.equal(await readFile(join(work, 'nb', 'submission.csv'), 'utf8'), await readFile(submission, 'utf8'));

        const starter = await score(slug, submission);
        const ids = await imageIds(data(slug).paths.kernelTestDir);
        await writeFile(join(work, 'empty.csv'), `id,predicted\n${ids.map((id) => `${id},`).join('\n')}\n`);
        const empty = await score(slug, join(work, 'empty.csv'));
        console.log(
          `${slug} starter kernel: public ${starter.public!.score.toFixed(4)}, private ${starter.private!.score.toFixed(4)} ` +
            `(empty: ${empty.public!.score.toFixed(4)}, ${empty.private!.score.toFixed(4)})`,
        );
        assert.ok(starter.public!.score > empty.public!.score + 0.1, 'public split');
        assert.ok(starter.private!.score > empty.private!.score + 0.1, 'private split');
        // The evaluation page records these scores; keep it true.
        const page = bundle.pages.evaluation;
        const recorded = (label: string) => /\|\s*([\d.]+)\s*\|\s*([\d.]+)\s*\|/.exec(page.split('\n').find((l) => l.includes(label)) ?? '')?.slice(1).map(Number);
        assert.deepEqual(recorded('| starter kernel'), [starter.public!.score, starter.private!.score].map((x) => Number(x.toFixed(4))));
        assert.deepEqual(recorded('| empty'), [empty.public!.score, empty.private!.score].map((x) => Number(x.toFixed(4))));
      } finally {
        await rm(work, { recursive: true, force: true });
      }
    });
  }
});
