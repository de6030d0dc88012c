import { join } from 'node:path';
import type { CompetitionConfig } from '../schema.js';

/**
 * Where a competition's data lies. Built data lives in
 * `<dataDir>/competitions/<slug>/<recipeHash>/` (one directory per recipe, scale and seed, so
 * rebuilding with another seed never overwrites data a running platform reads):
 *
 * ```
 * manifest.json            what was built and the sha256 of every file (written last)
 * public/                  downloadable: train/, train.csv, sample_submission.csv, test/ (all
 *                          test images when file submissions are allowed, else a few samples),
 *                          plus competition-specific metadata (HuBMAP: slides.csv)
 * hidden/solution.csv      id,height,width,encoding|annotation,Usage — never served
 * hidden/test/             the full test set of a kernel-only competition — mounted into kernels
 * ```
 */
export interface CompetitionDataPaths {
  root: string;
  publicDir: string;
  hiddenDir: string;
  trainCsv: string;
  sampleSubmissionCsv: string;
  solutionCsv: string;
  /** Test images participants can download. */
  publicTestDir: string;
  /** The complete test set, as kernels see it in `/kaggle/input/<slug>/test`. */
  kernelTestDir: string;
  /** Null for data-as-files bundles (the bundle's own files are the data). */
  manifest: string | null;
}

/**
 * Whether every test image is downloadable: true when file submissions are allowed (a file
 * submission needs the images), false for kernel-only competitions.
 */
export function testImagesArePublic(config: Pick<CompetitionConfig, 'submissions'>): boolean {
  return config.submissions.kinds.includes('file');
}

/** Paths of data laid out as above under `root` (public/ and hidden/ given explicitly for file bundles). */
export function dataPathsAt(
  config: Pick<CompetitionConfig, 'submissions'>,
  dirs: { root: string; publicDir?: string; hiddenDir?: string; manifest?: boolean },
): CompetitionDataPaths {
  const publicDir = dirs.publicDir ?? join(dirs.root, 'public');
  const hiddenDir = dirs.hiddenDir ?? join(dirs.root, 'hidden');
  const publicTestDir = join(publicDir, 'test');
  return {
    root: dirs.root,
    publicDir,
    hiddenDir,
    trainCsv: join(publicDir, 'train.csv'),
    sampleSubmissionCsv: join(publicDir, 'sample_submission.csv'),
    solutionCsv: join(hiddenDir, 'solution.csv'),
    publicTestDir,
    kernelTestDir: testImagesArePublic(config) ? publicTestDir : join(hiddenDir, 'test'),
    manifest: dirs.manifest === false ? null : join(dirs.root, 'manifest.json'),
  };
}

/** `<dataDir>/competitions/<slug>/<recipeHash>` */
export function builtDataRoot(dataDir: string, slug: string, recipeHash: string): string {
  return join(dataDir, 'competitions', slug, recipeHash);
}

/** A read-only bind mount for a kernel run. */
export interface KernelMount {
  source: string;
  target: string;
  readOnly: true;
}

/**
 * The mounts that give a kernel Kaggle's view of the data: `public/` at `/kaggle/input/<slug>`,
 * and for kernel-only competitions `hidden/test` over its `test/` (the few public samples are
 * replaced by the full test set, as on Kaggle's rerun). `hidden/solution.csv` is never mounted.
 */
export function kernelInputMounts(slug: string, paths: CompetitionDataPaths): KernelMount[] {
  const base = `/kaggle/input/${slug}`;
  const mounts: KernelMount[] = [{ source: paths.publicDir, target: base, readOnly: true }];
  if (paths.kernelTestDir !== paths.publicTestDir) mounts.push({ source: paths.kernelTestDir, target: `${base}/test`, readOnly: true });
  return mounts;
}
