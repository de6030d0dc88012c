// Reliability under a deadline rush, and under faults during one (issue 17). The real API and
// worker as their own processes on the bench's own PostgreSQL and Redis; N simulated students
// over loopback in the last hour of a competition compressed into minutes, the close passing
// during the run. Prints one JSON line per run on stdout (progress on stderr):
//
//   node bench/reliability/run.mjs [--students 200] [--seconds 150] [--faults all|none|worker-kill,redis-loss,postgres-restart,clock,model-worker-kill,docker-restart,disk-full,kernel-worker-kill]
//                                  [--fault-students 40] [--fault-seconds 60] [--only-faults] [--model-students 4]
//
// A few students (--model-students) also submit small ONNX models (kind `model`) to the same
// competition, which declares a model pipeline.
//
// Each run checks: no accepted upload lost; every accepted submission scored or failed with a
// reason, exactly once, as its file deserves; quotas exact; uploads after the close late, never
// ranked; the reveal after every on-time submission finished, the first private board anyone is
// served equal to the final one. Needs `npx tsc -b apps/api apps/worker`. See README.md here.
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { benchServices } from './services.mjs';

const { values: o } = parseArgs({
  options: {
    students: { type: 'string', default: process.env.RELIABILITY_STUDENTS ?? '200' },
    seconds: { type: 'string', default: process.env.RELIABILITY_SECONDS ?? '150' },
    faults: { type: 'string', default: process.env.RELIABILITY_FAULTS ?? 'all' },
    'fault-students': { type: 'string', default: process.env.RELIABILITY_FAULT_STUDENTS ?? '40' },
    'fault-seconds': { type: 'string', default: process.env.RELIABILITY_FAULT_SECONDS ?? '60' },
    'only-faults': { type: 'boolean', default: false },
    'scoring-ms': { type: 'string', default: '150' },
    daily: { type: 'string', default: '5' },
    'kernel-students': { type: 'string', default: process.env.RELIABILITY_KERNEL_STUDENTS ?? '6' },
    'kernel-image': { type: 'string', default: process.env.HOLDOUT_KERNEL_IMAGE ?? 'holdout/kernel-runtime:slim' },
    'kernel-time-limit': { type: 'string', default: '20' },
    'model-students': { type: 'string', default: process.env.RELIABILITY_MODEL_STUDENTS ?? '4' },
    'models-each': { type: 'string', default: '2' },
  },
});
// The faults with kernels in their rush (a few students submitting small kernels, as issue 17 asks).
const KERNEL_FAULTS = ['docker-restart', 'disk-full', 'kernel-worker-kill'];
const FAULTS = ['worker-kill', 'redis-loss', 'postgres-restart', 'clock', 'model-worker-kill', ...KERNEL_FAULTS];
// `all`: the faults without kernels (the kernel faults need root and restart the machine's Docker engine: named, or `kernels` for the three).
const faults = o.faults === 'none' ? [] : o.faults === 'all' ? FAULTS.filter((f) => !KERNEL_FAULTS.includes(f)) : o.faults.split(',').flatMap((f) => (f === 'kernels' ? KERNEL_FAULTS : [f]));
for (const f of faults) if (!FAULTS.includes(f)) throw new Error(`unknown fault '${f}' (${FAULTS.join(', ')})`);

const DAY = 86_400_000;
const SETTLE_MS = 5000; // the reveal's settling time after the close (apps/worker maintenance.service.ts)
// Worker settings of the bench: shorter than the defaults (lock 30 s, stuck after 300 s,
// reconcile every 60 s) so that recoveries fit in a run; reported with every result.
// Model runs: one at a time (the default), on one onnxruntime thread (the machine is shared).
const WORKER = { HOLDOUT_JOB_LOCK_S: '10', HOLDOUT_STUCK_AFTER_S: '15', HOLDOUT_RECONCILE_EVERY_S: '5', HOLDOUT_SCORING_CONCURRENCY: '2', HOLDOUT_TEST_SCORING_DELAY_MS: o['scoring-ms'], HOLDOUT_MODEL_CONCURRENCY: '1', HOLDOUT_MODEL_THREADS: '1' };
const SLOW_MS = 2000;

