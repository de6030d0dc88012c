import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { INestApplicationContext } from '@nestjs/common';
import { JsonLogger } from '@holdout/db';
import { Client, createCompetitionWithData, createTestEnv, dataVisible, eventually, expectedScore, startApi, submissionCsv, type TestApi, type TestEnv } from '@holdout/api/testing';
import { QUEUES, type SubmissionDto } from '@holdout/contracts';
import { Queue } from 'bullmq';
import Dockerode from 'dockerode';
import { startWorker } from '@holdout/worker/testing';
import { KernelFixtureBundles } from './kernel-fixtures.js';

// HOLDOUT_KERNELS=off, on both sides. Real PostgreSQL, Redis and Docker engine (to show that the
// worker leaves its containers alone).
const IMAGE = process.env.HOLDOUT_KERNEL_IMAGE ?? 'holdout/kernel-runtime:slim';
const OWNER = `t-koff-${randomBytes(3).toString('hex')}`;
const docker = new Dockerode();

/** Records what the worker logs (the test env's level is silent). */
class RecordingLogger extends JsonLogger {
  readonly lines: string[] = [];
  override write(level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields: Record<string, unknown> = {}): void {
    this.lines.push(msg);
    super.write(level, msg, fields);
  }
}

describe('HOLDOUT_KERNELS=off', () => {
  let env: TestEnv;
  let apiOn: TestApi; // an API with kernels on elsewhere in the deployment queued work before
  let apiOff: TestApi;
  let worker: INestApplicationContext;
  let logger: RecordingLogger;
  let leftover: Dockerode.Container;
  let queue: Queue;
  const clients = {} as { prof: Client; on: Client; off: Client };

  const kernel = (c: Client) =>
    c.post('/api/competitions/both/submissions').field('kind', 'kernel').attach('file', Buffer.from(`open('/kaggle/working/submission.csv', 'w').write(${JSON.stringify(submissionCsv())})\n`), 'k.py');
  const count = async () => Number((await env.ds.query('SELECT count(*) AS n FROM submissions'))[0].n);

  before(async () => {
    env = await createTestEnv('kernels_off');
    const bundles = new KernelFixtureBundles({ both: { kinds: ['file', 'kernel'] } });
    apiOn = await startApi(env, bundles);
    apiOff = await startApi(env, bundles, { kernels: { ...env.config.kernels, enabled: false } });
    clients.prof = await Client.register(apiOn.server, 'prof@example.com');
    const course = (await clients.prof.post('/api/courses').send({ name: 'No Docker' })).body;
    await createCompetitionWithData({ env, bundles, instructor: clients.prof, courseId: course.id, bundle: 'both', slug: 'both' });
    clients.on = await Client.register(apiOn.server, 'on@example.com');
    clients.off = await Client.register(apiOff.server, 'off@example.com');
    for (const cl of [clients.on, clients.off]) assert.equal((await cl.post('/api/courses/join').send({ code: course.joinCode })).status, 200);
    await dataVisible(clients.off, 'both');
    queue = new Queue(QUEUES.kernels, { connection: { url: env.config.redisUrl }, prefix: env.config.queuePrefix });
    // What a kernel-enabled worker of this owner would remove at start as an orphan.
    leftover = await docker.createContainer({
      Image: IMAGE,
      Cmd: ['true'],
      Labels: { 'holdout.role': 'kernel', 'holdout.owner': OWNER, 'holdout.run': `${randomUUID()}.1` },
      HostConfig: { NetworkMode: 'none' },
    });
    logger = new RecordingLogger('silent', 'worker');
    worker = await startWorker(env, bundles, { kernels: { ...env.config.kernels, enabled: false, owner: OWNER } }, logger);
  });

  after(async () => {
    await leftover?.remove({ force: true }).catch(() => undefined);
    await queue?.close();
    await worker?.close();
    await apiOff?.close();
    await apiOn?.close();
    await env?.drop();
  });

  it('API: a kernel upload is refused with 503 kernels_disabled and leaves no submission; files are still taken', async () => {
    const before = await count();
    const res = await kernel(clients.off);
    assert.equal(res.status, 503, JSON.stringify(res.body));
    assert.equal(res.body.error.code, 'kernels_disabled');
    assert.match(res.body.error.message, /kernel runs are disabled on this server; submit a prediction file instead/);
    assert.equal(await count(), before, 'nothing queued');
    const file = await clients.off.upload('both', submissionCsv(8, 8));
    assert.equal(file.status, 202, JSON.stringify(file.body));
    // The worker still scores files.
    const done = await eventually(async () => {
      const s = (await clients.off.get(`/api/submissions/${file.body.id}`)).body as SubmissionDto;
      return s.status === 'scored' ? s : undefined;
    }, { what: 'the file to be scored' });
    assert.equal(done.publicScore, expectedScore(8));
  });

  it('worker: takes no kernel job, touches no container, and says so once', async () => {
    const up = await kernel(clients.on);
    assert.equal(up.status, 202, JSON.stringify(up.body));
    const id = (up.body as SubmissionDto).id;
    await new Promise((r) => setTimeout(r, 3000));
    assert.equal(await (await queue.getJob(id))?.getState(), 'waiting', 'no kernel processor consumes the queue');
    const [row] = await env.ds.query('SELECT status FROM submissions WHERE id = $1', [id]);
    assert.equal(row.status, 'queued');
    assert.equal(Number((await env.ds.query('SELECT count(*) AS n FROM kernel_runs')).at(0).n), 0);
    const mine = await docker.listContainers({ all: true, filters: { label: [`holdout.owner=${OWNER}`] } });
    assert.deepEqual(mine.map((c) => c.Id), [leftover.id], 'the sandbox reconcile did not run');
    assert.equal(logger.lines.filter((l) => /kernel runs are disabled/.test(l)).length, 1, logger.lines.join('\n'));
    assert.ok(!logger.lines.some((l) => /kernel worker ready/.test(l)));
  });
});
