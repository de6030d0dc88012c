import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import type { IncomingMessage } from 'node:http';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createArtifactStore, createDataSource, JsonLogger, type ArtifactStore, type ArtifactStoreSettings } from '@holdout/db';
import { startS3TestServer } from '@holdout/db/testing';
import { Client, createCompetitionWithData, createTestEnv, dataVisible, eventually, LibCompetitionBundles, startApi, type TestApi, type TestEnv } from '@holdout/api/testing';
import { packBundleArchive } from '@holdout/competition';
import { scoreSubmission } from '@holdout/metrics/scorer';
import { identityModel } from '@holdout/inference/testing';
import type { KernelRunSpec, KernelRunner, ReconcileResult, RunOptions, RunResult } from '@holdout/sandbox';
import { exited, spawnWorker, WorkerModule } from '@holdout/worker/testing';
import { finishedSubmission, standInSucceeded } from './kernel-fixtures.js';

// Holdout on three "hosts" that share nothing but PostgreSQL, Redis and an S3-protocol store
// (s3rver on loopback): the API, a CPU-only worker (a process of its own) and a worker announcing a
// GPU, each with a data directory of its own and HOLDOUT_ARTIFACT_STORE=s3. On the real HuBMAP-like
// bundle under an instructor's slug: a file and a model submission scored correctly, the model's
// worker killed mid-run and the run finished by the other worker, a GPU kernel run only on the GPU
// worker, and nothing written to any local artifact directory.
//
// These machines have no GPU: the GPU worker's sandbox is a stand-in that copies the sample
// submission the kernel would copy (the data view it is given is real), so routing, device
// assignment, the store and scoring run for real.

const SLUG = 'kidney-hosts';
const BUCKET = 'holdout-two-hosts';

class SampleCopyingGpuRunner implements KernelRunner {
  readonly runs: { runId: string; gpus: string[] }[] = [];

  async run(spec: KernelRunSpec, _o?: RunOptions): Promise<RunResult> {
    this.runs.push({ runId: spec.runId, gpus: spec.gpus });
    const working = join(spec.outputDir, 'working');
    await mkdir(working, { recursive: true });
    await copyFile(join(spec.competition.dataDir, 'sample_submission.csv'), join(working, 'submission.csv'));
    await writeFile(join(spec.outputDir, 'kernel.log'), `ran on ${spec.gpus.join(',')}\n`);
    return standInSucceeded(spec, { durationMs: 1, imageDigest: `sha256:${'b'.repeat(64)}` });
  }

  async reconcile(): Promise<ReconcileResult> {
    return { orphans: [], active: [], removedScratchDirs: [] };
  }
}

