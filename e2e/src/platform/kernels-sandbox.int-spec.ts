import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, realpath, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { INestApplicationContext } from '@nestjs/common';
import type { KernelRunDto } from '@holdout/contracts';
import { CHARGED_STATUSES_SQL, kernelHostKeys } from '@holdout/db';
import { Client, createCompetitionWithData, createTestEnv, dataVisible, eventually, expectedScore, startApi, submissionCsv, type TestApi, type TestEnv } from '@holdout/api/testing';
import { createWorkingVolume, loopDevices, mountPoints, releaseVolumesUnder } from '@holdout/sandbox';
import { KernelSweeper, startWorker } from '@holdout/worker/testing';
import Dockerode from 'dockerode';
import { Redis } from 'ioredis';
import { KernelFixtureBundles } from './kernel-fixtures.js';

// The kernel sandbox as the platform uses it: the hard /kaggle/working cap through the API, and
// the sweep that removes the sandboxes of a dead kernel worker whatever its owner id. Real
// PostgreSQL, Redis, Docker engine, loop devices (root) and the slim image (HOLDOUT_KERNEL_IMAGE).
const IMAGE = (process.env.HOLDOUT_KERNEL_IMAGE ??= 'holdout/kernel-runtime:slim');
const OWNER = `t-ksandbox-${randomBytes(3).toString('hex')}`;
process.env.HOLDOUT_KERNEL_OWNER = OWNER;
const MiB = 1024 * 1024;
const docker = new Dockerode();
/** Every container this file made, whatever owner it carries. */
const ours = async () => (await docker.listContainers({ all: true, filters: { label: ['holdout.role=kernel'] } })).filter((c) => c.Labels['holdout.owner']?.startsWith(OWNER));

/** Runs `body` only in the run over the hidden test data; the public run writes a valid file. */
const inHiddenRun = (body: string) =>
  `import os\nif os.environ.get('KAGGLE_IS_COMPETITION_RERUN'):\n${body.split('\n').map((l) => `    ${l}`).join('\n')}\nelse:\n    open('/kaggle/working/submission.csv', 'w').write(${JSON.stringify(submissionCsv(8, 8))})\n`;
/** dd at full speed into /kaggle/working until it fails. */
const FILL = `import subprocess\nsubprocess.run(['dd', 'if=/dev/zero', 'of=/kaggle/working/fill.bin', 'bs=1M'], check=True)`;

