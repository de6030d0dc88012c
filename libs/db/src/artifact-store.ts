import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, readFile, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** A put went past its byte limit; nothing was stored. */
export class TooLargeError extends Error {}

/** A key the store refuses (absolute, `..`, NUL, reserved…); names the key and the rule. */
export class ArtifactKeyError extends Error {
  constructor(
    readonly key: string,
    reason: string,
  ) {
    super(`artifact key ${showKey(key)}: ${reason}`);
  }
}

/** No object under this key. */
export class ArtifactNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`no artifact ${showKey(key)}`);
  }
}

/** A range read that starts at or past the object's end, or a malformed range. */
export class ArtifactRangeError extends Error {
  constructor(
    readonly key: string,
    readonly range: ByteRange,
    reason: string,
  ) {
    super(`artifact ${showKey(key)}: range ${range.start}-${range.end ?? ''}: ${reason}`);
  }
}

/** What a put stored: the key, its size and the SHA-256 of its bytes (hex). */
export interface StoredArtifact {
  key: string;
  size: number;
  sha256: string;
}

/** An object's description without its bytes. */
export interface ArtifactHead {
  key: string;
  size: number;
  /**
   * SHA-256 (hex). The local store always knows it (kept beside the file at put, computed for a
   * file written there some other way); the S3 store knows it for what it stored itself, and gives
   * null for an object another tool wrote into the bucket.
   */
  sha256: string | null;
  modified: Date;
}

/** One entry of a listing. */
export interface ArtifactListing {
  key: string;
  size: number;
  modified: Date;
}

/** Bytes `start` to `end`, both included (as HTTP's Range); no `end`: to the end of the object. */
export interface ByteRange {
  start: number;
  end?: number;
}

/** How a client gets an object's bytes without the API reading them: a presigned URL, or a local file to send. */
export type ArtifactDownload = { type: 'url'; url: string; expiresAt: Date } | { type: 'file'; path: string; size: number };

export interface DownloadOptions {
  /** How long a presigned URL works: 300 s by default, at most 7 days (SigV4's limit). */
  expiresInS?: number;
  /** Offered as the download's file name (`Content-Disposition: attachment`); characters outside [A-Za-z0-9._-] become `_`. */
  fileName?: string;
  contentType?: string;
}

/** What a put accepts: a stream (read once, never buffered whole), or bytes already in memory. */
export type ArtifactSource = Readable | Buffer | Uint8Array | string;

/**
 * Where uploads, logs and outputs live, keyed by object names (`submissions/<competition>/<uuid>-x.csv`),
 * never by paths. Two implementations pass one contract suite (artifact-store.int-spec.ts):
 * `LocalArtifactStore` (a directory; the default, one machine) and `S3ArtifactStore`
 * (`artifact-store-s3.ts`: AWS S3 or an S3-compatible server). Keys follow `checkArtifactKey`.
 */
export interface ArtifactStore {
  readonly kind: 'local' | 's3';
  /** For logs: the directory, or `s3://bucket` and the endpoint. */
  readonly location: string;
  /** Streams `source` into `key` (replacing what was there), hashing as it goes; rejects with TooLargeError past `limit` bytes, leaving nothing. */
  put(key: string, source: ArtifactSource, limit?: number): Promise<StoredArtifact>;
  /** The object's bytes, or the `range` of them; ArtifactNotFoundError, ArtifactRangeError. Consume or destroy the stream. */
  get(key: string, range?: ByteRange): Promise<Readable>;
  /** Size, checksum and modification time; ArtifactNotFoundError. */
  head(key: string): Promise<ArtifactHead>;
  exists(key: string): Promise<boolean>;
  /**
   * Every object whose key starts with `prefix` (a plain string prefix, as S3's: `a/b` also lists
   * `a/bc`), in key order (UTF-8 bytes). `pageSize`: keys per request to S3 (1–1000).
   */
  list(prefix: string, options?: { pageSize?: number }): AsyncIterable<ArtifactListing>;
  /** Removes the object; nothing happens when there is none. */
  delete(key: string): Promise<void>;
  /** Removes every object whose key starts with `prefix` (not empty); returns how many. */
  deletePrefix(prefix: string): Promise<number>;
  /** How to hand the object to a client (ArtifactNotFoundError when there is none). */
  download(key: string, options?: DownloadOptions): Promise<ArtifactDownload>;
}

// ---------------------------------------------------------------------------------------------
// Keys

/** S3's own limit on a key's length, in UTF-8 bytes. */
export const MAX_ARTIFACT_KEY_BYTES = 1024;
/**
 * Suffix of the checksum record a store keeps beside an object (a file locally, an object in S3
 * for multipart uploads); keys may not end with it. The top-level `tmp/` holds the local store's
 * writes in progress. Both are refused by every store, so a key valid in one is valid in the other.
 */