const log = (msg) => process.stderr.write(`[reliability] ${msg}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
const withTimeout = (p, ms) => Promise.race([p, new Promise((_, rej) => setTimeout(() => rej(new Error('timeout')), ms))]);

const root = join(import.meta.dirname, '..', '..');
const services = benchServices(root);
log(`own PostgreSQL and Redis under ${services.home}`);
services.up();
// Whatever happens, stop what this run started: its processes (by their ids) and its services.
const children = new Set();
const fatal = (err) => {
  log(`fatal: ${err?.stack ?? err}`);
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  services.down();
  process.exit(1);
};
process.on('uncaughtException', fatal);
process.on('SIGINT', () => fatal(new Error('interrupted')));
process.on('SIGTERM', () => fatal(new Error('terminated')));
process.env.DATABASE_URL = services.databaseUrl;
process.env.REDIS_URL = services.redisUrl;
// After the URLs are set: the test env reads them when loaded.
const { Competition, provisionCompetitionData, JOBS } = await import('@holdout/db');
const { QUEUES } = await import('@holdout/contracts');
const fixture = await import('@holdout/api/testing');
const { Queue } = await import('bullmq');
const { childEnv, line, OUT } = await import('../api/common.mjs');
const { Recorder, enrol, actAsStudent } = await import('./students.mjs');
const { judge, percentile } = await import('./checks.mjs');
const kernels = await import('./kernels.mjs');
const models = await import('./models.mjs');

const runs = [
  ...(o['only-faults'] ? [] : [{ name: 'rush', students: Number(o.students), seconds: Number(o.seconds), fault: null }]),
  ...faults.map((f) => ({ name: f, students: Number(o[KERNEL_FAULTS.includes(f) ? 'kernel-students' : 'fault-students']), seconds: Number(o['fault-seconds']), fault: f, kernels: KERNEL_FAULTS.includes(f) })),
];

let failed = false;
try {
  for (const run of runs) {
    const result = await scenario(run);
    // After the run's clean-up, which adds to its checks (nothingLeft).
    log(`${run.name}: ${result.pass ? 'PASS' : 'FAIL'} ${Object.entries(result.checks).map(([k, v]) => `${k}=${v.pass ? 'ok' : 'FAIL'}`).join(' ')}`);
    line(result);
    if (!result.pass) failed = true;
  }
} finally {
  services.down();
}
process.exitCode = failed ? 1 : 0;

async function scenario(run) {
  log(`${run.name}: ${run.students} students, ${run.seconds} s${run.fault ? `, fault: ${run.fault}` : ''}`);
  const env = await fixture.createTestEnv(`rel_${run.name.replace(/\W/g, '_')}`);
  // Kernel runs: the data directory (artifacts, competition data, kernel scratch) on a small
  // tmpfs of its own, which the disk fault fills; unmounted at the end.
  const disk = run.kernels ? env.config.dataDir : null;
  if (disk) kernels.mountSmallDisk(disk);
  const kernelEnv = run.kernels ? { HOLDOUT_KERNELS: 'on', HOLDOUT_KERNEL_IMAGE: o['kernel-image'], HOLDOUT_KERNEL_OWNER: `rel-${env.name}`, HOLDOUT_KERNEL_CONCURRENCY: '2' } : { HOLDOUT_KERNELS: 'off' };
  const port = 5000 + Math.floor(Math.random() * 900);
  const base = `http://127.0.0.1:${port}`;
  // A class signing up at once from one address (loopback): the sign-up limit per address is
  // raised as the configuration table says to for a class behind one NAT address. The upload
  // limit per account keeps its default.
  const apiEnv = childEnv(env, { PORT: String(port), ...kernelEnv, HOLDOUT_AUTH_REQUESTS_PER_MINUTE: '100000' });
  const workerEnv = childEnv(env, { ...kernelEnv, HOLDOUT_LOG_LEVEL: 'info', ...WORKER });
  const crashes = [];
  const workerLog = `reliability-${run.name}-worker.log`;
  const apiReady = async () => (await fetch(`${base}/api/ready`)).ok;
  const workerReady = async (since) => readFileSync(join(OUT, workerLog), 'utf8').split('\n').slice(since).some((l) => l.includes('"worker started"'));
  let api;
  let worker;
  const connection = { url: services.redisUrl, maxRetriesPerRequest: null };
  const scoring = new Queue(QUEUES.scoring, { connection, prefix: env.config.queuePrefix });
  const maintenance = new Queue(QUEUES.maintenance, { connection, prefix: env.config.queuePrefix });
  scoring.on('error', () => undefined);
  maintenance.on('error', () => undefined);
  let result;
  try {
    api = await supervise('api', 'apps/api/dist/main.js', apiEnv, `reliability-${run.name}-api.log`, apiReady, crashes);
    worker = await supervise('worker', 'apps/worker/dist/main.js', workerEnv, workerLog, workerReady, crashes);

    // The course and its competition (the fixture bundle: a tiny Dice task, scored in milliseconds
    // plus the simulated scoring time), inserted as the API would create it.
    const rec = new Recorder(Date.now());
    const reg = await fetch(`${base}/api/auth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'prof@bench.example.com', password: 'benchmark password', displayName: 'Prof' }) });
    const prof = await reg.json();
    const profAuth = { cookie: reg.headers.getSetCookie().map((c) => c.split(';')[0]).join('; '), 'x-csrf-token': prof.csrfToken };
    const course = await (await fetch(`${base}/api/courses`, { method: 'POST', headers: { 'content-type': 'application/json', ...profAuth }, body: JSON.stringify({ name: 'Reliability' }) })).json();
    // Kernel runs: a kernel-only copy; the others take files and models (a model pipeline declared).
    const bundles = run.kernels
      ? kernels.kernelBundles(fixture, { daily: Number(o.daily), image: o['kernel-image'], timeLimitSeconds: Number(o['kernel-time-limit']) })
      : models.modelBundles(fixture, { daily: Number(o.daily) });
    const b = await bundles.load('fixture');
    const repo = env.ds.getRepository(Competition);
    const c = await repo.save(repo.create({ ...b, slug: 'rush', courseId: course.id, visibility: 'course', dataDir: null, publicDir: null, dataStatus: 'pending', currentSolutionVersionId: null, revealedAt: null, createdById: prof.user.id }));
    await provisionCompetitionData(env.ds, bundles, c.id, env.config.dataDir);
    const withModels = !run.kernels && Number(o['model-students']) > 0;
    const expect = withModels ? await models.expectations(env.ds, c.id) : null;

    const t0 = Date.now();
    const students = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < run.students) {
          const i = next++;
          students.push(await enrol(rec, base, i, course.joinCode, run.name));
          if (students.length % 50 === 0) log(`${run.name}: ${students.length} students signed up`);
        }
      }),
    );
    students.sort((a, b) => a.i - b.i);
    const enrolS = (Date.now() - t0) / 1000;

    // The last hour, compressed: the close at 70 % of the run; the reveal job as the API schedules it.
    const startAt = Date.now() + 2500; // past the API's competition cache
    const endAt = startAt + run.seconds * 1000;
    const close = { t: startAt + Math.round(run.seconds * 700) };
    await env.ds.query('UPDATE competitions SET closes_at = $2 WHERE id = $1', [c.id, new Date(close.t)]);
    await maintenance.add(JOBS.reveal, { competitionId: c.id }, { jobId: `reveal_${c.id}_${close.t}`, delay: close.t - Date.now(), removeOnComplete: true, removeOnFail: 100, attempts: 5, backoff: { type: 'exponential', delay: 2000 } });
    await sleep(startAt - Date.now());
    log(`${run.name}: rush started; close in ${Math.round((close.t - Date.now()) / 1000)} s`);

    // Queue depth over time: BullMQ's counts and the database's unfinished submissions.
    const samples = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const t = Date.now();
        const q = await withTimeout(scoring.getJobCounts('waiting', 'prioritized', 'active', 'delayed'), 900).catch(() => null);
        const d = await withTimeout(env.ds.query(`SELECT count(*) FILTER (WHERE status = 'queued')::int AS queued, count(*) FILTER (WHERE status IN ('running', 'scoring'))::int AS scoring FROM submissions WHERE competition_id = $1`, [c.id]), 900).catch(() => null);
        samples.push([Math.round((t - startAt) / 100) / 10, q ? q.waiting + q.prioritized + q.delayed : null, q ? q.active : null, d ? d[0].queued : null, d ? d[0].scoring : null]);
        await sleep(1000 - (Date.now() - t));
      }
    })();

    // One observer reads the private board from the close until it is revealed: the first
    // revealed board anyone could be served.
    const observer = { ...students[0], uploads: [], firstRevealed: null, i: -1 };
    const observing = (async () => {
      await sleep(close.t - Date.now());
      const until = Date.now() + 10 * 60_000;
      while (!observer.firstRevealed && Date.now() < until) {
        const sent = Date.now();
        const r = await fetch(`${base}/api/competitions/rush/leaderboard?split=private`, { headers: { cookie: observer.cookie }, signal: AbortSignal.timeout(10_000) }).then(async (res) => ({ status: res.status, body: res.ok ? await res.json() : null })).catch(() => ({ status: 0, body: null }));
        if (r.body?.revealed) observer.firstRevealed = { at: sent, entries: r.body.entries.map((e) => ({ teamId: e.teamId, submissionId: e.submissionId, score: e.score, rank: e.rank })) };
        await sleep(250);
      }
    })();

    const faultPlan = run.fault ? injectFault(run, { env, c, close, startAt, endAt, services, worker, disk }) : Promise.resolve(null);

    // Model students (the first --model-students): a couple of models each; in the model fault's
    // run each keeps one for a burst just before the fault, so that models are running when it strikes.
    const modelOpts = withModels ? { students: Number(o['model-students']), each: Number(o['models-each']), burstAt: run.fault === 'model-worker-kill' ? startAt + run.seconds * 560 : null, pick: models.pickModel, expect } : null;
    const opts = { kernels: run.kernels ? kernels : null, models: modelOpts, rec, base, slug: 'rush', fixture, startAt, endAt, closesAt: () => close.t, thinkMaxMs: Math.min(20_000, Math.max(3000, (run.seconds * 1000) / 8)), thinkMinMs: 1000, afterCloseThinkMs: 4000, invalidShare: 0.15, watchers: 0.3, lingerMs: 30_000 };
    await Promise.all(students.map((s) => actAsStudent(s, opts)));
    const fault = await faultPlan;
    log(`${run.name}: rush over; waiting for every submission to finish and for the reveal`);

    // Drain: every submission finished, the reveal done.
    const drainStart = Date.now();
    let drained = false;
    while (Date.now() - drainStart < 300_000) {
      const [r] = await env.ds.query(`SELECT count(*) FILTER (WHERE status IN ('queued', 'running', 'scoring'))::int AS n, bool_or(c.revealed_at IS NOT NULL) AS revealed FROM competitions c LEFT JOIN submissions s ON s.competition_id = c.id WHERE c.id = $1`, [c.id]).catch(() => [{ n: -1, revealed: false }]);
      if (r.n === 0 && r.revealed && observer.firstRevealed) {
        drained = true;
        break;
      }
      await sleep(500);
    }
    const drainS = (Date.now() - drainStart) / 1000;
    // Kernel runs: once everything finished, no container of this run's pool is left (a removal may lag the status by a moment).
    let leftContainers = [];
    if (run.kernels) {
      const until = Date.now() + 15_000;
      while ((leftContainers = kernels.poolContainers(env.name) ?? [{ id: 'engine not answering' }]).length > 0 && Date.now() < until) await sleep(500);
    }
    sampling = false;
    await sampler;
    await observing;
    const apiBoard = await fetch(`${base}/api/competitions/rush/leaderboard?split=private`, { headers: { cookie: students[0].cookie } }).then((r) => r.json()).catch(() => null);

    const verdict = await judge({ ds: env.ds, competitionId: c.id, students: [...students, observer], daily: Number(o.daily), finalSelections: b.finalSelections, expectedScore: fixture.expectedScore, settleMs: SETTLE_MS, apiBoard: apiBoard?.revealed ? apiBoard : null });
    const requests = rec.rows.filter((r) => r.sent >= startAt && r.sent < endAt && !r.route.startsWith('SSE'));
    const routes = {};
    for (const r of rec.rows) (routes[r.route] ??= []).push(r);
    const routeFigures = Object.fromEntries(
      Object.entries(routes).map(([route, rs]) => {
        const ms = rs.map((r) => r.ms).sort((a, b) => a - b);
        const inRush = rs.filter((r) => r.sent >= startAt && r.sent < endAt).length;
        return [route, { n: rs.length, rps: route.startsWith('POST /api/auth') || route.startsWith('POST /api/courses') ? null : Math.round((inRush / run.seconds) * 10) / 10, p50ms: percentile(ms, 50), p99ms: percentile(ms, 99), maxms: ms.at(-1), statuses: countBy(rs, (r) => r.status) }];
      }),
    );
    const modelsOnce = withModels ? await models.modelCheck(env.ds, c.id, 'rush') : null;
    const uploads = students.flatMap((s) => s.uploads);
    const modelUploads = uploads.filter((u) => u.kind === 'model');
    const modelRows = verdict.rows.filter((r) => r.kind === 'model');
    const requeued = readFileSync(join(OUT, workerLog), 'utf8').split('\n').filter((l) => l.includes('"reconciled"')).reduce((n, l) => n + (JSON.parse(l).requeued ?? 0), 0);
    result = {
      bench: run.fault ? 'reliability.fault' : 'reliability.rush',
      ...(run.fault ? { fault: run.fault } : {}),
      students: run.students,
      seconds: run.seconds,
      closeAtS: (close.t - startAt) / 1000,
      worker: { ...WORKER },
      enrolS,
      requests: { total: requests.length, perSecond: Math.round((requests.length / run.seconds) * 10) / 10, failed: requests.filter((r) => r.status === 0 || r.status >= 500).length, slowOver2s: requests.filter((r) => r.ms > SLOW_MS).length },
      routes: routeFigures,
      uploads: { attempted: uploads.length, accepted: uploads.filter((u) => u.status === 202).length, quotaRefused: uploads.filter((u) => u.code === 'quota_exceeded').length, late: uploads.filter((u) => u.late === true).length, broken: uploads.filter((u) => u.status === 202 && !u.valid).length, clientRetries: uploads.filter((u) => u.attempt > 0).length, otherStatuses: countBy(uploads.filter((u) => u.status !== 202 && u.code !== 'quota_exceeded'), (u) => `${u.status} ${u.code ?? ''}`.trim()) },
      // Files (kernels in the kernel runs); models apart below.
      uploadToScoreMs: verdict.uploadToScoreMs,
      uploadToScoreSeenMs: verdict.uploadToScoreSeenMs,
      ...(withModels
        ? {
            models: {
              students: Math.min(Number(o['model-students']), run.students),
              uploads: { attempted: modelUploads.length, accepted: modelUploads.filter((u) => u.status === 202).length, quotaRefused: modelUploads.filter((u) => u.code === 'quota_exceeded').length, late: modelUploads.filter((u) => u.late === true).length, broken: modelUploads.filter((u) => u.status === 202 && !u.valid).length, clientRetries: modelUploads.filter((u) => u.attempt > 0).length, byModel: countBy(modelUploads.filter((u) => u.status === 202), (u) => u.model), otherStatuses: countBy(modelUploads.filter((u) => u.status !== 202 && u.code !== 'quota_exceeded'), (u) => `${u.status} ${u.code ?? ''}`.trim()) },
              outcomes: countBy(modelRows, outcomeOf),
              uploadToScoreMs: verdict.models.uploadToScoreMs,
              uploadToScoreSeenMs: verdict.models.uploadToScoreSeenMs,
              runs: modelsOnce.runs,
              runsLost: modelsOnce.runsLost,
              ranAgain: modelsOnce.ranAgain,
            },
          }
        : {}),
      queueDepth: { peakWaiting: Math.max(0, ...samples.map((s) => s[1] ?? 0)), peakUnfinished: Math.max(0, ...samples.map((s) => (s[3] ?? 0) + (s[4] ?? 0))), columns: ['t_s', 'waiting', 'active', 'db_queued', 'db_scoring'], samples },
      // uploadStreamsWithoutFinal: accepted uploads whose own event stream never told the student the outcome (it is in the database).
      sse: { leaderboardStreams: students.length, events: students.reduce((n, s) => n + s.sse.events, 0), drops: students.reduce((n, s) => n + s.sse.drops, 0), uploadStreamsWithoutFinal: uploads.filter((u) => u.status === 202 && !u.seenFinalAt).length, uploadStreamsMissedFinal: verdict.checks.streamsToldFinal.missedFinal, uploadStreamsReopened: verdict.checks.streamsToldFinal.reopened },
      retries: { extraScoringAttempts: verdict.rows.reduce((n, r) => n + Math.max(0, r.attempts - 1), 0), requeuedByReconciler: requeued, clientUploadRetries: uploads.filter((u) => u.attempt > 0).length },
      drainS,
      drained,
      // Processes that exited on their own (restarted after 1 s, as the supervisor of `npm start` or systemd would).
      crashes: crashes.map((c) => ({ ...c, atS: Math.round((c.at - startAt) / 100) / 10, at: undefined })),
      ...(fault ? { faultCost: faultCost(fault, rec, verdict.rows, startAt, uploads) } : {}),
      checks: { ...verdict.checks, ...(modelsOnce ? { modelsOnce } : {}), ...(run.kernels ? { nothingLeft: { pass: leftContainers.length === 0, containersAfterDrain: leftContainers } } : {}) },
      pass: verdict.pass && drained && leftContainers.length === 0 && (modelsOnce?.pass ?? true),
    };
    return result;
  } finally {
    await scoring.close().catch(() => undefined);
    await maintenance.close().catch(() => undefined);
    await worker?.stop();
    await api?.stop();
    if (disk) {
      // Nothing of the run left on the engine once its worker stopped, and its disk unmounted.
      const left = kernels.poolContainers(env.name) ?? [{ id: 'engine not answering' }];
      for (const x of left) spawnSync('docker', ['rm', '-f', x.id], { stdio: 'ignore' });
      kernels.unmountSmallDisk(disk);
      const stillMounted = kernels.mounted(disk);
      if (result) {
        result.checks.nothingLeft = { ...result.checks.nothingLeft, containersAfterStop: left, diskStillMounted: stillMounted, pass: result.checks.nothingLeft.pass && left.length === 0 && !stillMounted };
        result.pass = result.pass && result.checks.nothingLeft.pass;
      }
    }
    await env.drop().catch((err) => log(`drop ${env.name}: ${err.message}`));
  }
}

/**
 * Injects the run's fault during the rush, while something is scoring: at 60 % of the run (the
 * close is at 70 %), when the queue is growing; the clock fault at 35 %, so that the close it
 * moves is well ahead of the planned one. Resolves with what happened when.
 */
async function injectFault(run, x) {
  await sleep(x.startAt + run.seconds * (run.fault === 'clock' ? 350 : 600) - Date.now());
  // Wait (up to 10 s) for scoring work to hit: a submission scoring and others queued behind it;
  // for the model fault (up to 15 s), a model running (predicting), or at least scoring.
  if (run.fault === 'model-worker-kill') {
    const until = Date.now() + 15_000;
    while (Date.now() < until) {
      const [r] = await x.env.ds.query(`SELECT count(*) FILTER (WHERE status = 'running')::int AS running, count(*) FILTER (WHERE status = 'scoring')::int AS scoring FROM submissions WHERE competition_id = $1 AND kind = 'model'`, [x.c.id]);
      if (r.running > 0 || (r.scoring > 0 && Date.now() > until - 5000)) break;
      await sleep(20);
    }
  }
  const until = run.fault === 'model-worker-kill' ? 0 : Date.now() + 10_000;
  while (Date.now() < until) {
    const [r] = await x.env.ds.query(`SELECT count(*) FILTER (WHERE status IN ('running', 'scoring'))::int AS scoring, count(*) FILTER (WHERE status = 'queued')::int AS queued FROM submissions WHERE competition_id = $1`, [x.c.id]);
    if (r.scoring > 0 && (r.queued >= 2 || Date.now() > until - 5000)) break;
    await sleep(20);
  }
  const at = Date.now();
  const [{ n: scoringAtFault }] = await x.env.ds.query(`SELECT count(*)::int AS n FROM submissions WHERE competition_id = $1 AND status IN ('queued', 'running', 'scoring')`, [x.c.id]);
  log(`${run.name}: fault now (${scoringAtFault} submissions queued or scoring)`);
  let detail = {};
  switch (run.fault) {
    case 'worker-kill': {
      // SIGKILL: no shutdown hook runs; its supervisor starts it again (after 1 s).
      const t = await x.worker.kill('SIGKILL');
      detail = { workerDownMs: t };
      break;
    }
    case 'model-worker-kill': {
      // SIGKILL while a model runs: its run's row is left open, its job locked until the lock expires.
      const [m] = await x.env.ds.query(`SELECT count(*) FILTER (WHERE status = 'running')::int AS running, count(*) FILTER (WHERE status = 'scoring')::int AS scoring, count(*) FILTER (WHERE status = 'queued')::int AS queued FROM submissions WHERE competition_id = $1 AND kind = 'model'`, [x.c.id]);
      const t = await x.worker.kill('SIGKILL');
      detail = { workerDownMs: t, modelsAtKill: m };
      break;
    }
    case 'kernel-worker-kill': {
      // SIGKILL while a kernel runs: its sandbox is orphaned; the restarted worker must reclaim it.
      const running = (kernels.poolContainers(x.env.name) ?? []).filter((k) => k.state === 'running').length;
      const t = await x.worker.kill('SIGKILL');
      detail = { workerDownMs: t, containersRunningAtKill: running };
      break;
    }
    case 'docker-restart': {
      const running = (kernels.poolContainers(x.env.name) ?? []).filter((k) => k.state === 'running').length;
      detail = { containersRunningAtRestart: running, ...(await kernels.restartDockerEngine(root)) };
      break;
    }
    case 'disk-full': {
      // The artifact disk full for 10 s (uploads, kernel outputs and logs cannot be written), then freed.
      const { file, bytes } = kernels.fillDisk(x.disk);
      await sleep(10_000);
      kernels.freeDisk(file);
      detail = { filledBytes: bytes, fullForMs: 10_000 };
      break;
    }
    case 'redis-loss':
      x.services.restartRedisEmpty();
      break;
    case 'postgres-restart':
      x.services.restartPostgres();
      break;
    case 'clock': {
      const [r] = await x.env.ds.query('UPDATE competitions SET closes_at = now() WHERE id = $1 RETURNING closes_at', [x.c.id]);
      x.close.t = r[0].closes_at.getTime();
      detail = { closedEarlyByS: Math.round((x.startAt + run.seconds * 700 - x.close.t) / 100) / 10 };
      break;
    }
  }
  return { at, done: Date.now(), unfinishedAtFault: scoringAtFault, ...detail };
}

/**
 * What a fault cost: requests that failed (no answer or 5xx) or took over 2 s from the fault on,
 * the seconds in which any did (unavailability), and the longest pause in scoring around it.
 */
function faultCost(fault, rec, rows, startAt, uploads) {
  const after = rec.rows.filter((r) => r.recv >= fault.at);
  const bad = after.filter((r) => r.status === 0 || r.status >= 500);
  const slow = after.filter((r) => r.ms > SLOW_MS && !(r.status === 0 || r.status >= 500));
  const seconds = new Set([...bad, ...slow].flatMap((r) => {
    const s = [];
    for (let t = Math.max(r.sent, fault.at); t <= r.recv; t += 1000) s.push(Math.floor((t - fault.at) / 1000));
    return s;
  }));
  const finishes = rows.map((r) => (r.status === 'scored' || r.status === 'failed' ? (r.scored_at ?? r.updated_at).getTime() : null)).filter((t) => t !== null).sort((a, b) => a - b);
  let stall = 0;
  for (let i = 1; i < finishes.length; i++) if (finishes[i] >= fault.at && finishes[i - 1] <= fault.done + 60_000) stall = Math.max(stall, finishes[i] - Math.max(finishes[i - 1], fault.at));
  const near = rows.filter((r) => r.status === 'scored' && Math.abs(r.created_at.getTime() - fault.at) < 5000).map((r) => r.scored_at - r.created_at);
  // The submission streams the fault struck: accepted before it, finished after it.
  const finishedAt = new Map(rows.map((r) => [r.id, r.status === 'scored' || r.status === 'failed' ? (r.scored_at ?? r.updated_at).getTime() : Infinity]));
  const across = uploads.filter((u) => u.status === 202 && u.stream && u.recv <= fault.at && finishedAt.get(u.id) > fault.at);
  const acrossLag = across.filter((u) => u.seenFinalAt && finishedAt.get(u.id) < Infinity).map((u) => u.seenFinalAt - finishedAt.get(u.id));
  return {
    atS: Math.round((fault.at - startAt) / 100) / 10,
    faultMs: fault.done - fault.at,
    ...fault,
    at: undefined,
    done: undefined,
    failedRequests: bad.length,
    failedByRoute: countBy(bad, (r) => `${r.route} ${r.status}${r.err ? ` ${r.err}` : ''}`),
    slowRequests: slow.length,
    slowByRoute: countBy(slow, (r) => r.route),
    slowestMs: slow.length ? Math.max(...slow.map((r) => r.ms)) : null,
    unavailableS: seconds.size,
    errorWindowS: bad.length ? Math.round((Math.max(...bad.map((r) => r.recv)) - fault.at) / 100) / 10 : 0,
    scoringPauseS: Math.round(stall / 100) / 10,
    maxUploadToScoreNearFaultMs: near.length ? Math.max(...near) : null,
    // How the submissions accepted until the fault was over ended: status, failure class and code (attempts > 1: run again).
    outcomes: countBy(rows.filter((r) => r.created_at.getTime() <= fault.done), outcomeOf),
    outcomesAfterFault: countBy(rows.filter((r) => r.created_at.getTime() > fault.done), outcomeOf),
    // The model submissions apart: accepted until the fault was over, and after it.
    modelOutcomes: countBy(rows.filter((r) => r.kind === 'model' && r.created_at.getTime() <= fault.done), outcomeOf),
    modelOutcomesAfterFault: countBy(rows.filter((r) => r.kind === 'model' && r.created_at.getTime() > fault.done), outcomeOf),
    ranAgain: rows.filter((r) => r.attempts > 1).length,
    streamsAcrossFault: { followed: across.length, toldFinal: across.filter((u) => u.seenFinalAt).length, models: across.filter((u) => u.kind === 'model').length, reopened: across.filter((u) => u.stream.opens > 1).length, toldAfterFinishMaxMs: acrossLag.length ? Math.max(...acrossLag) : null },
    // Failed on our side: refunded, not charged to the team's daily quota (quotasExact replays it).
    failedOurSideNotCharged: rows.filter((r) => r.status === 'failed' && r.error_class === 'infrastructure').length,
    failures: rows.filter((r) => r.status === 'failed' && r.error_class !== 'validation' && !(r.kind === 'model' && r.error_code === 'model_output')).slice(0, 8).map((r) => ({ id: r.id, kind: r.kind, class: r.error_class, code: r.error_code, message: r.error_message?.slice(0, 240), attempts: r.attempts, late: r.late })),
  };
}

/**
 * A process under a supervisor: started, and started again 1 s after it exits unless we stopped
 * it (each exit we did not cause is recorded in `crashes`). Its output goes to `logName` in bench/output.
 */
async function supervise(name, entry, env, logName, ready, crashes) {
  const out = createWriteStream(join(OUT, logName));
  let child;
  let stopping = false;
  let lines = 0;
  const start = async () => {
    const since = lines;
    child = spawn(process.execPath, [join(root, entry)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    child.once('exit', () => children.delete(child));
    for (const s of [child.stdout, child.stderr]) {
      s.on('data', (d) => (lines += String(d).split('\n').length - 1));
      s.pipe(out, { end: false });
    }
    const me = child;
    me.once('exit', (code, signal) => {
      if (stopping || me.killedByUs) return;
      crashes.push({ process: name, at: Date.now(), code, signal });
      log(`${name} exited (${signal ?? code}); restarting it in 1 s`);
      setTimeout(() => void start().catch((err) => log(`${name} did not start again: ${err.message}`)), 1000);
    });
    const until = Date.now() + 90_000;
    while (!(await ready(since).catch(() => false))) {
      if (me.exitCode !== null || me.signalCode !== null) throw new Error(`${entry} exited with ${me.exitCode ?? me.signalCode}; see bench/output/${logName}`);
      if (Date.now() > until) throw new Error(`${entry} did not become ready; see bench/output/${logName}`);
      await sleep(200);
    }
  };
  const exited = (c) => new Promise((r) => (c.exitCode !== null || c.signalCode !== null ? r() : c.once('exit', r)));
  await start();
  return {
    /** Kills it (as a crash would), restarts it after 1 s as its supervisor would; resolves with how long it was down. */
    async kill(signal) {
      const t = Date.now();
      const c = child;
      c.killedByUs = true;
      c.kill(signal);
      await exited(c);
      await sleep(1000);
      await start();
      return Date.now() - t;
    },
    async stop() {
      stopping = true;
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited(child);
      }
      out.end();
    },
  };
}

/** A submission's end: status, failure class and code. */
function outcomeOf(r) {
  return [r.status, r.error_class, r.error_code].filter(Boolean).join(' ');
}

function countBy(xs, f) {
  const m = {};
  for (const x of xs) m[f(x)] = (m[f(x)] ?? 0) + 1;
  return m;
}
