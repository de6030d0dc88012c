import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { INestApplicationContext } from '@nestjs/common';
import { createArtifactStore, LocalArtifactStore, type ArtifactStore } from '@holdout/db';
import { startS3TestServer } from '@holdout/db/testing';
import { Client, createCompetitionWithData, createTestEnv, dataVisible, eventually, LibCompetitionBundles, startApi, type TestApi, type TestEnv } from '@holdout/api/testing';
import { scoreSubmission } from '@holdout/metrics/scorer';
import { constantModel } from '@holdout/inference/testing';
import { startWorker } from '@holdout/worker/testing';
import { finishedSubmission } from './kernel-fixtures.js';

// A worker on "another host": a data directory of its own, and uploads, logs and outputs in an
// S3-protocol store (s3rver on loopback) — nothing shared with the API but PostgreSQL, Redis and
// that store. The paths the provisioning host recorded for the competition's data and solution are
// made to point nowhere, as another host's paths do here; the worker builds the bundle's data
// itself, checks the solution against the checksum its version recorded, and scores a file, a
// kernel and a model submission on the real HuBMAP-like bundle, under a slug of the instructor's.
//
// The API still reads and writes its local store (docs/scaling.md): the test copies what students
// uploaded into the S3 store before the worker starts, as the API will once it writes there itself.

process.env.HOLDOUT_KERNEL_IMAGE ??= 'holdout/kernel-runtime:slim';
const SLUG = 'kidney-elsewhere';
const BUCKET = 'holdout-own-data';

