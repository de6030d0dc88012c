import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { JsonLogger, createDataSource } from '@holdout/db';
import { Client, createCompetitionWithData, createTestEnv, dataVisible, eventually, expectedScore, startApi, submissionCsv, type TestApi, type TestEnv } from '@holdout/api/testing';
import { QUEUES } from '@holdout/contracts';
import { buildContainerSpec, type KernelRunSpec, type KernelRunner, type ReconcileResult, type RunOptions, type RunResult } from '@holdout/sandbox';
import { WorkerModule } from '@holdout/worker/testing';
import { KernelFixtureBundles, standInSucceeded } from './kernel-fixtures.js';

/**
 * These machines have no GPU and no NVIDIA runtime: the worker's runner is replaced by one that
 * records the engine request the Docker runner would send (the sandbox's own `buildContainerSpec`)
 * and writes a valid submission.csv, so routing, device assignment and scoring run for real.
 */
class RecordingRunner implements KernelRunner {
  readonly requests: { spec: KernelRunSpec; create: ReturnType<typeof buildContainerSpec>; start: number; end: number }[] = [];
  private live = 0;
  maxLive = 0;

  async run(spec: KernelRunSpec, _o?: RunOptions): Promise<RunResult> {
    const create = buildContainerSpec(spec, { imageId: `sha256:${'a'.repeat(64)}`, codeDir: '/code', workingDir: '/working', owner: 'recording', user: '1000:1000', deadlineMs: Date.now() + 1000 });
    const start = Date.now();
    this.live++;
    this.maxLive = Math.max(this.maxLive, this.live);
    await new Promise((r) => setTimeout(r, 1200));
    this.live--;
    this.requests.push({ spec, create, start, end: Date.now() });
    const working = join(spec.outputDir, 'working');
    await mkdir(working, { recursive: true });
    await writeFile(join(working, 'submission.csv'), submissionCsv(8, 8));
    await writeFile(join(spec.outputDir, 'kernel.log'), 'ok\n');
    return standInSucceeded(spec, { durationMs: Date.now() - start, imageDigest: `sha256:${'a'.repeat(64)}` });
  }

  async reconcile(): Promise<ReconcileResult> {
    return { orphans: [], active: [], removedScratchDirs: [] };
  }
}

