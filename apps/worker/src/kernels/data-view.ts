import { createHash, randomUUID } from 'node:crypto';
import { copyFile, link, lstat, mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { hiddenRunSampleSubmission, IMAGE_EXTENSIONS, readCsvFile } from '@holdout/competition';

/**
 * The directory a kernel sees at `/kaggle/input/<slug>/`: the competition's public files, with
 * `test/` holding the hidden test images when the competition keeps them hidden (kernel-only),
 * and then a `sample_submission.csv` listing those images (ids only) in place of the public one,
 * as Kaggle swaps both in for the rerun: a kernel that starts from the sample file covers them.
 * Built once per data version from hard links (copies across file systems), written to a
 * temporary name and renamed into place, so concurrent runs share one finished view. Only
 * `public/` and `hidden/test/` are read: the solution file can never be in it.
 */
export async function competitionView(o: {
  viewsRoot: string;
  competitionId: string;
  dataDir: string;
  publicDir: string;
  /** Whether file submissions are allowed (then every test image is public already). */
  testImagesArePublic: boolean;
}): Promise<string> {
  const hiddenTest = join(o.dataDir, 'hidden', 'test');
  const useHidden = !o.testImagesArePublic && (await isDir(hiddenTest));
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