export const ARTIFACT_META_SUFFIX = '.holdout-meta';
const RESERVED_TOP = 'tmp';

/** Why `key` is not a valid artifact key, or null. */
export function artifactKeyProblem(key: string): string | null {
  if (typeof key !== 'string' || key.length === 0) return 'is empty';
  if (Buffer.byteLength(key) > MAX_ARTIFACT_KEY_BYTES) return `is longer than ${MAX_ARTIFACT_KEY_BYTES} bytes`;
  if (key.includes('\0')) return 'contains a NUL character';
  // Other control characters cannot travel in S3's XML listings and make log lines lie.
  if (/[\x01-\x1f\x7f]/.test(key)) return 'contains a control character';
  if (key.includes('\\')) return 'contains a backslash (separate parts with /)';
  if (key.startsWith('/')) return 'is absolute (starts with /)';
  if (key.endsWith('/')) return 'ends with / (a key names an object, not a folder)';
  const parts = key.split('/');
  if (parts.some((p) => p === '')) return 'has an empty part (//)';
  if (parts.some((p) => p === '.' || p === '..')) return 'has a . or .. part';
  if (parts[0] === RESERVED_TOP && parts.length > 1) return `starts with ${RESERVED_TOP}/, which is reserved for writes in progress`;
  if (key.endsWith(ARTIFACT_META_SUFFIX)) return `ends with ${ARTIFACT_META_SUFFIX}, which is reserved for checksum records`;
  return null;
}

/** Returns `key`, or throws ArtifactKeyError saying which rule it breaks. */
export function checkArtifactKey(key: string): string {
  const problem = artifactKeyProblem(key);
  if (problem) throw new ArtifactKeyError(key, problem);
  return key;
}

/** A listing prefix: empty, or a key, optionally ending with `/`. */
export function checkArtifactPrefix(prefix: string): string {
  if (prefix === '') return prefix;
  const problem = artifactKeyProblem(prefix.endsWith('/') ? prefix.slice(0, -1) : prefix);
  if (problem) throw new ArtifactKeyError(prefix, `as a prefix, ${problem}`);
  return prefix;
}

/** Throws ArtifactRangeError for a range that is not whole numbers with 0 ≤ start ≤ end. */
export function checkByteRange(key: string, range: ByteRange): void {
  const { start, end } = range;
  if (!Number.isSafeInteger(start) || start < 0) throw new ArtifactRangeError(key, range, 'start must be a whole number ≥ 0');
  if (end !== undefined && (!Number.isSafeInteger(end) || end < start)) throw new ArtifactRangeError(key, range, 'end must be a whole number ≥ start');
}

/** The file name offered with a download. */
export function contentDisposition(fileName: string): string {
  return `attachment; filename="${fileName.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 200) || 'download'}"`;
}

/** UTF-8 byte order, as S3 lists keys. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

function showKey(key: string): string {
  const s = JSON.stringify(typeof key === 'string' ? key : String(key));
  return s.length > 200 ? `${s.slice(0, 200)}…"` : s;
}

/** A put's source as a stream (bytes in memory become one chunk). */
export function toReadable(source: ArtifactSource): Readable {
  return source instanceof Readable ? source : Readable.from([typeof source === 'string' ? Buffer.from(source) : Buffer.from(source)]);
}

/** Counts and hashes what passes; fails with TooLargeError past `limit` bytes (`exceeded` then holds it). */
export function meter(limit: number): { stream: Transform; result: () => { size: number; sha256: string }; exceeded: () => TooLargeError | null } {
  const hash = createHash('sha256');
  let size = 0;
  let exceeded: TooLargeError | null = null;
  const stream = new Transform({
    transform(chunk: Buffer, _enc, done) {
      size += chunk.length;
      if (size > limit) return done((exceeded = new TooLargeError(`larger than ${limit} bytes`)));
      hash.update(chunk);
      done(null, chunk);
    },
  });
  return { stream, result: () => ({ size, sha256: hash.digest('hex') }), exceeded: () => exceeded };
}

/** The lifetime of a download link, in seconds: 300 by default, 1 to 604800 (SigV4's limit). */
export function checkExpiry(expiresInS = 300): number {
  if (!Number.isInteger(expiresInS) || expiresInS < 1 || expiresInS > 604_800) throw new RangeError(`expiresInS must be a whole number of seconds from 1 to 604800, not ${expiresInS}`);
  return expiresInS;
}

// ---------------------------------------------------------------------------------------------
// Local directory

