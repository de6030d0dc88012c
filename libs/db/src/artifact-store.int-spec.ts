import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { after, before, describe, it } from 'node:test';
import { ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { S3ArtifactStore } from './artifact-store-s3.js';
import { s3TestClient, startS3TestServer } from './s3-test-server.js';
import { ArtifactKeyError, ArtifactNotFoundError, ArtifactRangeError, createArtifactStore, LocalArtifactStore, TooLargeError, type ArtifactStore } from './artifact-store.js';

// One contract, two stores: the local directory, and S3 through the AWS SDK against an
// S3-protocol server on 127.0.0.1 (@20minutes/s3rver, in a child process: see
// artifact-store.s3-test-server.ts for how it is run and what it does not check).
//
// Where s3rver departs from S3, the cases below avoid the difference rather than test it:
// it lists a folder's subtree before a sibling key that sorts earlier byte-wise (`a/x` before
// `a-b`; S3 lists `a-b` first), escapes `&` twice in listings, answers `bytes=0-0` with the whole
// object, and does not implement AbortMultipartUpload (the test checks that the store asks).

const MB = 1024 * 1024;
const BUCKET = 'holdout-contract';
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** `bytes` as a stream of 64 KiB chunks, produced as it is read. */
function streamOf(bytes: Buffer, chunk = 64 * 1024): Readable {
  return Readable.from(
    (function* () {
      for (let i = 0; i < bytes.length; i += chunk) yield bytes.subarray(i, i + chunk);
    })(),
    { objectMode: false },
  );
}

async function keysOf(store: ArtifactStore, prefix: string, pageSize?: number): Promise<string[]> {
  const out: string[] = [];
  for await (const o of store.list(prefix, { pageSize })) out.push(o.key);
  return out;
}

const read = async (store: ArtifactStore, key: string, range?: { start: number; end?: number }) => buffer(await store.get(key, range));

interface Subject {
  store: ArtifactStore;
  /** S3: the commands the store's client sent (cleared by the tests that count them). */
  requests: string[] | null;
  downloads: 'url' | 'file';
  close(): Promise<void>;
}

const startS3Server = () => startS3TestServer(BUCKET);

/** A client of the test server that records the name of every command it sends. */
function recordingClient(endpoint: string, requests: string[]): S3Client {
  const client = s3TestClient(endpoint);

  client.middlewareStack.add(
    (next, context) => async (args) => {
      requests.push(String(context.commandName).replace(/Command$/, ''));
      return next(args);
    },
    { step: 'initialize', name: 'recordCommands' },
  );
  return client;
}

function contract(name: string, open: () => Promise<Subject>): void {
  describe(`ArtifactStore contract: ${name}`, () => {
    let s: Subject;
    before(async () => {
      s = await open();
    });
    after(async () => {
      await s.close();
    });

    it('a put returns the size and SHA-256 of what it stored; get gives the bytes back; head agrees', async () => {
      const bytes = randomBytes(1000);
      const started = Date.now();
      assert.deepEqual(await s.store.put('rt/a.bin', streamOf(bytes)), { key: 'rt/a.bin', size: 1000, sha256: sha(bytes) });
      assert.ok((await read(s.store, 'rt/a.bin')).equals(bytes));
      const h = await s.store.head('rt/a.bin');
      assert.equal(h.key, 'rt/a.bin');
      assert.equal(h.size, 1000);
      assert.equal(h.sha256, sha(bytes));
      // S3 keeps whole seconds.
      assert.ok(Math.abs(h.modified.getTime() - started) < 60_000, `modified ${h.modified.toISOString()}`);
      assert.equal(await s.store.exists('rt/a.bin'), true);

      // Bytes in memory, a string, an empty object; a put replaces what was there.
      assert.equal((await s.store.put('rt/s.txt', 'hello')).sha256, sha('hello'));
      assert.equal((await read(s.store, 'rt/s.txt')).toString(), 'hello');
      assert.deepEqual(await s.store.put('rt/empty', Buffer.alloc(0)), { key: 'rt/empty', size: 0, sha256: sha('') });
      assert.equal((await read(s.store, 'rt/empty')).length, 0);
      assert.equal((await s.store.head('rt/empty')).size, 0);
      await s.store.put('rt/a.bin', 'replaced');
      assert.equal((await read(s.store, 'rt/a.bin')).toString(), 'replaced');
      assert.deepEqual([(await s.store.head('rt/a.bin')).size, (await s.store.head('rt/a.bin')).sha256], [8, sha('replaced')]);
    });

    it('odd but valid keys travel unchanged: dots, spaces, non-ASCII, symbols', async () => {
      for (const key of ['odd/.hidden', 'odd/a..b', 'odd/with space ünïcode ✓.txt', 'odd/(1)+[2]=%20?#x', 'odd/.none']) {
        await s.store.put(key, key);
        assert.equal((await read(s.store, key)).toString(), key, key);
        assert.equal((await s.store.head(key)).sha256, sha(key), key);
      }
      assert.deepEqual(await keysOf(s.store, 'odd/'), ['odd/(1)+[2]=%20?#x', 'odd/.hidden', 'odd/.none', 'odd/a..b', 'odd/with space ünïcode ✓.txt']);
    });

    it('12 MB streamed in: stored whole (S3: three 5 MB parts), its checksum known to head, any range readable', async () => {
      const big = randomBytes(12 * MB);
      s.requests?.splice(0);
      assert.deepEqual(await s.store.put('big/x.bin', streamOf(big)), { key: 'big/x.bin', size: 12 * MB, sha256: sha(big) });
      if (s.requests) {
        assert.deepEqual(
          s.requests.filter((r) => r !== 'UploadPart'),
          ['CreateMultipartUpload', 'CompleteMultipartUpload', 'PutObject'],
          `a multipart upload, then its checksum record: ${s.requests.join(', ')}`,
        );
        assert.equal(s.requests.filter((r) => r === 'UploadPart').length, 3);
      }
      const h = await s.store.head('big/x.bin');
      assert.deepEqual([h.size, h.sha256], [12 * MB, sha(big)]);
      assert.equal(sha(await read(s.store, 'big/x.bin')), sha(big));
      // Across the first part boundary, and the last bytes.
      assert.ok((await read(s.store, 'big/x.bin', { start: 5 * MB - 10, end: 5 * MB + 9 })).equals(big.subarray(5 * MB - 10, 5 * MB + 10)));
      assert.ok((await read(s.store, 'big/x.bin', { start: 12 * MB - 3 })).equals(big.subarray(12 * MB - 3)));
      // Replaced by a small object: head gives the new checksum, not the old record's.
      await s.store.put('big/x.bin', 'small now');
      assert.deepEqual([(await s.store.head('big/x.bin')).size, (await s.store.head('big/x.bin')).sha256], [9, sha('small now')]);
      assert.deepEqual(await keysOf(s.store, 'big/'), ['big/x.bin'], 'checksum records are never listed');
    });

    it('a put past its limit is refused with TooLargeError and leaves nothing, small or in parts', async () => {
      await assert.rejects(s.store.put('lim/small', streamOf(randomBytes(100)), 10), TooLargeError);
      s.requests?.splice(0);
      await assert.rejects(s.store.put('lim/big', streamOf(randomBytes(12 * MB)), 7 * MB), TooLargeError);
      if (s.requests) assert.ok(s.requests.includes('AbortMultipartUpload'), `the multipart upload is aborted: ${s.requests.join(', ')}`);
      assert.equal(await s.store.exists('lim/small'), false);
      assert.equal(await s.store.exists('lim/big'), false);
      assert.deepEqual(await keysOf(s.store, 'lim/'), []);
      // A limit exactly met is no refusal.
      assert.equal((await s.store.put('lim/exact', 'x'.repeat(10), 10)).size, 10);
    });

    it('range reads: inclusive ends, open ends, ends past the object clamp, starts past it refused', async () => {
      await s.store.put('rg/x', 'hello world');
      assert.equal((await read(s.store, 'rg/x', { start: 2, end: 5 })).toString(), 'llo ');
      assert.equal((await read(s.store, 'rg/x', { start: 6 })).toString(), 'world');
      assert.equal((await read(s.store, 'rg/x', { start: 4, end: 4 })).toString(), 'o');
      assert.equal((await read(s.store, 'rg/x', { start: 8, end: 100 })).toString(), 'rld');
      await assert.rejects(s.store.get('rg/x', { start: 11 }), (e: unknown) => e instanceof ArtifactRangeError && e.key === 'rg/x');
      for (const bad of [{ start: -1 }, { start: 5, end: 2 }, { start: 1.5 }]) {
        await assert.rejects(s.store.get('rg/x', bad), ArtifactRangeError, JSON.stringify(bad));
      }
      await assert.rejects(s.store.get('rg/missing', { start: 0, end: 1 }), ArtifactNotFoundError);
    });

    it('list by prefix: a string prefix, in UTF-8 key order, with sizes and times, the same in any page size', async () => {
      const keys = ['ls/a/1', 'ls/a/2', 'ls/a/10', 'ls/ab', 'ls/b/x', 'ls/a/sub/deep', 'lsz-other'];
      for (const k of keys) await s.store.put(k, k);
      assert.deepEqual(await keysOf(s.store, 'ls/a/'), ['ls/a/1', 'ls/a/10', 'ls/a/2', 'ls/a/sub/deep']);
      assert.deepEqual(await keysOf(s.store, 'ls/a'), ['ls/a/1', 'ls/a/10', 'ls/a/2', 'ls/a/sub/deep', 'ls/ab']);
      assert.deepEqual(await keysOf(s.store, 'ls/'), ['ls/a/1', 'ls/a/10', 'ls/a/2', 'ls/a/sub/deep', 'ls/ab', 'ls/b/x']);
      assert.deepEqual(await keysOf(s.store, 'ls'), ['ls/a/1', 'ls/a/10', 'ls/a/2', 'ls/a/sub/deep', 'ls/ab', 'ls/b/x', 'lsz-other']);
      assert.deepEqual(await keysOf(s.store, 'nothing/'), []);
      for await (const o of s.store.list('ls/b/')) {
        assert.deepEqual([o.key, o.size], ['ls/b/x', 6]);
        assert.ok(o.modified instanceof Date && !Number.isNaN(o.modified.getTime()));
      }
      const many = Array.from({ length: 25 }, (_, i) => `pg/${String(i).padStart(2, '0')}`);
      await Promise.all(many.map((k) => s.store.put(k, k)));
      s.requests?.splice(0);
      assert.deepEqual(await keysOf(s.store, 'pg/', 7), many);
      if (s.requests) assert.equal(s.requests.filter((r) => r === 'ListObjectsV2').length, 4, '25 keys, 7 a page');
      assert.deepEqual(await keysOf(s.store, 'pg/'), many);
      await assert.rejects(keysOf(s.store, 'pg/', 0), RangeError);
    });

    it('delete removes one object (none there: no error); deletePrefix removes what the prefix names and says how many', async () => {
      for (const k of ['dl/a', 'dl/b/1', 'dl/b/2', 'dl/bc', 'dlz-keep']) await s.store.put(k, k);
      await s.store.delete('dl/a');
      assert.equal(await s.store.exists('dl/a'), false);
      await assert.rejects(s.store.get('dl/a'), ArtifactNotFoundError);
      await s.store.delete('dl/a');
      assert.equal(await s.store.deletePrefix('dl/b/'), 2);
      assert.deepEqual(await keysOf(s.store, 'dl'), ['dl/bc', 'dlz-keep']);
      assert.equal(await s.store.deletePrefix('dl/'), 1);
      assert.equal(await s.store.deletePrefix('dl/'), 0);
      assert.deepEqual(await keysOf(s.store, 'dl'), ['dlz-keep']);
      await assert.rejects(s.store.deletePrefix(''), (e: unknown) => e instanceof ArtifactKeyError && /deleting everything is refused/.test(e.message));
      assert.equal(await s.store.exists('dlz-keep'), true);
    });

    it('a missing key is ArtifactNotFoundError naming the key (get, head, download); exists says false', async () => {
      for (const call of [() => s.store.get('nope/x.csv'), () => s.store.head('nope/x.csv'), () => s.store.download('nope/x.csv')]) {
        await assert.rejects(call(), (e: unknown) => e instanceof ArtifactNotFoundError && e.key === 'nope/x.csv' && e.message === 'no artifact "nope/x.csv"');
      }
      assert.equal(await s.store.exists('nope/x.csv'), false);
    });

    it('bad keys are refused before anything is sent or written, with an error naming the key and the rule', async () => {
      const bad: [string, RegExp][] = [
        ['', /is empty/],
        ['/etc/passwd', /is absolute/],
        ['../up', /\. or \.\. part/],
        ['a/../../b', /\. or \.\. part/],
        ['a/./b', /\. or \.\. part/],
        ['a//b', /empty part/],
        ['a/', /ends with \//],
        ['nul\0byte', /NUL/],
        ['line\nbreak', /control character/],
        ['back\\slash', /backslash/],
        ['tmp/x', /reserved for writes in progress/],
        ['x.csv.holdout-meta', /reserved for checksum records/],
        ['k'.repeat(1025), /longer than 1024 bytes/],
      ];
      s.requests?.splice(0);
      for (const [key, rule] of bad) {
        const named = (e: unknown) => e instanceof ArtifactKeyError && e.key === key && e.message.startsWith(`artifact key ${JSON.stringify(key).slice(0, 200)}`) && rule.test(e.message);
        await assert.rejects(s.store.put(key, 'x'), named, `put ${JSON.stringify(key)}`);
        await assert.rejects(s.store.get(key), named, `get ${JSON.stringify(key)}`);
        await assert.rejects(s.store.head(key), named, `head ${JSON.stringify(key)}`);
        await assert.rejects(s.store.exists(key), named, `exists ${JSON.stringify(key)}`);
        await assert.rejects(s.store.delete(key), named, `delete ${JSON.stringify(key)}`);
        await assert.rejects(s.store.download(key), named, `download ${JSON.stringify(key)}`);
      }
      for (const prefix of ['/abs', '../', 'a//']) await assert.rejects(keysOf(s.store, prefix), ArtifactKeyError, prefix);
      if (s.requests) assert.deepEqual(s.requests, [], 'nothing reached the server');
    });

    it(`download: ${name === 'local directory' ? 'the file to send' : 'a presigned GET URL that plain fetch reads, offering the file name'}`, async () => {
      const body = 'id,predicted\n1,2\n';
      await s.store.put('dlw/report.csv', body);
      const d = await s.store.download('dlw/report.csv', { fileName: 'report 1.csv', contentType: 'text/csv', expiresInS: 60 });
      assert.equal(d.type, s.downloads);
      if (d.type === 'url') {
        assert.ok(d.url.startsWith('http://127.0.0.1:'), d.url);
        assert.ok(Math.abs(d.expiresAt.getTime() - (Date.now() + 60_000)) < 5_000);
        const res = await fetch(d.url);
        assert.equal(res.status, 200);
        assert.equal(await res.text(), body);
        assert.equal(res.headers.get('content-disposition'), 'attachment; filename="report_1.csv"');
        assert.equal(res.headers.get('content-type'), 'text/csv');
      } else {
        assert.equal(await readFile(d.path, 'utf8'), body);
        assert.equal(d.size, body.length);
      }
      await assert.rejects(s.store.download('dlw/report.csv', { expiresInS: 0 }), RangeError);
    });
  });
}

// ---------------------------------------------------------------------------------------------

contract('local directory', async () => {
  const root = await mkdtemp(join(tmpdir(), 'holdout-artifacts-'));
  return { store: new LocalArtifactStore(root), requests: null, downloads: 'file', close: () => rm(root, { recursive: true, force: true }) };
});

let server: Awaited<ReturnType<typeof startS3Server>> | null = null;
const s3Server = async () => (server ??= await startS3Server());
after(async () => {
  await server?.stop();
});

contract('S3 (AWS SDK v3 against s3rver on 127.0.0.1)', async () => {
  const { endpoint } = await s3Server();
  const requests: string[] = [];
  const client = recordingClient(endpoint, requests);
  const store = new S3ArtifactStore({ bucket: BUCKET, region: 'us-east-1', endpoint, forcePathStyle: true, partSize: 5 * MB, client });
  return {
    store,
    requests,
    downloads: 'url',
    async close() {
      client.destroy();
    },
  };
});

describe('LocalArtifactStore: what the apps rely on today', () => {
  let root: string;
  let store: LocalArtifactStore;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'holdout-artifacts-'));
    store = new LocalArtifactStore(root);
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('a key is a file under the root (path), remove deletes it and its checksum record, a refused put leaves tmp/ empty', async () => {
    const r = await store.put('submissions/c1/u-sub.csv', Readable.from([Buffer.from('id,predicted\n')]), 1000);
    assert.equal(store.path(r.key), join(root, 'submissions/c1/u-sub.csv'));
    assert.equal(await readFile(store.path(r.key), 'utf8'), 'id,predicted\n');
    assert.deepEqual((await readdir(join(root, 'submissions/c1'))).sort(), ['u-sub.csv', 'u-sub.csv.holdout-meta']);
    await store.remove(r.key);
    assert.deepEqual(await readdir(join(root, 'submissions/c1')), []);
    await assert.rejects(store.put('submissions/c1/big.csv', Readable.from([Buffer.alloc(2000)]), 1000), TooLargeError);
    assert.deepEqual(await readdir(join(root, 'tmp')), []);
    assert.throws(() => store.path('../outside'), ArtifactKeyError);
    // The key the apps remove when an upload had no file.
    await store.remove('.none');
  });

  it('a file rewritten in place through path() (as the kernel runner does) gets its new checksum from head', async () => {
    await store.put('kernel-runs/s1/1/submission.csv', 'first');
    await writeFile(store.path('kernel-runs/s1/1/submission.csv'), 'second, longer');
    assert.equal((await store.head('kernel-runs/s1/1/submission.csv')).sha256, sha('second, longer'));
    // A file no put wrote (kernel.log) is hashed when asked, and listed.
    await writeFile(store.path('kernel-runs/s1/1/kernel.log'), 'log line\n');
    assert.equal((await store.head('kernel-runs/s1/1/kernel.log')).sha256, sha('log line\n'));
    assert.deepEqual(await keysOf(store, 'kernel-runs/s1/'), ['kernel-runs/s1/1/kernel.log', 'kernel-runs/s1/1/submission.csv']);
    assert.equal(await store.deletePrefix('kernel-runs/s1/'), 2);
    assert.deepEqual(await readdir(join(root, 'kernel-runs')), [], 'the folder goes whole');
  });

  it('a symbolic link a kernel left that leads out of the root is neither listed nor read', async () => {
    const outside = await mkdtemp(join(tmpdir(), 'holdout-outside-'));
    try {
      await writeFile(join(outside, 'secret'), 'host secret');
      await mkdir(store.path('kernel-runs/s2/1-public/working'), { recursive: true });
      await symlink(join(outside, 'secret'), store.path('kernel-runs/s2/1-public/working/link'));
      await symlink(outside, store.path('kernel-runs/s2/1-public/working/dir'));
      await writeFile(store.path('kernel-runs/s2/1-public/working/ok.txt'), 'ok');
      assert.deepEqual(await keysOf(store, 'kernel-runs/s2/'), ['kernel-runs/s2/1-public/working/ok.txt']);
      for (const key of ['kernel-runs/s2/1-public/working/link', 'kernel-runs/s2/1-public/working/dir/secret']) {
        await assert.rejects(store.get(key), (e: unknown) => e instanceof ArtifactKeyError && /symbolic link/.test(e.message), key);
        await assert.rejects(store.head(key), ArtifactKeyError, key);
        await assert.rejects(store.download(key), ArtifactKeyError, key);
      }
      assert.equal(await store.deletePrefix('kernel-runs/s2/'), 1);
      assert.equal(await readFile(join(outside, 'secret'), 'utf8'), 'host secret', 'deleting the run does not follow its links');
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });

  it('a directory is not an object', async () => {
    await store.put('d/inner/x', 'x');
    assert.equal(await store.exists('d/inner'), false);
    await assert.rejects(store.get('d/inner'), ArtifactNotFoundError);
    await assert.rejects(store.head('d/inner'), ArtifactNotFoundError);
  });

  it('createArtifactStore gives the local store for the default configuration', async () => {
    const made = await createArtifactStore({ artifactDir: root, artifactStore: { kind: 'local' } });
    assert.ok(made instanceof LocalArtifactStore);
    assert.equal(made.location, root);
  });
});

describe('S3ArtifactStore: beyond the contract', () => {
  let endpoint: string;
  let raw: S3Client;
  before(async () => {
    endpoint = (await s3Server()).endpoint;
    raw = recordingClient(endpoint, []);
  });
  after(() => {
    raw.destroy();
  });

  it('createArtifactStore builds it from settings, with credentials from the standard AWS chain (here the environment)', async () => {
    process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
    process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
    try {
      const store = await createArtifactStore({ artifactDir: '/unused', artifactStore: { kind: 's3', bucket: BUCKET, region: 'us-east-1', endpoint, forcePathStyle: true } });
      assert.equal(store.kind, 's3');
      assert.equal(store.location, `s3://${BUCKET} at ${endpoint}`);
      await store.put('factory/x', 'made by the factory');
      assert.equal((await buffer(await store.get('factory/x'))).toString(), 'made by the factory');
      await store.delete('factory/x');
    } finally {
      delete process.env.AWS_ACCESS_KEY_ID;
      delete process.env.AWS_SECRET_ACCESS_KEY;
    }
  });

  it('an object another tool wrote: listed and read, checksum unknown (null); a record left by an earlier multipart object does not apply to it', async () => {
    const requests: string[] = [];
    const store = new S3ArtifactStore({ bucket: BUCKET, region: 'us-east-1', endpoint, forcePathStyle: true, partSize: 5 * MB, client: recordingClient(endpoint, requests) });
    await raw.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'foreign/a.csv', Body: 'written by aws s3 cp' }));
    assert.deepEqual(await keysOf(store, 'foreign/'), ['foreign/a.csv']);
    assert.equal((await store.head('foreign/a.csv')).sha256, null);

    const big = randomBytes(6 * MB);
    await store.put('foreign/b.bin', streamOf(big));
    assert.equal((await store.head('foreign/b.bin')).sha256, sha(big));
    // The same size, other bytes: only the ETag tells the record is not this object's.
    await raw.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'foreign/b.bin', Body: randomBytes(6 * MB) }));
    const h = await store.head('foreign/b.bin');
    assert.deepEqual([h.size, h.sha256], [6 * MB, null]);

    // deletePrefix takes the checksum records with the objects.
    assert.equal(await store.deletePrefix('foreign/'), 2);
    const left = await raw.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'foreign/' }));
    assert.deepEqual(left.Contents ?? [], []);
    store.client.destroy();
  });

  it('partSize below S3 minimum part is refused', () => {
    assert.throws(() => new S3ArtifactStore({ bucket: BUCKET, region: 'us-east-1', endpoint, forcePathStyle: true, partSize: MB }), /at least 5242880 bytes/);
  });
});
