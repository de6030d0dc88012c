import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { chmod, link, mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ArtifactKeyError, ArtifactNotFoundError, checkArtifactPrefix, sha256File, type ArtifactStore } from './artifact-store.js';
import type { JsonLogger } from './logger.js';

/**
 * A fetched object's bytes are not the ones the store described (a corrupt object, a store that
 * lies, or a put that replaced the object between the head and the read). Nothing was kept.
 */
export class ArtifactChecksumError extends Error {
  constructor(
    readonly key: string,
    readonly expected: { size: number; sha256: string | null },
    readonly got: { size: number; sha256: string | null },
  ) {
    const show = (d: { size: number; sha256: string | null }) => `${d.size} bytes${d.sha256 ? `, SHA-256 ${d.sha256}` : ''}`;
    // No checksum for what was got: the read was stopped once it passed the expected size.
    const gave = got.sha256 ? show(got) : `${got.size} bytes or more`;
    super(`artifact ${JSON.stringify(key)}: the store described ${show(expected)}, but the fetch gave ${gave}; nothing was cached`);
  }
}

export interface ArtifactCacheOptions {
  store: ArtifactStore;
  /** The cache's own directory (created by `open`); nothing else may write in it. */
  dir: string;
  /** The most bytes of objects kept; exceeded only while acquired objects alone need more. */
  maxBytes: number;
  logger?: Pick<JsonLogger, 'write'>;
}

/** One cached object, held until `release`. */
export interface CachedArtifact {
  key: string;
  /** A read-only file; never written through (it is the cache's only copy, shared by every key with these bytes). */
  path: string;
  sha256: string;
  size: number;
  /** Lets the file be evicted again; a second call does nothing. Never rejects. */
  release(): Promise<void>;
}

/** A folder of cached objects, held as one until `release`. */
export interface CachedFolder {
  prefix: string;
  /** A directory mirroring the keys under the prefix (`<prefix>a/b.csv` is `<path>/a/b.csv`); hard links, read-only: mount it read-only. */
  path: string;
  files: { key: string; path: string; sha256: string; size: number }[];
  /** Sum of the files' sizes. */
  size: number;
  /** Removes the directory and lets its files be evicted again; a second call does nothing. Never rejects. */
  release(): Promise<void>;
}

/** Counters since `open`, for logs and benchmarks. */
export interface ArtifactCacheStats {
  /** Acquires served from disk without waiting for a fetch. */
  hits: number;
  /** Acquires that waited for a fetch (their own, or one already under way for the same bytes). */
  misses: number;
  /** Objects downloaded from the store, and their bytes. */
  fetches: number;
  bytesFetched: number;
  /** Objects removed to stay within maxBytes. */
  evictions: number;
  /** What is on disk now (fetches under way included), how many of those objects are acquired. */
  objects: number;
  bytes: number;
  pinned: number;
}

interface Entry {
  sha256: string;
  size: number;
  /** Acquires not yet released (a fetch under way is pinned by everyone waiting for it). */
  pins: number;
  /** Set while the bytes are being fetched; rejects when the fetch fails (the entry is then gone). */
  fetching: Promise<void> | null;
}

const SHA256 = /^[0-9a-f]{64}$/;
/** The cache's owning process, by pid. */
const OWNER_RECORD = 'owner.pid';

/** Whether a process with this pid exists (one of another user still counts). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
/** Objects fetched at once by acquirePrefix. */
const PREFIX_FETCHES = 4;

