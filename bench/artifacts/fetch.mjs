#!/usr/bin/env node
// Benchmark of the artifact store's object-store path against the local one (issue 18), for a
// HuBMAP-scale data fetch: the test slides a kernel or model run needs. Random (incompressible)
// files stand in for the slides; they are put into a LocalArtifactStore and into an
// S3ArtifactStore (createArtifactStore, as the apps make it) on the S3 test server (s3rver in a
// process of its own on 127.0.0.1; objects past 8 MiB go up in parts). Then, `--runs` times, in
// this order, each measured in the same process one after the other:
//
//  local            what a worker does today: reads each file in place, one after another
//                   (stream + SHA-256), from the local store's directory
//  s3-cold          ArtifactCache.acquirePrefix on an empty cache directory over the S3 store:
//                   list, head, fetch, verify (size + SHA-256), flush and rename each object
//  s3-warm          the same acquirePrefix again on the same cache: every object a hit (list,
//                   heads, the checksum records of multipart objects; no bytes fetched)
//  local-cache-cold ArtifactCache.acquirePrefix on an empty cache directory over the local store
//
// Before every case but s3-warm the page cache is dropped (`echo 3 > /proc/sys/vm/drop_caches`,
// root only), so each reads from disk; every line says whether it was. Prints one JSON line per
// case and run, one summary line per case (median and min) and one line of ratios (median of each
// run's own ratio); progress goes to stderr. Everything lives in one temporary directory (and the
// server's own), removed at the end.
//
// Needs a build first: npx tsc -b libs/db. Needs no PostgreSQL or Redis.
//
// Usage: node bench/artifacts/fetch.mjs [--files N] [--mb MB] [--runs N] [--no-drop-caches] [--keep]
import { createHash, randomFill } from 'node:crypto';
import { createReadStream, existsSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');

const { values } = parseArgs({
  options: {
    files: { type: 'string', default: '5' },
    mb: { type: 'string', default: '200' },
    runs: { type: 'string', default: '3' },
    'no-drop-caches': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
  },
});
const files = Number(values.files);
const mb = Number(values.mb);
const runs = Number(values.runs);
if (![files, mb, runs].every((n) => Number.isSafeInteger(n) && n >= 1)) usage('--files, --mb and --runs take positive whole numbers');

if (!existsSync(join(root, 'libs', 'db', 'dist', 'index.js'))) {
  console.error('build first: npx tsc -b libs/db');
  process.exit(1);
}

// The S3 test server's fixed credentials, for the SDK's standard chain that createArtifactStore uses.
process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
delete process.env.AWS_SESSION_TOKEN;
delete process.env.AWS_PROFILE;

const db = await import('@holdout/db');
const { startS3TestServer } = await import('@holdout/db/testing');

const MB = 1e6; // sizes and rates in 10^6 bytes
const BUCKET = 'holdout-bench-artifacts';
const PREFIX = 'competitions/hubmap-bench/data/test/';
const totalBytes = files * mb * MB;
const keys = Array.from({ length: files }, (_, i) => `${PREFIX}slide-${String(i + 1).padStart(2, '0')}.tiff`);

/** SHA-256 of each key's bytes, as the local store's put gave it. */
const putHashes = new Map();
/** The caches of the current run, by name, so the warm case finds the cold case's. */
const caches = new Map();

const tmp = await mkdtemp(join(tmpdir(), 'holdout-bench-artifacts-'));
let server = null;
const cleanup = async () => {
  await server?.stop().catch((err) => progress(`the S3 test server did not stop: ${err}`));
  server = null;
  if (values.keep) progress(`kept ${tmp}`);
  else await rm(tmp, { recursive: true, force: true });
};
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => void cleanup().finally(() => process.exit(130)));

const started = performance.now();
try {
  await main();
} finally {
  await cleanup();
  progress(`done in ${seconds(started).toFixed(1)} s`);
}

