import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { INestApplicationContext } from '@nestjs/common';
import { Client, INVALID_SUBMISSION, createCompetitionWithData, createTestEnv, dataVisible, eventually, expectedScore, startApi, submissionCsv, type TestApi, type TestEnv } from '@holdout/api/testing';
import { QUEUES, type SubmissionDto } from '@holdout/contracts';
import { Queue } from 'bullmq';
import { MaintenanceService } from '@holdout/worker/testing';
import { startWorker } from '@holdout/worker/testing';
import { KernelFixtureBundles } from './kernel-fixtures.js';

// Real PostgreSQL, Redis, Docker engine and the slim runtime image (HOLDOUT_KERNEL_IMAGE).
process.env.HOLDOUT_KERNEL_IMAGE ??= 'holdout/kernel-runtime:slim';
process.env.HOLDOUT_KERNEL_OWNER = `t-krescore-${randomBytes(3).toString('hex')}`;

const TERMINAL = new Set(['scored', 'failed', 'cancelled', 'complete']);
// New truth: p1 = "1 4"; a prediction "1 8" on p1 now scores dice 2·4/12.
const SOLUTION_V2 = 'id,height,width,encoding,Usage\np1,4,4,1 4,Public\np2,4,4,5 4,Public\nq1,4,4,1 8,Private\nq2,4,4,,Private\n';
const PUBLIC_V2 = ((2 * 4) / 12 + 1) / 2;