interface LocalMeta {
  sha256: string;
  size: number;
  mtimeMs: number;
}

const isMissing = (err: unknown) => ['ENOENT', 'ENOTDIR'].includes((err as NodeJS.ErrnoException).code ?? '');

/**
 * Local-directory artifact store (`<data>/artifacts`): the key is the file's path under the root.
 * Writes go to `tmp/` and are renamed into place, so a reader never sees half a file. A put also
 * writes `<file>.holdout-meta` (its SHA-256, size and mtime) beside the file, so `head` needs no
 * rehash; a file the apps wrote through `path()` (kernel outputs) is hashed when asked. Reads
 * refuse a symbolic link that leads out of the root (a kernel's working directory may hold one).
 */
export class LocalArtifactStore implements ArtifactStore {
  readonly kind = 'local' as const;
  private realRoot: Promise<string> | null = null;

  constructor(readonly root: string) {}

  get location(): string {
    return this.root;
  }

  /** The file of `key` (the apps still read and write some files in place). */
  path(key: string): string {
    checkArtifactKey(key);
    const p = resolve(this.root, key);
    if (!p.startsWith(resolve(this.root) + sep)) throw new ArtifactKeyError(key, 'escapes the store');
    return p;
  }

  async put(key: string, source: ArtifactSource, limit = Number.POSITIVE_INFINITY): Promise<StoredArtifact> {
    const final = this.path(key);
    const tmp = join(this.root, RESERVED_TOP, randomUUID());
    await mkdir(dirname(tmp), { recursive: true });
    const m = meter(limit);
    const out = createWriteStream(tmp, { flags: 'wx' });
    let stored: { size: number; sha256: string };
    try {
      await pipeline(toReadable(source), m.stream, out);
      await mkdir(dirname(final), { recursive: true });
      // The record first (a rename keeps the file's mtime), so a file never shows without it.
      stored = m.result();
      await this.writeMeta(final, { ...stored, mtimeMs: (await stat(tmp)).mtimeMs });
      await rename(tmp, final);
    } catch (err) {
      // A failed pipeline may still be opening the file: remove it only once the stream is closed.
      if (!out.closed) await new Promise<void>((done) => out.once('close', () => done()));
      await rm(tmp, { force: true });
      throw err;
    }
    return { key, size: stored.size, sha256: stored.sha256 };
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    if (range) checkByteRange(key, range);
    const file = await this.realFile(key);
    const fh = await open(file, 'r').catch((err: unknown) => {
      throw isMissing(err) ? new ArtifactNotFoundError(key) : err;
    });
    try {
      const s = await fh.stat();
      if (!s.isFile()) throw new ArtifactNotFoundError(key);
      if (range && range.start >= s.size) throw new ArtifactRangeError(key, range, `the object has ${s.size} bytes`);
      return fh.createReadStream({ start: range?.start, end: range?.end, autoClose: true });
    } catch (err) {
      await fh.close();
      throw err;
    }
  }

  async head(key: string): Promise<ArtifactHead> {
    const file = await this.realFile(key);
    const s = await stat(file).catch((err: unknown) => {
      throw isMissing(err) ? new ArtifactNotFoundError(key) : err;
    });
    if (!s.isFile()) throw new ArtifactNotFoundError(key);
    const meta = await readFile(this.path(key) + ARTIFACT_META_SUFFIX, 'utf8')
      .then((t) => JSON.parse(t) as LocalMeta)
      .catch(() => null);
    // The record holds only while the file is the one it describes (the apps may rewrite a file in place).
    const sha256 = meta && meta.size === s.size && meta.mtimeMs === s.mtimeMs && /^[0-9a-f]{64}$/.test(meta.sha256) ? meta.sha256 : await sha256File(file);
    return { key, size: s.size, sha256, modified: s.mtime };
  }

  async exists(key: string): Promise<boolean> {
    return stat(this.path(key)).then(
      (s) => s.isFile(),
      () => false,
    );
  }

  async *list(prefix: string, options: { pageSize?: number } = {}): AsyncIterable<ArtifactListing> {
    checkArtifactPrefix(prefix);
    checkPageSize(options.pageSize);
    const slash = prefix.lastIndexOf('/');
    const found: ArtifactListing[] = [];
    await this.walk(slash < 0 ? '' : prefix.slice(0, slash), prefix, found);
    yield* found.sort((a, b) => compareKeys(a.key, b.key));
  }

  async delete(key: string): Promise<void> {
    const p = this.path(key);
    await rm(p, { force: true });
    await rm(p + ARTIFACT_META_SUFFIX, { force: true });
  }

