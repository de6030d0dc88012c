import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { packBundleArchive } from '@holdout/competition';
import request from 'supertest';
import { billionLaughsYaml, Client, createTestEnv, deeplyNestedYaml, eventually, processEnv, startApi, tiffDeclaring, type TestApi, type TestEnv } from './testing/index.js';
import { LibCompetitionBundles } from './modules/competitions/lib-bundles.js';

const MiB = 1024 * 1024;

async function freePort(): Promise<number> {
  const srv: Server = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

/** Resident memory of a process from /proc (kB → bytes): now, and its peak. */
async function memoryOf(pid: number): Promise<{ rss: number; peak: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(/(\d+) kB/.exec(status.split('\n').find((l) => l.startsWith(field)) ?? '')?.[1] ?? NaN) * 1024;
  return { rss: kb('VmRSS:'), peak: kb('VmHWM:') };
}

async function bundleFiles(root: string, edit: (yaml: string) => string = (y) => y): Promise<Record<string, string | Buffer>> {
  const dir = join(root, 'competitions', 'hubmap-glomeruli');
  const out: Record<string, string | Buffer> = {};
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out[relative(dir, join(e.parentPath, e.name))] = await readFile(join(e.parentPath, e.name));
  }
  out['competition.yaml'] = edit((out['competition.yaml'] as Buffer).toString('utf8').replace(/^slug: .*$/m, 'slug: mine'));
  return out;
}

/** A data-as-files bundle whose one test image is the given file. */
function filesBundle(image: Buffer): Record<string, string | Buffer> {
  return {
    'competition.yaml': [
      'schemaVersion: 1',
      'slug: own-data',
      'title: Own data',
      'description: An instructor\'s bundle with its data as files.',
      'metric: { name: dice, rleOrder: column }',
      'timeline: { opensAt: now, teamMergeDeadline: now+1d, closesAt: now+2d }',
      'submissions: { kinds: [file] }',
      'data: { files: { public: data/public, hidden: data/hidden }, maxImagePixels: 100000000 }',
      '',
    ].join('\n'),
    ...Object.fromEntries(['overview', 'data', 'evaluation', 'rules'].map((p) => [`pages/${p}.md`, `# ${p}\n`])),
    'data/public/test/slide1.tiff': image,
    'data/public/sample_submission.csv': 'id,predicted\nslide1,\n',
    'data/public/train.csv': 'id,encoding\n',
    'data/hidden/solution.csv': 'id,height,width,encoding,Usage\nslide1,100000,100000,,Public\n',
  };
}

/**
 * What a self-registered attacker can send: the API runs as its own process (as `npm start` runs
 * it) so its memory can be read from /proc while hostile bundles arrive.
 */
