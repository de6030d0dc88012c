import { DeleteObjectsCommand, GetObjectCommand, HeadObjectCommand, paginateListObjectsV2, PutObjectCommand, S3Client, type S3ClientConfig, type _Object } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { pipeline, Readable } from 'node:stream';
import {
  ARTIFACT_META_SUFFIX,
  ArtifactKeyError,
  ArtifactNotFoundError,
  ArtifactRangeError,
  artifactKeyProblem,
  checkArtifactKey,
  checkArtifactPrefix,
  checkByteRange,
  checkExpiry,
  checkPageSize,
  contentDisposition,
  meter,
  toReadable,
  type ArtifactDownload,
  type ArtifactHead,
  type ArtifactListing,
  type ArtifactSource,
  type ArtifactStore,
  type ByteRange,
  type DownloadOptions,
  type S3StoreSettings,
  type StoredArtifact,
} from './artifact-store.js';

export interface S3ArtifactStoreOptions extends S3StoreSettings {
  /** Default: the AWS SDK's standard chain (environment, profile, web identity, instance or task role). */
  credentials?: S3ClientConfig['credentials'];
  /** Bytes per part of a multipart upload, and the most a put holds in memory per part in flight: 8 MiB (S3's minimum is 5 MiB). */
  partSize?: number;
  /** Parts uploaded at once: 4. */
  queueSize?: number;
  /** A client made elsewhere (tests count its requests); the settings above then only name the bucket. */
  client?: S3Client;
}

const MIN_PART = 5 * 1024 * 1024;

/** The checksum record of an object uploaded in parts (its metadata is sent before its bytes are known). */
interface S3Meta {
  sha256: string;
  size: number;
  etag: string;
}

const SHA256 = /^[0-9a-f]{64}$/;

/**
 * The artifact store in an S3 bucket: AWS S3, or an S3-compatible server (MinIO, Ceph RGW) at
 * `endpoint`. An object that fits one part is sent with one PutObject that carries its SHA-256 as
 * metadata (`x-amz-meta-sha256`); a larger one goes up in parts (lib-storage: `queueSize` parts in
 * flight, aborted on failure) and its SHA-256 is then written to `<key>.holdout-meta`, valid while
 * the object's ETag is the one recorded. Downloads are presigned GET URLs, so the API never
 * carries the bytes.
 */
export class S3ArtifactStore implements ArtifactStore {
  readonly kind = 's3' as const;
  readonly client: S3Client;
  private readonly bucket: string;
  private readonly partSize: number;
  private readonly queueSize: number;

  constructor(readonly options: S3ArtifactStoreOptions) {
    this.bucket = options.bucket;
    this.partSize = options.partSize ?? 8 * 1024 * 1024;
    if (this.partSize < MIN_PART) throw new RangeError(`partSize must be at least ${MIN_PART} bytes (S3's minimum part), not ${this.partSize}`);
    this.queueSize = options.queueSize ?? 4;
    // S3-compatible servers do not all take the CRC32 trailers the SDK adds by default since
    // 3.729; integrity is covered end to end by the SHA-256 this store computes itself.
    const compat = options.endpoint ? ('WHEN_REQUIRED' as const) : ('WHEN_SUPPORTED' as const);
    this.client =
      options.client ??
      new S3Client({
        region: options.region,
        endpoint: options.endpoint ?? undefined,
        forcePathStyle: options.forcePathStyle,
        credentials: options.credentials,
        requestChecksumCalculation: compat,
        responseChecksumValidation: compat,
      });
  }

  get location(): string {
    return `s3://${this.bucket}${this.options.endpoint ? ` at ${this.options.endpoint}` : ''}`;
  }