describe('the kernel sandbox through the API and a real worker', () => {
  let env: TestEnv;
  let api: TestApi;
  let worker: INestApplicationContext;
  let student: Client;
  let redis: Redis;

  const submit = (slug: string, name: string, source: string) =>
    student.post(`/api/competitions/${slug}/submissions`).field('kind', 'kernel').attach('file', Buffer.from(source), name);
  const finished = (id: string) =>
    eventually(async () => {
      const r = (await env.ds.query('SELECT * FROM submissions WHERE id = $1', [id]))[0] as Record<string, any>;
      return ['scored', 'failed', 'cancelled', 'complete'].includes(r.status) ? r : undefined;
    }, { timeoutMs: 90_000, everyMs: 200, what: `submission ${id} to finish` });
  const charged = async (id: string) => Number((await env.ds.query(`SELECT count(*) AS n FROM submissions s WHERE s.id = $1 AND ${CHARGED_STATUSES_SQL}`, [id]))[0].n) === 1;
  /** Mounts and loop devices left under the worker's sandbox scratch. */
  const volumesLeft = async () => {
    const root = await realpath(join(env.config.dataDir, 'sandbox')).catch(() => join(env.config.dataDir, 'sandbox'));
    return {
      mounts: (await mountPoints()).filter((m) => m.startsWith(`${root}/`)),
      loops: (await loopDevices()).filter((d) => d.backFile.startsWith(`${root}/`)).map((d) => d.name),
    };
  };

  before(async () => {
    env = await createTestEnv('kernels_sandbox');
    const bundles = new KernelFixtureBundles({ kcap: { outputLimitBytes: 16 * MiB, timeLimitSeconds: 60 } });
    api = await startApi(env, bundles);
    const prof = await Client.register(api.server, 'prof@example.com');
    const course = (await prof.post('/api/courses').send({ name: 'Sandbox' })).body;
    await createCompetitionWithData({ env, bundles, instructor: prof, courseId: course.id, bundle: 'kcap', slug: 'kcap' });
    student = await Client.register(api.server, 'stu@example.com');
    await student.post('/api/courses/join').send({ code: course.joinCode });
    await dataVisible(student, 'kcap');
    worker = await startWorker(env, bundles);
    redis = new Redis(env.config.redisUrl, { maxRetriesPerRequest: null });
  });

  after(async () => {
    for (const c of await ours()) await docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
    await worker?.close();
    await releaseVolumesUnder(join(env.config.dataDir, 'sandbox')).catch(() => undefined);
    await redis?.quit();
    await api?.close();
    await env?.drop();
  });

  it('a kernel writing at full speed in the hidden run is stopped at the 16 MiB cap: exception naming the limit, charged', async () => {
    const up = await submit('kcap', 'fill.py', inHiddenRun(FILL));
    assert.equal(up.status, 202, JSON.stringify(up.body));
    const done = await finished(up.body.id);
    assert.deepEqual([done.status, done.error_class, done.run_phase], ['failed', 'exception', 'hidden']);
    assert.match(done.error_message, /wrote more than the 16 MiB \/kaggle\/working limit: writing past it failed with "No space left on device"/);
    assert.equal(await charged(up.body.id), true, "the participant's failure counts against the daily quota");
    assert.deepEqual(await volumesLeft(), { mounts: [], loops: [] });
  });

  it('the same writer in the public run: the same message, not charged, and its files stay within the cap', async () => {
    const up = await submit('kcap', 'fill-public.py', FILL);
    const done = await finished(up.body.id);
    assert.deepEqual([done.status, done.error_class, done.run_phase], ['failed', 'exception', 'public']);
    assert.match(done.error_message, /more than the 16 MiB \/kaggle\/working limit.*In the public run .*not charged/s);
    assert.equal(await charged(up.body.id), false);
    const runs = (await student.get(`/api/submissions/${up.body.id}/runs`)).body as KernelRunDto[];
    const files = runs.find((r) => r.phase === 'public')?.files ?? [];
    const fill = files.find((f) => f.name === 'fill.bin');
    assert.ok(fill, `the team gets the file it wrote: ${JSON.stringify(files)}`);
    assert.ok(fill.size <= 16 * MiB && fill.size >= 14 * MiB, `fill.bin is ${fill.size} bytes`);
  });

  it('a kernel within the cap still produces its submission.csv and is scored', async () => {
    const up = await submit('kcap', 'ok.py', `open('/kaggle/working/model.bin', 'wb').write(b'm' * (4 * 1024 * 1024))\nopen('/kaggle/working/submission.csv', 'w').write(${JSON.stringify(submissionCsv(7, 8))})\n`);
    const done = await finished(up.body.id);
    assert.equal(done.status, 'scored', JSON.stringify(done));
    assert.equal(done.public_score, expectedScore(7));
    assert.deepEqual(await volumesLeft(), { mounts: [], loops: [] });
  });

  it("removes a dead worker's sandboxes (another owner id) once its heartbeat stays missing; a live worker's and another deployment's stay", async () => {
    const sweeper = worker.get(KernelSweeper);
    const prefix = env.config.queuePrefix;
    const scratchRoot = join(env.config.dataDir, 'sandbox');
    const sleeper = async (owner: string, pool: string) => {
      const c = await docker.createContainer({
        Image: IMAGE,
        Entrypoint: [],
        Cmd: ['sleep', '300'],
        Labels: { 'holdout.role': 'kernel', 'holdout.owner': owner, 'holdout.pool': pool, 'holdout.run': `${owner}-run` },
        HostConfig: { NetworkMode: 'none', AutoRemove: false },
      });
      await c.start();
      return c.id;
    };
    const dead = `${OWNER}-dead`;
    const live = `${OWNER}-live`;
    const elsewhere = `${OWNER}-elsewhere`;
    // The dead worker shared this machine: its run's working volume is still mounted in its scratch.
    const deadRun = join(scratchRoot, dead, `${dead}-run`);
    await mkdir(deadRun, { recursive: true });
    await writeFile(join(scratchRoot, dead, '.pool'), prefix);
    const volume = await createWorkingVolume({ dir: join(deadRun, 'working'), image: join(deadRun, 'working.img'), capBytes: 4 * MiB, uid: 1000, gid: 1000 });
    const ids = { dead: await sleeper(dead, prefix), live: await sleeper(live, prefix), elsewhere: await sleeper(elsewhere, `${prefix}-other`) };
    await redis.set(kernelHostKeys.one(prefix, live), JSON.stringify({ owner: live, cpus: 1, memoryBytes: 1, gpus: 0 }), 'EX', kernelHostKeys.ttlSeconds);
    const exists = async (id: string) => docker.getContainer(id).inspect().then(() => true, () => false);

    // First sight of a missing heartbeat: not yet (Redis may just have lost its data).
    const first = await sweeper.sweepDeadWorkers();
    assert.deepEqual(first?.orphans, []);
    assert.equal(await exists(ids.dead), true);

    // Missing for longer than the grace: removed, by a worker with another owner id.
    sweeper.deadAfterMs = 0;
    const t0 = Date.now();
    const swept = await sweeper.sweepDeadWorkers();
    assert.deepEqual(swept?.deadOwners, [dead]);
    assert.deepEqual(swept?.orphans.map((o) => [o.owner, o.runId]), [[dead, `${dead}-run`]]);
    assert.equal(await exists(ids.dead), false);
    assert.equal(await exists(ids.live), true, "a live worker's sandbox stays");
    assert.equal(await exists(ids.elsewhere), true, "another deployment's sandbox is not looked at");
    assert.deepEqual(swept?.removedScratchDirs, [deadRun]);
    await assert.rejects(stat(deadRun), 'its scratch is gone');
    const left = await volumesLeft();
    assert.ok(!left.mounts.some((m) => m.includes(dead)) && left.loops.length === 0, `its working volume was unmounted: ${JSON.stringify(left)}`);
    console.log(`# dead-owner sweep removed 1 container and 1 mounted volume in ${Date.now() - t0} ms`);
    await volume.release(); // already released: a no-op
  });

  it('leaves no sandbox or working volume behind', async () => {
    const left = (await ours()).map((c) => c.Labels['holdout.owner']).sort();
    assert.deepEqual(left, [`${OWNER}-elsewhere`, `${OWNER}-live`], 'only the two the sweep had to leave (removed in after)');
    assert.deepEqual(await volumesLeft(), { mounts: [], loops: [] });
  });
});
