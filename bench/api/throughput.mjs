// Scoring throughput with one and with two workers (issue 18): the API and the workers in their
// own processes on one PostgreSQL and Redis, a batch of prediction files uploaded at once on the
// Sartorius-like test set (instance mAP, the heaviest scoring of the bundled competitions) while
// no worker runs, then the phase's workers started and timed from the first scoring started to the
// last score. The second phase has two processes taking jobs from the same queue. Prints JSON lines: one per phase and a summary
// with the ratio (the machine is shared: only the ratio within one run is comparable).
//   node bench/api/throughput.mjs [--submissions 40] [--concurrency 1] [--workers 1,2] [--store local|s3]
// --store s3: uploads in an S3-protocol server (s3rver on loopback) and each worker with a data
// directory of its own (as on separate hosts: each reads the uploads through its cache and has its
// own build of the data, made before the phases so that building is not what is timed).
// --concurrency is each worker's HOLDOUT_SCORING_CONCURRENCY (scoring threads): with 1, two
// workers can use two cores where one uses one. Data is built once and cached in bench/output/data.
import { readFile, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { spawn } from 'node:child_process';
import { createTestEnv } from '@holdout/api/testing';
import { startS3TestServer } from '@holdout/db/testing';
import { apiClient, childEnv, line, OUT, ROOT, startProcess, stop } from './common.mjs';

const { values: o } = parseArgs({ options: { submissions: { type: 'string', default: '40' }, concurrency: { type: 'string', default: '1' }, workers: { type: 'string', default: '1,2' }, store: { type: 'string', default: 'local' } } });
if (o.store !== 'local' && o.store !== 's3') throw new Error('--store is local or s3');
const N = Number(o.submissions);
const phases = o.workers.split(',').map(Number);
if (!Number.isSafeInteger(N) || N < 1 || phases.some((w) => !Number.isSafeInteger(w) || w < 1)) throw new Error('--submissions and --workers take positive whole numbers');
const PORT = 4900 + Math.floor(Math.random() * 90);
const DATA = join(OUT, 'data');
const base = `http://127.0.0.1:${PORT}`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** CPU seconds a process has used so far (user + system, from /proc). */
const cpuSeconds = (pid) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
};