describe('API and workers on hosts that share no disk', () => {
  let env: TestEnv;
  let api: TestApi;
  let s3: { endpoint: string; stop(): Promise<void> };
  let settings: ArtifactStoreSettings;
  let store: ArtifactStore;
  let gpuWorker: INestApplicationContext | undefined;
  const children: ChildProcess[] = [];
  const dirs: Record<'cpu' | 'cpu2' | 'gpu', string> = { cpu: '', cpu2: '', gpu: '' };
  const runner = new SampleCopyingGpuRunner();
  let student: Client;
  let prof: Client;
  let courseId: string;
  let solutionPath: string;
  let sample: string;

  const row = async (id: string) => (await env.ds.query('SELECT * FROM submissions WHERE id = $1', [id]))[0] as Record<string, any>;
  const finished = (id: string) => finishedSubmission(env, id);
  const upload = async (kind: string, body: Buffer, name: string, slug = SLUG) => {
    const res = await student.post(`/api/competitions/${slug}/submissions`).field('kind', kind).attach('file', body, name);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    return res.body.id as string;
  };
  const readObject = async (key: string) => Buffer.concat(await (await store.get(key)).toArray()).toString('utf8');
  /** A worker process of its own: this host's data directory, the shared bucket. */
  const cpuWorker = (dir: string, log: string) => {
    const child = spawnWorker(
      env,
      {
        HOLDOUT_DATA_DIR: dir,
        HOLDOUT_ARTIFACT_STORE: 's3',
        HOLDOUT_S3_BUCKET: BUCKET,
        HOLDOUT_S3_ENDPOINT: s3.endpoint,
        HOLDOUT_S3_FORCE_PATH_STYLE: 'true',
        HOLDOUT_KERNEL_OWNER: `cpu-${log}`,
        HOLDOUT_MODEL_THREADS: '1',
        HOLDOUT_GPUS: '',
      },
      log,
    );
    children.push(child);
    return child;
  };
  const offlineScore = async (csv: string, solution = solutionPath) => {
    const file = join(dirs.cpu, `offline-${Math.random().toString(36).slice(2)}.csv`);
    await writeFile(file, csv);
    return scoreSubmission({ metric: 'dice', rleOrder: 'column', solution, submission: file });
  };

  before(async () => {
    s3 = await startS3TestServer(BUCKET);
    // The SDK's standard credential chain, as each host's environment would give it.
    process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
    process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
    env = await createTestEnv('two_hosts');
    settings = { kind: 's3', bucket: BUCKET, region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true };
    store = await createArtifactStore({ artifactDir: '/nonexistent', artifactStore: settings });
    for (const k of Object.keys(dirs) as (keyof typeof dirs)[]) dirs[k] = await mkdtemp(join(tmpdir(), `holdout-host-${k}-`));

    const bundles = new LibCompetitionBundles(env.config.repoRoot);
    api = await startApi(env, bundles, { artifactStore: settings });
    prof = await Client.register(api.server, 'prof@example.com');
    const course = (await prof.post('/api/courses').send({ name: 'Hosts' })).body;
    courseId = course.id;
    await createCompetitionWithData({ env, bundles, instructor: prof, courseId: course.id, bundle: 'hubmap-glomeruli', slug: SLUG, api });
    student = await Client.register(api.server, 'stu@example.com');
    await student.post('/api/courses/join').send({ code: course.joinCode });
    await dataVisible(student, SLUG);
    [{ path: solutionPath }] = await env.ds.query('SELECT s.path FROM solution_versions s JOIN competitions c ON c.current_solution_version_id = s.id WHERE c.slug = $1', [SLUG]);
    // The sample as the API host built it (the same bytes it published).
    sample = await readFile(join(env.config.dataDir, (await env.ds.query('SELECT public_dir FROM competitions WHERE slug = $1', [SLUG]))[0].public_dir.slice(env.config.dataDir.length), 'sample_submission.csv'), 'utf8');
  });
  after(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await gpuWorker?.close();
    await api?.close();
    await env?.drop();
    await s3?.stop();
    for (const d of Object.values(dirs)) if (d) await rm(d, { recursive: true, force: true });
  });

  it('the API serves the data from the bucket: the listing, a download as a redirect, slide tiles through its cache', async () => {
    const listed = (await student.get(`/api/competitions/${SLUG}/data`)).body as { name: string; size: number }[];
    const slide = listed.find((f) => /^test\/.*\.tiff?$/.test(f.name));
    assert.ok(slide && listed.some((f) => f.name === 'sample_submission.csv'), JSON.stringify(listed.map((f) => f.name)));
    assert.ok(listed.some((f) => f.name === 'baseline/train.py'), 'and the bundle\'s own files');
    assert.ok(!listed.some((f) => /solution|hidden/.test(f.name)), 'nothing hidden was published');
    const down = await student.get(`/api/competitions/${SLUG}/data/sample_submission.csv`).redirects(0);
    assert.equal(down.status, 302);
    assert.ok(down.headers.location!.startsWith(`${s3.endpoint}/${BUCKET}/competition-data/`), down.headers.location);
    assert.equal(await (await fetch(down.headers.location!)).text(), sample);
    const info = await student.get(`/api/competitions/${SLUG}/tiles/${slide!.name}/info`);
    assert.equal(info.status, 200, JSON.stringify(info.body));
    const tile = await student.get(`/api/competitions/${SLUG}/tiles/${slide!.name}/0/0/0.png`).buffer(true);
    assert.equal(tile.status, 200);
    assert.equal(tile.headers['content-type'], 'image/png');
    const zip = await student.get(`/api/competitions/${SLUG}/data.zip`).buffer(true).parse((res: IncomingMessage, done: (err: Error | null, body: Buffer) => void) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => done(null, Buffer.concat(parts)));
    });
    assert.equal(zip.status, 200);
    assert.ok((zip.body as Buffer).includes(Buffer.from('sample_submission.csv')), 'the zip holds the published files');
  });

  it('a competition whose data was built before the move to the bucket is served from the API host\'s own build', async () => {
    // Provisioned without publishing, as on a deployment that used the local store until now.
    await createCompetitionWithData({ env, bundles: new LibCompetitionBundles(env.config.repoRoot), instructor: prof, courseId, bundle: 'hubmap-glomeruli', slug: 'kidney-before' });
    await dataVisible(student, 'kidney-before');
    const listed = (await student.get('/api/competitions/kidney-before/data')).body as { name: string }[];
    assert.ok(listed.some((f) => f.name === 'sample_submission.csv'));
    const down = await student.get('/api/competitions/kidney-before/data/sample_submission.csv').redirects(0);
    assert.equal(down.status, 200, 'streamed by the API, not a redirect');
    assert.equal(down.text, sample);
  });

  it('a file submission is scored by the CPU worker from the bucket, as the scorer scores it here', async () => {
    const first = cpuWorker(dirs.cpu, 'cpu-worker-1.log');
    const truth = (await readFile(solutionPath, 'utf8')).trim().split('\n');
    const header = truth[0]!.split(',');
    const [idAt, encAt] = [header.indexOf('id'), header.indexOf('encoding')];
    const csv = `id,predicted\n${truth
      .slice(1)
      .map((line, i) => `${line.split(',')[idAt]},${i % 2 === 0 ? line.split(',')[encAt] : ''}\n`)
      .join('')}`;
    const id = await upload('file', Buffer.from(csv), 'half.csv');
    const done = await finished(id);
    assert.equal(done.status, 'scored', done.error_message);
    const offline = await offlineScore(csv);
    assert.equal(done.public_score, offline.public!.score);
    assert.ok(offline.public!.score > 0 && offline.public!.score < 1);
    // The upload is in the bucket; the API host's artifact directory holds nothing.
    assert.equal(await readObject(done.artifact_path), csv);
    assert.deepEqual(await readdir(env.config.artifactDir).catch(() => []), []);
    // The CPU worker built the competition's data on its own disk.
    assert.ok((await readdir(join(dirs.cpu, 'competitions'))).length > 0);

    // A model, killed with its worker mid-run: the GPU worker (which also takes models) runs it again.
    const model = await upload('model', Buffer.from(identityModel({ channels: 3 })), 'identity.onnx');
    await eventually(async () => {
      const runs = (await env.ds.query('SELECT count(*) AS n FROM model_runs WHERE submission_id = $1', [model])) as { n: string }[];
      return (await row(model)).status === 'running' && Number(runs[0]!.n) === 1 ? true : undefined;
    }, { timeoutMs: 120_000, everyMs: 50, what: 'the CPU worker to start the model' });
    first.kill('SIGKILL');
    await exited(first);

    const ds = createDataSource({ databaseUrl: env.config.databaseUrl, repoRoot: env.config.repoRoot, poolSize: 5, applicationName: `${env.name}-gpu-host` });
    await ds.initialize();
    const config = {
      ...env.config,
      dataDir: dirs.gpu,
      artifactDir: join(dirs.gpu, 'artifacts'),
      artifactStore: settings,
      jobLockMs: 2000,
      kernels: { ...env.config.kernels, gpus: ['GPU-a'], concurrency: 1, owner: 'gpu-host' },
    };
    gpuWorker = await NestFactory.createApplicationContext(
      WorkerModule.forRoot({ config, logger: new JsonLogger(env.config.logLevel, 'gpu-worker'), dataSource: ds, bundles: new LibCompetitionBundles(env.config.repoRoot), kernelRunner: runner }),
      { logger: false },
    );
    await gpuWorker.init();

    const done2 = await finished(model);
    assert.equal(done2.status, 'scored', done2.error_message);
    const runs = (await env.ds.query('SELECT outcome, output_path FROM model_runs WHERE submission_id = $1 ORDER BY attempt', [model])) as { outcome: string; output_path: string | null }[];
    assert.deepEqual(runs.map((r) => r.outcome), ['lost', 'succeeded']);
    assert.equal(Number((await env.ds.query('SELECT count(*) AS n FROM score_records WHERE submission_id = $1', [model]))[0].n), 1, 'scored once');
    assert.equal(done2.public_score, (await offlineScore(await readObject(runs[1]!.output_path!))).public!.score);
    assert.ok((await readdir(join(dirs.gpu, 'competitions'))).length > 0, 'the GPU worker built its own copy of the data');
  });

  it('a GPU kernel runs on the GPU worker only, while a CPU worker is up; its log reaches the student from the bucket', async () => {
    const second = cpuWorker(dirs.cpu2, 'cpu-worker-2.log');
    // Both hosts announce themselves; the bundle's kernels ask for one GPU.
    const ids = [];
    for (let i = 0; i < 2; i++) ids.push(await upload('kernel', Buffer.from(`import shutil\nshutil.copy('/kaggle/input/${SLUG}/sample_submission.csv', '/kaggle/working/submission.csv')\n`), `copy_${i}.py`));
    for (const id of ids) {
      const done = await finished(id);
      assert.equal(done.status, 'scored', done.error_message);
      const [run] = (await env.ds.query(`SELECT host, gpu, log_path FROM kernel_runs WHERE submission_id = $1 AND outcome = 'succeeded'`, [id])) as { host: string; gpu: string; log_path: string }[];
      assert.deepEqual([run!.host, run!.gpu], ['gpu-host', 'GPU-a'], 'run by the GPU host on its device');
      assert.match(await readObject(run!.log_path), /ran on GPU-a/);
      // The log read through the API (it reads the bucket), the output a redirect to the bucket
      // (a presigned URL), not bytes the API proxies.
      const log = await student.get(`/api/submissions/${id}/log`);
      assert.equal(log.status, 200);
      assert.match(log.text, /ran on GPU-a/);
      const out = await student.get(`/api/submissions/${id}/output`).redirects(0);
      assert.equal(out.status, 302);
      assert.ok(out.headers.location!.startsWith(`${s3.endpoint}/${BUCKET}/`), out.headers.location);
      const fetched = await fetch(out.headers.location!);
      assert.equal(await fetched.text(), sample);
    }
    assert.equal(runner.runs.length, 2);
    assert.deepEqual(await readdir(env.config.artifactDir).catch(() => []), [], 'nothing in the API host\'s artifact directory');
    second.kill('SIGTERM');
    await exited(second);
  });

  it('a bundle uploaded to the API is built by the worker on another host from its copy in the bucket, and scores', async () => {
    // The HuBMAP-like bundle as an instructor would upload it, under a slug of their own.
    const root = join(env.config.repoRoot, 'competitions', 'hubmap-glomeruli');
    const files: Record<string, Buffer> = {};
    const walk = async (dir: string) => {
      for (const e of await readdir(dir, { withFileTypes: true })) {
        if (e.isDirectory()) await walk(join(dir, e.name));
        else files[relative(root, join(dir, e.name))] = await readFile(join(dir, e.name));
      }
    };
    await walk(root);
    files['competition.yaml'] = Buffer.from(files['competition.yaml']!.toString('utf8').replace(/^slug: .*$/m, 'slug: my-kidney'));
    const res = await prof.post('/api/competitions').field('courseId', courseId).attach('bundle', await packBundleArchive(files), 'bundle.tar.gz');
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const [c] = (await env.ds.query(`SELECT bundle_dir, bundle_key FROM competitions WHERE slug = 'my-kidney'`)) as { bundle_dir: string; bundle_key: string }[];
    assert.match(c!.bundle_key, /^bundles\/[0-9a-f-]{36}\/$/);
    assert.ok(c!.bundle_dir.startsWith(env.config.dataDir), 'unpacked on the API host');
    assert.ok(await store.exists(`${c!.bundle_key}competition.yaml`), 'and kept in the bucket');
    // The GPU worker (the one up) takes the build job, fetching the bundle into its own data
    // directory and building the data (seconds alone, minutes on a loaded machine).
    await eventually(async () => ((await student.get('/api/competitions/my-kidney/data')).status === 200 ? true : undefined), { timeoutMs: 300_000, everyMs: 500, what: 'the data of my-kidney' });
    assert.ok((await readdir(join(dirs.gpu, 'bundles', c!.bundle_key.split('/')[1]!, 'my-kidney'))).includes('competition.yaml'));
    const id = await upload('file', Buffer.from(sample), 'sample.csv', 'my-kidney');
    const done = await finished(id);
    assert.equal(done.status, 'scored', done.error_message);
    // Against the solution the building worker recorded (with its checksum), on its own disk.
    const [v] = (await env.ds.query(`SELECT s.path FROM solution_versions s JOIN competitions c ON c.current_solution_version_id = s.id WHERE c.slug = 'my-kidney'`)) as { path: string }[];
    assert.ok(v!.path.startsWith(dirs.gpu), v!.path);
    assert.equal(done.public_score, (await offlineScore(sample, v!.path)).public!.score);
  });
});
