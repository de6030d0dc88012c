import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { INestApplicationContext } from '@nestjs/common';
import { CHARGED_STATUSES_SQL, kernelChannels, kernelHostKeys, type KernelLogEvent } from '@holdout/db';
import { Redis } from 'ioredis';
import { Client, INVALID_SUBMISSION, createCompetitionWithData, createTestEnv, dataVisible, eventually, expectedScore, startApi, submissionCsv, type TestApi, type TestEnv } from '@holdout/api/testing';
import { QUEUES, type KernelRunDto, type NotificationsDto, type SubmissionDto, type SubmissionEventDto } from '@holdout/contracts';
import { Queue } from 'bullmq';
import Dockerode from 'dockerode';
import { readSse } from './sse.js';
import { startWorker } from '@holdout/worker/testing';
import { KernelFixtureBundles, notebook } from './kernel-fixtures.js';

// Real PostgreSQL, Redis, Docker engine and the slim runtime image (HOLDOUT_KERNEL_IMAGE).
process.env.HOLDOUT_KERNEL_IMAGE ??= 'holdout/kernel-runtime:slim';
const OWNER = `t-kernels-${randomBytes(3).toString('hex')}`;
process.env.HOLDOUT_KERNEL_OWNER = OWNER;
const docker = new Dockerode();
const ownContainers = () => docker.listContainers({ all: true, filters: { label: [`holdout.owner=${OWNER}`] } });

const TERMINAL = new Set(['scored', 'failed', 'cancelled', 'complete']);

/** Writes `csv` to /kaggle/working/submission.csv after `body` (Python). */
const py = (body: string, csv: string | null = submissionCsv(8, 8)) =>
  `${body}\n${csv === null ? '' : `open('/kaggle/working/submission.csv', 'w').write(${JSON.stringify(csv)})\n`}`;

/** Runs `body` only in the run over the hidden test data (Kaggle's rerun variable); the public run writes a valid file. */
const inHiddenRun = (body: string) =>
  `import os\nif os.environ.get('KAGGLE_IS_COMPETITION_RERUN'):\n${body.split('\n').map((l) => `    ${l}`).join('\n')}\nelse:\n    open('/kaggle/working/submission.csv', 'w').write(${JSON.stringify(submissionCsv(8, 8))})\n`;