  async put(key: string, source: ArtifactSource, limit = Number.POSITIVE_INFINITY): Promise<StoredArtifact> {
    checkArtifactKey(key);
    const m = meter(limit);
    // Errors of the source reach the meter, and through it the reads below.
    const metered = pipeline(toReadable(source), m.stream, () => undefined);
    const chunks = metered[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    try {
      // Read up to one part: if the stream ends there, one request carries bytes and checksum.
      const first: Buffer[] = [];
      let firstBytes = 0;
      let ended = false;
      while (firstBytes < this.partSize) {
        const r = await chunks.next();
        if (r.done) {
          ended = true;
          break;
        }
        first.push(r.value);
        firstBytes += r.value.length;
      }
      if (ended) {
        const body = Buffer.concat(first);
        const { size, sha256 } = m.result();
        await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentLength: size, Metadata: { sha256 } }));
        return { key, size, sha256 };
      }
      async function* rest(): AsyncGenerator<Buffer> {
        yield* first;
        for (let r = await chunks.next(); !r.done; r = await chunks.next()) yield r.value;
      }
      const upload = new Upload({ client: this.client, partSize: this.partSize, queueSize: this.queueSize, leavePartsOnError: false, params: { Bucket: this.bucket, Key: key, Body: Readable.from(rest()) } });
      const done = await upload.done();
      const { size, sha256 } = m.result();
      const record: S3Meta = { sha256, size, etag: done.ETag ?? '' };
      await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key + ARTIFACT_META_SUFFIX, Body: JSON.stringify(record), ContentType: 'application/json' }));
      return { key, size, sha256 };
    } catch (err) {
      metered.destroy();
      // The sender's mistake comes first, even when aborting the parts sent so far failed too.
      throw m.exceeded() ?? err;
    }
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    checkArtifactKey(key);
    if (range) checkByteRange(key, range);
    try {
      const r = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key, Range: range ? `bytes=${range.start}-${range.end ?? ''}` : undefined }));
      return r.Body as Readable;
    } catch (err) {
      if (range && statusOf(err) === 416) throw new ArtifactRangeError(key, range, 'starts at or past the end of the object');
      throw notFoundAs(err, key);
    }
  }

  async head(key: string): Promise<ArtifactHead> {
    checkArtifactKey(key);
    const h = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key })).catch((err: unknown) => {
      throw notFoundAs(err, key);
    });
    const size = h.ContentLength ?? 0;
    let sha256 = h.Metadata?.sha256 && SHA256.test(h.Metadata.sha256) ? h.Metadata.sha256 : null;
    if (!sha256) {
      const record = await this.client
        .send(new GetObjectCommand({ Bucket: this.bucket, Key: key + ARTIFACT_META_SUFFIX }))
        .then(async (r) => JSON.parse((await r.Body?.transformToString()) ?? '') as S3Meta)
        .catch(() => null);
      // Only while the object is the one recorded: a later put replaces both, and the record comes second.
      if (record && record.etag === h.ETag && record.size === size && SHA256.test(record.sha256)) sha256 = record.sha256;
    }
    return { key, size, sha256, modified: h.LastModified ?? new Date(0) };
  }

  async exists(key: string): Promise<boolean> {
    checkArtifactKey(key);
    return this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key })).then(
      () => true,
      (err: unknown) => {
        if (isNotFound(err)) return false;
        throw err;
      },
    );
  }

  async *list(prefix: string, options: { pageSize?: number } = {}): AsyncIterable<ArtifactListing> {
    checkArtifactPrefix(prefix);
    checkPageSize(options.pageSize);
    for await (const page of this.pages(prefix, options.pageSize ?? 1000)) {
      for (const o of page) {
        // Checksum records, and objects other tools wrote under names this store cannot address, are left out.
        if (o.Key && artifactKeyProblem(o.Key) === null) yield { key: o.Key, size: o.Size ?? 0, modified: o.LastModified ?? new Date(0) };
      }
    }
  }

  async delete(key: string): Promise<void> {
    checkArtifactKey(key);
    await this.deleteKeys([key, key + ARTIFACT_META_SUFFIX]);
  }

  async deletePrefix(prefix: string): Promise<number> {
    if (prefix === '') throw new ArtifactKeyError(prefix, 'deleting everything is refused: name a prefix');
    checkArtifactPrefix(prefix);
    let n = 0;
    for await (const page of this.pages(prefix, 1000)) {
      const keys = page.map((o) => o.Key!).filter(Boolean);
      await this.deleteKeys(keys);
      n += keys.filter((k) => !k.endsWith(ARTIFACT_META_SUFFIX)).length;
    }
    return n;
  }

  async download(key: string, options: DownloadOptions = {}): Promise<ArtifactDownload> {
    checkArtifactKey(key);
    const expiresInS = checkExpiry(options.expiresInS);
    // A URL for nothing would fail at the client; say so here, as the local store does.
    await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key })).catch((err: unknown) => {
      throw notFoundAs(err, key);
    });
    const command = new GetObjectCommand({
      Bucket: this.bucket,
      Key: key,
      ResponseContentDisposition: options.fileName ? contentDisposition(options.fileName) : undefined,
      ResponseContentType: options.contentType,
    });
    const url = await getSignedUrl(this.client, command, { expiresIn: expiresInS });
    return { type: 'url', url, expiresAt: new Date(Date.now() + expiresInS * 1000) };
  }

  private async *pages(prefix: string, pageSize: number): AsyncIterable<_Object[]> {
    for await (const page of paginateListObjectsV2({ client: this.client, pageSize }, { Bucket: this.bucket, Prefix: prefix || undefined })) {
      yield page.Contents ?? [];
    }
  }

  /** At most 1000 keys a request (S3's limit); a key that is not there is no error. */
  private async deleteKeys(keys: string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 1000) {
      const r = await this.client.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: keys.slice(i, i + 1000).map((Key) => ({ Key })), Quiet: true } }));
      const failed = (r.Errors ?? []).filter((e) => e.Code !== 'NoSuchKey');
      if (failed.length) throw new Error(`S3 refused to delete ${failed.length} object(s) from ${this.bucket}, e.g. ${JSON.stringify(failed[0]!.Key)}: ${failed[0]!.Code} ${failed[0]!.Message ?? ''}`.trim());
    }
  }
}

function statusOf(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}

function isNotFound(err: unknown): boolean {
  const name = (err as Error)?.name;
  return name === 'NoSuchKey' || name === 'NotFound' || (statusOf(err) === 404 && name !== 'NoSuchBucket');
}

function notFoundAs(err: unknown, key: string): unknown {
  return isNotFound(err) ? new ArtifactNotFoundError(key) : err;
}