describe('rescoring kernel submissions (their stored output, no new run)', () => {
  let env: TestEnv;
  let api: TestApi;
  let worker: INestApplicationContext;
  let prof: Client;
  let student: Client;

  const submit = (name: string, source: string) => student.post('/api/competitions/kern/submissions').field('kind', 'kernel').attach('file', Buffer.from(source), name);
  const writes = (csv: string) => `open('/kaggle/working/submission.csv', 'w').write(${JSON.stringify(csv)})\n`;
  const row = async (id: string) => (await env.ds.query('SELECT * FROM submissions WHERE id = $1', [id]))[0] as Record<string, any>;
  const finished = (id: string) =>
    eventually(async () => {
      const r = await row(id);
      return TERMINAL.has(r.status) ? r : undefined;
    }, { timeoutMs: 90_000, everyMs: 200, what: `submission ${id} to finish` });
  const records = async (id: string) =>
    (await env.ds.query(
      `SELECT r.run, r.public_score, r.private_score, r.error_code, v.version FROM score_records r JOIN solution_versions v ON v.id = r.solution_version_id WHERE r.submission_id = $1 ORDER BY r.created_at`,
      [id],
    )) as { run: string; public_score: number | null; private_score: number | null; error_code: string | null; version: number }[];
  const runCount = async (id: string) => Number((await env.ds.query('SELECT count(*) AS n FROM kernel_runs WHERE submission_id = $1', [id]))[0].n);

  before(async () => {
    env = await createTestEnv('kernels_rescore');
    const bundles = new KernelFixtureBundles({ kern: { timeLimitSeconds: 60 } });
    api = await startApi(env, bundles);
    prof = await Client.register(api.server, 'prof@example.com');
    const course = (await prof.post('/api/courses').send({ name: 'Kernels' })).body;
    await createCompetitionWithData({ env, bundles, instructor: prof, courseId: course.id, bundle: 'kern', slug: 'kern' });
    student = await Client.register(api.server, 'stu@example.com');
    await student.post('/api/courses/join').send({ code: course.joinCode });
    await dataVisible(student, 'kern');
    worker = await startWorker(env, bundles);
  });

  after(async () => {
    await worker?.close();
    await api?.close();
    await env?.drop();
  });

  let good: string;
  let rejected: string;
  let refused: string;

  it('a scored kernel and a rejected one are rescored against the new solution version; history kept, nothing runs again', async () => {
    const a = await submit('good.py', writes(submissionCsv(8, 8)));
    // Valid in the public run, invalid over the hidden data: the scorer rejects what the hidden run wrote.
    const b = await submit('bad.py', `import os\nif os.environ.get('KAGGLE_IS_COMPETITION_RERUN'):\n    ${writes(INVALID_SUBMISSION)}else:\n    ${writes(submissionCsv(8, 8))}`);
    // Invalid already in the public run: refused before the hidden run, never scored, so never rescored.
    const c = await submit('worse.py', writes(INVALID_SUBMISSION));
    for (const r of [a, b, c]) assert.equal(r.status, 202, JSON.stringify(r.body));
    good = (a.body as SubmissionDto).id;
    rejected = (b.body as SubmissionDto).id;
    refused = (c.body as SubmissionDto).id;
    const first = await finished(good);
    assert.equal(first.status, 'scored', JSON.stringify(first));
    assert.equal(first.public_score, expectedScore(8));
    const bad = await finished(rejected);
    assert.equal(bad.error_class, 'scoring-error');
    assert.equal(bad.run_phase, 'hidden');
    const worse = await finished(refused);
    assert.deepEqual([worse.error_class, worse.run_phase, worse.solution_version_id], ['scoring-error', 'public', null]);
    assert.match(worse.error_message, /checked after the public run/);

    const res = await prof.post('/api/competitions/kern/rescore').field('reason', 'fixed p1').attach('solution', Buffer.from(SOLUTION_V2), 'solution.csv');
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.equal(res.body.solutionVersion, 2);
    assert.equal(res.body.submissions, 2, 'the scored kernel and the one whose output was rejected');
    await eventually(async () => {
      const r: { n: string }[] = await env.ds.query(`SELECT count(*) AS n FROM score_records WHERE run = $1`, [res.body.rescoreId]);
      return Number(r[0]!.n) === 2 ? true : undefined;
    }, { timeoutMs: 30_000, what: 'the rescore to finish' });

    const now = await row(good);
    assert.equal(now.status, 'scored');
    assert.ok(Math.abs(now.public_score - PUBLIC_V2) < 1e-12, `public ${now.public_score}`);
    assert.equal(now.private_score, 1);
    const history = await records(good);
    assert.deepEqual(
      history.map((h) => [h.run, h.version, h.public_score]),
      [
        ['initial', 1, expectedScore(8)],
        [res.body.rescoreId, 2, now.public_score],
      ],
    );
    // The participant sees the new score.
    const dto = (await student.get(`/api/submissions/${good}`)).body as SubmissionDto;
    assert.equal(dto.publicScore, now.public_score);

    // Still rejected by the new version: failed as the kernel's scoring-error (not a file's validation), not charged.
    const stillBad = await row(rejected);
    assert.equal(stillBad.status, 'failed');
    assert.equal(stillBad.error_class, 'scoring-error');
    assert.match(stillBad.error_message, /^Your kernel's submission\.csv was rejected: /);
    assert.deepEqual((await records(rejected)).map((h) => h.version), [1, 2]);

    assert.equal(await runCount(good), 2, 'the kernel did not run again (its public and hidden runs)');
    assert.equal(await runCount(rejected), 2);
    assert.equal(await runCount(refused), 1, 'no hidden run after an invalid public output');
    assert.deepEqual(await records(refused), []);
  });

  it('the reconciler catches a kernel up with a solution version whose rescore jobs were lost', async () => {
    // A third version made current without any job (as if Redis lost the rescore), the submission idle since.
    const [v3] = (await env.ds.query(
      `INSERT INTO solution_versions (competition_id, version, path, checksum, note)
       SELECT competition_id, 3, path, checksum, 'lost rescore' FROM solution_versions WHERE version = 1 RETURNING id`,
    )) as { id: string }[];
    await env.ds.query(`UPDATE competitions SET current_solution_version_id = $1 WHERE slug = 'kern'`, [v3!.id]);
    await env.ds.query(`UPDATE submissions SET updated_at = now() - interval '1 hour'`);
    const scoring = new Queue(QUEUES.scoring, { connection: { url: env.config.redisUrl }, prefix: env.config.queuePrefix });
    const maintenance = new Queue(QUEUES.maintenance, { connection: { url: env.config.redisUrl }, prefix: env.config.queuePrefix });
    try {
      const r = await worker.get(MaintenanceService).reconcile(scoring, maintenance);
      assert.equal(r.requeued, 2);
    } finally {
      await scoring.close();
      await maintenance.close();
    }
    await eventually(async () => ((await row(good)).solution_version_id === v3!.id ? true : undefined), { timeoutMs: 30_000, what: 'the catch-up' });
    const now = await row(good);
    assert.equal(now.public_score, expectedScore(8), 'scored against version 3 (the original truth)');
    assert.deepEqual((await records(good)).map((h) => [h.run, h.version]).at(-1), [`catchup-${v3!.id}`, 3]);
    assert.equal(await runCount(good), 2, 'the kernel did not run again');
  });
});