  /** The name the apps use; the same as `delete`. */
  remove(key: string): Promise<void> {
    return this.delete(key);
  }

  async deletePrefix(prefix: string): Promise<number> {
    if (prefix === '') throw new ArtifactKeyError(prefix, 'deleting everything is refused: name a prefix');
    checkArtifactPrefix(prefix);
    let n = 0;
    for await (const o of this.list(prefix)) {
      await this.delete(o.key);
      n++;
    }
    // A folder goes whole: also what a listing leaves out (links, empty folders, records).
    if (prefix.endsWith('/')) await rm(this.path(prefix.slice(0, -1)), { recursive: true, force: true });
    return n;
  }

  async download(key: string, options: DownloadOptions = {}): Promise<ArtifactDownload> {
    checkExpiry(options.expiresInS);
    const file = await this.realFile(key);
    const s = await stat(file);
    if (!s.isFile()) throw new ArtifactNotFoundError(key);
    return { type: 'file', path: file, size: s.size };
  }

  // Only a shortcut: without it (a full disk), or with a stale one (a crash before the file's rename), head rehashes.
  private async writeMeta(file: string, meta: LocalMeta): Promise<void> {
    const tmp = join(this.root, RESERVED_TOP, randomUUID());
    try {
      await writeFile(tmp, JSON.stringify(meta), { flag: 'wx' });
      await rename(tmp, file + ARTIFACT_META_SUFFIX);
    } catch {
      await rm(tmp, { force: true }).catch(() => undefined);
    }
  }

  /** The file behind `key` with links resolved, inside the root; ArtifactNotFoundError when there is none. */
  private async realFile(key: string): Promise<string> {
    const p = this.path(key);
    const [real, root] = await Promise.all([realpath(p), (this.realRoot ??= realpath(this.root))]).catch((err: unknown) => {
      this.realRoot = null; // the root may be made later
      throw isMissing(err) ? new ArtifactNotFoundError(key) : err;
    });
    if (!real.startsWith(root + sep)) throw new ArtifactKeyError(key, 'leads out of the store through a symbolic link');
    return real;
  }

  private async walk(dirKey: string, prefix: string, out: ArtifactListing[]): Promise<void> {
    const entries = await readdir(dirKey ? join(this.root, dirKey) : this.root, { withFileTypes: true }).catch((err: unknown) => {
      if (isMissing(err)) return [];
      throw err;
    });
    for (const e of entries) {
      const key = dirKey ? `${dirKey}/${e.name}` : e.name;
      if (!dirKey && e.name === RESERVED_TOP) continue;
      // Links are not followed: what they point at is not the store's.
      if (e.isDirectory()) {
        if (`${key}/`.startsWith(prefix) || prefix.startsWith(`${key}/`)) await this.walk(key, prefix, out);
      } else if (e.isFile() && key.startsWith(prefix) && artifactKeyProblem(key) === null) {
        const s = await stat(join(this.root, key)).catch(() => null);
        if (s) out.push({ key, size: s.size, modified: s.mtime });
      }
    }
  }
}

/** A listing's page size: 1 to 1000 (S3's most), or unset. */
export function checkPageSize(pageSize: number | undefined): void {
  if (pageSize !== undefined && (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000)) throw new RangeError(`pageSize must be a whole number from 1 to 1000, not ${pageSize}`);
}

/** The SHA-256 of a file's bytes, hex, read as a stream. */
export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

// ---------------------------------------------------------------------------------------------
// Choosing a store

/** S3 settings: the bucket, its region, an S3-compatible server's origin (null: AWS), path-style addressing. */
export interface S3StoreSettings {
  bucket: string;
  region: string;
  endpoint: string | null;
  forcePathStyle: boolean;
}

export type ArtifactStoreSettings = { kind: 'local' } | ({ kind: 's3' } & S3StoreSettings);

/**
 * The store a configuration names: the local directory `artifactDir`, or S3. The S3 module (and the
 * AWS SDK) is loaded only when asked for, so processes on the local store never load it.
 * Credentials for S3 come from the AWS SDK's standard chain (AWS_ACCESS_KEY_ID and
 * AWS_SECRET_ACCESS_KEY, AWS_PROFILE, web identity, the instance or task role).
 */
export async function createArtifactStore(config: { artifactDir: string; artifactStore: ArtifactStoreSettings }): Promise<ArtifactStore> {
  const s = config.artifactStore;
  if (s.kind === 'local') return new LocalArtifactStore(config.artifactDir);
  const { S3ArtifactStore } = await import('./artifact-store-s3.js');
  return new S3ArtifactStore({ bucket: s.bucket, region: s.region, endpoint: s.endpoint, forcePathStyle: s.forcePathStyle });
}
