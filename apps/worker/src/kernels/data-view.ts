import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { KernelRunPhase } from '@holdout/contracts';
import { copyFile, link, lstat, mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { hiddenRunSampleSubmission, IMAGE_EXTENSIONS, readCsvFile } from '@holdout/competition';

/** Where a competition's data lies, and whether its test images are public (it also takes files). */
export interface ViewSource {
  viewsRoot: string;
  competitionId: string;
  dataDir: string;
  publicDir: string;
  /** Whether file submissions are allowed (then every test image is public already). */
  testImagesArePublic: boolean;
}

/**
 * Whether a kernel of this competition runs a second time, over the hidden test data: only where
 * the test images are hidden (a kernel-only competition with a `hidden/test/` folder). Otherwise
 * its public run sees every test image and its output is the submission.
 */
export async function hasHiddenRun(o: Pick<ViewSource, 'dataDir' | 'testImagesArePublic'>): Promise<boolean> {
  return !o.testImagesArePublic && (await isDir(join(o.dataDir, 'hidden', 'test')));
}

/**
 * The directory a kernel sees at `/kaggle/input/<slug>/`. For the public run: the competition's
 * public files. For the run over the hidden data: the same, with `test/` holding the hidden test
 * images when the competition keeps them hidden (kernel-only), and then a `sample_submission.csv`
 * listing those images (ids only) in place of the public one, as Kaggle swaps both in for the
 * rerun: a kernel that starts from the sample file covers them.
 * Built once per data version from hard links (copies across file systems), written to a
 * temporary name and renamed into place, so concurrent runs share one finished view. Only
 * `public/` and `hidden/test/` are read: the solution file can never be in it.
 */
export async function competitionView(o: ViewSource & { phase: KernelRunPhase }): Promise<string> {
  const hiddenTest = join(o.dataDir, 'hidden', 'test');
  const useHidden = o.phase === 'hidden' && (await hasHiddenRun(o));
  // `v2`: views since the hidden run gets its own sample file (older views are rebuilt).
  const version = createHash('sha256').update(`v2\0${o.dataDir}\0${o.publicDir}\0${useHidden}`).digest('hex').slice(0, 16);
  const target = join(o.viewsRoot, `${o.competitionId}-${version}`);
  if (await isDir(target)) return target;
  await mkdir(o.viewsRoot, { recursive: true, mode: 0o755 });
  const tmp = join(o.viewsRoot, `.tmp-${randomUUID()}`);
  try {
    await mirror(o.publicDir, tmp, useHidden ? new Set(['test', SAMPLE]) : new Set());
    if (useHidden) {
      await mirror(hiddenTest, join(tmp, 'test'), new Set());
      await writeHiddenSample(join(o.publicDir, SAMPLE), join(tmp, 'test'), join(tmp, SAMPLE));
    }
    await rename(tmp, target).catch(async (err: NodeJS.ErrnoException) => {
      // Another run finished the same view first.
      if (err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err;
      await rm(tmp, { recursive: true, force: true });
    });
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
  return target;
}

const SAMPLE = 'sample_submission.csv';

/**
 * The file a public run's `submission.csv` is checked against before the hidden run starts (or a
 * run without submitting completes): a solution without truth — one row per image the public
 * `sample_submission.csv` lists, with its height and width from the solution and an empty mask —
 * so that the scorer's own checks (columns, ids, runs within the image, overlaps) apply and the
 * score means nothing. Written once per data version next to the views, never inside one.
 */
export async function publicRunCheck(o: Pick<ViewSource, 'viewsRoot' | 'competitionId' | 'dataDir' | 'publicDir'> & { solutionPath: string }): Promise<string> {
  const version = createHash('sha256').update(`check-v2\0${o.dataDir}\0${o.publicDir}\0${o.solutionPath}`).digest('hex').slice(0, 16);
  const target = join(o.viewsRoot, `${o.competitionId}-${version}.check.csv`);
  if (await exists(target)) return target;
  const sample = await readCsvFile(join(o.publicDir, SAMPLE), SAMPLE);
  const ids = new Set(sample.rows.map((r) => r.values.id ?? '').filter((id) => id !== ''));
  const sizes = new Map<string, string>();
  // The platform validated this file: ids, heights and widths never hold commas or quotes, so a
  // line's fields are its comma-separated values (masks are space-separated runs; a line is split
  // only as far as the columns needed, its mask is never parsed).
  const lines = createInterface({ input: createReadStream(o.solutionPath, 'utf8'), crlfDelay: Infinity });
  let at: { id: number; height: number; width: number; count: number } | null = null;
  let rle = 'encoding';
  for await (const line of lines) {
    if (!at) {
      const header = line.split(',').map((h) => h.trim());
      const [id, height, width] = ['id', 'height', 'width'].map((c) => header.indexOf(c)) as [number, number, number];
      if (id < 0 || height < 0 || width < 0) throw new Error('the solution has no id, height and width columns');
      at = { id, height, width, count: Math.max(id, height, width) + 1 };
      if (header.includes('annotation')) rle = 'annotation';
      continue;
    }
    const fields = line.split(',', at.count);
    const imageId = fields[at.id]!;
    if (ids.has(imageId) && !sizes.has(imageId)) sizes.set(imageId, `${fields[at.height]},${fields[at.width]}`);
  }
  const missing = [...ids].filter((id) => !sizes.has(id));
  if (missing.length > 0) throw new Error(`the public sample lists ${missing.length} image(s) the solution does not size (${missing.slice(0, 3).join(', ')})`);
  await mkdir(o.viewsRoot, { recursive: true, mode: 0o755 });
  const tmp = `${target}.tmp-${randomUUID()}`;
  await writeFile(tmp, `id,height,width,${rle}\n${[...ids].map((id) => `${id},${sizes.get(id)},\n`).join('')}`);
  await rename(tmp, target);
  return target;
}

/** The hidden run's sample file: the public sample's format, one row per image in `testDir`. */
async function writeHiddenSample(publicSample: string, testDir: string, target: string): Promise<void> {
  const format = await readCsvFile(publicSample, SAMPLE).catch(() => ({ columns: [], rows: [] }));
  const ids = (await readdir(testDir))
    .filter((name) => (IMAGE_EXTENSIONS as readonly string[]).includes(extname(name).toLowerCase()))
    .map((name) => name.slice(0, -extname(name).length));
  await writeFile(target, hiddenRunSampleSubmission(format, ids), { mode: 0o644 });
}

/** Hard-links (or copies) regular files under `from` into `to`; symlinks and specials are skipped. */
export async function mirror(from: string, to: string, skipTop: Set<string>): Promise<void> {
  await mkdir(to, { recursive: true, mode: 0o755 });
  for (const e of await readdir(from, { withFileTypes: true })) {
    if (skipTop.has(e.name)) continue;
    const src = join(from, e.name);
    const dst = join(to, e.name);
    if (e.isDirectory()) await mirror(src, dst, new Set());
    else if (e.isFile()) await link(src, dst).catch(() => copyFile(src, dst));
  }
}

async function isDir(p: string): Promise<boolean> {
  return stat(p).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

export async function exists(p: string): Promise<boolean> {
  return lstat(p).then(
    () => true,
    () => false,
  );
}
