import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AUTH } from '@holdout/contracts';
import request from 'supertest';
import { Competition, ConfigError, loadConfig, provisionCompetitionData } from '@holdout/db';
import { Client, createTestEnv, startApi, type TestApi, type TestEnv } from '../../testing/index.js';
import type { BuiltData, DataScale } from './bundles.js';
import { LibCompetitionBundles } from './lib-bundles.js';

/** The real bundles, remembering the scale of each build asked for. */
class RecordingBundles extends LibCompetitionBundles {
  readonly scales: (DataScale | undefined)[] = [];
  /** When set, refuse to build (a full Sartorius build takes minutes). */
  refuse = false;
  override async build(bundleDir: string, dataRoot: string, scale?: DataScale): Promise<BuiltData> {
    this.scales.push(scale);
    if (this.refuse) throw new Error('not building in this test');
    return super.build(bundleDir, dataRoot, scale);
  }
}

/**
 * HOLDOUT_DATA_SCALE: bundled Sartorius says `defaultScale: full` (600 + 240 images, minutes at
 * seed/start); the platform builds `demo` unless configured otherwise, and the scale chosen at
 * creation is the one every later build (seed, worker) uses.
 */
describe('HOLDOUT_DATA_SCALE', () => {
  let env: TestEnv;
  let api: TestApi;
  let fullApi: TestApi | undefined;
  let prof: Client;
  let courseId: string;
  let bundles: RecordingBundles;

  before(async () => {
    env = await createTestEnv('data_scale');
    bundles = new RecordingBundles(env.config.repoRoot);
    api = await startApi(env, bundles);
    prof = await Client.register(api.server, 'prof@example.com');
    courseId = (await prof.post('/api/courses').send({ name: 'C' })).body.id;
  });
  after(async () => {
    await fullApi?.close();
    await api?.close();
    await env?.drop();
  });

  it('is validated: demo by default, full when asked, anything else refused by name', () => {
    const base = { HOLDOUT_SESSION_SECRET: 'x'.repeat(32), HOLDOUT_DATA_DIR: env.config.dataDir };
    assert.equal(loadConfig(base).dataScale, 'demo');
    assert.equal(loadConfig({ ...base, HOLDOUT_DATA_SCALE: 'full' }).dataScale, 'full');
    assert.throws(
      () => loadConfig({ ...base, HOLDOUT_DATA_SCALE: 'huge' }),
      (e: unknown) => e instanceof ConfigError && e.problems.some((p) => p.startsWith('HOLDOUT_DATA_SCALE')),
    );
  });

  it('builds bundled Sartorius at demo scale by default, though its recipe says full', async () => {
    assert.equal(env.config.dataScale, 'demo');
    const res = await prof.post('/api/competitions').send({ bundle: 'sartorius-cells', courseId });
    assert.equal(res.status, 201, res.text);
    const c = await env.ds.getRepository(Competition).findOneByOrFail({ slug: 'sartorius-cells' });
    assert.equal(c.config.dataScale, 'demo', 'recorded with the competition');
    await provisionCompetitionData(env.ds, bundles, c.id, env.config.dataDir);
    const built = await env.ds.getRepository(Competition).findOneByOrFail({ id: c.id });
    assert.equal(built.dataStatus, 'ready');
    const manifest = JSON.parse(await readFile(join(built.dataDir!, 'manifest.json'), 'utf8'));
    assert.equal(manifest.scale, 'demo');
    // competitions/sartorius-cells/competition.yaml: scales.demo.train = 60 (full: 600).
    const train = (await readdir(join(built.publicDir!, 'train'))).filter((f) => f.endsWith('.png'));
    assert.equal(train.length, 60);
  });

  it('records full when configured, and the build asks for full', async () => {
    // A second API on the same database, started with HOLDOUT_DATA_SCALE=full (closed in `after`:
    // closing an app releases the shared DataSource).
    fullApi = await startApi(env, bundles, { dataScale: 'full' });
    // The same signed-in session, sent to the other API (sessions live in the database).
    const res = await request(fullApi.server)
      .post('/api/competitions')
      .set('cookie', prof.cookie)
      .set(AUTH.csrfHeader, prof.csrf)
      .send({ bundle: 'sartorius-cells', slug: 'sartorius-full', courseId });
    assert.equal(res.status, 201, res.text);
    const c = await env.ds.getRepository(Competition).findOneByOrFail({ slug: 'sartorius-full' });
    assert.equal(c.config.dataScale, 'full');
    bundles.refuse = true;
    await assert.rejects(provisionCompetitionData(env.ds, bundles, c.id, env.config.dataDir), /not building/);
    assert.equal(bundles.scales.at(-1), 'full', 'the process that builds it (seed or worker) uses the recorded scale, whatever its own setting');
  });
});
