import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { INestApplicationContext } from '@nestjs/common';
import type { ChildProcess } from 'node:child_process';
import { CHARGED_STATUSES_SQL, JOBS } from '@holdout/db';
import { QUEUES } from '@holdout/contracts';
import { Queue } from 'bullmq';
import { Client, createCompetitionWithData, createTestEnv, dataVisible, eventually, LibCompetitionBundles, startApi, type TestApi, type TestEnv } from '@holdout/api/testing';
import type { CompetitionDto, NotificationsDto, SubmissionDetailDto, SubmissionEventDto } from '@holdout/contracts';
import { scoreSubmission } from '@holdout/metrics/scorer';
import { constantModel, ensembleTar, customDomainModel, externalDataModel, fixedSizeModel, garbageBytes, identityModel, loopModel, nanModel, truncatedModel, twoInputsModel, wrongShapeModel } from '@holdout/inference/testing';
import { exited, spawnWorker, startWorker } from '@holdout/worker/testing';
import { readSse } from './sse.js';

// Model submissions end to end on the real bundles' demo data, under slugs the instructor chose:
// upload and its checks, the models queue, the tiled pipeline over every test image, the score,
// the private score kept until the reveal, charging, an ensemble, and a worker killed mid-run.

const TERMINAL = new Set(['scored', 'failed', 'cancelled']);
const KIDNEY = 'kidney-models';
const CELLS = 'cells-models';

