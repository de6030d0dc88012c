import { readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { extname, join, relative } from 'node:path';
import { readImageHeader } from './image-header.js';
import { dataPathsAt } from '../data/paths.js';
import { validateCompetitionData } from '../data/validate.js';
import { CompetitionBundleError, type BundleIssue } from '../errors.js';
import { CONFIG_FILE, loadBundle, resolveTimeline, type PageName } from '../loader.js';
import { unpackBundleArchive } from './archive.js';
import { BUNDLE_LIMITS, IMAGE_EXTENSIONS, maxImagePixelsOf } from './limits.js';

/** An uploaded bundle, unpacked and checked: plain data (it crosses a process boundary as JSON). */
/** Where a bundle check stands: unpacking (entries so far), the config and pages, the image headers. */
export interface BundleCheckProgress {
  step: 'unpacking' | 'config' | 'images';
  done: number;
  total: number | null;
}

export interface InspectedBundle {
  /** Where it was unpacked: `<into>/<slug>`. */
  dir: string;
  slug: string;
  title: string;
  metric: 'dice' | 'instance-map';
  rleOrder: 'column' | 'row';
  submissionKinds: string[];
  opensAt: string;
  teamMergeDeadline: string;
  closesAt: string;
  dailySubmissions: number;
  finalSelections: number;
  pages: Record<PageName, string>;
  /** The validated competition.yaml as JSON (units parsed; dates as ISO strings). */
  config: Record<string, unknown>;
}

/**
 * Unpacks an uploaded bundle archive into `<into>/<slug>` and checks it as far as it can be
 * checked without building data: the archive's per-file limits, competition.yaml (schema, YAML
 * resource limits), the pages, the timeline against `now`, and — for data-as-files bundles — the
 * header of every image against the competition's pixel limit, then (when its CSVs are small enough
 * for the checker's heap, `BUNDLE_LIMITS.uploadDataCheckCsvBytes`) the data as the build checks it. Throws `CompetitionBundleError`
 * naming each problem by its path in the bundle, and then leaves nothing under `into`.
 * Runs in a child process with a small heap (see the API's bundle inspector): its input is hostile.
 */
export async function inspectBundleArchive(o: { archive: string; into: string; maxTotalBytes: number; now: Date; onProgress?: (p: BundleCheckProgress) => void }): Promise<InspectedBundle> {
  const report = o.onProgress ?? (() => undefined);
  try {
    report({ step: 'unpacking', done: 0, total: null });
    let entries = 0;
    const unpacked = await unpackBundleArchive({ ...o, onEntry: (n) => report({ step: 'unpacking', done: (entries = n), total: null }) });
    report({ step: 'unpacking', done: entries, total: entries });
    // The loader wants the directory named after the slug; read it without parsing the YAML.
    const yaml = await readFile(join(unpacked, CONFIG_FILE), 'utf8').catch(() => null);
    if (yaml === null) throw new CompetitionBundleError(CONFIG_FILE, [{ file: CONFIG_FILE, message: 'not found in the bundle' }]);
    const slug = /^slug:\s*["']?([a-z0-9]+(?:-[a-z0-9]+)*)["']?\s*$/m.exec(yaml)?.[1];
    if (!slug) throw new CompetitionBundleError(CONFIG_FILE, [{ file: CONFIG_FILE, field: 'slug', message: 'is required (lowercase letters, digits and single dashes)' }]);
    const dir = join(o.into, slug);
    await rename(unpacked, dir);
    if (unpacked !== join(o.into, 'unpacked')) await rm(join(o.into, 'unpacked'), { recursive: true, force: true });

    report({ step: 'config', done: 0, total: 1 });
    const b = await loadBundle(dir);
    const t = resolveTimeline(b.config.timeline, o.now);
    report({ step: 'config', done: 1, total: 1 });
    if (b.config.data.files) {
      const issues = await checkImages(dir, [b.config.data.files.public, b.config.data.files.hidden], maxImagePixelsOf(b.config), (done, total) => report({ step: 'images', done, total }));
      if (issues.length > 0) throw new CompetitionBundleError(slug, issues);
      // The data itself (solution rows against the images, labels, the sample), as the build
      // will check it: a bundle whose data cannot build is refused now rather than created broken.
      const paths = dataPathsAt(b.config, { root: dir, publicDir: join(dir, b.config.data.files.public), hiddenDir: join(dir, b.config.data.files.hidden), manifest: false });
      const csvBytes = (await Promise.all([paths.solutionCsv, paths.trainCsv, paths.sampleSubmissionCsv].map((p) => stat(p).then((s) => s.size, () => 0)))).reduce((a, n) => a + n, 0);
      if (csvBytes <= BUNDLE_LIMITS.uploadDataCheckCsvBytes) {
        const problems = await validateCompetitionData(b.config, paths);
        if (problems.length > 0) throw new CompetitionBundleError(slug, problems);
      }
    }
    return {
      dir,
      slug,
      title: b.config.title,
      metric: b.config.metric.name,
      rleOrder: b.config.metric.rleOrder,
      submissionKinds: b.config.submissions.kinds,
      opensAt: t.opensAt.toISOString(),
      teamMergeDeadline: t.teamMergeDeadline.toISOString(),
      closesAt: t.closesAt.toISOString(),
      dailySubmissions: b.config.limits.dailySubmissions,
      finalSelections: b.config.limits.finalSelections,
      pages: b.pages,
      config: JSON.parse(JSON.stringify(b.config)) as Record<string, unknown>,
    };
  } catch (error) {
    await rm(o.into, { recursive: true, force: true });
    throw error;
  }
}

/** Reads only the header of each image under `dirs` (relative to `bundleDir`): size against `maxPixels`. */
async function checkImages(bundleDir: string, dirs: string[], maxPixels: number, onImage: (done: number, total: number) => void): Promise<BundleIssue[]> {
  const issues: BundleIssue[] = [];
  const images: string[] = [];
  for (const d of dirs) {
    const entries = await readdir(join(bundleDir, d), { recursive: true, withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      if (e.isFile() && (IMAGE_EXTENSIONS as readonly string[]).includes(extname(e.name).toLowerCase())) images.push(join(e.parentPath, e.name));
    }
  }
  onImage(0, images.length);
  for (const [i, path] of images.entries()) {
    const header = await readImageHeader(path, maxPixels);
    if ('problem' in header) issues.push({ file: relative(bundleDir, path), message: header.problem });
    onImage(i + 1, images.length);
  }
  return issues;
}