const env = await createTestEnv('bench_throughput');
let api;
let workers = [];
let s3 = null;
try {
  let storeEnv = {};
  if (o.store === 's3') {
    s3 = await startS3TestServer('holdout-bench');
    storeEnv = { HOLDOUT_ARTIFACT_STORE: 's3', HOLDOUT_S3_BUCKET: 'holdout-bench', HOLDOUT_S3_ENDPOINT: s3.endpoint, HOLDOUT_S3_FORCE_PATH_STYLE: 'true', AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' };
  }
  // Uploads are not what is measured: the per-account limit is lifted for the batch.
  const e = childEnv(env, { HOLDOUT_DATA_DIR: DATA, PORT: String(PORT), HOLDOUT_UPLOADS_PER_MINUTE: '100000', HOLDOUT_SCORING_CONCURRENCY: o.concurrency, ...storeEnv });
  /** The environment of the phase's i-th worker: with s3, a data directory of its own. */
  const workerEnv = (i) => ({ ...e, HOLDOUT_KERNELS: 'off', ...(s3 ? { HOLDOUT_DATA_DIR: join(OUT, `data-worker-${i + 1}`) } : {}) });
  if (s3) {
    for (let i = 0; i < Math.max(...phases); i++) await buildData(workerEnv(i).HOLDOUT_DATA_DIR);
  }
  api = await startProcess('apps/api/dist/main.js', e, 'bench-throughput-api.log', async () => (await fetch(`${base}/api/ready`)).ok);
  const { session, post } = apiClient(base);
  const prof = await session('prof@example.com');
  const course = (await post(prof, '/api/courses', { name: 'Bench' })).body;
  const created = await post(prof, '/api/competitions', { bundle: 'sartorius-cells', slug: 'sartorius', courseId: course.id });
  if (created.status !== 201) throw new Error(JSON.stringify(created.body));
  // One worker builds the data (cached across runs), then goes.
  const builder = await startProcess('apps/worker/dist/main.js', e, 'bench-throughput-build.log', async () => true);
  let row;
  for (;;) {
    [row] = await env.ds.query(`SELECT id, data_status, data_dir FROM competitions WHERE slug = 'sartorius'`);
    if (row.data_status === 'ready') break;
    if (row.data_status === 'failed') throw new Error('data build failed; see bench/output/bench-throughput-build.log');
    await sleep(500);
  }
  await stop(builder);
  await env.ds.query(`UPDATE competitions SET submission_kinds = '{file,kernel,model}', daily_submissions = 100000 WHERE id = $1`, [row.id]);
  // A perfect prediction: every solution instance as a predicted instance.
  const solution = (await promisify(readFile)(join(row.data_dir, 'hidden', 'solution.csv'), 'utf8')).trim().split('\n');
  const head = solution[0].split(',');
  const [iId, iAnn] = [head.indexOf('id'), head.indexOf('annotation')];
  const csv = 'id,predicted\n' + solution.slice(1).map((l) => { const f = l.split(','); return `${f[iId]},${f[iAnn]}`; }).join('\n') + '\n';
  const student = await session('student@example.com');
  await post(student, '/api/courses/join', { code: course.joinCode });
  await sleep(2100); // the API's competition cache

  const results = [];
  for (const count of phases) {
    // The batch is uploaded while no worker runs, so that what is timed is the workers draining
    // the queue: from the first scoring started to the last score, as the database records them.
    const t0 = Date.now();
    const ids = await Promise.all(
      Array.from({ length: N }, async () => {
        const form = new FormData();
        form.append('file', new Blob([csv]), 'submission.csv');
        const up = await fetch(`${base}/api/competitions/sartorius/submissions`, { method: 'POST', headers: { cookie: student.cookie, 'x-csrf-token': student.csrf }, body: form });
        const s = await up.json();
        if (up.status !== 202) throw new Error(JSON.stringify(s));
        return s.id;
      }),
    );
    const uploadSeconds = (Date.now() - t0) / 1000;
    workers = [];
    for (let i = 0; i < count; i++) workers.push(await startProcess('apps/worker/dist/main.js', workerEnv(i), `bench-throughput-w${count}-${i + 1}.log`, async () => true));
    const cpu0 = workers.map((w) => cpuSeconds(w.pid));
    let done;
    for (;;) {
      [done] = await env.ds.query(
        `SELECT count(*) FILTER (WHERE status = 'scored')::int AS scored, count(*) FILTER (WHERE status = 'failed')::int AS failed,
                extract(epoch FROM max(scored_at) - min(started_at)) AS seconds FROM submissions WHERE id = ANY($1)`,
        [ids],
      );
      if (done.scored + done.failed === N) break;
      await sleep(100);
    }
    if (done.failed > 0) throw new Error(`${done.failed} submissions failed; see bench/output/bench-throughput-w${count}-*.log`);
    const seconds = Math.round(Number(done.seconds) * 1000) / 1000;
    // Each worker's CPU from its start (boot included): that both took a share of the jobs.
    const workerCpuSeconds = workers.map((w, i) => Math.round((cpuSeconds(w.pid) - cpu0[i]) * 10) / 10);
    const r = { bench: 'throughput.phase', store: o.store, workers: count, scoringConcurrency: Number(o.concurrency), submissions: N, bytesEach: csv.length, uploadSeconds, seconds, perMinute: Math.round((N / seconds) * 60 * 10) / 10, workerCpuSeconds };
    line(r);
    results.push(r);
    for (const w of workers) await stop(w);
    workers = [];
  }
  const one = results.find((r) => r.workers === 1);
  const two = results.find((r) => r.workers === 2);
  line({ bench: 'throughput', store: o.store, submissions: N, scoringConcurrency: Number(o.concurrency), perMinute: Object.fromEntries(results.map((r) => [`${r.workers}`, r.perMinute])), ...(one && two ? { twoOverOne: Math.round((two.perMinute / one.perMinute) * 100) / 100 } : {}), cores: (await import('node:os')).availableParallelism() });
} finally {
  for (const w of workers) await stop(w);
  await stop(api);
  await env.drop();
  await s3?.stop();
}

/** The Sartorius-like demo data under `dataDir`, as a worker there builds it (the CLI's build; cached). */
async function buildData(dataDir) {
  const child = spawn(process.execPath, [join(ROOT, 'apps', 'cli', 'dist', 'main.cjs'), 'bundles', 'build', 'sartorius-cells', '--scale', 'demo', '--data-dir', dataDir, '--json'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const code = await new Promise((r) => child.once('exit', r));
  if (code !== 0) throw new Error(`building the data into ${dataDir} failed (${code})`);
}
