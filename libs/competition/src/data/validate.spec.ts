import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { CompetitionBundleError } from '../errors.js';
import { defaultCompetitionsDir, loadBundle } from '../loader.js';
import { bundledYaml, toYaml } from '../testing.js';
import { buildCompetitionData, resolveCompetitionData } from './build.js';
import { kernelInputMounts } from './paths.js';
import { validateCompetitionData } from './validate.js';

// A data-as-files bundle, the way an instructor hosts their own competition: 6×8 grey images,
// kernel-only instance segmentation, row-major RLE.
interface FixtureFiles {
  solution: string;
  train: string;
  sample: string;
  testImages: Record<string, [number, number]>; // id → [height, width]
}

const good = (): FixtureFiles => ({
  solution: 'id,height,width,annotation,Usage\nt1,6,8,1 3 10 3,Public\nt1,6,8,20 2,Public\nt2,6,8,,Private\n',
  train: 'id,annotation,width,height,cell_type\na,1 4,8,6,cort\na,9 4,8,6,cort\n',
  sample: 'id,predicted\nt1,\n',
  testImages: { t1: [6, 8], t2: [6, 8] },
});

async function makeBundle(files: FixtureFiles): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), 'holdout-files-'));
  const dir = join(root, 'my-cells');
  await cp(join(defaultCompetitionsDir(), 'sartorius-cells', 'pages'), join(dir, 'pages'), { recursive: true });
  const yaml = bundledYaml('sartorius-cells');
  yaml.slug = 'my-cells';
  yaml.data = { files: { public: 'data/public', hidden: 'data/hidden' } };
  await writeFile(join(dir, 'competition.yaml'), toYaml(yaml));
  const pub = join(dir, 'data', 'public');
  const hid = join(dir, 'data', 'hidden');
  await mkdir(join(pub, 'train'), { recursive: true });
  await mkdir(join(hid, 'test'), { recursive: true });
  const png = (h: number, w: number, path: string) =>
    sharp(Buffer.alloc(h * w, 128), { raw: { width: w, height: h, channels: 1 } }).png().toFile(path);
  await png(6, 8, join(pub, 'train', 'a.png'));
  for (const [id, [h, w]] of Object.entries(files.testImages)) await png(h, w, join(hid, 'test', `${id}.png`));
  await writeFile(join(pub, 'train.csv'), files.train);
  await writeFile(join(pub, 'sample_submission.csv'), files.sample);
  await writeFile(join(hid, 'solution.csv'), files.solution);
  return { dir, cleanup: () => rm(root, { recursive: true, force: true }) };
}

async function problems(files: FixtureFiles) {
  const { dir, cleanup } = await makeBundle(files);
  try {
    const bundle = await loadBundle(dir);
    const { paths } = await resolveCompetitionData({ bundle, dataDir: '/nonexistent' });
    return await validateCompetitionData(bundle.config, paths);
  } finally {
    await cleanup();
  }
}

describe('data-as-files bundles', () => {
  it('accepts valid data and serves it in place', async () => {
    const { dir, cleanup } = await makeBundle(good());
    try {
      const built = await buildCompetitionData({ bundleDir: dir, dataDir: '/nonexistent' });
      assert.equal(built.recipeHash, null);
      assert.equal(built.paths.solutionCsv, join(dir, 'data', 'hidden', 'solution.csv'));
      assert.equal(built.paths.kernelTestDir, join(dir, 'data', 'hidden', 'test'));
      // Kernels see public/ with the hidden test set over test/, never the solution.
      const mounts = kernelInputMounts('my-cells', built.paths);
      assert.deepEqual(mounts.map((m) => [m.source, m.target]), [
        [join(dir, 'data', 'public'), '/kaggle/input/my-cells'],
        [join(dir, 'data', 'hidden', 'test'), '/kaggle/input/my-cells/test'],
      ]);
    } finally {
      await cleanup();
    }
  });

  const cases: Array<[string, (f: FixtureFiles) => void, { file: string; row?: number; message: RegExp }]> = [
    ['a solution id without an image', (f) => delete f.testImages.t2, { file: 'data/hidden/solution.csv', row: 4, message: /"t2" has no file/ }],
    ['an image without a solution row', (f) => (f.testImages.t3 = [6, 8]), { file: 'data/hidden/test/t3.png', message: /no row/ }],
    ['an image of another size', (f) => (f.testImages.t2 = [8, 6]), { file: 'data/hidden/solution.csv', row: 4, message: /8×6.*6×8/ }],
    ['an RLE past the image', (f) => (f.solution = f.solution.replace('20 2', '47 3')), { file: 'data/hidden/solution.csv', row: 3, message: /past the image's last pixel 48/ }],
    ['unsorted runs', (f) => (f.solution = f.solution.replace('1 3 10 3', '10 3 1 3')), { file: 'data/hidden/solution.csv', row: 2, message: /not sorted/ }],
    ['a bad Usage', (f) => (f.solution = f.solution.replace('Private', 'Secret')), { file: 'data/hidden/solution.csv', row: 4, message: /Usage/ }],
    ['a missing column', (f) => (f.solution = f.solution.replace('annotation', 'mask')), { file: 'data/hidden/solution.csv', row: 1, message: /missing column\(s\) annotation/ }],
    ['bad sizes', (f) => (f.solution = f.solution.replace('t2,6,8', 't2,six,8')), { file: 'data/hidden/solution.csv', row: 4, message: /positive integers/ }],
    ['a train label for a missing image', (f) => (f.train += 'b,1 1,8,6,cort\n'), { file: 'data/public/train.csv', row: 4, message: /"b" has no file/ }],
    ['a train label past its image', (f) => (f.train = f.train.replace('9 4', '47 5')), { file: 'data/public/train.csv', row: 3, message: /past/ }],
    ['a sample row for no test image', (f) => (f.sample += 'zz,\n'), { file: 'data/public/sample_submission.csv', row: 3, message: /"zz" is not a test image/ }],
    ['a malformed CSV', (f) => (f.solution += 't2,"6,8\n'), { file: 'data/hidden/solution.csv', message: /quoted field/ }],
  ];
  for (const [what, mutate, expected] of cases) {
    it(`names ${what}`, async () => {
      const files = good();
      mutate(files);
      const found = await problems(files);
      const match = found.find((p) => p.file === expected.file && expected.message.test(p.message));
      assert.ok(match, `expected ${expected.file}: ${expected.message}; got ${JSON.stringify(found)}`);
      if (expected.row !== undefined) assert.equal(match.row, expected.row);
    });
  }

  it('refuses to build from invalid data, listing the problems', async () => {
    const files = good();
    files.testImages.t2 = [8, 6];
    const { dir, cleanup } = await makeBundle(files);
    try {
      await assert.rejects(buildCompetitionData({ bundleDir: dir, dataDir: '/nonexistent' }), (error: unknown) => {
        assert.ok(error instanceof CompetitionBundleError);
        assert.match(error.message, /solution\.csv: row 4: image "t2" is 8×6/);
        return true;
      });
    } finally {
      await cleanup();
    }
  });
});
