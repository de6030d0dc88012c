import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { INestApplicationContext } from '@nestjs/common';
import { CHARGED_STATUSES_SQL } from '@holdout/db';
import { Client, createCompetitionWithData, createTestEnv, dataVisible, eventually, startApi, submissionCsv, type TestApi, type TestEnv } from '@holdout/api/testing';
import { startWorker } from '@holdout/worker/testing';
import { KernelFixtureBundles } from './kernel-fixtures.js';

// Issue 12's fair charging, on the real Docker engine: a run that fails for the platform's reason
// (the runtime image is missing, the competition's data is gone) is never charged to the student,
// is retried where a retry can help, and ends `infrastructure` with a message that says so.
process.env.HOLDOUT_KERNEL_IMAGE ??= 'holdout/kernel-runtime:slim';
process.env.HOLDOUT_KERNEL_OWNER = `t-kinfra-${randomBytes(3).toString('hex')}`;

const TERMINAL = new Set(['scored', 'failed', 'cancelled', 'complete']);
const kernel = `open('/kaggle/working/submission.csv', 'w').write(${JSON.stringify(submissionCsv(8, 8))})\n`;

describe('kernels that fail on the platform\'s side', () => {
  let env: TestEnv;
  let api: TestApi;
  let worker: INestApplicationContext;
  let student: Client;

  const submit = (slug: string) => student.post(`/api/competitions/${slug}/submissions`).field('kind', 'kernel').attach('file', Buffer.from(kernel), 'k.py');
  const finished = (id: string) =>
    eventually(async () => {
      const [r] = (await env.ds.query('SELECT * FROM submissions WHERE id = $1', [id])) as Record<string, any>[];
      return TERMINAL.has(r!.status) ? r : undefined;
    }, { timeoutMs: 90_000, everyMs: 250, what: `submission ${id} to finish` });
  const charged = async (id: string) => Number((await env.ds.query(`SELECT count(*) AS n FROM submissions s WHERE s.id = $1 AND ${CHARGED_STATUSES_SQL}`, [id]))[0].n) === 1;
  const runs = async (id: string) => (await env.ds.query('SELECT attempt, phase, outcome, message FROM kernel_runs WHERE submission_id = $1 ORDER BY attempt', [id])) as Record<string, any>[];

  before(async () => {
    env = await createTestEnv('kinfra');
    const bundles = new KernelFixtureBundles({ kimage: { image: 'holdout/kernel-runtime:no-such-tag' }, kdata: {} });
    api = await startApi(env, bundles);
    const prof = await Client.register(api.server, 'prof@example.com');
    const course = (await prof.post('/api/courses').send({ name: 'Infra' })).body;
    for (const slug of ['kimage', 'kdata']) await createCompetitionWithData({ env, bundles, instructor: prof, courseId: course.id, bundle: slug, slug });
    student = await Client.register(api.server, 'stu@example.com');
    await student.post('/api/courses/join').send({ code: course.joinCode });
    await dataVisible(student, 'kdata');
    // Each competition runs in its own image here (HOLDOUT_KERNEL_IMAGE would override them all).
    worker = await startWorker(env, bundles, { kernels: { ...env.config.kernels, image: null } });
  });
  after(async () => {
    await worker?.close();
    await api?.close();
    await env?.drop();
  });

  it('a missing runtime image fails at once as infrastructure, not charged', async () => {
    const up = await submit('kimage');
    assert.equal(up.status, 202, JSON.stringify(up.body));
    const done = await finished(up.body.id);
    assert.deepEqual([done.status, done.error_class], ['failed', 'infrastructure'], JSON.stringify(done));
    assert.match(done.error_message, /could not be run on our side .*not charged/);
    assert.equal(await charged(up.body.id), false);
    const r = await runs(up.body.id);
    assert.equal(r.length, 1, 'a missing image is not retried');
    assert.equal(r[0]!.outcome, 'error');
    assert.match(r[0]!.message, /no-such-tag/);
    const me = (await student.get('/api/competitions/kimage')).body;
    assert.equal(me.viewer.submissionsToday, 0, 'the daily quota is untouched');
  });

  it('competition data gone from the disk and not buildable there: retried, then infrastructure, not charged', async () => {
    const [c] = await env.ds.query(`SELECT public_dir FROM competitions WHERE slug = 'kdata'`);
    // A worker builds missing data again from the bundle (below); a file where its folder belongs stops that.
    await rename(c.public_dir, `${c.public_dir}.moved`);
    await writeFile(c.public_dir, 'not a folder');
    try {
      const up = await submit('kdata');
      assert.equal(up.status, 202, JSON.stringify(up.body));
      const done = await finished(up.body.id);
      assert.deepEqual([done.status, done.error_class], ['failed', 'infrastructure'], JSON.stringify(done));
      assert.equal(await charged(up.body.id), false);
      const r = await runs(up.body.id);
      assert.equal(r.length, 3, `three attempts: ${JSON.stringify(r)}`);
      assert.ok(r.every((x) => x.outcome === 'error'));
    } finally {
      await rm(c.public_dir, { force: true });
      await rename(`${c.public_dir}.moved`, c.public_dir);
    }
    // Once the data is back, the same kernel runs to a score.
    const again = await submit('kdata');
    assert.equal((await finished(again.body.id)).status, 'scored');
  });

  it('competition data gone from the disk is built again from the bundle, and the kernel scores', async () => {
    const [c] = await env.ds.query(`SELECT public_dir FROM competitions WHERE slug = 'kdata'`);
    await rm(c.public_dir, { recursive: true });
    const up = await submit('kdata');
    const done = await finished(up.body.id);
    assert.equal(done.status, 'scored', JSON.stringify(done));
    assert.ok(existsSync(join(c.public_dir, 'sample_submission.csv')), 'built again where it was');
  });
});
