import { stat } from 'node:fs/promises';
import { basename, join, resolve, sep } from 'node:path';
import { isFile, withHeld, type ArtifactFiles, type HeldFile } from './artifact-files.js';
import { sha256File } from './artifact-store.js';

/** How much data a recipe bundle generates: `demo` builds in seconds, `full` is the real competition's size. */
export type DataScale = 'demo' | 'full';

/** The data scale recorded with the competition at its creation (HOLDOUT_DATA_SCALE then), if any. */
export function dataScaleOf(config: Record<string, unknown>): DataScale | undefined {
  return config.dataScale === 'demo' || config.dataScale === 'full' ? config.dataScale : undefined;
}

export interface BuiltData {
  /** Root of the built data. */
  dataDir: string;
  /** Downloadable files. */
  publicDir: string;
  solutionPath: string;
}

/**
 * Builds a competition's data from its bundle: what the worker (and the API at creation) needs
 * of a bundle. The API's bundle catalogue and the worker's BundleData implement it with
 * libs/competition; tests fake it.
 */
export abstract class CompetitionData {
  /**
   * Builds (or finds cached) the data of the bundle in `bundleDir` under the platform data root,
   * at `scale` for recipe bundles (default: the implementation's; data-as-files bundles have none).
   */
  abstract build(bundleDir: string, dataRoot: string, scale?: DataScale): Promise<BuiltData>;
}

/** Where a competition's downloadable files lie in a remote store (HostCompetitionData.publish). */
export function publicDataPrefix(competitionId: string): string {
  return `competition-data/${competitionId}/public/`;
}

/** What a host needs of a competition row to find its data. */
export interface CompetitionDataRef {
  id: string;
  slug: string;
  bundleDir: string;
  bundleKey: string | null;
  dataDir: string | null;
  publicDir: string | null;
  config: Record<string, unknown>;
}

/** What a host needs of a solution version row to find its file. */
export interface SolutionVersionRef {
  id: string;
  version: number;
  path: string;
  artifactKey: string | null;
  checksum: string;
}

/**
 * A solution file on this host is not the one its version recorded: a bundle whose build changed
 * since (a new generator version, an edited data file) or a corrupt copy. Scoring against it would
 * give wrong scores, so nothing is scored.
 */
export class SolutionMismatchError extends Error {
  constructor(slug: string, version: number, path: string, expected: string, got: string) {
    super(`competition ${slug}: solution version ${version} on this host (${path}) has SHA-256 ${got}, but the version recorded ${expected}; nothing is scored against it`);
  }
}

/**
 * A competition's data and solution as files on this host. The database records where the host
 * that provisioned the competition put them (`competitions.data_dir`, `public_dir`,
 * `solution_versions.path`); a host uses those paths only when they lie under its own data root
 * and exist (one machine, or a data directory every host mounts at the same place). Any other host
 * — a worker with a data directory of its own — builds the bundle's data under its own root
 * (builds are deterministic and found again once made), checks the solution against the SHA-256
 * its version recorded, and reads a solution uploaded for a rescore from the artifact store.
 */
export class HostCompetitionData {
  private readonly built = new Map<string, Promise<BuiltData>>();
  private readonly fetchingBundles = new Map<string, Promise<void>>();
  /** Solutions already checked on this host: path → size and mtime when checked. */
  private readonly checked = new Map<string, string>();

  constructor(
    private readonly bundles: CompetitionData,
    private readonly dataRoot: string,
    private readonly files: ArtifactFiles,
  ) {}

  /** The competition's data folders on this host (built here when the recorded ones are not). */
  async data(c: CompetitionDataRef): Promise<{ dataDir: string; publicDir: string }> {
    if (c.dataDir && c.publicDir && this.owns(c.dataDir) && this.owns(c.publicDir) && (await isDir(c.dataDir)) && (await isDir(c.publicDir))) return { dataDir: c.dataDir, publicDir: c.publicDir };
    const built = await this.build(c);
    return { dataDir: built.dataDir, publicDir: built.publicDir };
  }

