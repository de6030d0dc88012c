import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { INestApplicationContext } from '@nestjs/common';
import { ARTIFACT_META_SUFFIX } from '@holdout/db';
import { Client, createTestEnv, eventually, FixtureBundles, scored, startApi, submissionCsv, type TestApi, type TestEnv } from '@holdout/api/testing';
import { startWorker } from '@holdout/worker/testing';

const DAY = 86_400_000;

/** The stored files under `root` (not the store's checksum records), relative and sorted. */
async function filesUnder(root: string): Promise<string[]> {
  const entries = await readdir(root, { withFileTypes: true, recursive: true });
  return entries.filter((e) => !e.isDirectory() && !e.name.endsWith(ARTIFACT_META_SUFFIX)).map((e) => join(e.parentPath, e.name).slice(root.length + 1)).sort();
}

// The artifact disk full (issue 17): the data directory is a small tmpfs of its own, filled up
// while the platform runs. An upload then gets a clear 503 that says the storage is full and
// when to come back, with nothing stored, nothing charged and no submission; once there is room
// again, the next upload is scored. (Mounting needs root, as the kernel sandbox's disk cap does.)
describe('the artifact disk full', () => {
  let env: TestEnv;
  let api: TestApi;
  let worker: INestApplicationContext;
  let mounted = false;
  const bundles = new FixtureBundles(() => ({ opensAt: new Date(Date.now() - DAY), closesAt: new Date(Date.now() + DAY), dailySubmissions: 5 }));

  before(async () => {
    env = await createTestEnv('storage_full');
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m,mode=0700', 'tmpfs', env.config.dataDir]);
    mounted = true;
    api = await startApi(env, bundles);
    worker = await startWorker(env, bundles);
  });
  after(async () => {
    await worker?.close();
    await api?.close();
    if (mounted) execFileSync('umount', [env.config.dataDir]);
    await env?.drop();
  });

  it('refuses an upload with 503 unavailable, storing and charging nothing, and scores the next one once there is room', async () => {
    const prof = await Client.register(api.server, 'prof@example.com', 'Prof');
    const course = (await prof.post('/api/courses').send({ name: 'Full' })).body as { id: string; joinCode: string };
    assert.equal((await prof.post('/api/competitions').send({ bundle: 'fixture', slug: 'full', courseId: course.id })).status, 201);
    const ann = await Client.register(api.server, 'ann@example.com', 'Ann');
    assert.equal((await ann.post('/api/courses/join').send({ code: course.joinCode })).status, 200);
    await eventually(async () => ((await ann.get('/api/competitions/full/data')).status === 200 ? true : undefined), { what: 'the competition data' });

    const filler = join(env.config.dataDir, 'filler');
    await writeFile(filler, Buffer.alloc(8 << 20)).then(
      () => assert.fail('the 4 MB tmpfs took 8 MB'),
      (err: NodeJS.ErrnoException) => assert.equal(err.code, 'ENOSPC'),
    );
    const before = await filesUnder(env.config.dataDir);
    // Larger than any room a page of the filesystem might still have.
    const big = submissionCsv(8, 8) + `p3,${'1 1 '.repeat(20_000)}\n`;
    const refused = await ann.upload('full', big);
    assert.equal(refused.status, 503, JSON.stringify(refused.body));
    assert.equal(refused.body.error.code, 'unavailable');
    assert.match(refused.body.error.message, /storage is full: nothing was stored and nothing was charged; try again later/);
    assert.equal(refused.headers['retry-after'], '60');
    assert.deepEqual(await filesUnder(env.config.dataDir), before, 'nothing half-stored');
    assert.deepEqual(await env.ds.query('SELECT id FROM submissions'), [], 'no submission');
    assert.equal((await ann.get('/api/competitions/full')).body.viewer.submissionsToday, 0, 'nothing charged');
    // The server goes on serving what needs no disk.
    assert.equal((await ann.get('/api/competitions/full/leaderboard')).status, 200);

    await rm(filler);
    const next = await ann.upload('full', submissionCsv(8, 8));
    assert.equal(next.status, 202, JSON.stringify(next.body));
    assert.equal((await scored(ann, next.body.id)).status, 'scored');
    assert.equal((await ann.get('/api/competitions/full')).body.viewer.submissionsToday, 1);
  });
});
