import yauzl from 'yauzl';
import assert from 'node:assert/strict';
import { copyFile, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadBundle } from '@holdout/competition';
import type { DataFileDto } from '@holdout/contracts';
import { Client, createTestEnv, FIXTURE_SOLUTION, FixtureBundles, startApi, type TestApi, type TestEnv } from '../../testing/index.js';
import type { BundleCompetition } from './bundles.js';
import { Competition, provisionCompetitionData } from '@holdout/db';

const DAY = 86_400_000;

/** The fixture competition, but from a bundle directory on disk (for its `starter/`). */
class FixtureOnDisk extends FixtureBundles {
  bundleDir = '';
  override async load(bundle: string): Promise<BundleCompetition> {
    return { ...(await super.load(bundle)), bundleDir: this.bundleDir };
  }
}

/**
 * Public data downloads where the platform's data lives under a dot-directory, as the default
 * `<repo>/.data` does: the dot in the data root must not refuse the download, while dotfiles
 * and anything outside `public/` stay unreachable.
 */
describe('competition data under a dot-directory', () => {
  let env: TestEnv;
  let api: TestApi;
  let prof: Client;
  let dataRoot: string;
  const bundles = new FixtureOnDisk(() => ({ opensAt: new Date(Date.now() - DAY), closesAt: new Date(Date.now() + DAY) }));
  let hubmap: string;

  before(async () => {
    env = await createTestEnv('data');
    // A bundle directory with the real starter kernels of a bundled competition, and things
    // beside them that must not be served.
    hubmap = join(env.config.repoRoot, 'competitions', 'hubmap-glomeruli');
    bundles.bundleDir = join(env.config.dataDir, 'bundle');
    await mkdir(join(bundles.bundleDir, 'starter'), { recursive: true });
    await writeFile(join(bundles.bundleDir, 'competition.yaml'), 'slug: fixture\n');
    for (const f of ['kernel.py', 'kernel.ipynb']) await copyFile(join(hubmap, 'starter', f), join(bundles.bundleDir, 'starter', f));
    await writeFile(join(bundles.bundleDir, 'starter', '.draft.py'), 'print("draft")\n');
    await writeFile(join(bundles.bundleDir, 'starter', 'notes.txt'), 'not a kernel\n');
    await symlink(join(bundles.bundleDir, 'competition.yaml'), join(bundles.bundleDir, 'starter', 'escape.py'));
    api = await startApi(env, bundles);
    prof = await Client.register(api.server, 'prof@example.com');
    const courseId = (await prof.post('/api/courses').send({ name: 'C' })).body.id;
    assert.equal((await prof.post('/api/competitions').send({ bundle: 'fixture', slug: 'cells', courseId })).status, 201);
    // Built as the worker would, but into `<tmp>/.holdout/…` (the default is `<repo>/.data`).
    dataRoot = join(env.config.dataDir, '.holdout');
    const c = await env.ds.getRepository(Competition).findOneByOrFail({ slug: 'cells' });
    await provisionCompetitionData(env.ds, bundles, c.id, dataRoot);
    const publicDir = join(dataRoot, 'competitions', 'fixture', 'v1', 'public');
    await writeFile(join(publicDir, '.secret'), 'not for download');
    await mkdir(join(publicDir, '.cache'));
    await writeFile(join(publicDir, '.cache', 'x.csv'), 'hidden');
    // A link inside public/ to the solution: must not be followed out of public/.
    await symlink(join(dataRoot, 'competitions', 'fixture', 'v1', 'hidden', 'solution.csv'), join(publicDir, 'linked.csv'));
    await new Promise((r) => setTimeout(r, 2100)); // competition cache TTL (dataStatus)
  });
  after(async () => {
    await api?.close();
    await env?.drop();
  });

  it('lists and downloads public files (with Range and ETag) from a data root under a dot-directory', async () => {
    const list = await prof.get('/api/competitions/cells/data');
    assert.equal(list.status, 200, JSON.stringify(list.body));
    const files = list.body as DataFileDto[];
    assert.deepEqual(files.map((f) => f.name), ['sample_submission.csv', 'starter/kernel.ipynb', 'starter/kernel.py', 'test/p1.png', 'train.csv']);
    const train = await prof.get('/api/competitions/cells/data/train.csv');
    assert.equal(train.status, 200, JSON.stringify(train.body));
    assert.equal(train.text, 'id,encoding\nt1,1 3\n');
    assert.equal(train.headers.etag, files.find((f) => f.name === 'train.csv')!.etag);
    const png = await prof.get('/api/competitions/cells/data/test/p1.png').set('range', 'bytes=10-19').buffer(true);
    assert.equal(png.status, 206);
    assert.deepEqual([...(png.body as Buffer)], Array.from({ length: 10 }, (_, i) => (10 + i) % 251));
    const again = await prof.get('/api/competitions/cells/data/train.csv').set('if-none-match', train.headers.etag!);
    assert.equal(again.status, 304);
  });

  it('downloads all: one zip of exactly the listed files, each as served alone; members only', async () => {
    const res = await prof.get('/api/competitions/cells/data.zip').buffer(true).parse((r, cb) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => cb(null, Buffer.concat(chunks)));
    });
    assert.equal(res.status, 200, String(res.body).slice(0, 200));
    assert.equal(res.headers['content-type'], 'application/zip');
    assert.match(res.headers['content-disposition']!, /filename="cells\.zip"/);
    const entries = await zipEntries(res.body as Buffer);
    const listed = ((await prof.get('/api/competitions/cells/data')).body as DataFileDto[]).map((f) => f.name);
    assert.deepEqual([...entries.keys()].sort(), listed, 'the listed files, no dotfile, no link out, no solution');
    assert.equal(entries.get('train.csv')!.toString(), 'id,encoding\nt1,1 3\n');
    const outsider = await Client.register(api.server, 'zip-outsider@example.com');
    assert.equal((await outsider.get('/api/competitions/cells/data.zip')).status, 404);
  });

  it('still refuses dotfiles, traversal and links out of public/, with the one error shape', async () => {
    for (const path of ['.secret', '.cache/x.csv', '..%2Fhidden%2Fsolution.csv', '%2e%2e/hidden/solution.csv', 'linked.csv', 'nothing.csv']) {
      const res = await prof.get(`/api/competitions/cells/data/${path}`);
      assert.equal(res.status, 404, `${path} → ${res.status} ${res.text.slice(0, 200)}`);
      assert.equal(res.body.error.code, 'not_found', path);
      assert.ok(typeof res.body.requestId === 'string', path);
      assert.ok(!res.text.includes(FIXTURE_SOLUTION.split('\n')[1]!), `${path} leaked the solution`);
    }
  });

  it('lists and serves the bundle starter kernels under starter/ (where loadBundle finds them), nothing else of the bundle', async () => {
    const b = await loadBundle(hubmap);
    assert.equal(b.files.starterKernel.py, join(hubmap, 'starter', 'kernel.py'), 'the bundle layout the route relies on');
    assert.equal(b.files.starterKernel.ipynb, join(hubmap, 'starter', 'kernel.ipynb'));
    const files = (await prof.get('/api/competitions/cells/data')).body as DataFileDto[];
    for (const f of ['kernel.py', 'kernel.ipynb']) {
      const listed = files.find((x) => x.name === `starter/${f}`);
      assert.ok(listed, `starter/${f} listed`);
      const res = await prof.get(`/api/competitions/cells/data/starter/${f}`).buffer(true).parse((r, cb) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => cb(null, Buffer.concat(chunks)));
      });
      assert.equal(res.status, 200, `starter/${f}`);
      assert.ok((res.body as Buffer).equals(await readFile(join(hubmap, 'starter', f))), `starter/${f} content`);
      assert.equal(res.headers.etag, listed.etag);
      assert.equal(Number(res.headers['content-length']), listed.size);
    }
    for (const path of ['starter/.draft.py', 'starter/notes.txt', 'starter/escape.py', 'starter/..%2Fcompetition.yaml', 'starter/%2e%2e/competition.yaml', 'competition.yaml', 'starter/kernel.py/x']) {
      const res = await prof.get(`/api/competitions/cells/data/${path}`);
      assert.equal(res.status, 404, `${path} → ${res.status} ${res.text.slice(0, 200)}`);
      assert.equal(res.body.error.code, 'not_found', path);
    }
    const outsider = await Client.register(api.server, 'nosy@example.com');
    assert.equal((await outsider.get('/api/competitions/cells/data/starter/kernel.py')).status, 404, 'members only');
  });
});

/** Name → content of every file in a zip (yauzl, from memory). */
async function zipEntries(buf: Buffer): Promise<Map<string, Buffer>> {
  const zip = await new Promise<yauzl.ZipFile>((ok, no) => yauzl.fromBuffer(buf, { lazyEntries: true }, (err, z) => (err ? no(err) : ok(z))));
  const out = new Map<string, Buffer>();
  await new Promise<void>((done, fail) => {
    zip.on('end', () => done());
    zip.on('error', fail);
    zip.on('entry', (e: yauzl.Entry) => {
      zip.openReadStream(e, (err, stream) => {
        if (err) return fail(err);
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          out.set(e.fileName, Buffer.concat(chunks));
          zip.readEntry();
        });
      });
    });
    zip.readEntry();
  });
  return out;
}
