import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import sharp from 'sharp';
import { CompetitionBundleError } from '../errors.js';
import { parseCompetitionConfig } from '../loader.js';
import { packBundleArchive, unpackBundleArchive } from './archive.js';
import { readImageHeader } from './image-header.js';
import { bundleFileLimit, BUNDLE_LIMITS } from './limits.js';

const MiB = 1024 * 1024;

async function issuesOf(fn: () => Promise<unknown> | unknown): Promise<{ file?: string; message: string }[]> {
  try {
    await fn();
  } catch (error) {
    if (error instanceof CompetitionBundleError) return error.issues;
    throw error;
  }
  return assert.fail('expected a CompetitionBundleError');
}

describe('bundle upload limits', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'holdout-upload-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const unpack = async (files: Record<string, string | Buffer>, maxTotalBytes = 64 * MiB) => {
    const archive = join(dir, `a-${Math.random().toString(36).slice(2)}.tar.gz`);
    await writeFile(archive, await packBundleArchive(files));
    const into = join(dir, `u-${Math.random().toString(36).slice(2)}`);
    return { into, run: () => unpackBundleArchive({ archive, into, maxTotalBytes }) };
  };

  it('knows each kind of file by its path', () => {
    assert.equal(bundleFileLimit('competition.yaml', 100 * MiB).bytes, BUNDLE_LIMITS.configBytes);
    assert.equal(bundleFileLimit('pages/rules.md', 100 * MiB).bytes, BUNDLE_LIMITS.pageBytes);
    assert.equal(bundleFileLimit('starter/kernel.py', 100 * MiB).bytes, BUNDLE_LIMITS.starterBytes);
    assert.equal(bundleFileLimit('data/hidden/solution.csv', 100 * MiB).bytes, BUNDLE_LIMITS.csvBytes);
    assert.equal(bundleFileLimit('data/public/test/a.tiff', 100 * MiB).bytes, 100 * MiB);
  });

  it('refuses an oversized file from its header, naming it, and leaves nothing behind', async () => {
    const { into, run } = await unpack({ 'competition.yaml': 'x'.repeat(65 * 1024), 'pages/overview.md': '# hi\n' });
    const issues = await issuesOf(run);
    assert.deepEqual(issues.map((i) => [i.file, i.message]), [['competition.yaml', 'is 65 KB; competition.yaml may be at most 64 KB']]);
    assert.deepEqual(await readdir(into).catch(() => []), []);
  });

  it('refuses a file twice, a link and a path out of the bundle; paths are the archive\'s own', async () => {
    const twice = await unpack({ 'competition.yaml': 'a: 1\n', './competition.yaml': 'a: 2\n' });
    assert.deepEqual((await issuesOf(twice.run)).map((i) => i.message), ['appears twice in the archive']);
    const out = await unpack({ '../escape.txt': 'x' });
    const [issue] = await issuesOf(out.run);
    assert.match(issue!.message, /refusing the path/);
    assert.ok(!issue!.message.includes(dir), 'no server path in the message');
  });

  it('refuses a total over the cap', async () => {
    const { run } = await unpack({ 'competition.yaml': 'a: 1\n', 'extra/a.bin': Buffer.alloc(600 * 1024), 'extra/b.bin': Buffer.alloc(600 * 1024) }, MiB);
    assert.match((await issuesOf(run))[0]!.message, /unpacks to more than 1 MB/);
  });

  it('refuses a gzip stream that inflates far past what its entries declare, without inflating it all', async () => {
    // Tar readers skip zero blocks after the end of an archive: 1 MB here is 1 GiB of zeros inflated.
    const archive = join(dir, 'bomb.tar.gz');
    const zeros = gzipSync(Buffer.alloc(64 * MiB), { level: 9 });
    await writeFile(archive, Buffer.concat([await packBundleArchive({ 'competition.yaml': 'a: 1\n', 'data/a.bin': Buffer.alloc(2 * MiB, 1) }), ...Array<Buffer>(16).fill(zeros)]));
    const into = join(dir, 'bomb');
    const started = Date.now();
    const [issue] = await issuesOf(() => unpackBundleArchive({ archive, into, maxTotalBytes: 64 * MiB }));
    assert.equal(issue!.file, 'bundle archive');
    assert.match(issue!.message, /^decompresses to far more than its entries declare \(over [\d.]+ MB for 2 MB of files\); is it a decompression bomb\?$/);
    assert.ok(Date.now() - started < 3000, `took ${Date.now() - started} ms (inflating it all takes about 9 s)`);
    assert.deepEqual(await readdir(into).catch(() => []), []);
  });
});

describe('competition.yaml resource limits', () => {
  it('refuses a billion-laughs file', async () => {
    const lines = ['schemaVersion: 1', 'l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
    for (let i = 1; i <= 9; i++) lines.push(`l${i}: &l${i} [${Array(9).fill(`*l${i - 1}`).join(', ')}]`);
    lines.push('title: *l9');
    const [issue] = await issuesOf(() => parseCompetitionConfig(lines.join('\n')));
    assert.match(issue!.message, /expands its aliases too often/);
  });

  it('refuses deep flow nesting before the parser recurses, and deep block nesting after', async () => {
    const flow = await issuesOf(() => parseCompetitionConfig(`schemaVersion: 1\ntitle: ${'['.repeat(30_000)}${']'.repeat(30_000)}\n`));
    assert.match(flow[0]!.message, /is nested too deeply/);
    const block = Array.from({ length: 40 }, (_, d) => `${' '.repeat(d)}k${d}:`).join('\n') + ' 1\n';
    const deep = await issuesOf(() => parseCompetitionConfig(block));
    assert.match(deep[0]!.message, /is nested too deeply \(at most 32 levels\)/);
  });

  it('refuses an oversized text before parsing it', async () => {
    const [issue] = await issuesOf(() => parseCompetitionConfig(`description: ${'x'.repeat(BUNDLE_LIMITS.configBytes)}\n`));
    assert.match(issue!.message, /^is 64 KB; it may be at most 64 KB$/);
  });
});

describe('readImageHeader', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'holdout-header-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads the size, refuses more pixels than allowed and what is not an image', async () => {
    const png = join(dir, 'a.png');
    await sharp({ create: { width: 40, height: 30, channels: 3, background: '#000' } }).png().toFile(png);
    assert.deepEqual(await readImageHeader(png, 10_000), { width: 40, height: 30, pages: 1 });
    assert.deepEqual(await readImageHeader(png, 1_000), { problem: "declares more pixels than this competition's limit of 1,000 (data.maxImagePixels)" });
    const junk = join(dir, 'b.tiff');
    await writeFile(junk, 'not an image');
    assert.match((await readImageHeader(junk, 10_000) as { problem: string }).problem, /is not a readable image/);
  });
});