describe('untrusted bundles, YAML, images and text fields', () => {
  let env: TestEnv;
  let api: ChildProcess;
  let url: string;
  let prof: Client;
  let courseId: string;
  const messages: string[] = [];

  before(async () => {
    env = await createTestEnv('untrusted');
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    api = spawn(process.execPath, [fileURLToPath(new URL('./main.js', import.meta.url))], {
      env: processEnv(env, { PORT: String(port), HOLDOUT_LOG_LEVEL: 'info' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const log = createWriteStream(join(env.config.dataDir, 'api.log'));
    api.stdout!.pipe(log);
    api.stderr!.pipe(log);
    await eventually(async () => ((await request(url).get('/api/health').catch(() => null))?.status === 200 ? true : undefined), { timeoutMs: 30_000, what: 'the API to start' });
    prof = await Client.register(url as unknown as import('node:http').Server, 'prof@example.com'); // first account: site admin
    courseId = (await prof.post('/api/courses').send({ name: 'C' })).body.id;
  });
  after(async () => {
    api?.kill('SIGKILL');
    await env?.drop();
  });

  const upload = async (files: Record<string, string | Buffer>) => {
    const res = await prof.post('/api/competitions').field('courseId', courseId).attach('bundle', await packBundleArchive(files), 'bundle.tar.gz');
    if (res.body?.error?.message) messages.push(res.body.error.message, JSON.stringify(res.body.error.details ?? null));
    return res;
  };

  it('refuses each oversized file while streaming, naming it, and the API stays small', async () => {
    const before = await memoryOf(api.pid!);
    const files = await bundleFiles(env.config.repoRoot);
    // The attack that took the platform down: ~150 KB on the wire, a 150 MiB description.
    const huge = `${(files['competition.yaml'] as string).replace(/^description:.*$/m, '')}description: "${'x'.repeat(150 * MiB)}"\n`;
    const cases: [name: string, files: Record<string, string | Buffer>, pattern: RegExp][] = [
      ['competition.yaml', { ...files, 'competition.yaml': huge }, /^invalid competition bundle: competition\.yaml: is 150(\.\d)? MB; competition\.yaml may be at most 64 KB$/],
      ['a page', { ...files, 'pages/overview.md': `# Overview\n${'y'.repeat(2 * MiB)}` }, /^invalid competition bundle: pages\/overview\.md: is 2(\.\d)? MB; a page may be at most 1 MB$/],
      ['a starter', { ...files, 'starter/kernel.py': `# ${'z'.repeat(11 * MiB)}` }, /^invalid competition bundle: starter\/kernel\.py: is 11(\.\d)? MB; a starter file may be at most 10 MB$/],
      ['a CSV', { ...files, 'sample_submission.csv': `id,predicted\n${'a,\n'.repeat(90 * MiB)}` }, /^invalid competition bundle: sample_submission\.csv: is 270 MB; a CSV file may be at most 256 MB$/],
    ];
    for (const [what, bundle, pattern] of cases) {
      const res = await upload(bundle);
      assert.equal(res.status, 400, `${what}: ${res.status} ${res.text.slice(0, 300)}`);
      assert.match(res.body.error.message, pattern, what);
    }
    const afterUploads = await memoryOf(api.pid!);
    // It reached 4.3 GB before it died; the archive is now refused by the header of its entry.
    assert.ok(afterUploads.rss - before.rss < 100 * MiB, `the API grew by ${Math.round((afterUploads.rss - before.rss) / MiB)} MB`);
    assert.ok(afterUploads.peak < 600 * MiB, `the API's peak resident memory was ${Math.round(afterUploads.peak / MiB)} MB`);
    assert.equal((await request(url).get('/api/health')).status, 200, 'still serving');
    assert.deepEqual(await env.ds.query('SELECT slug FROM competitions'), [], 'nothing created');
    assert.deepEqual(await readdir(join(env.config.dataDir, 'bundles')).catch(() => []), [], 'nothing left unpacked');
  });

  it('refuses a billion-laughs and a deeply nested competition.yaml with 400 naming the problem', async () => {
    const files = await bundleFiles(env.config.repoRoot);
    const laughs = await upload({ ...files, 'competition.yaml': billionLaughsYaml().replace('slug: laughs', 'slug: mine') });
    assert.equal(laughs.status, 400, laughs.text.slice(0, 300));
    assert.match(laughs.body.error.message, /competition\.yaml: expands its aliases too often/);
    const deep = await upload({ ...files, 'competition.yaml': deeplyNestedYaml(30_000).replace('slug: deep', 'slug: mine') });
    assert.equal(deep.status, 400, deep.text.slice(0, 300));
    assert.match(deep.body.error.message, /competition\.yaml: is nested too deeply/);
    assert.equal((await request(url).get('/api/health')).status, 200);
  });

  it('refuses an image declaring more pixels than the competition allows, naming the file', async () => {
    const res = await upload(filesBundle(tiffDeclaring(100_000, 100_000)));
    assert.equal(res.status, 400, res.text.slice(0, 300));
    assert.match(res.body.error.message, /data\/public\/test\/slide1\.tiff: declares more pixels than this competition's limit of 100,000,000 \(data\.maxImagePixels\)/);
    const garbage = await upload(filesBundle(Buffer.from('II*\0 not really a TIFF')));
    assert.equal(garbage.status, 400);
    assert.match(garbage.body.error.message, /data\/public\/test\/slide1\.tiff: is not a readable image/);
  });

  it('refuses a file that appears twice and a cut text field, and no message names a server path', async () => {
    const files = await bundleFiles(env.config.repoRoot);
    const twice = await packBundleArchive(files);
    // The same path again: tar-stream packs what it is given.
    const dup = await prof.post('/api/competitions').field('courseId', courseId).attach('bundle', await packBundleArchive({ ...files, './competition.yaml': files['competition.yaml']! }), 'b.tar.gz');
    messages.push(dup.body.error?.message ?? '');
    assert.equal(dup.status, 400, dup.text.slice(0, 300));
    assert.match(dup.body.error.message, /competition\.yaml: appears twice in the archive/);
    const longField = await prof.post('/api/competitions').field('courseId', courseId).field('slug', 'x'.repeat(20_000)).attach('bundle', twice, 'b.tar.gz');
    assert.equal(longField.status, 413);
    assert.match(longField.body.error.message, /the field "slug" is longer than 16 KB/);
    const noYaml = await upload({ 'nothing/here.txt': 'x', 'other/there.txt': 'y' });
    assert.equal(noYaml.status, 400);
    for (const m of messages) {
      assert.ok(!m.includes(env.config.dataDir) && !m.includes(env.config.repoRoot) && !/\/(tmp|root|home|work)\//.test(m), `a server path in: ${m.slice(0, 300)}`);
    }
  });
});

/** Throttling of sign-ins lives in Redis: two API replicas share it, and it is per client address. */
describe('sign-in throttling across replicas', () => {
  let env: TestEnv;
  let a: TestApi;
  let b: TestApi;

  before(async () => {
    env = await createTestEnv('throttle');
    const bundles = new LibCompetitionBundles(env.config.repoRoot);
    a = await startApi(env, bundles, { loginAttemptsPerIp: 6 });
    b = await startApi(env, bundles, { loginAttemptsPerIp: 6 });
    await Client.register(a.server, 'victim@example.com');
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await env?.drop();
  });

  const login = (api: TestApi, email: string, ip: string, password = 'wrong password!') =>
    request(api.server).post('/api/auth/login').set('x-forwarded-for', ip).send({ email, password });

  it('limits failures per address across replicas, never locks the account for other addresses', async () => {
    // Spraying: six accounts, one guess each, alternating replicas, from one address.
    for (let i = 0; i < 6; i++) assert.equal((await login(i % 2 ? a : b, `user${i}@example.com`, '10.1.1.1')).status, 401);
    const blocked = await login(a, 'victim@example.com', '10.1.1.1', 'correct horse battery');
    assert.equal(blocked.status, 429);
    assert.equal(blocked.body.error.code, 'too_many_attempts');
    assert.match(blocked.body.error.message, /^Too many failed sign-ins from your network address; try again in \d+ s\.$/);
    assert.ok(blocked.body.error.details.retryAfterSeconds > 800);
    // Another address (another student behind the same proxy would differ too) signs in at once.
    assert.equal((await login(b, 'victim@example.com', '10.2.2.2', 'correct horse battery')).status, 200);
    // Guessing one account's password from one address stops after a third of the address's limit.
    for (let i = 0; i < 3; i++) assert.equal((await login(b, 'victim@example.com', '10.3.3.3')).status, 401);
    assert.equal((await login(a, 'victim@example.com', '10.3.3.3', 'correct horse battery')).status, 429);
    assert.equal((await login(a, 'victim@example.com', '10.4.4.4', 'correct horse battery')).status, 200, 'the owner elsewhere is not locked out');
  });
});
