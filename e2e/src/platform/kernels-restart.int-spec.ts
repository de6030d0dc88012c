import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Client, createCompetitionWithData, createTestEnv, dataVisible, eventually, expectedScore, startApi, submissionCsv, type TestApi, type TestEnv } from '@holdout/api/testing';
import Dockerode from 'dockerode';
import { KernelFixtureBundles } from './kernel-fixtures.js';
import { exited, spawnWorker } from '@holdout/worker/testing';

const OWNER = `t-krestart-${randomBytes(3).toString('hex')}`;
const docker = new Dockerode();
const ownContainers = () => docker.listContainers({ all: true, filters: { label: [`holdout.owner=${OWNER}`] } });

describe('a kernel worker killed mid-run', () => {
  let env: TestEnv;
  let api: TestApi;
  let student: Client;
  const children: ChildProcess[] = [];

  const spawnKernelWorker = (log: string): ChildProcess => {
    const child = spawnWorker(env, { HOLDOUT_KERNEL_OWNER: OWNER, HOLDOUT_KERNEL_IMAGE: process.env.HOLDOUT_KERNEL_IMAGE ?? 'holdout/kernel-runtime:slim' }, log);
    children.push(child);
    return child;
  };

  before(async () => {
    env = await createTestEnv('kernels_restart');
    const bundles = new KernelFixtureBundles({ krestart: { timeLimitSeconds: 60 } });
    api = await startApi(env, bundles);
    const prof = await Client.register(api.server, 'prof@example.com');
    const course = (await prof.post('/api/courses').send({ name: 'R' })).body;
    await createCompetitionWithData({ env, bundles, instructor: prof, courseId: course.id, bundle: 'krestart', slug: 'krestart' });
    student = await Client.register(api.server, 'stu@example.com');
    await student.post('/api/courses/join').send({ code: course.joinCode });
    await dataVisible(student, 'krestart');
  });

  after(async () => {
    for (const c of children) {
      if (c.exitCode === null && c.signalCode === null) {
        c.kill('SIGKILL');
        await exited(c);
      }
    }
    // Whatever happened, leave no container of ours.
    for (const c of await ownContainers()) await docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
    await api?.close();
    await env?.drop();
  });

  it('removes the orphaned sandbox on restart and runs the kernel again to a score; the lost attempt is recorded, not charged', async () => {
    const source = `import time\nprint('start', flush=True)\ntime.sleep(6)\nopen('/kaggle/working/submission.csv', 'w').write(${JSON.stringify(submissionCsv(7, 8))})\n`;
    const up = await student.post('/api/competitions/krestart/submissions').field('kind', 'kernel').attach('file', Buffer.from(source), 'slow.py');
    assert.equal(up.status, 202, JSON.stringify(up.body));
    const id: string = up.body.id;

    const first = spawnKernelWorker('worker-1.log');
    await eventually(async () => ((await ownContainers()).some((c) => c.State === 'running') ? true : undefined), { timeoutMs: 60_000, what: 'the first worker to start the sandbox' });
    first.kill('SIGKILL');
    await exited(first);
    assert.equal((await ownContainers()).length, 1, 'the killed worker left its sandbox behind');
    assert.equal((await env.ds.query('SELECT status FROM submissions WHERE id = $1', [id]))[0].status, 'running');

    const second = spawnKernelWorker('worker-2.log');
    const done = await eventually(
      async () => {
        const r = (await env.ds.query('SELECT status, attempts, public_score, error_class FROM submissions WHERE id = $1', [id]))[0];
        return r.status === 'scored' || r.status === 'failed' ? r : undefined;
      },
      { timeoutMs: 90_000, everyMs: 250, what: 'the kernel to run again and be scored' },
    );
    assert.equal(done.status, 'scored', JSON.stringify(done));
    assert.equal(done.public_score, expectedScore(7));
    assert.equal(done.attempts, 2);
    // The lost attempt died in its public run; the next one ran both again (public, then hidden).
    const runs: { attempt: number; phase: string; outcome: string }[] = await env.ds.query(
      `SELECT attempt, phase, outcome FROM kernel_runs WHERE submission_id = $1 ORDER BY attempt, phase = 'hidden'`,
      [id],
    );
    assert.deepEqual(runs, [
      { attempt: 1, phase: 'public', outcome: 'lost' },
      { attempt: 2, phase: 'public', outcome: 'succeeded' },
      { attempt: 2, phase: 'hidden', outcome: 'succeeded' },
    ]);
    assert.deepEqual(await ownContainers(), [], 'no sandbox left: `docker ps -a --filter label=holdout.owner=…` is empty');
    second.kill('SIGTERM');
    await exited(second);
    assert.equal(second.exitCode ?? 0, 0, 'the worker shuts down cleanly');
  });

  it('on SIGTERM kills its running sandbox and puts the kernel back in the queue (not charged), then exits', async () => {
    const source = `import time\nprint('start', flush=True)\ntime.sleep(50)\n`;
    const up = await student.post('/api/competitions/krestart/submissions').field('kind', 'kernel').attach('file', Buffer.from(source), 'long.py');
    assert.equal(up.status, 202, JSON.stringify(up.body));
    const w = spawnKernelWorker('worker-3.log');
    await eventually(async () => ((await ownContainers()).some((c) => c.State === 'running') ? true : undefined), { timeoutMs: 60_000, what: 'the sandbox to run' });
    const t0 = Date.now();
    w.kill('SIGTERM');
    await exited(w);
    assert.ok(Date.now() - t0 < 20_000, 'the shutdown does not wait for the kernel');
    assert.equal(w.exitCode ?? 0, 0);
    assert.deepEqual(await ownContainers(), []);
    const r = (await env.ds.query('SELECT status FROM submissions WHERE id = $1', [up.body.id]))[0];
    assert.equal(r.status, 'queued');
    const runs: { outcome: string }[] = await env.ds.query('SELECT outcome FROM kernel_runs WHERE submission_id = $1', [up.body.id]);
    assert.deepEqual(runs.map((x) => x.outcome), ['lost']);
  });
});