async function main() {
  const dropCaches = values['no-drop-caches'] ? false : canDropCaches();
  progress(`page cache ${dropCaches ? 'dropped before each cold case' : 'not dropped (--no-drop-caches, or not root)'}`);

  const local = new db.LocalArtifactStore(join(tmp, 'store'));
  progress(`writing ${files} × ${mb} MB of random bytes into the local store (${(totalBytes / 1e9).toFixed(2)} GB)`);
  for (const key of keys) putHashes.set(key, (await local.put(key, randomSource(mb * MB))).sha256);

  server = await startS3TestServer(BUCKET);
  const s3 = await db.createArtifactStore({ artifactDir: join(tmp, 'unused'), artifactStore: { kind: 's3', bucket: BUCKET, region: 'us-east-1', endpoint: server.endpoint, forcePathStyle: true } });
  progress(`uploading to ${s3.location}`);
  const upStarted = performance.now();
  for (const key of keys) {
    const put = await s3.put(key, await local.get(key));
    if (put.sha256 !== stored(key)) throw new Error(`${key}: the S3 store stored SHA-256 ${put.sha256}, the local one ${stored(key)}`);
  }
  const upSeconds = seconds(upStarted);
  emit({ case: 'upload', note: 'once, not repeated: S3ArtifactStore.put of every file from the local store (multipart: 8 MiB parts, 4 in flight)', seconds: round(upSeconds, 3), MBps: round(totalBytes / MB / upSeconds) });

  const cases = {
    local: { drop: true, run: () => readInPlace(local) },
    's3-cold': { drop: true, run: (r) => acquireCold(s3, `s3-${r}`) },
    's3-warm': { drop: false, run: (r) => acquireWarm(`s3-${r}`) },
    'local-cache-cold': { drop: true, run: (r) => acquireCold(local, `local-${r}`) },
  };
  const results = Object.fromEntries(Object.keys(cases).map((name) => [name, []]));
  for (let run = 1; run <= runs; run++) {
    for (const [name, c] of Object.entries(cases)) {
      const dropped = c.drop && dropCaches ? dropPageCache() : false;
      progress(`run ${run}/${runs}: ${name}`);
      const cpu = process.cpuUsage();
      const t = performance.now();
      const extra = await c.run(run);
      const s = seconds(t);
      const used = process.cpuUsage(cpu);
      const r = { seconds: s, cpuSeconds: (used.user + used.system) / 1e6, ...extra };
      results[name].push(r);
      emit({ case: name, run, pageCacheDropped: dropped, seconds: round(s, 3), MBps: round(totalBytes / MB / s), cpuSeconds: round(r.cpuSeconds, 3), ...extra });
    }
    await rm(join(tmp, 'caches'), { recursive: true, force: true });
    caches.clear();
  }

  for (const [name, rs] of Object.entries(results)) {
    const ss = rs.map((r) => r.seconds);
    emit({
      case: name,
      summary: true,
      runs,
      pageCacheDropped: cases[name].drop && dropCaches,
      medianSeconds: round(median(ss), 3),
      minSeconds: round(Math.min(...ss), 3),
      medianMBps: round(totalBytes / MB / median(ss)),
      maxMBps: round(totalBytes / MB / Math.min(...ss)),
      medianCpuSeconds: round(median(rs.map((r) => r.cpuSeconds)), 3),
      ...(rs[0].stats ? { stats: rs.at(-1).stats } : {}),
    });
  }
  // Each run's own ratio (its cases measured back to back), median over the runs: less swayed by
  // other load on a shared machine than a ratio of medians.
  const ratio = (a) => round(median(results[a].map((r, i) => r.seconds / results.local[i].seconds)), 3);
  emit({
    case: 'ratios',
    summary: true,
    runs,
    s3ColdOverLocal: ratio('s3-cold'),
    s3WarmOverLocal: ratio('s3-warm'),
    localCacheColdOverLocal: ratio('local-cache-cold'),
    s3ColdOverLocalCacheCold: round(median(results['s3-cold'].map((r, i) => r.seconds / results['local-cache-cold'][i].seconds)), 3),
  });
}

// ---- cases ------------------------------------------------------------------------------------

/** Every file read where it lies, one after another, hashed as it is read. */
async function readInPlace(store) {
  for (const key of keys) {
    const hash = createHash('sha256');
    await pipeline(createReadStream(store.path(key)), hash);
    if (hash.digest('hex') !== stored(key)) throw new Error(`${key}: read bytes with another SHA-256 than were put`);
  }
  return {};
}

/** A new cache on an empty directory, and the whole folder acquired through it (then released). */
async function acquireCold(store, name) {
  const cache = new db.ArtifactCache({ store, dir: join(tmp, 'caches', name), maxBytes: 2 * totalBytes });
  await cache.open();
  caches.set(name, cache);
  return acquireAll(cache);
}

/** The same folder again, through the cache that acquireCold filled. */
async function acquireWarm(name) {
  return acquireAll(caches.get(name));
}

/** acquirePrefix of the whole folder, checked against what was put; the cache's counters for this acquire alone. */
async function acquireAll(cache) {
  const before = cache.stats();
  const folder = await cache.acquirePrefix(PREFIX);
  try {
    if (folder.files.length !== keys.length || folder.size !== totalBytes) throw new Error(`acquirePrefix gave ${folder.files.length} files, ${folder.size} bytes; expected ${keys.length}, ${totalBytes}`);
    for (const f of folder.files) if (f.sha256 !== stored(f.key)) throw new Error(`${f.key}: cached with SHA-256 ${f.sha256}, put with ${stored(f.key)}`);
  } finally {
    await folder.release();
  }
  const after = cache.stats();
  return { stats: Object.fromEntries(['hits', 'misses', 'fetches', 'bytesFetched'].map((k) => [k, after[k] - before[k]])) };
}

// ---- helpers ----------------------------------------------------------------------------------

function stored(key) {
  return putHashes.get(key);
}

/** `size` random bytes as a stream of 8 MiB chunks (the local store hashes them as it writes). */
function randomSource(size) {
  const chunk = 8 * 1024 * 1024;
  return Readable.from(
    (async function* () {
      for (let left = size; left > 0; left -= chunk) {
        const b = Buffer.allocUnsafe(Math.min(chunk, left));
        await new Promise((done, fail) => randomFill(b, (err) => (err ? fail(err) : done())));
        yield b;
      }
    })(),
  );
}

function canDropCaches() {
  if (process.getuid?.() !== 0) return false;
  try {
    dropPageCache();
    return true;
  } catch {
    return false;
  }
}

/** Writes dirty pages out, then drops the clean ones (what a cold read of these files meets). */
function dropPageCache() {
  execFileSync('sync');
  writeFileSync('/proc/sys/vm/drop_caches', '3\n');
  return true;
}

function emit(obj) {
  process.stdout.write(`${JSON.stringify({ bench: 'artifacts', files, fileMB: mb, totalMB: files * mb, ...obj, ...(obj.summary ? { cpus: availableParallelism(), loadavg: loadavg().map((x) => round(x)) } : {}) })}\n`);
}

function progress(msg) {
  process.stderr.write(`[artifacts] ${msg}\n`);
}

function seconds(since) {
  return (performance.now() - since) / 1000;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function round(x, digits = 1) {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function usage(msg) {
  console.error(`${msg}\nusage: node bench/artifacts/fetch.mjs [--files N] [--mb MB] [--runs N] [--no-drop-caches] [--keep]`);
  process.exit(2);
}
