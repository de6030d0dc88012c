import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Client, createCompetitionWithData, createTestEnv, dataVisible, eventually, expectedScore, FixtureBundles, processEnv, startApi, submissionCsv, type TestApi, type TestEnv } from '@holdout/api/testing';
import request from 'supertest';
import { exited } from '@holdout/worker/testing';

const DAY = 86_400_000;
const repo = (path: string) => fileURLToPath(new URL(`../../../${path}`, import.meta.url));

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** `npm start` runs the apps under scripts/supervise.mjs: one crashing must not stop the others. */
describe('the start script supervisor', () => {
  let env: TestEnv;
  let api: TestApi; // a second API replica, in this process, for the student while the supervised one is down
  let student: Client;
  let supervisor: ChildProcess;
  let log = '';
  let url: string;

  before(async () => {
    env = await createTestEnv('supervisor');
    const bundles = new FixtureBundles(() => ({ opensAt: new Date(Date.now() - DAY), closesAt: new Date(Date.now() + DAY), dailySubmissions: 10 }));
    api = await startApi(env, bundles);
    const prof = await Client.register(api.server, 'prof@example.com');
    const course = (await prof.post('/api/courses').send({ name: 'C' })).body;
    await createCompetitionWithData({ env, bundles, instructor: prof, courseId: course.id, bundle: 'fixture', slug: 'sup' });
    student = await Client.register(api.server, 'stu@example.com');
    await student.post('/api/courses/join').send({ code: course.joinCode });
    await dataVisible(student, 'sup');

    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    const apps = [
      { name: 'api', cmd: [process.execPath, repo('apps/api/dist/main.js')], env: { PORT: String(port) } },
      { name: 'worker', cmd: [process.execPath, repo('apps/worker/dist/main.js')], env: { HOLDOUT_JOB_LOCK_S: '2' } },
    ];
    supervisor = spawn(process.execPath, [repo('scripts/supervise.mjs'), JSON.stringify(apps)], { env: processEnv(env, { HOLDOUT_LOG_LEVEL: 'warn' }), stdio: ['ignore', 'ignore', 'pipe'] });
    supervisor.stderr!.on('data', (c: Buffer) => (log += c.toString('utf8')));
    await eventually(async () => ((await request(url).get('/api/health').catch(() => null))?.status === 200 ? true : undefined), { timeoutMs: 30_000, what: 'the supervised API' });
  });
  after(async () => {
    if (supervisor && supervisor.exitCode === null) {
      supervisor.kill('SIGKILL');
      await exited(supervisor);
    }
    await api?.close();
    await env?.drop();
  });

  const pidOf = (name: string, nth = 1) => Number([...log.matchAll(new RegExp(`${name} started \\(pid (\\d+)\\)`, 'g'))][nth - 1]?.[1]);

  it('restarts a crashed API with the reason logged while the worker keeps scoring; Ctrl-C stops every app', async () => {
    const apiPid = pidOf('api');
    const workerPid = pidOf('worker');
    assert.ok(apiPid > 0 && workerPid > 0, log);
    process.kill(apiPid, 'SIGKILL');

    // While the supervised API is down or restarting, a submission (through the other replica) is scored.
    const up = await student.upload('sup', submissionCsv(6, 8));
    assert.equal(up.status, 202);
    const row = await eventually(async () => {
      const r: { status: string; public_score: number }[] = await env.ds.query('SELECT status, public_score FROM submissions WHERE id = $1', [up.body.id]);
      return r[0]!.status === 'scored' || r[0]!.status === 'failed' ? r[0] : undefined;
    }, { timeoutMs: 30_000, what: 'the supervised worker to score' });
    assert.equal(row.status, 'scored');
    assert.equal(row.public_score, expectedScore(6));

    await eventually(async () => (pidOf('api', 2) > 0 ? true : undefined), { timeoutMs: 15_000, what: 'the API to be restarted' });
    assert.match(log, /api was killed by SIGKILL after \d+ s; restarting in 1 s/);
    await eventually(async () => ((await request(url).get('/api/health').catch(() => null))?.status === 200 ? true : undefined), { timeoutMs: 30_000, what: 'the restarted API to answer' });
    assert.ok(alive(workerPid), 'the worker was never stopped');
    assert.equal(pidOf('worker', 2) || 0, 0, 'nor restarted');

    supervisor.kill('SIGINT');
    await exited(supervisor);
    assert.equal(supervisor.exitCode, 0);
    for (const pid of [pidOf('api', 2), workerPid]) assert.ok(!alive(pid), `pid ${pid} stopped with the supervisor`);
    assert.match(log, /SIGINT: stopping (api, worker|worker, api)/);
  });
});