/**
 * A worker's local cache of artifact-store objects (competition data above all), so a job reads
 * files from local disk and a host fetches each dataset once, not once per job.
 *
 * - Content-addressed: objects live in `<dir>/objects/<sha[0:2]>/<sha256>`, so two keys with the
 *   same bytes share one file. Each acquire heads the key (the store is the truth: a key may be
 *   replaced), then serves the file with the SHA-256 the store gave, or fetches it.
 * - Verified: a fetch streams into `<dir>/tmp/`, counting and hashing as it writes; a size or
 *   SHA-256 other than the store's is refused (ArtifactChecksumError) and the file removed. Only
 *   a verified file is flushed and renamed into place, so a file's name is its checked checksum,
 *   also after a crash. An object whose checksum the store does not know (S3: written by another
 *   tool) is checked by size only, and fetched on every acquire (then shares the file of its
 *   bytes); a warning says so.
 * - Bounded: when the objects exceed `maxBytes`, the least recently acquired ones that no one holds
 *   are removed. An acquired object is never removed; one larger than `maxBytes` alone is fetched
 *   anyway (with a warning), held while acquired, and removed on release.
 * - One fetch per object: concurrent acquires of the same bytes wait for the same download.
 * - Restartable: `open` rebuilds the index from the directory (recency from the files' mtimes,
 *   which every acquire touches), removing downloads in progress, folder views and any file that
 *   is not named by a checksum.
 *
 * One process per directory: the index lives in this process's memory, and `open` refuses a
 * directory another live process has opened (`owner.pid`).
 */
export class ArtifactCache {
  private readonly store: ArtifactStore;
  private readonly dir: string;
  private readonly maxBytes: number;
  private readonly logger: Pick<JsonLogger, 'write'> | null;
  /** In least-recently-acquired order: an acquire moves its entry to the end. */
  private readonly entries = new Map<string, Entry>();
  /** Bytes of the entries, and of fetches whose checksum is not known yet. */
  private bytes = 0;
  private reserved = 0;
  /** Removals of evicted files still on disk, by checksum: a new fetch of the same bytes waits for them. */
  private readonly removals = new Map<string, Promise<void>>();
  private counters = { hits: 0, misses: 0, fetches: 0, bytesFetched: 0, evictions: 0 };
  private opened = false;

  constructor(options: ArtifactCacheOptions) {
    if (!Number.isSafeInteger(options.maxBytes) || options.maxBytes < 0) throw new RangeError(`maxBytes must be a whole number of bytes ≥ 0, not ${options.maxBytes}`);
    this.store = options.store;
    this.dir = resolve(options.dir);
    this.maxBytes = options.maxBytes;
    this.logger = options.logger ?? null;
  }

  /**
   * Makes the directory, or rebuilds the index from what an earlier process left in it.
   * `verify`: also rehash every cached file and drop those whose bytes do not match their name
   * (reads everything: for a disk that may have been tampered with, not for every start).
   */
  async open(options: { verify?: boolean } = {}): Promise<void> {
    if (this.opened) throw new Error(`the artifact cache in ${this.dir} is already open`);
    await this.claim();
    // Downloads and folder views of a process that is gone: nothing holds them now.
    await rm(join(this.dir, 'tmp'), { recursive: true, force: true });
    await rm(join(this.dir, 'views'), { recursive: true, force: true });
    await mkdir(join(this.dir, 'tmp'), { recursive: true });
    await mkdir(join(this.dir, 'views'), { recursive: true });
    await mkdir(join(this.dir, 'objects'), { recursive: true });

    const found: { sha256: string; size: number; mtimeMs: number }[] = [];
    let dropped = 0;
    for (const shard of await readdir(join(this.dir, 'objects'), { withFileTypes: true })) {
      const shardDir = join(this.dir, 'objects', shard.name);
      if (!shard.isDirectory() || !/^[0-9a-f]{2}$/.test(shard.name)) {
        await rm(shardDir, { recursive: true, force: true });
        dropped++;
        continue;
      }
      for (const f of await readdir(shardDir, { withFileTypes: true })) {
        const file = join(shardDir, f.name);
        const named = f.isFile() && SHA256.test(f.name) && f.name.startsWith(shard.name);
        const s = named ? await stat(file) : null;
        if (!s || (options.verify && (await sha256File(file)) !== f.name)) {
          await rm(file, { recursive: true, force: true });
          dropped++;
          continue;
        }
        found.push({ sha256: f.name, size: s.size, mtimeMs: s.mtimeMs });
      }
    }
    found.sort((a, b) => a.mtimeMs - b.mtimeMs || (a.sha256 < b.sha256 ? -1 : 1));
    for (const f of found) {
      this.entries.set(f.sha256, { sha256: f.sha256, size: f.size, pins: 0, fetching: null });
      this.bytes += f.size;
    }
    this.opened = true;
    this.log('info', 'artifact cache opened', { dir: this.dir, objects: found.length, bytes: this.bytes, maxBytes: this.maxBytes, dropped });
    // maxBytes may be smaller than last time.
    await this.evict();
  }