describe('model submissions through the API and a real worker', () => {
  let env: TestEnv;
  let api: TestApi;
  let worker: INestApplicationContext;
  let prof: Client;
  let student: Client;
  const children: ChildProcess[] = [];

  const submit = (slug: string, bytes: Uint8Array | Buffer, name = 'model.onnx', c = student) =>
    c.post(`/api/competitions/${slug}/submissions`).field('kind', 'model').attach('file', Buffer.from(bytes), name);
  const row = async (id: string) => (await env.ds.query('SELECT * FROM submissions WHERE id = $1', [id]))[0] as Record<string, any>;
  const finished = (id: string, timeoutMs = 240_000) =>
    eventually(async () => {
      const r = await row(id);
      return TERMINAL.has(r.status) ? r : undefined;
    }, { timeoutMs, everyMs: 250, what: `model submission ${id} to finish` });
  const charged = async (id: string) => Number((await env.ds.query(`SELECT count(*) AS n FROM submissions s WHERE s.id = $1 AND ${CHARGED_STATUSES_SQL}`, [id]))[0].n) === 1;
  const runsOf = async (id: string) => (await env.ds.query('SELECT * FROM model_runs WHERE submission_id = $1 ORDER BY attempt', [id])) as Record<string, any>[];
  const counts = async () => ({
    rows: Number((await env.ds.query('SELECT count(*) AS n FROM submissions'))[0].n),
    today: ((await student.get(`/api/competitions/${KIDNEY}`)).body as CompetitionDto).viewer!.submissionsToday,
  });

  before(async () => {
    env = await createTestEnv('models');
    const bundles = new LibCompetitionBundles(env.config.repoRoot);
    api = await startApi(env, bundles);
    prof = await Client.register(api.server, 'prof@example.com');
    const course = (await prof.post('/api/courses').send({ name: 'Models' })).body;
    await createCompetitionWithData({ env, bundles, instructor: prof, courseId: course.id, bundle: 'hubmap-glomeruli', slug: KIDNEY });
    await createCompetitionWithData({ env, bundles, instructor: prof, courseId: course.id, bundle: 'sartorius-cells', slug: CELLS });
    // More than the bundles' 5 a day: this file makes many submissions.
    for (const slug of [KIDNEY, CELLS]) assert.equal((await prof.patch(`/api/competitions/${slug}`).send({ limits: { dailySubmissions: 50 } })).status, 200);
    student = await Client.register(api.server, 'stu@example.com');
    await student.post('/api/courses/join').send({ code: course.joinCode });
    for (const slug of [KIDNEY, CELLS]) await dataVisible(student, slug);
    worker = await startWorker(env, bundles, { kernels: { ...env.config.kernels, enabled: false } });
  });
  after(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await worker?.close();
    await api?.close();
    await env?.drop();
  });

  it('the competition says what a model must be: the pipeline is part of the competition, and the rules say what is charged', async () => {
    const c = (await student.get(`/api/competitions/${KIDNEY}`)).body as CompetitionDto;
    assert.deepEqual(c.submissionKinds, ['file', 'kernel', 'model']);
    assert.deepEqual(c.model?.views, [{ window: 1024, size: 320, stride: 512 }]);
    assert.equal(c.model?.blend, 'center-crop');
    assert.equal(c.model?.threshold, 0.4);
    assert.match(c.pages.rules, /### Model runs/);
    assert.match(c.pages.rules, /NaN or has the wrong shape fails as an exception and, like a run that passes its time\s+limit, \*\*is charged\*\*/);
    // The baseline ships with the bundle's files.
    const files = (await student.get(`/api/competitions/${KIDNEY}/data`)).body as { name: string }[];
    assert.ok(files.some((f) => f.name === 'baseline/train.py'), JSON.stringify(files.map((f) => f.name)));
  });

  /** A file of the competition's data listing, downloaded as a student does (the bundle's baseline is one). */
  const download = async (slug: string, name: string) =>
    (await student.get(`/api/competitions/${slug}/data/${name}`).buffer(true).parse((res: import('node:http').IncomingMessage, done: (err: Error | null, body: Buffer) => void) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => done(null, Buffer.concat(parts)));
    })).body as Buffer;

  it('HuBMAP-like: the bundle\'s baseline, downloaded and submitted as it is, runs over every test slide with live progress and scores as the evaluation page says', async () => {
    const up = await submit(KIDNEY, await download(KIDNEY, 'baseline/model.onnx'));
    assert.equal(up.status, 202, up.text);
    const id: string = up.body.id;
    const events = await readSse<SubmissionEventDto>(api.server, `/api/submissions/${id}/events`, { cookie: student.cookie }, (e) => e.type === 'status' && TERMINAL.has(e.submission.status), 240_000);
    const done = await finished(id);
    assert.equal(done.status, 'scored', done.error_message);
    const progress = events.flatMap((e) => (e.type === 'progress' && e.progress.model ? [e.progress.model] : []));
    assert.ok(progress.length > 0, 'progress of the run reached the stream');
    assert.ok(progress.every((p) => p.images === 15 && p.image >= 1 && p.image <= 15), JSON.stringify(progress.slice(0, 3)));
    const [run] = await runsOf(id);
    assert.equal(run!.outcome, 'succeeded');
    assert.equal(run!.images_total, 15, 'every test slide, public and private');
    // The score is the scorer's on the predictions the run stored: nothing else decides it.
    const c = (await env.ds.query(`SELECT s.path FROM solution_versions s JOIN competitions c ON c.current_solution_version_id = s.id WHERE c.slug = $1`, [KIDNEY]))[0];
    const offline = await scoreSubmission({ metric: 'dice', rleOrder: 'column', solution: c.path, submission: join(env.config.artifactDir, run!.output_path) });
    const detail = (await student.get(`/api/submissions/${id}`)).body as SubmissionDetailDto;
    assert.equal(detail.publicScore, offline.public!.score);
    const page = ((await student.get(`/api/competitions/${KIDNEY}`)).body as CompetitionDto).pages.evaluation;
    assert.match(page, new RegExp(`baseline U-Net.*\\| ${detail.publicScore!.toFixed(4)} \\|`), 'the public score the evaluation page states');
    assert.equal(detail.privateScore, null, 'no private score before the reveal');
    assert.ok(await charged(id));
    // The stored predictions are a submission file: one row per test slide, in id order.
    const csv = await readFile(join(env.config.artifactDir, run!.output_path), 'utf8');
    assert.equal(csv.trim().split('\n').length, 1 + 15);
    // The team is told, in the bell (and by mail): the score and a link to the submission.
    const bell = await eventually(async () => {
      const n = ((await student.get('/api/notifications')).body as NotificationsDto).items.find((i) => i.kind === 'model-finished' && i.link.endsWith(id));
      return n;
    }, { what: 'the model-finished notification' });
    assert.match(bell.title, new RegExp(`^Your model model\\.onnx scored ${detail.publicScore!.toFixed(4)} in `));
  });

  it('Sartorius-like (kernel-only): the baseline runs over the hidden test images and scores as stated; nothing of them reaches the team', async () => {
    const up = await submit(CELLS, await download(CELLS, 'baseline/model.onnx'));
    assert.equal(up.status, 202, up.text);
    const done = await finished(up.body.id);
    assert.equal(done.status, 'scored', done.error_message);
    const [run] = await runsOf(up.body.id);
    assert.equal(run!.images_total, 24);
    const detail = (await student.get(`/api/submissions/${up.body.id}`)).body as SubmissionDetailDto;
    assert.equal(detail.publicScore?.toFixed(4), '0.6359', 'the public score the evaluation page states');
    assert.doesNotMatch(JSON.stringify(detail), /output_path|model-runs\//, 'no path to the predictions');
  });

  it('an ensemble (.tar) averages its members: logits -10 and +10 average to 0.5, above the 0.4 threshold: every slide is all foreground', async () => {
    const up = await submit(KIDNEY, await ensembleTar({ 'a.onnx': constantModel(-10, { channels: 3 }), 'b.onnx': constantModel(10, { channels: 3 }) }), 'ensemble.tar');
    assert.equal(up.status, 202, up.text);
    const done = await finished(up.body.id);
    assert.equal(done.status, 'scored', done.error_message);
    const [run] = await runsOf(up.body.id);
    assert.deepEqual((run!.model_info as { members: { name: string }[] }).members.map((m) => m.name), ['a.onnx', 'b.onnx']);
    const rows = (await readFile(join(env.config.artifactDir, run!.output_path), 'utf8')).trim().split('\n').slice(1);
    const c = (await env.ds.query(`SELECT s.path FROM solution_versions s JOIN competitions c ON c.current_solution_version_id = s.id WHERE c.slug = $1`, [KIDNEY]))[0];
    const sizes = new Map((await readFile(c.path, 'utf8')).trim().split('\n').slice(1).map((l: string) => { const [id, h, w] = l.split(','); return [id!, Number(h) * Number(w)] as const; }));
    assert.equal(rows.length, 15);
    for (const r of rows) {
      const [id, rle] = r.split(',');
      assert.equal(rle, `1 ${sizes.get(id!)}`, `${id}: one run over every pixel`);
    }
  });

  it('refuses a bad model at upload with every problem named: nothing stored, queued or charged', async () => {
    const before = await counts();
    const cases: [string, Uint8Array | Buffer, string, RegExp][] = [
      ['garbage', garbageBytes(), 'MODEL_NOT_ONNX', /model\.onnx/],
      ['truncated', truncatedModel(), 'MODEL_NOT_ONNX', /model\.onnx/],
      ['a custom operator domain', customDomainModel({ channels: 3 }), 'OP_DOMAIN_REFUSED', /domain/],
      ['external data', externalDataModel(), 'EXTERNAL_DATA_REFUSED', /external/i],
      ['a Loop', loopModel(), 'OP_REFUSED', /Loop/],
      ['two inputs', twoInputsModel(), 'INPUT_COUNT', /input/],
      ['one input channel where the slides are RGB', identityModel({ channels: 1 }), 'INPUT_CHANNELS', /3/],
      ['a fixed input size other than the view size', fixedSizeModel(256, { channels: 3 }), 'INPUT_SIZE', /320/],
      ['an empty file', new Uint8Array(0), 'MODEL_FILE_EMPTY', /empty/],
      ['a .tar with something else in it', await ensembleTar({ 'a.onnx': identityModel({ channels: 3 }), 'notes.txt': new TextEncoder().encode('hi') }), 'MODEL_ARCHIVE_ENTRY', /notes\.txt/],
    ];
    for (const [what, bytes, code, message] of cases) {
      const r = await submit(KIDNEY, bytes, what.startsWith('a .tar') ? 'ens.tar' : 'model.onnx');
      assert.equal(r.status, 422, `${what}: ${r.text}`);
      assert.equal(r.body.error.code, 'invalid_model', what);
      const problems = r.body.error.details.problems as { code: string; message: string }[];
      assert.ok(problems.some((p) => p.code === code && message.test(p.message)), `${what}: ${JSON.stringify(problems)}`);
      assert.doesNotMatch(r.text, new RegExp(env.config.dataDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), `${what}: no server path in the error`);
    }
    // Many at once (a class at the deadline) wait for a check slot: each gets its own answer, no 503.
    const many: { status: number; text: string }[] = await Promise.all(Array.from({ length: 6 }, () => submit(KIDNEY, loopModel()).then((r: { status: number; text: string }) => r)));
    assert.deepEqual(many.map((r) => r.status), [422, 422, 422, 422, 422, 422], many.map((r) => r.text).join('\n'));
    assert.deepEqual(await counts(), before, 'no row and no charge');
    // The server is unaffected: the next good model is accepted (and cancelled: its run is the next tests' business).
    const ok = await submit(KIDNEY, identityModel({ channels: 3 }));
    assert.equal(ok.status, 202, ok.text);
    assert.equal((await student.post(`/api/submissions/${ok.body.id}/cancel`)).status, 200);
    await finished(ok.body.id);
  });

  it('a model that outputs NaN, or the wrong shape, fails as its own exception (model_output) and is charged', async () => {
    for (const bytes of [nanModel({ channels: 3 }), wrongShapeModel('half-size', { channels: 3 })]) {
      const up = await submit(KIDNEY, bytes);
      assert.equal(up.status, 202, up.text);
      const done = await finished(up.body.id);
      assert.equal(done.status, 'failed');
      assert.equal(done.error_class, 'exception');
      assert.equal(done.error_code, 'model_output');
      assert.ok(await charged(up.body.id), 'the model\'s fault is charged');
      const detail = (await student.get(`/api/submissions/${up.body.id}`)).body as SubmissionDetailDto;
      assert.match(detail.error?.message ?? '', /NaN|shape|output/i);
      assert.equal((await runsOf(up.body.id))[0]!.outcome, 'invalid-output');
      const told = await eventually(async () => ((await student.get('/api/notifications')).body as NotificationsDto).items.find((i) => i.kind === 'model-failed' && i.link.endsWith(up.body.id)), { what: 'the model-failed notification' });
      assert.match(told.title, /^Your model model\.onnx failed \(exception\) in /);
    }
  });

  it('a queued or running model can be cancelled by its team, not charged', async () => {
    // The other competition's worker pauses: the submission stays queued until cancelled.
    await worker.close();
    try {
      const up = await submit(KIDNEY, identityModel({ channels: 3 }));
      assert.equal(up.status, 202);
      const r = await student.post(`/api/submissions/${up.body.id}/cancel`);
      assert.equal(r.status, 200, r.text);
      assert.equal((await row(up.body.id)).status, 'cancelled');
      assert.equal(await charged(up.body.id), false);
    } finally {
      worker = await startWorker(env, new LibCompetitionBundles(env.config.repoRoot), { kernels: { ...env.config.kernels, enabled: false } });
    }
  });

  it('a model that runs past the competition\'s time limit fails as a timeout, charged', async () => {
    // The limit as an instructor's bundle might set it, shortened here: 15 slides take longer than 1 s.
    await env.ds.query(`UPDATE competitions SET config = jsonb_set(config, '{model,timeLimitSeconds}', '1') WHERE slug = $1`, [KIDNEY]);
    try {
      const up = await submit(KIDNEY, identityModel({ channels: 3 }));
      assert.equal(up.status, 202, up.text);
      const done = await finished(up.body.id);
      assert.equal(done.status, 'failed');
      assert.equal(done.error_class, 'timeout');
      assert.match(done.error_message, /did not finish within this competition's limit of 1 s/);
      assert.ok(await charged(up.body.id));
      assert.equal((await runsOf(up.body.id))[0]!.outcome, 'timeout');
    } finally {
      await env.ds.query(`UPDATE competitions SET config = jsonb_set(config, '{model,timeLimitSeconds}', '7200') WHERE slug = $1`, [KIDNEY]);
    }
  });

  it('a model worker killed mid-run: another worker runs it again and it is scored exactly once', { timeout: 300_000 }, async () => {
    await worker.close();
    try {
      const first = spawnWorker(env, { HOLDOUT_KERNELS: 'off', HOLDOUT_MODEL_THREADS: '1' }, 'models-worker-1.log');
      children.push(first);
      const up = await submit(KIDNEY, identityModel({ channels: 3 }));
      assert.equal(up.status, 202, up.text);
      // Killed as soon as it runs (15 slides take it several seconds).
      await eventually(async () => ((await row(up.body.id)).status === 'running' && (await runsOf(up.body.id)).length === 1 ? true : undefined), { timeoutMs: 120_000, everyMs: 50, what: 'the first worker to start the run' });
      first.kill('SIGKILL');
      await exited(first);
      // The second worker runs two model calls at once (each on a thread and sessions of its own).
      const second = spawnWorker(env, { HOLDOUT_KERNELS: 'off', HOLDOUT_MODEL_PARALLEL_RUNS: '2' }, 'models-worker-2.log');
      children.push(second);
      const done = await finished(up.body.id);
      assert.equal(done.status, 'scored', done.error_message);
      const runs = await runsOf(up.body.id);
      assert.deepEqual(runs.map((r) => r.outcome), ['lost', 'succeeded']);
      const records = await env.ds.query(`SELECT count(*) AS n FROM score_records WHERE submission_id = $1`, [up.body.id]);
      assert.equal(Number(records[0].n), 1, 'one score record');
      second.kill('SIGTERM');
      await exited(second);
    } finally {
      worker = await startWorker(env, new LibCompetitionBundles(env.config.repoRoot), { kernels: { ...env.config.kernels, enabled: false } });
    }
  });

  it('a job that finds its model submission already ended tells the team if it was not told, and never twice', async () => {
    const [ended] = (await env.ds.query(`SELECT s.id FROM submissions s JOIN competitions c ON c.id = s.competition_id WHERE c.slug = $1 AND s.status = 'scored' AND s.kind = 'model' LIMIT 1`, [KIDNEY])) as { id: string }[];
    const link = `/competitions/${KIDNEY}/submissions/${ended!.id}`;
    const told = async () => Number(((await env.ds.query(`SELECT count(*) AS n FROM notifications WHERE link = $1`, [link])) as { n: string }[])[0]!.n);
    // As if the worker had stopped between recording the score and telling the team.
    await env.ds.query(`DELETE FROM notifications WHERE link = $1`, [link]);
    const queue = new Queue(QUEUES.models, { connection: { url: env.config.redisUrl }, prefix: env.config.queuePrefix });
    try {
      await queue.add(JOBS.model, { submissionId: ended!.id }, { jobId: `${ended!.id}-again-1` });
      await eventually(async () => ((await told()) === 1 ? true : undefined), { what: 'the team told of the end' });
      await queue.add(JOBS.model, { submissionId: ended!.id }, { jobId: `${ended!.id}-again-2` });
      await eventually(async () => ((await queue.getJob(`${ended!.id}-again-2`))?.finishedOn ? true : undefined), { what: 'the second job done' });
      assert.equal(await told(), 1, 'told once');
    } finally {
      await queue.close();
    }
  });

  it('after the close the private score of a model submission is revealed', async () => {
    const [scored] = (await env.ds.query(`SELECT s.id FROM submissions s JOIN competitions c ON c.id = s.competition_id WHERE c.slug = $1 AND s.status = 'scored' AND s.kind = 'model' LIMIT 1`, [KIDNEY])) as { id: string }[];
    assert.equal(((await student.get(`/api/submissions/${scored!.id}`)).body as SubmissionDetailDto).privateScore, null);
    assert.equal((await prof.post(`/api/competitions/${KIDNEY}/close`)).status, 200);
    const detail = await eventually(async () => {
      const d = (await student.get(`/api/submissions/${scored!.id}`)).body as SubmissionDetailDto;
      return d.privateScore !== null ? d : undefined;
    }, { what: 'the private score after the reveal' });
    assert.equal(typeof detail.privateScore, 'number');
  });
});