describe('kernel submissions through the API and a real worker', () => {
  let env: TestEnv;
  let api: TestApi;
  let worker: INestApplicationContext;
  let prof: Client;
  let student: Client;
  let other: Client;

  const submit = (c: Client, slug: string, name: string, source: string, attach: Record<string, string> = {}, fields: Record<string, string> = {}) => {
    let r = c.post(`/api/competitions/${slug}/submissions`).field('kind', 'kernel');
    for (const [k, v] of Object.entries(fields)) r = r.field(k, v);
    r = r.attach('file', Buffer.from(source), name);
    for (const [n, v] of Object.entries(attach)) r = r.attach('attachments', Buffer.from(v), n);
    return r;
  };
  const row = async (id: string) => (await env.ds.query('SELECT * FROM submissions WHERE id = $1', [id]))[0] as Record<string, any>;
  const finished = (id: string, timeoutMs = 90_000) =>
    eventually(async () => {
      const r = await row(id);
      return TERMINAL.has(r.status) ? r : undefined;
    }, { timeoutMs, everyMs: 200, what: `submission ${id} to finish` });
  const charged = async (id: string) => Number((await env.ds.query(`SELECT count(*) AS n FROM submissions s WHERE s.id = $1 AND ${CHARGED_STATUSES_SQL}`, [id]))[0].n) === 1;
  /** A submission's runs: each attempt's public run, then its hidden run. */
  const runsOf = async (id: string) => (await env.ds.query(`SELECT * FROM kernel_runs WHERE submission_id = $1 ORDER BY attempt, phase = 'hidden'`, [id])) as Record<string, any>[];

  before(async () => {
    env = await createTestEnv('kernels');
    const bundles = new KernelFixtureBundles({
      kern: { timeLimitSeconds: 60 },
      kshort: { timeLimitSeconds: 3 },
      klogs: { showHiddenDataLogs: true },
      kgpu: { gpus: 1 },
      kfiles: { kinds: ['file'] },
      ksample: { publicSampleIds: ['p1'] },
      kbig: { cpus: 64, memoryBytes: 4 * 1024 ** 4, processes: 24 },
      kboth: { kinds: ['file', 'kernel'] },
      kfew: { publicRunsPerDay: 2 },
    });
    api = await startApi(env, bundles);
    prof = await Client.register(api.server, 'prof@example.com');
    const course = (await prof.post('/api/courses').send({ name: 'Kernels' })).body;
    for (const slug of ['kern', 'kshort', 'klogs', 'kgpu', 'kfiles', 'ksample', 'kbig', 'kboth', 'kfew']) {
      await createCompetitionWithData({ env, bundles, instructor: prof, courseId: course.id, bundle: slug, slug });
    }
    student = await Client.register(api.server, 'stu@example.com');
    other = await Client.register(api.server, 'other@example.com');
    for (const c of [student, other]) await c.post('/api/courses/join').send({ code: course.joinCode });
    await dataVisible(student, 'kern');
    worker = await startWorker(env, bundles);
  });

  after(async () => {
    await worker?.close();
    await api?.close();
    await env?.drop();
  });

  it('a .py kernel runs over the public data, then sees the hidden test images and its attached dataset (never the solution), streams its logs and ends scored', async () => {
    const marker = `marker-${randomBytes(4).toString('hex')}`;
    const source = py(`
import os, time
base = '/kaggle/input/kern'
test = sorted(os.listdir(base + '/test'))
run = 'hidden' if os.environ.get('KAGGLE_IS_COMPETITION_RERUN') == 'True' else 'public'
assert test == (['p1.png', 'p2.png', 'q1.png', 'q2.png'] if run == 'hidden' else ['p1.png']), test
found = [os.path.join(d, f) for d, _, fs in os.walk('/kaggle/input') for f in fs if f == 'solution.csv']
assert not found, found
assert open('/kaggle/input/weights/w.txt').read() == 'w=1'
time.sleep(2)
print('${marker}-' + run, flush=True)
`);
    const up = await submit(student, 'kern', 'my kernel.py', source, { 'w.txt': 'w=1' }, { dataset: 'weights' });
    assert.equal(up.status, 202, JSON.stringify(up.body));
    const id = (up.body as SubmissionDto).id;
    assert.equal(up.body.kind, 'kernel');
    assert.equal(up.body.status, 'queued');
    // The participant's stream carries the public run's log, and of the hidden run only its status
    // (this competition hides hidden-data logs)…
    const studentEvents = readSse<SubmissionEventDto>(api.server, `/api/submissions/${id}/events`, { cookie: student.cookie }, (e) => e.type === 'status' && TERMINAL.has(e.submission.status), 60_000);
    // …staff follow both live.
    const events = await readSse<SubmissionEventDto>(api.server, `/api/submissions/${id}/events`, { cookie: prof.cookie }, (e) => e.type === 'log' && e.line.includes(`${marker}-hidden`), 60_000);
    assert.ok(events.some((e) => e.type === 'status' && e.submission.status === 'running' && e.submission.run === 'public'));
    assert.ok(events.some((e) => e.type === 'status' && e.submission.status === 'running' && e.submission.run === 'hidden'));
    assert.deepEqual(events.filter((e) => e.type === 'log' && e.line.includes(marker)).map((e) => e.type === 'log' && [e.line, e.run]), [[`${marker}-public`, 'public'], [`${marker}-hidden`, 'hidden']]);
    const seenByStudent = await studentEvents;
    assert.ok(seenByStudent.some((e) => e.type === 'status' && e.submission.status === 'scored'));
    const studentLines = seenByStudent.flatMap((e) => (e.type === 'log' ? [e] : []));
    assert.ok(studentLines.some((e) => e.line === `${marker}-public` && e.run === 'public'), 'the team follows its public run');
    assert.deepEqual(studentLines.filter((e) => e.run !== 'public' || e.line.includes('hidden')), [], 'no line of the hidden run for the participant');
    const done = await finished(id);
    assert.equal(done.status, 'scored', JSON.stringify(done));
    assert.equal(done.public_score, expectedScore(8));
    const [publicRun, run, ...more] = await runsOf(id);
    assert.deepEqual([publicRun!.phase, publicRun!.outcome, run!.phase, more.length], ['public', 'succeeded', 'hidden', 0]);
    assert.equal(run!.outcome, 'succeeded');
    assert.equal(run!.step, 'done');
    assert.match(run!.image_digest, /^sha256:[0-9a-f]{64}$/);
    assert.ok(run!.duration_ms >= 2000, `duration ${run!.duration_ms}`);
    assert.ok(run!.peak_memory_bytes === null || run!.peak_memory_bytes > 0);
    assert.equal(run!.gpu, null);
    assert.equal(run!.queue, QUEUES.kernels);
    const log = await prof.get(`/api/submissions/${id}/log`);
    assert.equal(log.status, 200);
    assert.ok(log.text.includes(`${marker}-hidden`), log.text);
    // The participant sees only the result of a run over hidden data (the competition's setting)…
    const mine = await student.get(`/api/submissions/${id}/log`);
    assert.equal(mine.status, 200);
    assert.ok(!mine.text.includes(marker), mine.text);
    assert.match(mine.text, /not shown to participants/);
    assert.equal((await student.get(`/api/submissions/${id}/output?run=hidden`)).status, 403);
    // …and the whole public run: its log and its files.
    const publicLog = await student.get(`/api/submissions/${id}/log?run=public`);
    assert.ok(publicLog.text.includes(`${marker}-public`) && !publicLog.text.includes(`${marker}-hidden`), publicLog.text);
    const runs = (await student.get(`/api/submissions/${id}/runs`)).body as KernelRunDto[];
    assert.deepEqual(runs.map((r) => [r.phase, r.attempt, r.outcome, r.logVisible, r.files.map((f) => f.name)]), [
      ['public', 1, 'succeeded', true, ['submission.csv']],
      ['hidden', 1, 'succeeded', false, []],
    ]);
    const output = await student.get(`/api/submissions/${id}/output?run=public&name=submission.csv`);
    assert.equal(output.status, 200);
    assert.equal(output.text, submissionCsv(8, 8));
    assert.equal((await student.get(`/api/submissions/${id}/output?run=public&name=../kernel.log`)).status, 404, 'only names the run listed');
    // The team is told (the bell), with the score and no more.
    const told = await eventually(async () => ((await student.get('/api/notifications')).body as NotificationsDto).items.find((n) => n.link.endsWith(id)), { what: 'the notification' });
    assert.equal(told.kind, 'kernel-finished');
    assert.match(told.title, new RegExp(`^Your kernel my_kernel\\.py scored ${expectedScore(8).toFixed(4)} in `));
    assert.ok(!((await other.get('/api/notifications')).body as NotificationsDto).items.some((n) => n.link.endsWith(id)));
    // Other teams do not see it at all.
    assert.equal((await other.get(`/api/submissions/${id}/log`)).status, 404);
    assert.equal((await other.get(`/api/submissions/${id}/log?run=public`)).status, 404);
    assert.equal((await other.get(`/api/submissions/${id}/runs`)).status, 404);
    assert.equal((await other.post(`/api/submissions/${id}/cancel`)).status, 404);
  });

  it('?log=all: a late follower gets what the runs printed before it connected, then the new lines, each once', async () => {
    const marker = `late-${randomBytes(4).toString('hex')}`;
    // 16 lines a quarter of a second apart in each run (é: offsets are bytes), the last without its newline.
    const source = py(`
import os, sys, time
run = 'hidden' if os.environ.get('KAGGLE_IS_COMPETITION_RERUN') == 'True' else 'public'
for i in range(16):
    print('${marker}-' + run + '-é-' + str(i), flush=True)
    time.sleep(0.25)
sys.stdout.write('${marker}-' + run + '-end')
`);
    const up = await submit(student, 'kern', 'late.py', source);
    assert.equal(up.status, 202, JSON.stringify(up.body));
    const id = (up.body as SubmissionDto).id;
    assert.equal((await student.get(`/api/submissions/${id}/events?log=some`)).status, 400);
    // The participant connects once the public run has printed a few lines.
    await eventually(async () => (await student.get(`/api/submissions/${id}/log?run=public`)).text.includes(`${marker}-public-é-3`) || undefined, { what: 'the first lines', timeoutMs: 60_000 });
    const late = await readSse<SubmissionEventDto>(api.server, `/api/submissions/${id}/events?log=all`, { cookie: student.cookie }, (e) => e.type === 'status' && TERMINAL.has(e.submission.status), 90_000);
    const expected = (run: string) => [...Array.from({ length: 16 }, (_, i) => `${marker}-${run}-é-${i}`), `${marker}-${run}-end`];
    const lines = late.flatMap((e) => (e.type === 'log' && e.line.startsWith(marker) ? [e] : []));
    assert.deepEqual(lines.map((e) => e.line), expected('public'), 'every line of the public run once, in order; none of the hidden run (hidden here)');
    assert.ok(lines.every((e) => e.run === 'public' && e.attempt === 1));
    // Offsets: where each line starts in the run's log file.
    const file = (await student.get(`/api/submissions/${id}/log?run=public`)).text;
    assert.deepEqual(lines.map((e) => e.at), lines.map((e) => Buffer.byteLength(file.slice(0, file.indexOf(e.line)))));
    // After the end, staff replay both runs whole (the last line without its newline too), then the status.
    const after = await readSse<SubmissionEventDto>(api.server, `/api/submissions/${id}/events?log=all`, { cookie: prof.cookie }, (e) => e.type === 'status', 15_000);
    assert.deepEqual(after.map((e) => (e.type === 'log' ? e.line : e.type)).filter((l) => l === 'status' || l.startsWith(marker)), [...expected('public'), ...expected('hidden'), 'status']);
    // Without ?log=all, only new lines: none after the end.
    const plain = await readSse<SubmissionEventDto>(api.server, `/api/submissions/${id}/events`, { cookie: prof.cookie }, (e) => e.type === 'status', 15_000);
    assert.deepEqual(plain.filter((e) => e.type === 'log'), []);
    // A live batch reaching a follower that has read the file: what lies before the end of what it
    // read is not sent again, what lies past it is (a batch published while the file was read).
    const redis = new Redis(env.config.redisUrl);
    try {
      const end = Buffer.byteLength(file);
      const batch: KernelLogEvent = { type: 'kernel-log', submissionId: id, run: 'public', attempt: 1, lines: [`${marker}-again`, `${marker}-past`], at: [0, end] };
      const following = readSse<SubmissionEventDto>(api.server, `/api/submissions/${id}/events?log=all`, { cookie: prof.cookie }, (e) => e.type === 'log' && e.line === `${marker}-past`, 15_000);
      let done = false;
      void following.finally(() => (done = true));
      while (!done) {
        await redis.publish(kernelChannels.log(env.config.queuePrefix, id), JSON.stringify(batch));
        await new Promise((r) => setTimeout(r, 200));
      }
      const got = (await following).flatMap((e) => (e.type === 'log' && e.line.startsWith(marker) ? [e.line] : []));
      assert.deepEqual(got, [...expected('public'), ...expected('hidden'), `${marker}-past`]);
    } finally {
      redis.disconnect();
    }
  });

  it('the hidden run sees a sample file over the hidden test images, so the kernel that copies it scores', async () => {
    // The public sample lists the one public test image, as in the Sartorius-like competition.
    const listed = await student.get('/api/competitions/ksample/data/sample_submission.csv');
    assert.equal(listed.text, 'id,predicted\np1,\n');
    // The public run sees the public sample (its copy is valid for the public images); the hidden run, all four.
    const source = `
import os, shutil
sample = open('/kaggle/input/ksample/sample_submission.csv').read()
hidden = os.environ.get('KAGGLE_IS_COMPETITION_RERUN') == 'True'
assert sample == ('id,predicted\\np1,\\np2,\\nq1,\\nq2,\\n' if hidden else 'id,predicted\\np1,\\n'), repr(sample)
shutil.copy('/kaggle/input/ksample/sample_submission.csv', '/kaggle/working/submission.csv')
`;
    const up = await submit(student, 'ksample', 'copy_sample.py', source);
    assert.equal(up.status, 202, JSON.stringify(up.body));
    const done = await finished(up.body.id);
    assert.equal(done.status, 'scored', JSON.stringify(done));
    assert.equal(typeof done.public_score, 'number');
  });

  it('where the test images are public, the one run is the public run: the team reads its log, its output is scored', async () => {
    const up = await submit(student, 'kboth', 'all.py', py(`import os\nprint('public-only', sorted(os.listdir('/kaggle/input/kboth/test')), os.environ.get('KAGGLE_IS_COMPETITION_RERUN'), flush=True)`));
    assert.equal(up.status, 202, JSON.stringify(up.body));
    const done = await finished(up.body.id);
    assert.equal(done.status, 'scored', JSON.stringify(done));
    assert.equal(done.public_score, expectedScore(8));
    assert.deepEqual((await runsOf(up.body.id)).map((r) => [r.phase, r.outcome]), [['public', 'succeeded']]);
    const log = await student.get(`/api/submissions/${up.body.id}/log`);
    assert.match(log.text, /public-only \['p1\.png'\] None/);
  });

  it('runs without submitting: the public run only, its log and files to the team, never scored or charged', async () => {
    const quotaBefore = (await student.get('/api/competitions/kern')).body.viewer.submissionsToday;
    const source = py(`import os\nos.makedirs('/kaggle/working/plots', exist_ok=True)\nopen('/kaggle/working/plots/loss.txt', 'w').write('0.5')\nprint('trying-it', flush=True)`);
    const up = await submit(student, 'kern', 'try.py', source, {}, { runOnly: 'true' });
    assert.equal(up.status, 202, JSON.stringify(up.body));
    assert.equal((up.body as SubmissionDto).runOnly, true);
    assert.equal((up.body as SubmissionDto).charged, false);
    const done = await finished(up.body.id);
    assert.equal(done.status, 'complete', JSON.stringify(done));
    assert.deepEqual([done.public_score, done.solution_version_id, done.run_only], [null, null, true]);
    assert.deepEqual((await runsOf(up.body.id)).map((r) => [r.phase, r.outcome]), [['public', 'succeeded']], 'no hidden run');
    const runs = (await student.get(`/api/submissions/${up.body.id}/runs`)).body as KernelRunDto[];
    assert.deepEqual(runs[0]!.files, [
      { name: 'plots/loss.txt', size: 3 },
      { name: 'submission.csv', size: submissionCsv(8, 8).length },
    ]);
    const file = await student.get(`/api/submissions/${up.body.id}/output?run=public&name=plots/loss.txt`);
    assert.equal(file.status, 200);
    assert.equal(file.headers['content-type'], 'application/octet-stream');
    assert.match(file.headers['content-disposition']!, /^attachment; filename="?loss\.txt"?$/);
    assert.match((await student.get(`/api/submissions/${up.body.id}/log`)).text, /trying-it/);
    assert.equal((await other.get(`/api/submissions/${up.body.id}/runs`)).status, 404);
    assert.equal((await student.get('/api/competitions/kern')).body.viewer.submissionsToday, quotaBefore, 'not charged');
    assert.equal(await charged(up.body.id), false);
    const board = (await student.get('/api/competitions/kern/leaderboard')).body;
    assert.ok(!JSON.stringify(board).includes(up.body.id), 'never on a leaderboard');
    // An invalid file is named, still not charged; a file is never "run without submitting".
    const bad = await submit(student, 'kern', 'try-bad.py', py('print(1)', 'id,predicted\np1,1 2\n'), {}, { runOnly: 'true' });
    const refused = await finished(bad.body.id);
    assert.deepEqual([refused.status, refused.error_class, refused.run_only], ['failed', 'scoring-error', true]);
    assert.match(refused.error_message, /checked after the public run/);
    const notKernel = await student.post('/api/competitions/kfiles/submissions').field('runOnly', 'true').attach('file', Buffer.from(submissionCsv(8, 8)), 's.csv');
    assert.equal(notKernel.status, 400);
    assert.match(notKernel.body.error.message, /runOnly: only a kernel/);
  });

  it('public runs have their own daily limit; cancelled ones give theirs back', async () => {
    const sleeper = py('import time\ntime.sleep(30)');
    const a = await submit(other, 'kfew', 'a.py', py('print(1)'));
    const b = await submit(other, 'kfew', 'b.py', sleeper, {}, { runOnly: 'true' });
    assert.deepEqual([a.status, b.status], [202, 202]);
    const c = await submit(other, 'kfew', 'c.py', py('print(1)'));
    assert.equal(c.status, 429, JSON.stringify(c.body));
    assert.equal(c.body.error.code, 'quota_exceeded');
    assert.equal(c.body.error.details.budget, 'public-runs');
    assert.match(c.body.error.message, /all 2 public kernel runs for today/);
    assert.equal((await other.post(`/api/submissions/${b.body.id}/cancel`)).status, 200);
    const d = await submit(other, 'kfew', 'd.py', py('print(1)'));
    assert.equal(d.status, 202, JSON.stringify(d.body));
    for (const id of [a.body.id, d.body.id]) assert.equal((await finished(id)).status, 'scored');
    // The rules page says how both runs are charged.
    const rules = (await other.get('/api/competitions/kfew')).body.pages.rules as string;
    assert.match(rules, /fails in its public run is not charged/);
    assert.match(rules, /\*\*2 per day\*\*/);
  });

  it('a request larger than any worker is flagged to staff and clamped to the host; the process limit is the competition\'s', async () => {
    const policy = await eventually(async () => {
      const r = await prof.get('/api/competitions/kbig/kernel-policy');
      return r.body.warnings?.length > 0 && !/No kernel worker/.test(r.body.warnings[0]) ? r.body : undefined;
    }, { what: 'the worker to announce itself' });
    assert.deepEqual(policy.request, { cpus: 64, memoryBytes: 4 * 1024 ** 4, gpus: 0, processes: 24, timeLimitSeconds: 60, showHiddenDataLogs: false, publicRunsPerDay: 20 });
    assert.match(policy.warnings.join('\n'), /ask for 64 CPUs but the largest kernel worker has \d+: runs get \d+/);
    assert.match(policy.warnings.join('\n'), /ask for 4096 GB of memory but the largest kernel worker can give [\d.]+ GB: runs are limited to that/);
    const fitting = await prof.get('/api/competitions/kern/kernel-policy');
    assert.deepEqual(fitting.body.warnings, [], 'a request the worker gives draws no warning');
    // A run of the oversize request is not left to the engine: it gets the host's CPUs and runs.
    const clamped = await submit(student, 'kbig', 'big.py', py(`
import os
if os.path.exists('/sys/fs/cgroup/cpu.max'):
    quota, period = open('/sys/fs/cgroup/cpu.max').read().split()
else:
    quota, period = open('/sys/fs/cgroup/cpu/cpu.cfs_quota_us').read().strip(), open('/sys/fs/cgroup/cpu/cpu.cfs_period_us').read().strip()
print('cpu quota', quota, period, 'host cpus', os.cpu_count(), flush=True)
assert quota not in ('max', '-1') and int(quota) / int(period) <= os.cpu_count(), (quota, period)
`));
    assert.equal(clamped.status, 202, JSON.stringify(clamped.body));
    const clampedDone = await finished(clamped.body.id);
    assert.equal(clampedDone.status, 'scored', JSON.stringify(clampedDone));
    // The instructor brings the request within the worker: the warnings go.
    const edited = await prof.agent.patch('/api/competitions/kbig').set('x-csrf-token', prof.csrf).send({ kernel: { cpus: 1, memoryBytes: 512 * 1024 ** 2 } });
    assert.equal(edited.status, 200, edited.text);
    const now = (await prof.get('/api/competitions/kbig/kernel-policy')).body;
    assert.deepEqual([now.request.cpus, now.request.memoryBytes, now.request.processes], [1, 512 * 1024 ** 2, 24]);
    assert.deepEqual(now.warnings, []);
    const source = py(`
import os
limit = None
for p in ('/sys/fs/cgroup/pids.max', '/sys/fs/cgroup/pids/pids.max'):
    if os.path.exists(p):
        limit = open(p).read().strip()
        break
assert limit == '24', limit
`);
    const up = await submit(student, 'kbig', 'limits.py', source);
    assert.equal(up.status, 202, JSON.stringify(up.body));
    const done = await finished(up.body.id);
    assert.equal(done.status, 'scored', JSON.stringify(done));
  });

  it('an .ipynb kernel ends scored', async () => {
    const nb = notebook('import os\nprint(sorted(os.listdir("/kaggle/input/kern/test")))', `open('/kaggle/working/submission.csv', 'w').write(${JSON.stringify(submissionCsv(6, 8))})`);
    const up = await submit(student, 'kern', 'solution.ipynb', nb);
    assert.equal(up.status, 202, JSON.stringify(up.body));
    const done = await finished(up.body.id);
    assert.equal(done.status, 'scored', JSON.stringify(done));
    assert.equal(done.public_score, expectedScore(6));
  });

  it('refuses what is not a kernel: extension, broken notebook, empty file, kernel kind not allowed', async () => {
    const bad = await submit(student, 'kern', 'kernel.txt', 'print(1)');
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /\.py script or an \.ipynb notebook/);
    const nb = await submit(student, 'kern', 'k.ipynb', '{"cells": [');
    assert.equal(nb.status, 400);
    assert.match(nb.body.error.message, /not a valid notebook/);
    const noCells = await submit(student, 'kern', 'k.ipynb', '{"nbformat": 4}');
    assert.equal(noCells.status, 400);
    assert.equal((await submit(student, 'kern', 'k.py', '')).status, 400);
    const files = await submit(student, 'kfiles', 'k.py', 'print(1)');
    assert.equal(files.status, 409);
    assert.equal(files.body.error.code, 'submission_kind_not_allowed');
    const r: { n: string }[] = await env.ds.query(`SELECT count(*) AS n FROM submissions WHERE file_name LIKE '%k.%' OR file_name LIKE '%kernel.txt'`);
    assert.equal(Number(r[0]!.n), 0, 'refused uploads leave no submission');
  });

  const failureCases: [string, string, string, string, RegExp][] = [
    ['timeout', 'kshort', 'import time\ntime.sleep(30)', 'timeout', /time limit/],
    ['oom', 'kern', 'x = bytearray(2 * 1024 ** 3)\nx[::4096] = b"1" * len(x[::4096])', 'oom', /memory limit/],
    ['exception', 'kern', 'print("secret-trace")\nraise ValueError("boom")', 'exception', /threw an exception/],
    ['no-submission-file', 'kern', 'print("forgot to write it")\nimport sys\nsys.exit(0)', 'no-submission-file', /no \/kaggle\/working\/submission.csv/],
  ];
  for (const [name, slug, body, cls, message] of failureCases) {
    it(`fails in the hidden run with class ${name}, charged to the daily quota`, async () => {
      const up = await submit(student, slug, `${name}.py`, inHiddenRun(body));
      assert.equal(up.status, 202, JSON.stringify(up.body));
      const done = await finished(up.body.id);
      assert.equal(done.status, 'failed');
      assert.equal(done.error_class, cls);
      assert.match(done.error_message, message);
      const dto = (await student.get(`/api/submissions/${up.body.id}`)).body as SubmissionDto;
      assert.equal(dto.error?.class, cls);
      assert.equal(done.run_phase, 'hidden');
      assert.equal(dto.charged, true);
      assert.ok(await charged(up.body.id), 'a kernel failure of the participant counts against the daily quota');
      if (name === 'exception') {
        // No log tail for participants here (hidden-data logs are not shown), the full log for staff.
        assert.ok(!done.error_message.includes('secret-trace'));
        const log = await prof.get(`/api/submissions/${up.body.id}/log`);
        assert.ok(log.text.includes('secret-trace') && log.text.includes('ValueError: boom'), log.text);
      }
    });
  }

  it('fails in the public run: not charged, no hidden run, and the team reads the whole log', async () => {
    const up = await submit(student, 'kern', 'early.py', 'import sys\nprint("public-trace", file=sys.stderr)\nraise ValueError("early")\n');
    const done = await finished(up.body.id);
    assert.deepEqual([done.status, done.error_class, done.run_phase], ['failed', 'exception', 'public']);
    assert.match(done.error_message, /In the public run .*not charged/);
    assert.match(done.error_message, /ValueError: early/, 'the log tail: the team may read its public run');
    assert.equal(await charged(up.body.id), false);
    assert.equal(((await student.get(`/api/submissions/${up.body.id}`)).body as SubmissionDto).charged, false);
    assert.deepEqual((await runsOf(up.body.id)).map((r) => r.phase), ['public']);
    const log = await student.get(`/api/submissions/${up.body.id}/log`);
    assert.ok(log.text.includes('public-trace') && log.text.includes('ValueError: early'), log.text);
  });

  it('exception shows the log tail where the competition shows hidden-data logs', async () => {
    // Both lines on stderr: Docker may deliver stdout and stderr frames out of order, which once
    // split the traceback's last line around the printed marker.
    const up = await submit(student, 'klogs', 'e.py', inHiddenRun('import sys\nprint("visible-trace", file=sys.stderr)\nraise RuntimeError("kaboom")'));
    const done = await finished(up.body.id);
    assert.equal(done.error_class, 'exception');
    assert.equal(done.run_phase, 'hidden');
    assert.match(done.error_message, /RuntimeError: kaboom/);
    const log = await student.get(`/api/submissions/${up.body.id}/log`);
    assert.ok(log.text.includes('visible-trace'), log.text);
  });

  it('a submission.csv the scorer rejects fails as scoring-error with the scorer message, not charged', async () => {
    const up = await submit(student, 'kern', 'bad.py', py('print(1)', INVALID_SUBMISSION));
    const done = await finished(up.body.id);
    assert.equal(done.status, 'failed');
    assert.equal(done.error_class, 'scoring-error');
    assert.match(done.error_message, /rejected: .*row|sorted|runs/i);
    assert.equal(done.error_row, 2);
    assert.equal(await charged(up.body.id), false);
    // The public run's file was checked first: no hidden run was started for it.
    assert.deepEqual((await runsOf(up.body.id)).map((r) => r.phase), ['public']);
  });

  it('cancels a queued and a running kernel (owner and instructor); nothing left behind, not charged', async () => {
    const sleeper = py('import time\nprint("sleeping", flush=True)\ntime.sleep(50)');
    const running = (await submit(student, 'kern', 'long.py', sleeper)).body as SubmissionDto;
    await eventually(async () => ((await row(running.id)).status === 'running' && (await ownContainers()).length > 0 ? true : undefined), { timeoutMs: 30_000, what: 'the kernel to run' });
    const queued = (await submit(student, 'kern', 'next.py', sleeper)).body as SubmissionDto;
    assert.equal((await row(queued.id)).status, 'queued', 'concurrency 1: the second one waits');
    const c1 = await student.post(`/api/submissions/${queued.id}/cancel`);
    assert.equal(c1.status, 200, JSON.stringify(c1.body));
    assert.equal(c1.body.status, 'cancelled');
    const t0 = Date.now();
    const c2 = await prof.post(`/api/submissions/${running.id}/cancel`);
    assert.equal(c2.status, 200, JSON.stringify(c2.body));
    await eventually(async () => ((await ownContainers()).length === 0 ? true : undefined), { timeoutMs: 20_000, what: 'the sandbox to be removed' });
    assert.ok(Date.now() - t0 < 20_000);
    const [run] = await eventually(async () => {
      const r = await runsOf(running.id);
      return r[0]?.outcome ? r : undefined;
    }, { what: 'the run to record its outcome' });
    assert.equal(run!.outcome, 'cancelled');
    assert.equal((await row(running.id)).status, 'cancelled');
    assert.equal((await row(queued.id)).status, 'cancelled');
    assert.equal((await runsOf(queued.id)).length, 0, 'the queued one never ran');
    const again = await student.post(`/api/submissions/${running.id}/cancel`);
    assert.equal(again.status, 409);
    const charged: { n: string }[] = await env.ds.query(
      `SELECT count(*) AS n FROM submissions s WHERE s.id = ANY($1) AND (s.status IN ('queued','running','scoring','scored') OR (s.status = 'failed' AND s.error_class IN ('timeout','oom','exception','no-submission-file')))`,
      [[running.id, queued.id]],
    );
    assert.equal(Number(charged[0]!.n), 0);
    // The worker goes on serving.
    const next = await submit(student, 'kern', 'after.py', py('print(1)'));
    assert.equal((await finished(next.body.id)).status, 'scored');
  });

  it('GPU kernels wait in kernels-gpu, which a CPU-only worker leaves alone; CPU fallback and the weekly GPU budget', async () => {
    // With no GPU worker online a GPU kernel is refused (kernels-gpu.int-spec); here one is
    // announced (as a busy GPU host would be) but takes no jobs.
    const gpuQueue = new Queue(QUEUES.kernelsGpu, { connection: { url: env.config.redisUrl }, prefix: env.config.queuePrefix });
    const redis = new Redis(env.config.redisUrl);
    await redis.set(kernelHostKeys.one(env.config.queuePrefix, 'gpu-host'), JSON.stringify({ owner: 'gpu-host', cpus: 8, memoryBytes: 32 * 1024 ** 3, gpus: 1 }), 'EX', 600);
    await redis.quit();
    const up = await submit(student, 'kgpu', 'gpu.py', py('print(1)'));
    assert.equal(up.status, 202, JSON.stringify(up.body));
    try {
      assert.equal(await (await gpuQueue.getJob(up.body.id))?.getState(), 'waiting');
      await new Promise((r) => setTimeout(r, 4000));
      assert.equal((await row(up.body.id)).status, 'queued', 'a CPU-only worker never takes a GPU job');
      assert.equal(await (await gpuQueue.getJob(up.body.id))?.getState(), 'waiting');
      assert.equal((await runsOf(up.body.id)).length, 0);
    } finally {
      await gpuQueue.close();
    }
    // Budget: two GPU hours already used this week by this team (a finished GPU run).
    await env.ds.query(
      `INSERT INTO kernel_runs (submission_id, attempt, step, gpu, outcome, duration_ms, started_at, finished_at) VALUES ($1, 9, 'done', '0', 'succeeded', $2, now() - interval '1 minute', now())`,
      [up.body.id, 2 * 3600_000],
    );
    const policy = await student.get('/api/competitions/kgpu/kernel-policy');
    assert.equal(policy.body.gpuHoursPerWeek, 30);
    assert.ok(Math.abs(policy.body.usedGpuHours - 2) < 0.01, JSON.stringify(policy.body));
    assert.equal((await student.put('/api/competitions/kgpu/kernel-policy').send({ gpuHoursPerWeek: 1 })).status, 403);
    assert.equal((await prof.put('/api/competitions/kgpu/kernel-policy').send({ gpuHoursPerWeek: 1 })).status, 200);
    const refused = await submit(student, 'kgpu', 'gpu2.py', py('print(1)'));
    assert.equal(refused.status, 429, JSON.stringify(refused.body));
    assert.equal(refused.body.error.code, 'quota_exceeded');
    assert.equal(refused.body.error.details.budget, 'gpu-hours');
    // Another team has its own budget.
    assert.equal((await submit(other, 'kgpu', 'gpu3.py', py('print(1)'))).status, 202);
    // CPU fallback for the course: GPU kernels now run on CPU workers, outside the GPU budget.
    const course: { course_id: string }[] = await env.ds.query(`SELECT course_id FROM competitions WHERE slug = 'kgpu'`);
    assert.equal((await prof.put(`/api/courses/${course[0]!.course_id}/kernel-policy`).send({ cpuFallback: true })).status, 200);
    const fallback = await submit(student, 'kgpu', 'gpu4.py', py('print(1)'));
    assert.equal(fallback.status, 202, JSON.stringify(fallback.body));
    const done = await finished(fallback.body.id);
    assert.equal(done.status, 'scored');
    const [run] = await runsOf(fallback.body.id);
    assert.equal(run!.queue, QUEUES.kernels);
    assert.equal(run!.gpu, null);
    // Clean up the waiting GPU jobs for the next test.
    for (const c of [student, other]) {
      const mine = (await c.get('/api/competitions/kgpu/submissions')).body as SubmissionDto[];
      for (const s of mine.filter((x) => x.status === 'queued')) assert.equal((await c.post(`/api/submissions/${s.id}/cancel`)).status, 200);
    }
  });

  it('queued GPU kernels hold their time limits against the budget until they end, so a team cannot queue past it', async () => {
    const redis = new Redis(env.config.redisUrl);
    await redis.set(kernelHostKeys.one(env.config.queuePrefix, 'gpu-host'), JSON.stringify({ owner: 'gpu-host', cpus: 8, memoryBytes: 32 * 1024 ** 3, gpus: 1 }), 'EX', 600);
    await redis.quit();
    const course: { course_id: string }[] = await env.ds.query(`SELECT course_id FROM competitions WHERE slug = 'kgpu'`);
    assert.equal((await prof.put(`/api/courses/${course[0]!.course_id}/kernel-policy`).send({ cpuFallback: false })).status, 200);
    // kgpu's kernels run at most 60 s, twice (public and hidden run): each queued one holds 120 s.
    assert.equal((await prof.put('/api/competitions/kgpu/kernel-policy').send({ gpuHoursPerWeek: 0.05 })).status, 200);
    assert.equal((await other.get('/api/competitions/kgpu/kernel-policy')).body.usedGpuHours ?? 0, 0, 'this team has used no GPU time');
    const a = await submit(other, 'kgpu', 'a.py', py('print(1)'));
    assert.equal(a.status, 202, JSON.stringify(a.body));
    const b = await submit(other, 'kgpu', 'b.py', py('print(1)'));
    assert.equal(b.status, 202, 'used 0 + held 120 s is under 180 s');
    const c = await submit(other, 'kgpu', 'c.py', py('print(1)'));
    assert.equal(c.status, 429, JSON.stringify(c.body));
    assert.equal(c.body.error.details.budget, 'gpu-hours');
    assert.ok(Math.abs(c.body.error.details.reservedHours - 240 / 3600) < 1e-6, JSON.stringify(c.body.error.details));
    assert.match(c.body.error.message, /its GPU kernels still queued or running may use 0\.1 more \(held until they end\)/);
    // A cancelled kernel releases what it held.
    assert.equal((await other.post(`/api/submissions/${a.body.id}/cancel`)).status, 200);
    const d = await submit(other, 'kgpu', 'd.py', py('print(1)'));
    assert.equal(d.status, 202, JSON.stringify(d.body));
    for (const id of [b.body.id, d.body.id]) assert.equal((await other.post(`/api/submissions/${id}/cancel`)).status, 200);
    assert.equal((await prof.put('/api/competitions/kgpu/kernel-policy').send({ gpuHoursPerWeek: null })).status, 200);
  });

  it('an instructor runs again a kernel that failed on our side: a fresh set of attempts, then scored', async () => {
    const up = await submit(student, 'kern', 'again.py', py('print(1)'));
    assert.equal(up.status, 202, up.text);
    assert.equal((await finished(up.body.id)).status, 'scored');
    // As the worker leaves a kernel whose runs were lost three times (not charged).
    await env.ds.query(
      `UPDATE submissions SET status = 'failed', error_class = 'infrastructure', error_code = 'lost', error_message = 'its worker kept stopping', public_score = NULL, private_score = NULL, attempts = 3 WHERE id = $1`,
      [up.body.id],
    );
    assert.equal((await student.post(`/api/submissions/${up.body.id}/retry`)).status, 403);
    assert.equal((await other.post(`/api/submissions/${up.body.id}/retry`)).status, 404);
    const again = await prof.post(`/api/submissions/${up.body.id}/retry`);
    assert.equal(again.status, 200, again.text);
    // Read after the hand-off to the queue: the worker may have taken it already.
    assert.ok(['queued', 'running'].includes(again.body.status), again.body.status);
    assert.equal(again.body.error, null);
    const r = await finished(up.body.id);
    assert.deepEqual([r.status, r.attempts, r.retries, r.error_class], ['scored', 4, 1, null]);
    const audit = await env.ds.query(`SELECT actor_id FROM audit_events WHERE action = 'submission.retry' AND subject_id = $1`, [up.body.id]);
    assert.equal(audit.length, 1);
    // Only a failure of ours: a scored kernel (or one that failed by its own doing) is final.
    const refused = await prof.post(`/api/submissions/${up.body.id}/retry`);
    assert.equal(refused.status, 409);
    assert.match(refused.body.error.message, /only a kernel that failed on our side/);
  });

  it('leaves no sandbox of its own behind', async () => {
    assert.deepEqual(await ownContainers(), []);
  });
});

