import { createHash, randomUUID } from 'node:crypto';
import { copyFile, link, lstat, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The directory a kernel sees at `/kaggle/input/<slug>/`: the competition's public files, with
 * `test/` holding the hidden test images when the competition keeps them hidden (kernel-only).
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
  const version = createHash('sha256').update(`${o.dataDir}\0${o.publicDir}\0${useHidden}`).digest('hex').slice(0, 16);
  const target = join(o.viewsRoot, `${o.competitionId}-${version}`);
  if (await isDir(target)) return target;
  await mkdir(o.viewsRoot, { recursive: true, mode: 0o755 });
  const tmp = join(o.viewsRoot, `.tmp-${randomUUID()}`);
  try {
    await mirror(o.publicDir, tmp, useHidden ? new Set(['test']) : new Set());
    if (useHidden) await mirror(hiddenTest, join(tmp, 'test'), new Set());
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