  /** The solution of `version` as a file on this host, held until `release`. */
  async solution(c: CompetitionDataRef, version: SolutionVersionRef): Promise<HeldFile> {
    const recorded = this.owns(version.path) && (await isFile(version.path));
    if (version.artifactKey && !recorded) {
      const held = await this.files.file(version.artifactKey);
      await this.verify(c, version, held.path).catch(async (err: unknown) => {
        await held.release();
        throw err;
      });
      return held;
    }
    let path = version.path;
    if (!recorded) {
      if (version.version !== 1) throw new Error(`competition ${c.slug}: solution version ${version.version} is at ${version.path} on another host, and was recorded without an artifact key`);
      path = (await this.build(c)).solutionPath;
    }
    await this.verify(c, version, path);
    return { path, release: async () => undefined };
  }

  /** Whether downloads are served from the store (a remote one: API hosts share no disk with the host that built the data). */
  get publishesData(): boolean {
    return !this.files.inPlace;
  }

  /** With a remote store, puts the built downloadable files under `publicDataPrefix` (replacing what was there); nothing with the local store. */
  async publish(competitionId: string, publicDir: string): Promise<void> {
    if (!this.publishesData) return;
    const prefix = publicDataPrefix(competitionId);
    await this.files.removeFolder(prefix);
    await this.files.putFolder(prefix, publicDir);
  }

  /** `fn` with the solution's file, released afterwards. */
  async withSolution<T>(c: CompetitionDataRef, version: SolutionVersionRef, fn: (path: string) => Promise<T>): Promise<T> {
    return withHeld(await this.solution(c, version), fn);
  }

  /** Whether `path` lies under this host's data root (a path another host recorded may exist here by chance). */
  private owns(path: string): boolean {
    return resolve(path).startsWith(resolve(this.dataRoot) + sep);
  }

  /**
   * Where this host has the competition's bundle: where it was recorded (a bundled competition,
   * or an upload on the host that unpacked it), else an uploaded bundle fetched from the store
   * into `<data root>/bundles/` once.
   */
  async bundleDirOf(c: Pick<CompetitionDataRef, 'slug' | 'bundleDir' | 'bundleKey'>): Promise<string> {
    if (!c.bundleKey || (this.owns(c.bundleDir) && (await isDir(c.bundleDir)))) return c.bundleDir;
    // Under the folder's own name: a bundle's directory is named after its slug.
    const target = join(this.dataRoot, 'bundles', basename(c.bundleKey), basename(c.bundleDir));
    let fetching = this.fetchingBundles.get(target);
    if (!fetching) {
      fetching = this.files.copyFolderTo(c.bundleKey, target);
      this.fetchingBundles.set(target, fetching);
      fetching.catch(() => this.fetchingBundles.delete(target));
    }
    await fetching;
    return target;
  }

  private build(c: CompetitionDataRef): Promise<BuiltData> {
    const scale = dataScaleOf(c.config);
    const id = `${c.id}\0${c.bundleDir}\0${scale ?? ''}`;
    let built = this.built.get(id);
    if (!built) {
      built = this.bundleDirOf(c).then((bundleDir) => this.bundles.build(bundleDir, this.dataRoot, scale));
      this.built.set(id, built);
      // A failed build is tried again by the next job.
      built.catch(() => this.built.delete(id));
    }
    return built;
  }

  private async verify(c: CompetitionDataRef, version: SolutionVersionRef, path: string): Promise<void> {
    const s = await stat(path);
    const seen = `${version.checksum}\0${s.size}\0${s.mtimeMs}`;
    if (this.checked.get(path) === seen) return;
    const got = await sha256File(path);
    if (got !== version.checksum) throw new SolutionMismatchError(c.slug, version.version, path, version.checksum, got);
    this.checked.set(path, seen);
  }
}

async function isDir(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
}
