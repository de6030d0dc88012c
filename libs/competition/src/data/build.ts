import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import sharp from 'sharp';
import { CompetitionBundleError } from '../errors.js';
import { loadBundle, loadBundledCompetition, type CompetitionBundle } from '../loader.js';
import { RECIPE_GENERATORS } from '../recipes/index.js';
import type { BuildProgress } from '../recipes/types.js';
import type { DataScale } from '../schema.js';
import { builtDataRoot, dataPathsAt, type CompetitionDataPaths } from './paths.js';
import { validateCompetitionData } from './validate.js';

export type { BuildProgress };

/** Which competition: a bundled slug, a bundle directory, or an already loaded bundle. */
export type BundleRef = { slug: string; competitionsDir?: string } | { bundleDir: string } | { bundle: CompetitionBundle };

export type BuildOptions = BundleRef & {
  /** Root of the platform's data; data goes to `<dataDir>/competitions/<slug>/<recipeHash>/`. */
  dataDir: string;
  /** Default: the recipe's `defaultScale`. */
  scale?: DataScale;
  /** Default: the recipe's `seed`. */
  seed?: number;
  onProgress?: (progress: BuildProgress) => void;
};

/** What `buildCompetitionData` produced. */
export interface BuiltCompetitionData {
  slug: string;
  /** Null for data-as-files bundles. */
  recipeHash: string | null;
  scale: DataScale | null;
  seed: number | null;
  paths: CompetitionDataPaths;
  /** True when the data was already there (nothing was generated). */
  cached: boolean;
}

/** `manifest.json` of a built data directory. */
export interface DataManifest {
  slug: string;
  generator: string;
  generatorVersion: number;
  scale: DataScale;
  seed: number;
  recipeHash: string;
  /** Every file under public/ and hidden/, sorted by path. */
  files: Array<{ path: string; bytes: number; sha256: string }>;
}

async function resolveBundle(ref: BundleRef): Promise<CompetitionBundle> {
  if ('bundle' in ref) return ref.bundle;
  if ('bundleDir' in ref) return loadBundle(ref.bundleDir);
  return loadBundledCompetition(ref.slug, ref.competitionsDir);
}

/**
 * The cache key of a build: a hash of everything the output depends on — slug, generator name
 * and version, its parameters, scale, seed and the libvips version that encodes the images.
 */
export function recipeHash(bundle: CompetitionBundle, scale: DataScale, seed: number): string {
  const recipe = bundle.config.data.recipe;
  if (!recipe) throw new Error(`${bundle.slug} carries its data as files; it has no recipe`);
  const generator = RECIPE_GENERATORS[recipe.generator]!;
  const key = JSON.stringify({
    slug: bundle.slug,
    generator: generator.name,
    version: generator.version,
    params: recipe.params,
    scale,
    seed,
    vips: sharp.versions.vips,
  });
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}

/**
 * Where the data of a competition is (or would be) for a scale and seed, without building it.
 * `built` tells whether it is there. For a data-as-files bundle the paths point into the bundle.
 */
export async function resolveCompetitionData(
  options: BundleRef & { dataDir: string; scale?: DataScale; seed?: number },
): Promise<BuiltCompetitionData & { built: boolean }> {
  const bundle = await resolveBundle(options);
  const recipe = bundle.config.data.recipe;
  if (!recipe) {
    const files = bundle.config.data.files!;
    const paths = dataPathsAt(bundle.config, {
      root: bundle.dir,
      publicDir: join(bundle.dir, files.public),
      hiddenDir: join(bundle.dir, files.hidden),
      manifest: false,
    });
    return { slug: bundle.slug, recipeHash: null, scale: null, seed: null, paths, cached: true, built: true };
  }
  const scale = options.scale ?? recipe.defaultScale;
  const seed = options.seed ?? recipe.seed;
  const hash = recipeHash(bundle, scale, seed);
  const paths = dataPathsAt(bundle.config, { root: builtDataRoot(options.dataDir, bundle.slug, hash) });
  const built = await stat(paths.manifest!).then(
    () => true,
    () => false,
  );
  return { slug: bundle.slug, recipeHash: hash, scale, seed, paths, cached: built, built };
}

async function* walk(dir: string): AsyncGenerator<string> {
  for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else yield path;
  }
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Lists the files under `root`'s public/ and hidden/ with sizes and sha256 (sorted by path). */
export async function hashDataFiles(root: string): Promise<DataManifest['files']> {
  const files: DataManifest['files'] = [];
  for (const top of ['public', 'hidden']) {
    for await (const path of walk(join(root, top))) {
      files.push({ path: relative(root, path), bytes: (await stat(path)).size, sha256: await sha256File(path) });
    }
  }
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * Builds a competition's data if it is not there yet and returns where it is. Generation goes to a
 * temporary sibling directory that is renamed into place with `manifest.json` written last, so a
 * crash never leaves a half-built directory that looks complete, and two processes building at
 * once both end with the same data. A second call with the same recipe, scale and seed returns at
 * once (`cached: true`). Data-as-files bundles are validated instead (throws
 * `CompetitionBundleError` naming each problem).
 */
export async function buildCompetitionData(options: BuildOptions): Promise<BuiltCompetitionData> {
  const bundle = await resolveBundle(options);
  const resolved = await resolveCompetitionData({ ...options, bundle });
  const { built: _built, ...result } = resolved;
  if (!bundle.config.data.recipe) {
    const problems = await validateCompetitionData(bundle.config, resolved.paths);
    if (problems.length > 0) throw new CompetitionBundleError(bundle.dir, problems);
    return result;
  }
  if (resolved.built) return result;

  const recipe = bundle.config.data.recipe;
  const generator = RECIPE_GENERATORS[recipe.generator]!;
  const root = resolved.paths.root;
  const partial = `${root}.partial-${process.pid}-${randomBytes(4).toString('hex')}`;
  await mkdir(partial, { recursive: true });
  try {
    const tmpDir = join(partial, 'tmp');
    await mkdir(tmpDir);
    await generator.generate({
      config: bundle.config,
      params: recipe.params,
      scale: resolved.scale!,
      seed: resolved.seed!,
      publicDir: join(partial, 'public'),
      hiddenDir: join(partial, 'hidden'),
      tmpDir,
      onProgress: options.onProgress ?? (() => {}),
    });
    await rm(tmpDir, { recursive: true, force: true });
    options.onProgress?.({ step: 'checksums', done: 0, total: 1 });
    const manifest: DataManifest = {
      slug: bundle.slug,
      generator: generator.name,
      generatorVersion: generator.version,
      scale: resolved.scale!,
      seed: resolved.seed!,
      recipeHash: resolved.recipeHash!,
      files: await hashDataFiles(partial),
    };
    await writeFile(join(partial, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    options.onProgress?.({ step: 'checksums', done: 1, total: 1 });
    await mkdir(dirname(root), { recursive: true });
    try {
      await rename(partial, root);
    } catch (error) {
      // Another process finished the same build first: its data is identical, keep it.
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
      await rm(partial, { recursive: true, force: true });
    }
  } catch (error) {
    await rm(partial, { recursive: true, force: true });
    throw error;
  }
  return { ...result, cached: false };
}

/** Reads the manifest of built data (null for data-as-files bundles). */
export async function readDataManifest(paths: CompetitionDataPaths): Promise<DataManifest | null> {
  if (!paths.manifest) return null;
  return JSON.parse(await readFile(paths.manifest, 'utf8')) as DataManifest;
}
