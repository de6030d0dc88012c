import assert from 'node:assert/strict';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { DataFileDto } from '@holdout/contracts';
import { Client, createTestEnv, FIXTURE_SOLUTION, FixtureBundles, startApi, type TestApi, type TestEnv } from '../../testing/index.js';
import { Competition } from './entities/competition.entity.js';
import { provisionCompetitionData } from './provision.js';

const DAY = 86_400_000;

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
  const bundles = new FixtureBundles(() => ({ opensAt: new Date(Date.now() - DAY), closesAt: new Date(Date.now() + DAY) }));

  before(async () => {
    env = await createTestEnv('data');
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
    assert.deepEqual(files.map((f) => f.name), ['sample_submission.csv', 'test/p1.png', 'train.csv']);
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

  it('still refuses dotfiles, traversal and links out of public/, with the one error shape', async () => {
    for (const path of ['.secret', '.cache/x.csv', '..%2Fhidden%2Fsolution.csv', '%2e%2e/hidden/solution.csv', 'linked.csv', 'nothing.csv']) {
      const res = await prof.get(`/api/competitions/cells/data/${path}`);
      assert.equal(res.status, 404, `${path} → ${res.status} ${res.text.slice(0, 200)}`);
      assert.equal(res.body.error.code, 'not_found', path);
      assert.ok(typeof res.body.requestId === 'string', path);
      assert.ok(!res.text.includes(FIXTURE_SOLUTION.split('\n')[1]!), `${path} leaked the solution`);
    }
  });
});
