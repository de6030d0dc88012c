import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { Client, createCompetitionWithData, createTestEnv, dataVisible, eventually, expectedScore, FixtureBundles, startApi, submissionCsv, type TestApi, type TestEnv } from '@holdout/api/testing';
import { QUEUES } from '@holdout/contracts';
import { Queue } from 'bullmq';
import { exited, spawnWorker } from '@holdout/worker/testing';

const DAY = 86_400_000;

describe('a worker killed mid-scoring', () => {
  let env: TestEnv;
  let api: TestApi;
  let student: Client;
  const children: ChildProcess[] = [];

  before(async () => {
    env = await createTestEnv('restart');
    const bundles = new FixtureBundles(() => ({ opensAt: new Date(Date.now() - DAY), closesAt: new Date(Date.now() + DAY), dailySubmissions: 10 }));
    api = await startApi(env, bundles);
    const prof = await Client.register(api.server, 'prof@example.com');
    const course = (await prof.post('/api/courses').send({ name: 'C' })).body;
    await createCompetitionWithData({ env, bundles, instructor: prof, courseId: course.id, bundle: 'fixture', slug: 'kill' });
    student = await Client.register(api.server, 'stu@example.com');
    await student.post('/api/courses/join').send({ code: course.joinCode });
    await dataVisible(student, 'kill');
  });
  after(async () => {
    for (const c of children) {
      if (c.exitCode === null && c.signalCode === null) {
        c.kill('SIGKILL');
        await exited(c);
      }
    }
    await api?.close();
    await env?.drop();
  });

  it('ends scored exactly once after another worker takes over; a job lost from Redis is re-enqueued by the reconciler', async () => {
    const up = await student.upload('kill', submissionCsv(6, 8));
    assert.equal(up.status, 202);
    const id: string = up.body.id;

    const first = spawnWorker(env, { HOLDOUT_TEST_SCORING_DELAY_MS: '60000' }, 'worker-1.log');
    children.push(first);
    await eventually(async () => {
      const r: { status: string; attempts: number }[] = await env.ds.query('SELECT status, attempts FROM submissions WHERE id = $1', [id]);
      return r[0]!.status === 'scoring' ? true : undefined;
    }, { timeoutMs: 30_000, what: 'the first worker to start scoring' });
    first.kill('SIGKILL');
    await exited(first);

    // A second submission whose job Redis "lost": the row is queued, the queue has nothing.
    const lost = await student.upload('kill', submissionCsv(4, 4));
    const queue = new Queue(QUEUES.scoring, { connection: { url: env.config.redisUrl }, prefix: env.config.queuePrefix });
    await eventually(async () => ((await queue.getJob(lost.body.id)) ? true : undefined), { what: 'the job to be enqueued' });
    await (await queue.getJob(lost.body.id))!.remove();
    assert.equal(await queue.getJob(lost.body.id), undefined);
    await queue.close();

    const second = spawnWorker(env, { HOLDOUT_STUCK_AFTER_S: '1', HOLDOUT_RECONCILE_EVERY_S: '1' }, 'worker-2.log');
    children.push(second);
    for (const [sid, score] of [
      [id, expectedScore(6)],
      [lost.body.id as string, expectedScore(4)],
    ] as const) {
      const row = await eventually(
        async () => {
          const r: { status: string; attempts: number; public_score: number }[] = await env.ds.query('SELECT status, attempts, public_score FROM submissions WHERE id = $1', [sid]);
          return r[0]!.status === 'scored' || r[0]!.status === 'failed' ? r[0] : undefined;
        },
        { timeoutMs: 45_000, what: `submission ${sid} to be scored by the second worker` },
      );
      assert.equal(row.status, 'scored');
      assert.equal(row.public_score, score);
      const records: { n: string }[] = await env.ds.query('SELECT count(*) AS n FROM score_records WHERE submission_id = $1', [sid]);
      assert.equal(Number(records[0]!.n), 1, 'one score record: scored once');
    }
    const attempts: { attempts: number }[] = await env.ds.query('SELECT attempts FROM submissions WHERE id = $1', [id]);
    assert.equal(attempts[0]!.attempts, 2, 'the killed attempt and the one that finished');
    // A new solution version appears without any rescore job (as if Redis lost them): the
    // reconciler scores every submission again against it, keeping the earlier record.
    const [c] = await env.ds.query(`SELECT id, current_solution_version_id AS v FROM competitions WHERE slug = 'kill'`);
    const [v1] = await env.ds.query('SELECT path, checksum FROM solution_versions WHERE id = $1', [c.v]);
    const [v2] = await env.ds.query(`INSERT INTO solution_versions (competition_id, version, path, checksum) VALUES ($1, 2, $2, $3) RETURNING id`, [c.id, v1.path, v1.checksum]);
    await env.ds.query('UPDATE competitions SET current_solution_version_id = $1 WHERE id = $2', [v2.id, c.id]);
    await eventually(
      async () => {
        const r: { n: string }[] = await env.ds.query('SELECT count(*) AS n FROM score_records WHERE solution_version_id = $1', [v2.id]);
        return Number(r[0]!.n) === 2 ? true : undefined;
      },
      { timeoutMs: 45_000, what: 'the catch-up rescore' },
    );
    const total: { n: string }[] = await env.ds.query('SELECT count(*) AS n FROM score_records');
    assert.equal(Number(total[0]!.n), 4, 'history kept: one record per submission and version');
    second.kill('SIGTERM');
    await exited(second);
    assert.equal(second.exitCode ?? 0, 0, 'the worker shuts down cleanly on SIGTERM');
  });
});