  /**
   * The object under `key` as a local file, held (never evicted) until `release`.
   * ArtifactNotFoundError when there is none; ArtifactChecksumError when its bytes are not the ones
   * the store describes.
   */
  async acquire(key: string): Promise<CachedArtifact> {
    this.checkOpen();
    const head = await this.store.head(key);
    if (head.sha256 === null) return this.acquireUnverified(key, head.size);

    const sha256 = head.sha256;
    let entry = this.entries.get(sha256);
    // From here to the pin nothing awaits, so concurrent acquires of these bytes find this entry.
    if (entry) {
      this.touch(entry);
      entry.pins++;
      if (entry.fetching) {
        this.counters.misses++;
        await entry.fetching; // its failure is every waiter's (the entry is gone then)
      } else {
        this.counters.hits++;
        // Recency across restarts; a failure only makes the order after a restart less exact.
        const now = new Date();
        await utimes(this.objectPath(sha256), now, now).catch(() => undefined);
      }
      return this.handle(key, entry);
    }
    if (head.size > this.maxBytes) this.warnOversize(key, head.size);
    entry = { sha256, size: head.size, pins: 1, fetching: null };
    this.entries.set(sha256, entry);
    this.bytes += head.size;
    this.counters.misses++;
    const fetched = entry;
    fetched.fetching = (async () => {
      try {
        await this.evict();
        const { file } = await this.download(key, { size: head.size, sha256 });
        await this.install(file, sha256);
        fetched.fetching = null;
      } catch (err) {
        this.entries.delete(sha256);
        this.bytes -= fetched.size;
        throw err;
      }
    })();
    await fetched.fetching;
    return this.handle(key, fetched);
  }

  /**
   * Every object whose key starts with `prefix` (a folder: it must end with `/`), as one local
   * directory mirroring the keys, held until `release`. Files with the same bytes are links to one
   * cached file. ArtifactNotFoundError when the folder is empty.
   */
  async acquirePrefix(prefix: string): Promise<CachedFolder> {
    this.checkOpen();
    checkArtifactPrefix(prefix);
    if (!prefix.endsWith('/')) throw new ArtifactKeyError(prefix, 'a folder prefix must end with /');
    const keys: string[] = [];
    for await (const o of this.store.list(prefix)) keys.push(o.key);
    if (keys.length === 0) throw new ArtifactNotFoundError(prefix);

    const view = join(this.dir, 'views', randomUUID());
    const held: CachedArtifact[] = [];
    const releaseAll = async () => {
      await rm(view, { recursive: true, force: true }).catch((err: unknown) => this.log('warn', 'artifact cache: a folder view could not be removed', { view, error: String(err) }));
      await Promise.all(held.map((h) => h.release()));
    };
    try {
      // A few at a time: enough to overlap requests, without opening a connection per file. After a
      // failure no new acquire starts, and every one under way ends before the cleanup releases them.
      let next = 0;
      let failed = false;
      const fetchSome = async () => {
        while (next < keys.length && !failed) {
          try {
            held.push(await this.acquire(keys[next++]!));
          } catch (err) {
            failed = true;
            throw err;
          }
        }
      };
      const results = await Promise.allSettled(Array.from({ length: Math.min(PREFIX_FETCHES, keys.length) }, fetchSome));
      const failure = results.find((r) => r.status === 'rejected');
      if (failure) throw failure.reason;
      held.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      const files: CachedFolder['files'] = [];
      for (const h of held) {
        const target = join(view, h.key.slice(prefix.length));
        // Store keys hold no `..`; this only guards the join.
        if (!target.startsWith(view + sep)) throw new ArtifactKeyError(h.key, 'leads out of its folder');
        await mkdir(dirname(target), { recursive: true }).catch((err: unknown) => {
          throw conflict(err, h.key, prefix);
        });
        await link(h.path, target).catch((err: unknown) => {
          throw conflict(err, h.key, prefix);
        });
        files.push({ key: h.key, path: target, sha256: h.sha256, size: h.size });
      }
      let released = false;
      return {
        prefix,
        path: view,
        files,
        size: files.reduce((n, f) => n + f.size, 0),
        release: async () => {
          if (released) return;
          released = true;
          await releaseAll();
        },
      };
    } catch (err) {
      await releaseAll();
      throw err;
    }
  }