describe('GPU kernels on a worker told its devices', () => {
  let env: TestEnv;
  let api: TestApi;
  let worker: INestApplicationContext | undefined;
  let student: Client;
  const runner = new RecordingRunner();

  before(async () => {
    env = await createTestEnv('kernels_gpu');
    const bundles = new KernelFixtureBundles({ kgpu: { gpus: 1 }, kcpu: { gpus: 0 } });
    api = await startApi(env, bundles);
    const prof = await Client.register(api.server, 'prof@example.com');
    const course = (await prof.post('/api/courses').send({ name: 'GPU' })).body;
    for (const slug of ['kgpu', 'kcpu']) {
      await createCompetitionWithData({ env, bundles, instructor: prof, courseId: course.id, bundle: slug, slug });
    }
    student = await Client.register(api.server, 'stu@example.com');
    await student.post('/api/courses/join').send({ code: course.joinCode });
    await dataVisible(student, 'kgpu');
    const ds = createDataSource({ databaseUrl: env.config.databaseUrl, repoRoot: env.config.repoRoot, poolSize: 5, applicationName: `${env.name}-gpu-worker` });
    await ds.initialize();
    const config = { ...env.config, kernels: { ...env.config.kernels, gpus: ['GPU-a', 'GPU-b'], concurrency: 1 } };
    worker = await NestFactory.createApplicationContext(
      WorkerModule.forRoot({ config, logger: new JsonLogger(env.config.logLevel, 'worker'), dataSource: ds, bundles, kernelRunner: runner, queues: { maintenance: false } }),
      { logger: new JsonLogger(env.config.logLevel, 'worker') },
    );
    await worker.init();
  });

  after(async () => {
    await worker?.close();
    await api?.close();
    await env?.drop();
  });

  it('runs one kernel per device, each with a device request naming only its device; CPU kernels get none', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await student.post('/api/competitions/kgpu/submissions').field('kind', 'kernel').attach('file', Buffer.from('print(1)\n'), `g${i}.py`);
      assert.equal(r.status, 202, JSON.stringify(r.body));
      ids.push(r.body.id);
    }
    const cpu = await student.post('/api/competitions/kcpu/submissions').field('kind', 'kernel').attach('file', Buffer.from('print(1)\n'), 'c.py');
    assert.equal(cpu.status, 202);
    for (const id of [...ids, cpu.body.id]) {
      const s = await eventually(async () => {
        const r = (await env.ds.query('SELECT status, public_score FROM submissions WHERE id = $1', [id]))[0];
        return r.status === 'scored' || r.status === 'failed' ? r : undefined;
      }, { timeoutMs: 30_000, what: `submission ${id}` });
      assert.equal(s.status, 'scored');
      assert.equal(s.public_score, expectedScore(8));
    }
    // Two runs each (public, then over the hidden test data), each holding a device of its own.
    const gpuRuns = runner.requests.filter((r) => r.spec.gpus.length > 0);
    assert.equal(gpuRuns.length, 6);
    const rerun = (r: (typeof gpuRuns)[number]) => (r.create.Env ?? []).includes('KAGGLE_IS_COMPETITION_RERUN=True');
    assert.equal(gpuRuns.filter(rerun).length, 3, 'Kaggle\'s rerun variable is set in the hidden runs only');
    for (const id of ids) assert.deepEqual(gpuRuns.filter((r) => r.spec.runId.startsWith(id)).map((r) => [r.spec.runId.slice(36), rerun(r)]), [['.1p', false], ['.1', true]]);
    for (const r of gpuRuns) {
      assert.equal(r.spec.gpus.length, 1);
      assert.deepEqual(r.create.HostConfig?.DeviceRequests, [{ Driver: 'nvidia', DeviceIDs: [r.spec.gpus[0]], Capabilities: [['gpu']] }]);
      assert.ok(['GPU-a', 'GPU-b'].includes(r.spec.gpus[0]!));
      assert.ok(!(r.create.Env ?? []).includes('CUDA_VISIBLE_DEVICES='));
    }
    // Overlapping runs never share a device, and at most two (the devices) ran at once.
    for (const a of gpuRuns) for (const b of gpuRuns) if (a !== b && a.start < b.end && b.start < a.end) assert.notEqual(a.spec.gpus[0], b.spec.gpus[0]);
    assert.ok(runner.maxLive >= 2, `two GPU kernels ran at once (max ${runner.maxLive})`);
    assert.ok(runner.maxLive <= 3);
    const cpuRun = runner.requests.find((r) => r.spec.gpus.length === 0)!;
    assert.deepEqual(cpuRun.create.HostConfig?.DeviceRequests, []);
    assert.ok((cpuRun.create.Env ?? []).includes('CUDA_VISIBLE_DEVICES='));
    const runs: { gpu: string | null; queue: string }[] = await env.ds.query('SELECT gpu, queue FROM kernel_runs WHERE submission_id = ANY($1)', [ids]);
    assert.ok(runs.every((r) => r.queue === QUEUES.kernelsGpu && (r.gpu === 'GPU-a' || r.gpu === 'GPU-b')), JSON.stringify(runs));
    // GPU time is charged to the team's weekly budget.
    const policy = (await student.get('/api/competitions/kgpu/kernel-policy')).body;
    assert.ok(policy.usedGpuHours > 0 && policy.usedGpuHours < 0.01, JSON.stringify(policy));
  });

  it('refuses a GPU kernel while no GPU worker is online, storing and charging nothing', async () => {
    await worker!.close(); // its host announcement goes with it
    worker = undefined;
    const count = async () => Number((await env.ds.query(`SELECT count(*) AS n FROM submissions s JOIN competitions c ON c.id = s.competition_id WHERE c.slug = 'kgpu'`))[0].n);
    const before = await count();
    const r = await student.post('/api/competitions/kgpu/submissions').field('kind', 'kernel').attach('file', Buffer.from('print(1)\n'), 'late.py');
    assert.equal(r.status, 503, JSON.stringify(r.body));
    assert.equal(r.body.error.code, 'unavailable');
    assert.match(r.body.error.message, /ask for 1 GPU and no GPU worker is online; nothing was stored or charged/);
    assert.equal(await count(), before, 'nothing stored');
    // A CPU competition's kernel is still accepted: it waits for a CPU worker.
    const cpu = await student.post('/api/competitions/kcpu/submissions').field('kind', 'kernel').attach('file', Buffer.from('print(1)\n'), 'c2.py');
    assert.equal(cpu.status, 202, JSON.stringify(cpu.body));
  });

  it('a worker with GPUs that HOLDOUT_WORKER_QUEUES keeps off kernels announces no kernel host: a GPU kernel is still refused', async () => {
    assert.equal(worker, undefined, 'runs after the GPU worker was closed');
    const ds = createDataSource({ databaseUrl: env.config.databaseUrl, repoRoot: env.config.repoRoot, poolSize: 5, applicationName: `${env.name}-scoring-worker` });
    await ds.initialize();
    const config = { ...env.config, workerQueues: ['scoring' as const, 'models' as const], kernels: { ...env.config.kernels, gpus: ['GPU-a'] } };
    worker = await NestFactory.createApplicationContext(WorkerModule.forRoot({ config, logger: new JsonLogger(env.config.logLevel, 'worker'), dataSource: ds, bundles: new KernelFixtureBundles({}), kernelRunner: runner }), {
      logger: new JsonLogger(env.config.logLevel, 'worker'),
    });
    await worker.init();
    const r = await student.post('/api/competitions/kgpu/submissions').field('kind', 'kernel').attach('file', Buffer.from('print(1)\n'), 'gpu.py');
    assert.equal(r.status, 503, JSON.stringify(r.body));
    assert.match(r.body.error.message, /no GPU worker is online/);
  });
});
