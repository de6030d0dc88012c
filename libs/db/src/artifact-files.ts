import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, cp, mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { ArtifactCache } from './artifact-cache.js';
import { ArtifactNotFoundError, checkArtifactKey, checkArtifactPrefix, createArtifactStore, LocalArtifactStore, type ArtifactStore, type ArtifactStoreSettings } from './artifact-store.js';
import type { JsonLogger } from './logger.js';

/** An object of the store as a local file, until `release` (never rejects; a second call does nothing). */
export interface HeldFile {
  /** Read-only: with a remote store it is the cache's only copy. */
  path: string;
  release(): Promise<void>;
}

/** `fn` with the held file's path; the file is released afterwards, whatever `fn` does. */
export async function withHeld<T>(held: HeldFile, fn: (path: string) => Promise<T>): Promise<T> {
  try {
    return await fn(held.path);
  } finally {
    await held.release();
  }
}

/**
 * A local folder whose files become objects under `prefix` on `commit` (relative paths as the rest
 * of the key). With the local store it is the store's own folder, and `commit` has nothing to do.
 */
export interface OutputFolder {
  prefix: string;
  path: string;
  /** Puts every file of the folder under the prefix (remote store), then removes the local folder. */
  commit(): Promise<void>;
  /** Removes the local copy without putting anything (the local store keeps what is in it). */
  discard(): Promise<void>;
}

/**
 * The artifact store as files on this host, for what needs a path: the scorer's threads, the
 * kernel sandbox's bind mounts, onnxruntime. With the local store (one machine, or a shared data
 * directory) these are the store's own files, in place, as before. With a remote store (S3: workers
 * on other hosts) reads go through the worker's cache (fetched once, checked against the store's
 * SHA-256, evicted least-recently-used) and writes are put from a scratch folder.
 */
export class ArtifactFiles {
  private readonly local: LocalArtifactStore | null;

  constructor(
    readonly store: ArtifactStore,
    private readonly remote: { cache: ArtifactCache; scratchDir: string } | null = null,
  ) {
    this.local = store instanceof LocalArtifactStore ? store : null;
    if (!this.local && !remote) throw new Error(`the ${store.kind} artifact store needs a cache and a scratch folder on this host`);
  }

  /** Whether files are the store's own (local store) rather than fetched copies. */
  get inPlace(): boolean {
    return this.local !== null;
  }

  /** Where the object lies, for a record and a log line: its file for the local store, else the store's location and the key. */
  where(key: string): string {
    return this.local ? this.local.path(key) : `${this.store.location}/${key}`;
  }

  /** The object under `key` as a local file; ArtifactNotFoundError when there is none. */
  async file(key: string): Promise<HeldFile> {
    if (this.local) {
      const path = this.local.path(key);
      if (!(await isFile(path))) throw new ArtifactNotFoundError(key);
      return { path, release: async () => undefined };
    }
    return this.remote!.cache.acquire(key);
  }

  /** `fn` with the object's local file, released afterwards. */
  async withFile<T>(key: string, fn: (path: string) => Promise<T>): Promise<T> {
    return withHeld(await this.file(key), fn);
  }

  /** A folder to write outputs into, put under `prefix` (ending with `/`) on commit. */
  async outputFolder(prefix: string): Promise<OutputFolder> {
    checkFolderPrefix(prefix);
    if (this.local) {
      const path = this.local.path(prefix.slice(0, -1));
      await mkdir(path, { recursive: true });
      return { prefix, path, commit: async () => undefined, discard: async () => undefined };
    }
    const path = join(this.remote!.scratchDir, 'outputs', randomUUID());
    await mkdir(path, { recursive: true });
    const discard = () => rm(path, { recursive: true, force: true });
    return {
      prefix,
      path,
      commit: async () => {
        await this.putFolder(prefix, path);
        await discard();
      },
      discard,
    };
  }

