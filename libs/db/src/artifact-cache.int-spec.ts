import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { ArtifactCache, ArtifactChecksumError } from './artifact-cache.js';
import { S3ArtifactStore } from './artifact-store-s3.js';
import { s3TestClient, startS3TestServer } from './s3-test-server.js';
import { ARTIFACT_META_SUFFIX, ArtifactKeyError, ArtifactNotFoundError, LocalArtifactStore, type ArtifactHead, type ArtifactStore, type ByteRange } from './artifact-store.js';
import type { JsonLogger } from './logger.js';

// The worker's artifact cache against both stores: the local directory, and S3 through the AWS SDK
// against s3rver on 127.0.0.1 (started as artifact-store.int-spec.ts starts it; see
// artifact-store.s3-test-server.ts). Every store is wrapped in a SpyStore that counts the reads
// reaching it, and can be told to lie about an object's bytes.

const BUCKET = 'holdout-cache';
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const pause = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** Passes every call to `inner`; records the keys read with get; `tamper` replaces the bytes a get returns. */
class SpyStore implements ArtifactStore {
  readonly gets: string[] = [];
  tamper: ((key: string) => Buffer | null) | null = null;
  /** Held before each get's bytes flow, so concurrent acquires overlap for sure. */
  getDelayMs = 0;

  constructor(readonly inner: ArtifactStore) {}
  get kind() {
    return this.inner.kind;
  }
  get location() {
    return this.inner.location;
  }
  put(key: string, source: Parameters<ArtifactStore['put']>[1], limit?: number) {
    return this.inner.put(key, source, limit);
  }
  async get(key: string, range?: ByteRange): Promise<Readable> {
    this.gets.push(key);
    if (this.getDelayMs) await pause(this.getDelayMs);
    const lie = this.tamper?.(key);
    return lie ? Readable.from([lie]) : this.inner.get(key, range);
  }
  head(key: string): Promise<ArtifactHead> {
    return this.inner.head(key);
  }
  exists(key: string) {
    return this.inner.exists(key);
  }
  list(prefix: string, options?: { pageSize?: number }) {
    return this.inner.list(prefix, options);
  }
  delete(key: string) {
    return this.inner.delete(key);
  }
  deletePrefix(prefix: string) {
    return this.inner.deletePrefix(prefix);
  }
  download(key: string, options?: Parameters<ArtifactStore['download']>[1]) {
    return this.inner.download(key, options);
  }
}

/** What a logger was told. */
function recordingLogger() {
  const lines: { level: string; msg: string; fields: Record<string, unknown> }[] = [];
  const write = (...[level, msg, fields = {}]: Parameters<JsonLogger['write']>) => void lines.push({ level, msg, fields });
  return { lines, write };
}

/** Every file under `dir`, relative to it, sorted. */
async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      if (e.isDirectory()) await walk(join(d, e.name));
      else out.push(relative(dir, join(d, e.name)));
    }
  };
  await walk(dir);
  return out.sort();
}

const objectFiles = async (cacheDir: string) => (await filesUnder(join(cacheDir, 'objects'))).map((f) => f.split('/')[1]!).sort();

const startS3Server = () => startS3TestServer(BUCKET);

const s3Client = s3TestClient;


interface Backend {
  /** A fresh, empty store (keys of one test never meet another's). */
  store: ArtifactStore;
  /** Changes an object's bytes without the store learning of it: head still describes the old ones. */
  corrupt: (key: string, bytes: Buffer) => Promise<void>;
  /** Writes an object whose checksum the store does not know. Null where there is no such object. */
  putForeign: ((key: string, bytes: Buffer) => Promise<void>) | null;
}

