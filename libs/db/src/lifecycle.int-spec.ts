import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { IllegalTransitionError } from '@holdout/rules';
import { Competition } from './entities/competition.entity.js';
import { SolutionVersion } from './entities/solution-version.entity.js';
import { Submission } from './entities/submission.entity.js';
import { Team } from './entities/team.entity.js';
import { SubmissionLifecycle } from './lifecycle.js';
import { createTestEnv, type TestEnv } from './testing.js';

// The lifecycle on a real database: guarded, idempotent transitions; a transition that does not
// apply changes nothing.
describe('SubmissionLifecycle', () => {
  let env: TestEnv;
  let life: SubmissionLifecycle;
  let competitionId: string;
  let teamId: string;
  let versionId: string;

  before(async () => {
    env = await createTestEnv('lifecycle');
    life = new SubmissionLifecycle(env.ds);
    const c = await env.ds.getRepository(Competition).save(
      env.ds.getRepository(Competition).create({
        slug: 'life', title: 'Life', metric: 'dice', rleOrder: 'column', submissionKinds: ['file', 'kernel'], opensAt: new Date(0), closesAt: new Date(Date.now() + 86_400_000),
        dailySubmissions: 5, finalSelections: 2, config: {}, pages: { overview: '', data: '', evaluation: '', rules: '' }, bundleDir: '/nowhere',
      }),
    );
    competitionId = c.id;
    teamId = (await env.ds.getRepository(Team).save(env.ds.getRepository(Team).create({ competitionId, name: 'team' }))).id;
    versionId = (await env.ds.getRepository(SolutionVersion).save(env.ds.getRepository(SolutionVersion).create({ competitionId, version: 1, path: '/nowhere/solution.csv', checksum: 'x'.repeat(64), note: '', createdById: null }))).id;
  });
  after(async () => {
    await env.drop();
  });

  const accept = (kind: 'file' | 'kernel' = 'file') => env.ds.transaction((m) => life.accept(m, { competitionId, teamId, kind }));
  const row = (id: string) => env.ds.getRepository(Submission).findOneByOrFail({ id });
  const score = { solutionVersionId: '', publicScore: 0.5, privateScore: 0.25, publicInterval: [0.4, 0.6] as [number, number], privateInterval: null, perImagePublic: { a: 0.5 }, perImagePrivate: { b: 0.25 } };

  it('a file: accepted queued, claimed once per delivery, scored once', async () => {
    const s = await accept();
    assert.equal(s.status, 'queued');
    assert.equal(await life.claimForScoring(s.id), true);
    // BullMQ delivers again (the worker died): the claim still applies, and counts the attempt.
    assert.equal(await life.claimForScoring(s.id), true);
    assert.equal((await row(s.id)).attempts, 2);
    assert.equal(await life.recordScore(s.id, { ...score, solutionVersionId: versionId }, 'initial'), true);
    // The same score again (a redelivered job): nothing changes, one score record.
    assert.equal(await life.recordScore(s.id, { ...score, solutionVersionId: versionId }, 'initial'), false);
    const r = await row(s.id);
    assert.equal(r.status, 'scored');
    assert.equal(r.publicScore, 0.5);
    assert.deepEqual(r.perImagePrivate, { b: 0.25 });
    const [{ n }] = (await env.ds.query('SELECT count(*)::int AS n FROM score_records WHERE submission_id = $1', [s.id])) as { n: number }[];
    assert.equal(n, 1);
  });

  it('a transition that does not apply changes nothing', async () => {
    const s = await accept();
    assert.equal(await life.cancel(s.id, 'Cancelled by your team.'), true);
    const before = await row(s.id);
    assert.equal(await life.claimForScoring(s.id), false);
    assert.equal(await life.recordScore(s.id, { ...score, solutionVersionId: versionId }, 'initial'), false);
    assert.equal(await life.failInfrastructure(s.id, 'ours'), false);
    assert.equal(await life.requeue(s.id), false);
    assert.deepEqual(await row(s.id), before);
    assert.equal(before.status, 'cancelled');
    assert.equal(before.errorMessage, 'Cancelled by your team.');
  });

  it('a guard may not be widened past the table', async () => {
    const s = await accept();
    await assert.rejects(life.requeue(s.id, ['queued']), IllegalTransitionError);
    assert.equal((await row(s.id)).status, 'queued');
  });

  it('a kernel: run, collect, reject clears the scores and the selection; a rescore scores it again', async () => {
    const s = await accept('kernel');
    assert.equal(await life.claimForRun(s.id), 1);
    assert.equal(await life.collectOutput(s.id), true);
    assert.equal(await life.recordScore(s.id, { ...score, solutionVersionId: versionId }, 'initial'), true);
    assert.equal(await env.ds.transaction((m) => life.select(m, s.id, true)), true);
    const rejected = await life.reject(s.id, { solutionVersionId: versionId, errorClass: 'scoring-error', code: 'missing_image_id', message: 'no row for b', row: null }, 'r1');
    assert.equal(rejected, true);
    let r = await row(s.id);
    assert.deepEqual([r.status, r.errorClass, r.errorCode, r.publicScore, r.selected], ['failed', 'scoring-error', 'missing_image_id', null, false]);
    assert.equal(await life.recordScore(s.id, { ...score, solutionVersionId: versionId }, 'r2'), true);
    r = await row(s.id);
    assert.deepEqual([r.status, r.errorClass, r.publicScore], ['scored', null, 0.5]);
  });

  it("a run's failure is recorded with its class and its code", async () => {
    const s = await accept('kernel');
    await life.claimForRun(s.id);
    assert.equal(await life.failRun(s.id, 'no-submission-file', 'no /kaggle/working/submission.csv'), true);
    const r = await row(s.id);
    assert.deepEqual([r.status, r.errorClass, r.errorCode], ['failed', 'no-submission-file', 'no_submission_file']);
    // Final: selecting a failed submission does nothing.
    assert.equal(await env.ds.transaction((m) => life.select(m, s.id, true)), false);
  });
});
