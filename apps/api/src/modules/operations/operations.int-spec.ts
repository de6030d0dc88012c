import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { OperationsStatusDto } from '@holdout/contracts';
import { Client, createCompetitionWithData, createTestEnv, dataVisible, startApi, submissionCsv, type TestApi, type TestEnv } from '../../testing/index.js';
import { FixtureBundles } from '../../testing/fixture-bundles.js';

const DAY = 86_400_000;

describe('GET /api/admin/status', () => {
  let env: TestEnv;
  let api: TestApi;
  let admin: Client;
  let student: Client;

  before(async () => {
    env = await createTestEnv('ops-status');
    const bundles = new FixtureBundles(() => ({ opensAt: new Date(Date.now() - DAY), closesAt: new Date(Date.now() + DAY), dailySubmissions: 10 }));
    // No worker runs here, so what is submitted stays queued; "stuck" means queued longer than 1 s.
    api = await startApi(env, bundles, { stuckAfterMs: 1000 });
    admin = await Client.register(api.server, 'admin@example.com');
    const course = (await admin.post('/api/courses').send({ name: 'C' })).body;
    await createCompetitionWithData({ env, bundles, instructor: admin, courseId: course.id, bundle: 'fixture', slug: 'ops' });
    student = await Client.register(api.server, 'stu@example.com');
    await student.post('/api/courses/join').send({ code: course.joinCode });
    await dataVisible(student, 'ops');
  });
  after(async () => {
    await api?.close();
    await env?.drop();
  });

  it('shows the queue depth, the unfinished and stuck submissions to a site admin, and nothing to anyone else', async () => {
    const empty = (await admin.get('/api/admin/status')).body as OperationsStatusDto;
    assert.deepEqual(empty.queues.map((q) => q.name), ['scoring', 'kernels', 'kernels-gpu', 'models', 'maintenance']);
    assert.equal(empty.queues.find((q) => q.name === 'scoring')!.waiting, 0);
    assert.deepEqual(empty.unfinished, []);
    assert.equal(empty.stuck, 0);

    for (const n of [3, 5]) assert.equal((await student.upload('ops', submissionCsv(n, 8))).status, 202);
    await new Promise((r) => setTimeout(r, 1200));
    const s = (await admin.get('/api/admin/status')).body as OperationsStatusDto;
    const scoring = s.queues.find((q) => q.name === 'scoring')!;
    assert.equal(scoring.waiting, 2, 'both jobs wait: no worker');
    assert.equal(scoring.workers, 0);
    assert.equal(s.unfinished.length, 1);
    assert.equal(s.unfinished[0]!.status, 'queued');
    assert.equal(s.unfinished[0]!.count, 2);
    assert.ok(s.unfinished[0]!.oldestSeconds >= 1);
    assert.equal(s.stuck, 2, 'queued longer than HOLDOUT_STUCK_AFTER_S');
    assert.deepEqual(s.running, { kernels: 0, gpuKernels: 0, models: 0 });
    assert.equal(s.gpu.usedHours, 0);
    assert.deepEqual(s.competitions, { awaitingReveal: 0, dataPending: 0, dataFailed: 0 });

    const refused = await student.get('/api/admin/status');
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error.code, 'forbidden');
  });
});
