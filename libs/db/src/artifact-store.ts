import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export class TooLargeError extends Error {}

export interface StoredArtifact {
  key: string;
  size: number;
  sha256: string;
}

/**
 * Local-directory artifact store (`<data>/artifacts`). Keys are relative paths; writes go to a
 * temporary file and are renamed into place, so a reader never sees half a file. An
 * S3-compatible store would implement the same three calls.
 */
export class LocalArtifactStore {
  constructor(readonly root: string) {}

  path(key: string): string {
    const p = resolve(this.root, key);
    if (!p.startsWith(resolve(this.root) + sep)) throw new Error(`artifact key escapes the store: ${key}`);
    return p;
  }

  /** Streams `source` into `key`, hashing as it goes; rejects with TooLargeError past `limit` bytes. */
  async put(key: string, source: Readable, limit = Number.POSITIVE_INFINITY): Promise<StoredArtifact> {
    const final = this.path(key);
    const tmp = join(this.root, 'tmp', randomUUID());
    await mkdir(dirname(tmp), { recursive: true });
    const hash = createHash('sha256');
    let size = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        size += chunk.length;
        if (size > limit) return done(new TooLargeError(`larger than ${limit} bytes`));
        hash.update(chunk);
        done(null, chunk);
      },
    });
    try {
      await pipeline(source, meter, createWriteStream(tmp, { flags: 'wx' }));
      await mkdir(dirname(final), { recursive: true });
      await rename(tmp, final);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    return { key, size, sha256: hash.digest('hex') };
  }

  async remove(key: string): Promise<void> {
    await rm(this.path(key), { force: true });
  }

  async exists(key: string): Promise<boolean> {
    return stat(this.path(key)).then(
      () => true,
      () => false,
    );
  }
}