describe('a worker with its own data directory and an S3 store', () => {
  let env: TestEnv;
  let api: TestApi;
  let worker: INestApplicationContext | undefined;
  let s3: { endpoint: string; stop(): Promise<void> };
  let store: ArtifactStore;
  let ownDir: string;
  let student: Client;
  const ids: Record<'file' | 'kernel' | 'model', string> = { file: '', kernel: '', model: '' };
  let solutionPath: string;
  let fileCsv: string;
  let sample: string;

  const finished = (id: string) => finishedSubmission(env, id, 300_000);
  const readObject = async (key: string) => Buffer.concat(await (await store.get(key)).toArray()).toString('utf8');

  before(async () => {
    env = await createTestEnv('own_data');
    const bundles = new LibCompetitionBundles(env.config.repoRoot);
    api = await startApi(env, bundles);
    const prof = await Client.register(api.server, 'prof@example.com');
    const course = (await prof.post('/api/courses').send({ name: 'Elsewhere' })).body;
    const c = await createCompetitionWithData({ env, bundles, instructor: prof, courseId: course.id, bundle: 'hubmap-glomeruli', slug: SLUG });
    // The bundle's kernels ask for a GPU; this worker has none, so the course lets them run on the CPU.
    assert.equal((await prof.put(`/api/courses/${course.id}/kernel-policy`).send({ cpuFallback: true })).status, 200);
    student = await Client.register(api.server, 'stu@example.com');
    await student.post('/api/courses/join').send({ code: course.joinCode });
    await dataVisible(student, SLUG);
    [{ path: solutionPath }] = await env.ds.query('SELECT s.path FROM solution_versions s JOIN competitions c ON c.current_solution_version_id = s.id WHERE c.id = $1', [c.id]);

    // Three submissions while no worker runs: their jobs wait in the queues.
    // A file: the true masks of every other test slide, the rest empty.
    const truth = (await readFile(solutionPath, 'utf8')).trim().split('\n');
    const header = truth[0]!.split(',');
    const [idAt, encAt] = [header.indexOf('id'), header.indexOf('encoding')];
    fileCsv = `id,predicted\n${truth
      .slice(1)
      .map((line, i) => {
        const f = line.split(',');
        return `${f[idAt]},${i % 2 === 0 ? f[encAt] : ''}\n`;
      })
      .join('')}`;
    const up = async (kind: string, body: Buffer, name: string) => {
      const res = await student.post(`/api/competitions/${SLUG}/submissions`).field('kind', kind).attach('file', body, name);
      assert.equal(res.status, 202, JSON.stringify(res.body));
      return res.body.id as string;
    };
    ids.file = await up('file', Buffer.from(fileCsv), 'half.csv');
    // The obvious kernel: copy the sample submission.
    ids.kernel = await up('kernel', Buffer.from(`import shutil\nprint('copying the sample')\nshutil.copy('/kaggle/input/${SLUG}/sample_submission.csv', '/kaggle/working/submission.csv')\n`), 'copy_sample.py');
    ids.model = await up('model', Buffer.from(constantModel(10, { channels: 3 })), 'everything.onnx');

    s3 = await startS3TestServer(BUCKET);
    // The SDK's standard credential chain, as an operator's environment would give it.
    process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
    process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
    store = await createArtifactStore({ artifactDir: '/nonexistent', artifactStore: { kind: 's3', bucket: BUCKET, region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true } });
    const local = new LocalArtifactStore(env.config.artifactDir);
    for await (const o of local.list('submissions/')) await store.put(o.key, await local.get(o.key));

    sample = (await student.get(`/api/competitions/${SLUG}/data/sample_submission.csv`).buffer(true)).text;
    // What the provisioning host recorded is not on this "host" (nor, from here on, for the API).
    await env.ds.query(`UPDATE competitions SET data_dir = '/elsewhere' || data_dir, public_dir = '/elsewhere' || public_dir WHERE id = $1`, [c.id]);
    await env.ds.query(`UPDATE solution_versions SET path = '/elsewhere' || path WHERE competition_id = $1`, [c.id]);

    ownDir = await mkdtemp(join(tmpdir(), 'holdout-own-data-'));
    worker = await startWorker(
      env,
      bundles,
      {
        dataDir: ownDir,
        artifactDir: join(ownDir, 'no-local-store'),
        kernels: { ...env.config.kernels, owner: `${env.config.kernels.owner}-elsewhere` },
      },
      undefined,
      { artifactStore: store, cacheBytes: 512 * 1024 * 1024 },
    );
  });
  after(async () => {
    await worker?.close();
    await api?.close();
    await s3?.stop();
    await env?.drop();
    if (ownDir) await rm(ownDir, { recursive: true, force: true });
  });

  it('scores the file as the scorer does against the solution, reading both through its own disk and the store', async () => {
    const done = await finished(ids.file);
    assert.equal(done.status, 'scored', done.error_message);
    const local = join(ownDir, 'half.csv');
    await writeFile(local, fileCsv);
    const offline = await scoreSubmission({ metric: 'dice', rleOrder: 'column', solution: solutionPath, submission: local });
    assert.equal(done.public_score, offline.public!.score);
    assert.equal(done.private_score, offline.private!.score);
    assert.ok(offline.public!.score > 0 && offline.public!.score < 1, `half right: ${offline.public!.score}`);
  });

  it('built the competition data under its own data directory, not at the recorded paths', async () => {
    const built = await env.ds.query('SELECT data_dir FROM competitions WHERE slug = $1', [SLUG]);
    assert.match(built[0].data_dir, /^\/elsewhere\//, 'the recorded paths are left as the provisioning host wrote them');
    const own = join(ownDir, built[0].data_dir.slice('/elsewhere'.length + env.config.dataDir.length));
    assert.ok((await stat(join(own, 'public', 'sample_submission.csv'))).isFile(), `the worker's own build at ${own}`);
  });

  it('runs the kernel that copies the sample and keeps its log and output in the store', async () => {
    const done = await finished(ids.kernel);
    assert.equal(done.status, 'scored', done.error_message);
    const [run] = await env.ds.query(`SELECT attempt, phase, log_path FROM kernel_runs WHERE submission_id = $1 AND outcome = 'succeeded'`, [ids.kernel]);
    assert.match(await readObject(run.log_path), /copying the sample/);
    const prefix = run.log_path.slice(0, -'kernel.log'.length);
    const keys: string[] = [];
    for await (const o of store.list(prefix)) keys.push(o.key.slice(prefix.length));
    assert.deepEqual(keys.sort(), ['kernel.log', 'submission.csv', 'working/submission.csv']);
    assert.equal(await readObject(`${prefix}submission.csv`), sample, 'the sample, as the kernel copied it');
    assert.equal(await new LocalArtifactStore(env.config.artifactDir).exists(run.log_path), false, 'nothing written to the API host\'s store');
  });

  it('runs the model over every test slide and scores the predictions it put in the store', async () => {
    const done = await finished(ids.model);
    assert.equal(done.status, 'scored', done.error_message);
    const [run] = await env.ds.query(`SELECT output_path, images_total FROM model_runs WHERE submission_id = $1 AND outcome = 'succeeded'`, [ids.model]);
    assert.equal(run.images_total, 15);
    const local = join(ownDir, 'model-predictions.csv');
    await writeFile(local, await readObject(run.output_path));
    const offline = await scoreSubmission({ metric: 'dice', rleOrder: 'column', solution: solutionPath, submission: local });
    assert.equal(done.public_score, offline.public!.score);
  });
});