  /** Stores the local file `path` under `key`. */
  async putFile(key: string, path: string): Promise<void> {
    checkArtifactKey(key);
    if (this.local) {
      const target = this.local.path(key);
      await mkdir(dirname(target), { recursive: true });
      await copyFile(path, target);
      return;
    }
    await this.store.put(key, createReadStream(path));
  }

  /** Stores every regular file under the local folder `dir` under `prefix` (ending with `/`), its relative path the rest of the key. */
  async putFolder(prefix: string, dir: string): Promise<void> {
    checkFolderPrefix(prefix);
    for (const file of await filesUnder(dir)) await this.putFile(prefix + relative(dir, file).split(sep).join('/'), file);
  }

  /**
   * The objects under `prefix` (ending with `/`) as a folder `target` on this host (fetched once,
   * checked against the store's checksums; a finished copy is marked and found again). Another
   * process may make the same copy at the same time: the first rename wins.
   */
  async copyFolderTo(prefix: string, target: string): Promise<void> {
    checkFolderPrefix(prefix);
    if (await isFile(join(target, COMPLETE))) return;
    const tmp = `${target}.partial-${randomUUID()}`;
    try {
      if (this.local) await cp(this.local.path(prefix.slice(0, -1)), tmp, { recursive: true });
      else {
        const held = await this.remote!.cache.acquirePrefix(prefix);
        try {
          // Copies, not the cache's links: the folder outlives the cache's hold on its files.
          await cp(held.path, tmp, { recursive: true, dereference: true });
        } finally {
          await held.release();
        }
      }
      await writeFile(join(tmp, COMPLETE), '');
      await mkdir(dirname(target), { recursive: true });
      if (await isFile(join(target, COMPLETE))) return; // another process finished it meanwhile
      await rm(target, { recursive: true, force: true }); // an unfinished copy of a process that died
      await rename(tmp, target).catch(async (err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err;
      });
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }

  /** Removes every object under the folder `prefix` (ending with `/`). */
  async removeFolder(prefix: string): Promise<void> {
    checkFolderPrefix(prefix);
    if (this.local) await rm(this.local.path(prefix.slice(0, -1)), { recursive: true, force: true });
    else await this.store.deletePrefix(prefix);
  }
}

/** Marks a finished copyFolderTo. */
const COMPLETE = '.holdout-complete';

function checkFolderPrefix(prefix: string): void {
  checkArtifactPrefix(prefix);
  if (!prefix.endsWith('/') || prefix.length < 2) throw new RangeError(`a folder prefix ends with / and names a folder, not ${JSON.stringify(prefix)}`);
}

/** Whether `path` is a regular file (links followed); false when it does not exist. */
export async function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
}

/** Regular files under `dir`, depth first (symbolic links and other specials are left out). */
async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(p)));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** The Nest token of the configured ArtifactStore (an interface, so not a class token). */
export const ARTIFACT_STORE = 'holdout:artifact-store';

/**
 * The configured store (HOLDOUT_ARTIFACT_STORE; `store` overrides it) as files on this host. A
 * remote store gets a cache in `cacheDir` of at most `cacheBytes`, opened here, and scratch space
 * beside it. Each process gives its own `cacheDir` (a cache has one owner).
 */
export async function openArtifactFiles(o: {
  config: { artifactDir: string; artifactStore: ArtifactStoreSettings };
  store?: ArtifactStore;
  cacheDir: string;
  cacheBytes: number;
  logger?: Pick<JsonLogger, 'write'>;
}): Promise<ArtifactFiles> {
  const store = o.store ?? (await createArtifactStore(o.config));
  if (store instanceof LocalArtifactStore) return new ArtifactFiles(store);
  const cache = new ArtifactCache({ store, dir: join(o.cacheDir, 'cache'), maxBytes: o.cacheBytes, ...(o.logger ? { logger: o.logger } : {}) });
  await cache.open();
  const scratchDir = join(o.cacheDir, 'scratch');
  // Output folders of a process that is gone: nothing will commit them.
  await rm(scratchDir, { recursive: true, force: true });
  return new ArtifactFiles(store, { cache, scratchDir });
}