function cacheSuite(name: string, backend: () => Promise<Backend>): void {
  describe(`ArtifactCache over ${name}`, () => {
    const cleanup: string[] = [];
    after(async () => {
      for (const d of cleanup) await rm(d, { recursive: true, force: true });
    });

    /** A new cache directory and a spied store; the cache opened. */
    async function setup(maxBytes: number) {
      const b = await backend();
      const spy = new SpyStore(b.store);
      const dir = await mkdtemp(join(tmpdir(), 'holdout-cache-'));
      cleanup.push(dir);
      const logger = recordingLogger();
      const cache = new ArtifactCache({ store: spy, dir, maxBytes, logger });
      await cache.open();
      return { ...b, spy, dir, cache, logger };
    }

    it('a miss fetches once and verifies; the next acquire of the key is a hit on the same file', async () => {
      const { spy, cache } = await setup(10_000);
      const bytes = randomBytes(1000);
      await spy.put('data/a.bin', bytes);
      const first = await cache.acquire('data/a.bin');
      assert.deepEqual([first.key, first.size, first.sha256], ['data/a.bin', 1000, sha(bytes)]);
      assert.ok((await readFile(first.path)).equals(bytes));
      assert.equal((await stat(first.path)).mode & 0o222, 0, 'cached files are read-only');
      await first.release();
      const second = await cache.acquire('data/a.bin');
      assert.equal(second.path, first.path);
      await second.release();
      await second.release(); // twice: no effect
      assert.deepEqual(spy.gets, ['data/a.bin']);
      assert.deepEqual(cache.stats(), { hits: 1, misses: 1, fetches: 1, bytesFetched: 1000, evictions: 0, objects: 1, bytes: 1000, pinned: 0 });
    });

    it('content-addressed: two keys with the same bytes share one file and one fetch; a replaced key gets its new bytes', async () => {
      const { spy, cache, dir } = await setup(10_000);
      await spy.put('dup/one.csv', 'same bytes');
      await spy.put('dup/two.csv', 'same bytes');
      const one = await cache.acquire('dup/one.csv');
      const two = await cache.acquire('dup/two.csv');
      assert.equal(two.path, one.path);
      assert.equal(two.key, 'dup/two.csv');
      assert.deepEqual(spy.gets, ['dup/one.csv']);
      assert.deepEqual([cache.stats().hits, cache.stats().misses, cache.stats().objects, cache.stats().pinned], [1, 1, 1, 1]);
      assert.deepEqual(await objectFiles(dir), [sha('same bytes')]);
      await one.release();
      await two.release();

      // The store is the truth: each acquire heads the key.
      await spy.put('dup/one.csv', 'new bytes');
      const replaced = await cache.acquire('dup/one.csv');
      assert.equal(await readFile(replaced.path, 'utf8'), 'new bytes');
      assert.equal(replaced.sha256, sha('new bytes'));
      await replaced.release();
    });

    it('bytes other than the store described are refused, naming the key, expected and got; nothing is kept', async () => {
      const { spy, cache, dir } = await setup(10_000);
      await spy.put('bad/x.csv', 'the real bytes');
      // Same size, other bytes.
      spy.tamper = (key) => (key === 'bad/x.csv' ? Buffer.from('the fake bytes') : null);
      await assert.rejects(cache.acquire('bad/x.csv'), (e: unknown) => {
        assert.ok(e instanceof ArtifactChecksumError, String(e));
        assert.equal(e.key, 'bad/x.csv');
        assert.deepEqual(e.expected, { size: 14, sha256: sha('the real bytes') });
        assert.deepEqual(e.got, { size: 14, sha256: sha('the fake bytes') });
        assert.match(e.message, new RegExp(`"bad/x.csv".*14 bytes, SHA-256 ${sha('the real bytes')}.*14 bytes, SHA-256 ${sha('the fake bytes')}`));
        return true;
      });
      // Longer, and shorter.
      spy.tamper = (key) => (key === 'bad/x.csv' ? Buffer.from('the real bytes, and more') : null);
      await assert.rejects(cache.acquire('bad/x.csv'), (e: unknown) => e instanceof ArtifactChecksumError && e.got.size > 14);
      spy.tamper = (key) => (key === 'bad/x.csv' ? Buffer.from('short') : null);
      await assert.rejects(cache.acquire('bad/x.csv'), (e: unknown) => e instanceof ArtifactChecksumError && e.got.size === 5);
      assert.deepEqual(await filesUnder(dir), ['owner.pid'], 'no object, no download left in tmp/ (only the owner record)');
      assert.deepEqual([cache.stats().objects, cache.stats().bytes, cache.stats().fetches], [0, 0, 0]);

      // Once the store tells the truth again, the object is fetched and served.
      spy.tamper = null;
      const ok = await cache.acquire('bad/x.csv');
      assert.equal(await readFile(ok.path, 'utf8'), 'the real bytes');
      await ok.release();
    });

    it('an object changed behind the store’s back (its record still describes the old bytes) is refused', async () => {
      const { spy, cache, corrupt } = await setup(10_000);
            await spy.put('rot/data.bin', 'original bytes');
      await corrupt('rot/data.bin', Buffer.from('bit-rotted byte'.slice(0, 14)));
      assert.equal((await spy.head('rot/data.bin')).sha256, sha('original bytes'), 'the store still describes the old bytes');
      await assert.rejects(cache.acquire('rot/data.bin'), (e: unknown) => e instanceof ArtifactChecksumError && e.key === 'rot/data.bin' && e.got.sha256 === sha('bit-rotted byt'));
      assert.equal(cache.stats().objects, 0);
    });

    it('concurrent acquires of the same bytes (by one key or several) fetch them once', async () => {
      const { spy, cache } = await setup(100_000);
      const bytes = randomBytes(20_000);
      await spy.put('cc/a', bytes);
      await spy.put('cc/b', bytes);
      spy.getDelayMs = 50;
      const all = await Promise.all([...Array.from({ length: 5 }, () => cache.acquire('cc/a')), cache.acquire('cc/b')]);
      assert.equal(spy.gets.length, 1, `gets: ${spy.gets.join(', ')}`);
      assert.equal(new Set(all.map((h) => h.path)).size, 1);
      for (const h of all) assert.ok((await readFile(h.path)).equals(bytes));
      assert.deepEqual([cache.stats().misses, cache.stats().hits, cache.stats().fetches, cache.stats().bytesFetched], [6, 0, 1, 20_000]);
      // Held six times: released five times, still held.
      for (const h of all.slice(0, 5)) await h.release();
      assert.equal(cache.stats().pinned, 1);
      await all[5]!.release();
      assert.equal(cache.stats().pinned, 0);

      // A failed fetch fails every acquire waiting for it, and leaves nothing held.
      await spy.put('cc/c', 'c bytes');
      spy.tamper = (key) => (key === 'cc/c' ? Buffer.from('X bytes') : null);
      const failed = await Promise.allSettled(Array.from({ length: 3 }, () => cache.acquire('cc/c')));
      assert.deepEqual(
        failed.map((r) => r.status === 'rejected' && r.reason instanceof ArtifactChecksumError),
        [true, true, true],
      );
      assert.equal(spy.gets.filter((k) => k === 'cc/c').length, 1);
      assert.deepEqual([cache.stats().objects, cache.stats().pinned], [1, 0]);
    });

    it('evicts the least recently acquired objects first, once the total passes maxBytes', async () => {
      const { spy, cache, dir } = await setup(300);
      for (const k of ['a', 'b', 'c', 'd']) await spy.put(`lru/${k}`, k.repeat(100));
      const use = async (k: string) => (await cache.acquire(`lru/${k}`)).release();
      await use('a');
      await use('b');
      await use('c');
      assert.equal(cache.stats().evictions, 0, 'exactly maxBytes is no excess');
      await use('a'); // a is now more recent than b and c
      await use('d'); // 400 bytes: one must go, and it is b
      assert.deepEqual(await objectFiles(dir), [sha('a'.repeat(100)), sha('c'.repeat(100)), sha('d'.repeat(100))].sort());
      assert.deepEqual([cache.stats().evictions, cache.stats().bytes], [1, 300]);
      spy.gets.splice(0);
      await use('a');
      await use('c');
      assert.deepEqual(spy.gets, [], 'a and c were kept');
      await use('b');
      assert.deepEqual(spy.gets, ['lru/b'], 'b was evicted');
      // d was least recent this time.
      assert.equal((await objectFiles(dir)).includes(sha('d'.repeat(100))), false);
    });

    it('an acquired object is never evicted; one larger than the cache works while held, with a warning, and goes on release', async () => {
      const { spy, cache, dir, logger } = await setup(250);
      for (const k of ['a', 'b', 'c']) await spy.put(`pin/${k}`, k.repeat(100));
      const a = await cache.acquire('pin/a');
      await (await cache.acquire('pin/b')).release();
      await (await cache.acquire('pin/c')).release(); // 300 > 250: b goes, not the older but held a
      assert.deepEqual(await objectFiles(dir), [sha('a'.repeat(100)), sha('c'.repeat(100))].sort());
      assert.equal(await readFile(a.path, 'utf8'), 'a'.repeat(100));

      const huge = randomBytes(1000);
      await spy.put('pin/huge', huge);
      const h = await cache.acquire('pin/huge');
      assert.ok((await readFile(h.path)).equals(huge));
      assert.ok(
        logger.lines.some((l) => l.level === 'warn' && /larger than the whole cache/.test(l.msg) && l.fields.key === 'pin/huge' && l.fields.size === 1000),
        JSON.stringify(logger.lines),
      );
      // Held: a and huge stay though 1100 > 250; c went to make room.
      assert.deepEqual(await objectFiles(dir), [sha('a'.repeat(100)), sha(huge)].sort());
      assert.deepEqual([cache.stats().bytes, cache.stats().pinned], [1100, 2]);
      await h.release();
      assert.deepEqual(await objectFiles(dir), [sha('a'.repeat(100))]);
      await a.release();
      assert.deepEqual([cache.stats().bytes, cache.stats().objects, cache.stats().pinned], [100, 1, 0]);
    });

    it('a restarted cache rebuilds its index from the directory, recency included, and drops what it cannot vouch for', async () => {
      const { spy, cache, dir } = await setup(10_000);
      for (const k of ['a', 'b', 'c']) await spy.put(`rs/${k}`, k.repeat(100));
      for (const k of ['a', 'b', 'c', 'a']) {
        await (await cache.acquire(`rs/${k}`)).release();
        await pause(30); // file times are coarse (a clock tick)
      }
      // What a crash leaves: a download in progress, a folder view, files not named by a checksum.
      await writeFile(join(dir, 'tmp', 'partial'), 'half a download');
      await mkdir(join(dir, 'views', 'some-job'), { recursive: true });
      await writeFile(join(dir, 'views', 'some-job', 'train.csv'), 'x');
      await writeFile(join(dir, 'objects', sha('a'.repeat(100)).slice(0, 2), 'not-a-checksum'), 'x');
      await writeFile(join(dir, 'objects', 'stray'), 'x');
      assert.ok(!sha('z').startsWith('ff'));
      await mkdir(join(dir, 'objects', 'ff'), { recursive: true });
      await writeFile(join(dir, 'objects', 'ff', sha('z')), 'z'); // a checksum name in the wrong folder

      // Restarted with room for two: the least recent (b) goes.
      const again = new ArtifactCache({ store: spy, dir, maxBytes: 200 });
      await again.open();
      assert.deepEqual(await filesUnder(join(dir, 'tmp')), []);
      assert.deepEqual(await filesUnder(join(dir, 'views')), []);
      assert.deepEqual(await objectFiles(dir), [sha('a'.repeat(100)), sha('c'.repeat(100))].sort());
      assert.deepEqual([again.stats().objects, again.stats().bytes, again.stats().evictions], [2, 200, 1]);
      spy.gets.splice(0);
      const a = await again.acquire('rs/a');
      assert.equal(await readFile(a.path, 'utf8'), 'a'.repeat(100));
      assert.deepEqual(spy.gets, [], 'served from the previous process’s file');
      assert.equal(again.stats().hits, 1);
      await a.release();
      await assert.rejects(again.open(), /already open/);
      await assert.rejects(new ArtifactCache({ store: spy, dir, maxBytes: 1 }).acquire('rs/a'), /not open: call open\(\) first/);

      // verify: a file whose bytes do not match its name is dropped too.
      const c = join(dir, 'objects', sha('c'.repeat(100)).slice(0, 2), sha('c'.repeat(100)));
      await rm(c);
      await writeFile(c, 'tampered');
      const verified = new ArtifactCache({ store: spy, dir, maxBytes: 10_000 });
      await verified.open({ verify: true });
      assert.deepEqual(await objectFiles(dir), [sha('a'.repeat(100))]);
    });

    it('acquirePrefix mirrors a folder from cached files, held as one; release removes the folder, the files stay cached', async () => {
      const { spy, cache, dir } = await setup(10_000);
      const img = randomBytes(500);
      await spy.put('comp/c1/train.csv', 'id,y\n1,0\n');
      await spy.put('comp/c1/test/images/1.png', img);
      await spy.put('comp/c1/test/images/2.png', img); // same bytes as 1.png
      await spy.put('comp/c1x/not-mine.csv', 'other');
      const folder = await cache.acquirePrefix('comp/c1/');
      assert.equal(folder.prefix, 'comp/c1/');
      assert.deepEqual(await filesUnder(folder.path), ['test/images/1.png', 'test/images/2.png', 'train.csv']);
      assert.deepEqual(
        folder.files.map((f) => [f.key, relative(folder.path, f.path), f.size]),
        [
          ['comp/c1/test/images/1.png', 'test/images/1.png', 500],
          ['comp/c1/test/images/2.png', 'test/images/2.png', 500],
          ['comp/c1/train.csv', 'train.csv', 9],
        ],
      );
      assert.equal(folder.size, 1009);
      assert.equal(await readFile(join(folder.path, 'train.csv'), 'utf8'), 'id,y\n1,0\n');
      assert.ok((await readFile(join(folder.path, 'test/images/2.png'))).equals(img));
      // Hard links to the content store: equal bytes are one inode, and nothing was copied twice.
      const [s1, s2, obj] = await Promise.all([stat(join(folder.path, 'test/images/1.png')), stat(join(folder.path, 'test/images/2.png')), stat(cache.objectPath(sha(img)))]);
      assert.equal(s1.ino, obj.ino);
      assert.equal(s2.ino, obj.ino);
      assert.equal(spy.gets.length, 2);
      assert.deepEqual([cache.stats().objects, cache.stats().pinned], [2, 2]);

      await folder.release();
      await folder.release();
      assert.deepEqual(await readdir(join(dir, 'views')), []);
      assert.deepEqual([cache.stats().objects, cache.stats().pinned], [2, 0]);
      const again = await cache.acquirePrefix('comp/c1/');
      assert.equal(spy.gets.length, 2, 'all from the cache');
      assert.notEqual(again.path, folder.path, 'each acquire gets its own view');
      await again.release();

      await assert.rejects(cache.acquirePrefix('comp/c1'), (e: unknown) => e instanceof ArtifactKeyError && /must end with \//.test(e.message));
      await assert.rejects(cache.acquirePrefix('comp/none/'), ArtifactNotFoundError);
    });

    it('acquirePrefix: files held by a folder survive eviction; a failure part-way releases what it held', async () => {
      const { spy, cache, dir } = await setup(300);
      for (const k of ['1', '2', '3']) await spy.put(`held/${k}`, k.repeat(100));
      await spy.put('other/x', 'x'.repeat(100));
      const folder = await cache.acquirePrefix('held/');
      await (await cache.acquire('other/x')).release(); // 400 > 300: only x itself is free to go
      assert.deepEqual(await filesUnder(folder.path), ['1', '2', '3']);
      assert.equal((await objectFiles(dir)).includes(sha('x'.repeat(100))), false);
      await folder.release();

      await spy.put('broken/a', 'fine');
      await spy.put('broken/b', 'will be tampered');
      spy.tamper = (key) => (key === 'broken/b' ? Buffer.from('will be TAMPERED') : null);
      await assert.rejects(cache.acquirePrefix('broken/'), (e: unknown) => e instanceof ArtifactChecksumError && e.key === 'broken/b');
      assert.deepEqual(await readdir(join(dir, 'views')), [], 'no view left');
      assert.equal(cache.stats().pinned, 0, 'nothing left held');
    });

    it('a missing key is the store’s ArtifactNotFoundError, also when it goes between the head and the read, and leaves nothing', async () => {
      const { spy, cache, dir } = await setup(1000);
      await assert.rejects(cache.acquire('nope/x'), (e: unknown) => e instanceof ArtifactNotFoundError && e.key === 'nope/x');
      assert.deepEqual([cache.stats().misses, cache.stats().objects], [0, 0]);
      await spy.put('gone/x', 'here for the head only');
      spy.tamper = (key) => {
        throw new ArtifactNotFoundError(key);
      };
      await assert.rejects(cache.acquire('gone/x'), (e: unknown) => e instanceof ArtifactNotFoundError && e.key === 'gone/x');
      assert.deepEqual(await filesUnder(dir), ['owner.pid']);
      assert.deepEqual([cache.stats().objects, cache.stats().bytes, cache.stats().pinned], [0, 0, 0]);
      spy.tamper = null;
      await (await cache.acquire('gone/x')).release();
    });

    it('an object whose checksum the store does not know: checked by size, filed by the hash of its bytes, with a warning', async (t) => {
      const { spy, cache, dir, logger, putForeign } = await setup(10_000);
      if (!putForeign) return t.skip('this store knows every checksum');
      const bytes = randomBytes(300);
      await putForeign('foreign/data.bin', bytes);
      assert.equal((await spy.head('foreign/data.bin')).sha256, null);
      const h = await cache.acquire('foreign/data.bin');
      assert.equal(h.sha256, sha(bytes));
      assert.ok((await readFile(h.path)).equals(bytes));
      assert.ok(logger.lines.some((l) => l.level === 'warn' && /knows no checksum/.test(l.msg) && l.fields.key === 'foreign/data.bin'));
      // Fetched again on the next acquire (nothing says it is unchanged), into the same file.
      const again = await cache.acquire('foreign/data.bin');
      assert.equal(again.path, h.path);
      assert.equal(spy.gets.length, 2);
      assert.deepEqual(await objectFiles(dir), [sha(bytes)]);
      // A key the store does know the bytes of shares the file.
      await spy.put('known/data.bin', bytes);
      assert.equal((await cache.acquire('known/data.bin')).path, h.path);
      assert.equal(spy.gets.length, 2);
      // A wrong size is still caught.
      spy.tamper = (key) => (key === 'foreign/data.bin' ? randomBytes(299) : null);
      await assert.rejects(cache.acquire('foreign/data.bin'), (e: unknown) => e instanceof ArtifactChecksumError && e.expected.sha256 === null && e.got.size === 299);
      await h.release();
      await again.release();
    });
  });
}

// ---------------------------------------------------------------------------------------------

const roots: string[] = [];
let server: Awaited<ReturnType<typeof startS3Server>> | null = null;
let raw: S3Client | null = null;
const clients: S3Client[] = [];
after(async () => {
  for (const c of clients) c.destroy();
  raw?.destroy();
  await server?.stop();
  for (const r of roots) await rm(r, { recursive: true, force: true });
});

cacheSuite('the local directory store', async () => {
  const root = await mkdtemp(join(tmpdir(), 'holdout-artifacts-'));
  roots.push(root);
  const store = new LocalArtifactStore(root);
  return {
    store,
    // Rewritten in place, and its checksum record made to fit the new file while keeping the old
    // checksum: what bit rot under an unchanged record would look like to the store.
    async corrupt(key, bytes) {
      const file = store.path(key);
      const record = JSON.parse(await readFile(file + ARTIFACT_META_SUFFIX, 'utf8')) as { sha256: string; size: number; mtimeMs: number };
      await writeFile(file, bytes);
      const after = await stat(file);
      await writeFile(file + ARTIFACT_META_SUFFIX, JSON.stringify({ ...record, size: after.size, mtimeMs: after.mtimeMs }));
    },
    putForeign: null,
  };
});

let bucketRun = 0;
cacheSuite('the S3 store (s3rver on 127.0.0.1)', async () => {
  server ??= await startS3Server();
  raw ??= s3Client(server.endpoint);
  const client = s3Client(server.endpoint);
  clients.push(client);
  // The bucket is shared: each test's keys live under a prefix of their own.
  const store = new S3ArtifactStore({ bucket: BUCKET, region: 'us-east-1', endpoint: server.endpoint, forcePathStyle: true, client });
  const scoped = new PrefixedStore(store, `run${++bucketRun}/`);
  const rawClient = raw;
  return {
    store: scoped,
    // Other bytes put over the object with the old checksum in its metadata: the record lies.
    async corrupt(key, bytes) {
      const old = await scoped.head(key);
      await rawClient.send(new PutObjectCommand({ Bucket: BUCKET, Key: scoped.prefix + key, Body: bytes, Metadata: { sha256: old.sha256! } }));
    },
    async putForeign(key, bytes) {
      await rawClient.send(new PutObjectCommand({ Bucket: BUCKET, Key: scoped.prefix + key, Body: bytes }));
    },
  };
});

/** A store's view of the keys under `prefix`, so tests sharing one bucket never see each other's objects. */
class PrefixedStore implements ArtifactStore {
  constructor(
    private readonly inner: ArtifactStore,
    readonly prefix: string,
  ) {}
  get kind() {
    return this.inner.kind;
  }
  get location() {
    return `${this.inner.location}/${this.prefix}`;
  }
  async put(key: string, source: Parameters<ArtifactStore['put']>[1], limit?: number) {
    const r = await this.inner.put(this.prefix + key, source, limit);
    return { ...r, key };
  }
  get(key: string, range?: ByteRange) {
    return this.inner.get(this.prefix + key, range).catch(this.unprefixed(key));
  }
  async head(key: string) {
    return { ...(await this.inner.head(this.prefix + key).catch(this.unprefixed(key))), key };
  }
  /** Not found names the key the caller asked for. */
  private unprefixed(key: string) {
    return (err: unknown): never => {
      throw err instanceof ArtifactNotFoundError ? new ArtifactNotFoundError(key) : err;
    };
  }
  exists(key: string) {
    return this.inner.exists(this.prefix + key);
  }
  async *list(prefix: string, options?: { pageSize?: number }) {
    for await (const o of this.inner.list(this.prefix + prefix, options)) yield { ...o, key: o.key.slice(this.prefix.length) };
  }
  delete(key: string) {
    return this.inner.delete(this.prefix + key);
  }
  deletePrefix(prefix: string) {
    return this.inner.deletePrefix(this.prefix + prefix);
  }
  download(key: string, options?: Parameters<ArtifactStore['download']>[1]) {
    return this.inner.download(this.prefix + key, options);
  }
}

describe('ArtifactCache: one process per directory', () => {
  it('refuses a directory a live process has opened, naming it; takes over from one that is gone', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'holdout-cache-owner-'));
    const root = await mkdtemp(join(tmpdir(), 'holdout-cache-store-'));
    const other = spawn('sleep', ['30']);
    try {
      const store = new LocalArtifactStore(root);
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'owner.pid'), `${other.pid}\n`);
      await assert.rejects(new ArtifactCache({ store, dir, maxBytes: 1024 }).open(), new RegExp(`in use by process ${other.pid}: each process needs a cache directory of its own`));
      other.kill('SIGKILL');
      await once(other, 'exit');
      await new ArtifactCache({ store, dir, maxBytes: 1024 }).open();
      assert.equal((await readFile(join(dir, 'owner.pid'), 'utf8')).trim(), String(process.pid));
    } finally {
      other.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
      await rm(root, { recursive: true, force: true });
    }
  });
});