  /**
   * Makes this process the directory's one owner (`owner.pid`): another live process holding it is
   * refused by name, since two indexes over one directory would remove each other's files. The
   * record of a process that is gone is taken over.
   */
  private async claim(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const record = join(this.dir, OWNER_RECORD);
    const holder = Number((await readFile(record, 'utf8').catch(() => '')).trim());
    if (Number.isSafeInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder)) {
      throw new Error(
        `the artifact cache in ${this.dir} is in use by process ${holder}: each process needs a cache directory of its own (two workers on one host: give each its own HOLDOUT_KERNEL_OWNER)`,
      );
    }
    await writeFile(record, `${process.pid}\n`);
  }

  stats(): ArtifactCacheStats {
    let pinned = 0;
    for (const e of this.entries.values()) if (e.pins > 0) pinned++;
    return { ...this.counters, objects: this.entries.size, bytes: this.bytes, pinned };
  }

  /** Where the bytes with this SHA-256 live once cached. */
  objectPath(sha256: string): string {
    if (!SHA256.test(sha256)) throw new Error(`not a SHA-256 (64 lowercase hex digits): ${JSON.stringify(sha256)}`);
    return join(this.dir, 'objects', sha256.slice(0, 2), sha256);
  }

  // -------------------------------------------------------------------------------------------

  /** An object whose checksum the store does not know: fetched, hashed, then filed under the hash it has. */
  private async acquireUnverified(key: string, size: number): Promise<CachedArtifact> {
    this.log('warn', 'artifact cache: the store knows no checksum for this object; checked by size only, and fetched on every acquire', { key, size });
    if (size > this.maxBytes) this.warnOversize(key, size);
    this.counters.misses++;
    this.reserved += size;
    let downloaded: { file: string; sha256: string };
    try {
      await this.evict();
      downloaded = await this.download(key, { size, sha256: null });
    } finally {
      this.reserved -= size;
    }
    const { file: tmp, sha256 } = downloaded;
    const existing = this.entries.get(sha256);
    if (existing) {
      await rm(tmp, { force: true });
      this.touch(existing);
      existing.pins++;
      await existing.fetching;
      return this.handle(key, existing);
    }
    const entry: Entry = { sha256, size, pins: 1, fetching: null };
    this.entries.set(sha256, entry);
    this.bytes += size;
    entry.fetching = this.install(tmp, sha256).then(
      () => {
        entry.fetching = null;
      },
      (err: unknown) => {
        this.entries.delete(sha256);
        this.bytes -= size;
        throw err;
      },
    );
    await entry.fetching;
    return this.handle(key, entry);
  }

  /** Streams `key` into a new file under tmp/, checking size and checksum; returns the file and its SHA-256, or throws and leaves nothing. */
  private async download(key: string, expected: { size: number; sha256: string | null }): Promise<{ file: string; sha256: string }> {
    const started = Date.now();
    const tmp = join(this.dir, 'tmp', randomUUID());
    const hash = createHash('sha256');
    let size = 0;
    const check = new Transform({
      transform(chunk: Buffer, _enc, done) {
        size += chunk.length;
        // Past the expected size the rest is not worth reading.
        if (size > expected.size) return done(new ArtifactChecksumError(key, expected, { size, sha256: null }));
        hash.update(chunk);
        done(null, chunk);
      },
    });
    // Before the file is opened: a stream that never runs would never close.
    const source = await this.store.get(key);
    // `flush`: the bytes are on disk before the rename names them as verified.
    const out = createWriteStream(tmp, { flags: 'wx', flush: true });
    try {
      await pipeline(source, check, out);
      const got = { size, sha256: hash.digest('hex') };
      if (got.size !== expected.size || (expected.sha256 !== null && got.sha256 !== expected.sha256)) throw new ArtifactChecksumError(key, expected, got);
      this.counters.fetches++;
      this.counters.bytesFetched += size;
      this.log('debug', 'artifact cache: fetched', { key, size, ms: Date.now() - started });
      return { file: tmp, sha256: got.sha256 };
    } catch (err) {
      // A failed pipeline may still be opening the file: remove it only once the stream is closed.
      if (!out.closed) await new Promise<void>((done) => out.once('close', () => done()));
      await rm(tmp, { force: true });
      throw err;
    }
  }

  /** Renames a verified download into its place. */
  private async install(tmp: string, sha256: string): Promise<void> {
    const final = this.objectPath(sha256);
    try {
      // An eviction of these same bytes may not have removed its file yet.
      await this.removals.get(sha256);
      await mkdir(dirname(final), { recursive: true });
      // Read-only: a job that opens it for writing would corrupt every key with these bytes.
      await chmod(tmp, 0o444);
      await rename(tmp, final);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  private handle(key: string, entry: Entry): CachedArtifact {
    let released = false;
    return {
      key,
      path: this.objectPath(entry.sha256),
      sha256: entry.sha256,
      size: entry.size,
      release: async () => {
        if (released) return;
        released = true;
        entry.pins--;
        if (entry.pins === 0) await this.evict();
      },
    };
  }

  /** Removes least recently acquired, unheld objects until what is cached fits maxBytes. Never rejects. */
  private async evict(): Promise<void> {
    const removals: Promise<void>[] = [];
    // Decided without awaiting, so two evictions never choose the same entry.
    for (const entry of this.entries.values()) {
      if (this.bytes + this.reserved <= this.maxBytes) break;
      if (entry.pins > 0 || entry.fetching) continue;
      this.entries.delete(entry.sha256);
      this.bytes -= entry.size;
      this.counters.evictions++;
      const file = this.objectPath(entry.sha256);
      const removal = rm(file, { force: true })
        .catch((err: unknown) => this.log('warn', 'artifact cache: an evicted file could not be removed', { file, error: String(err) }))
        .finally(() => {
          if (this.removals.get(entry.sha256) === removal) this.removals.delete(entry.sha256);
        });
      this.removals.set(entry.sha256, removal);
      removals.push(removal);
    }
    await Promise.all(removals);
  }

  private touch(entry: Entry): void {
    this.entries.delete(entry.sha256);
    this.entries.set(entry.sha256, entry);
  }

  private warnOversize(key: string, size: number): void {
    this.log('warn', 'artifact cache: object larger than the whole cache; kept only while acquired, removed on release', { key, size, maxBytes: this.maxBytes });
  }

  private checkOpen(): void {
    if (!this.opened) throw new Error(`the artifact cache in ${this.dir} is not open: call open() first`);
  }

  private log(level: 'debug' | 'info' | 'warn', msg: string, fields: Record<string, unknown>): void {
    this.logger?.write(level, msg, fields);
  }
}

/** A key that is also a folder under the same prefix (`p/a` and `p/a/b`) cannot be mirrored. */
function conflict(err: unknown, key: string, prefix: string): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EEXIST' || code === 'ENOTDIR') return new ArtifactKeyError(key, `is both a file and a folder under ${JSON.stringify(prefix)}, so the folder cannot be mirrored`);
  return err;
}
