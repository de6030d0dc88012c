#!/usr/bin/env node
// Kernel submissions end to end: N trivial kernels queued at once through the API on one worker
// process with HOLDOUT_KERNEL_CONCURRENCY=C. All must end scored (none lost); prints one JSON
// object per line: the batch (total wall time, throughput) and per-kernel latency percentiles.
//   node bench/kernels/run.mjs [--kernels 20] [--concurrency 4] [--image <tag>]
// Needs PostgreSQL and Redis (scripts/services.sh up), the engine (scripts/docker-engine.sh),
// the runtime image (docker/kernel-runtime/build.sh slim) and a build (npx tsc -b apps/api apps/worker).
// Per-kernel sandbox overhead against a bare `docker run --rm` is bench/sandbox/run.mjs.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import Dockerode from 'dockerode';
import { Competition, provisionCompetitionData } from '../../libs/db/dist/index.js';
import { Client, createTestEnv, eventually, startApi, submissionCsv } from '../../apps/api/dist/testing/index.js';
import { KernelFixtureBundles } from '../../e2e/dist/platform/kernel-fixtures.js';
import { childEnv } from '../api/common.mjs';

const { values: args } = parseArgs({
  options: {
    kernels: { type: 'string', default: '20' },
    concurrency: { type: 'string', default: '4' },
    image: { type: 'string', default: process.env.HOLDOUT_KERNEL_IMAGE ?? 'holdout/kernel-runtime:slim' },
  },
});
const N = Number(args.kernels);
const C = Number(args.concurrency);
const OWNER = `bench-kernels-${randomBytes(3).toString('hex')}`;
const MAIN = fileURLToPath(new URL('../../apps/worker/dist/main.js', import.meta.url));
const emit = (o) => console.log(JSON.stringify(o));
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]) : null;
};
const SOURCE = `open('/kaggle/working/submission.csv', 'w').write(${JSON.stringify(submissionCsv(8, 8))})\nprint('ok')\n`;

process.env.HOLDOUT_KERNEL_IMAGE = args.image;
const env = await createTestEnv('bench_kernels');
const bundles = new KernelFixtureBundles({ kbench: { timeLimitSeconds: 120, memoryBytes: 512 * 1024 * 1024, cpus: 1 } });
const api = await startApi(env, bundles);
let worker = null;
try {
  const prof = await Client.register(api.server, 'prof@example.com');
  const course = (await prof.post('/api/courses').send({ name: 'Bench' })).body;
  await prof.post('/api/competitions').send({ bundle: 'kbench', slug: 'kbench', courseId: course.id });
  const c = await env.ds.getRepository(Competition).findOneByOrFail({ slug: 'kbench' });
  await provisionCompetitionData(env.ds, bundles, c.id, env.config.dataDir);
  const students = [];
  for (let i = 0; i < Math.min(N, 5); i++) {
    const s = await Client.register(api.server, `s${i}@example.com`);
    await s.post('/api/courses/join').send({ code: course.joinCode });
    students.push(s);
  }
  await eventually(async () => ((await students[0].get('/api/competitions/kbench/data')).status === 200 ? true : undefined), { what: 'the data' });

  worker = spawn(process.execPath, [MAIN], {
    env: childEnv(env, { HOLDOUT_LOG_LEVEL: 'info', HOLDOUT_KERNEL_CONCURRENCY: String(C), HOLDOUT_KERNEL_OWNER: OWNER }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = createWriteStream(join(env.config.dataDir, 'worker.log'));
  worker.stdout.pipe(log);
  worker.stderr.pipe(log);
  // Wait for the worker to be consuming before the clock starts.
  await new Promise((resolve, reject) => {
    let buf = '';
    worker.stdout.on('data', (d) => {
      buf += d;
      if (buf.includes('kernel worker ready')) resolve();
    });
    worker.once('exit', (code) => reject(new Error(`worker exited ${code}`)));
  });

  const t0 = performance.now();
  const ups = await Promise.all(
    Array.from({ length: N }, (_, i) =>
      students[i % students.length].post('/api/competitions/kbench/submissions').field('kind', 'kernel').attach('file', Buffer.from(SOURCE), `k${i}.py`),
    ),
  );
  const queuedMs = performance.now() - t0;
  const bad = ups.filter((r) => r.status !== 202);
  if (bad.length) throw new Error(`uploads refused: ${bad.map((r) => `${r.status} ${JSON.stringify(r.body)}`).join('; ')}`);
  const ids = ups.map((r) => r.body.id);
  let maxRunning = 0;
  const rows = await eventually(
    async () => {
      const r = await env.ds.query(`SELECT id, status, error_class, extract(epoch FROM (scored_at - created_at)) * 1000 AS latency FROM submissions WHERE id = ANY($1)`, [ids]);
      maxRunning = Math.max(maxRunning, r.filter((x) => x.status === 'running').length);
      return r.every((x) => ['scored', 'failed', 'cancelled'].includes(x.status)) ? r : undefined;
    },
    { timeoutMs: 20 * 60_000, everyMs: 100, what: 'every kernel to finish' },
  );
  const totalMs = performance.now() - t0;
  const runs = await env.ds.query('SELECT duration_ms, peak_memory_bytes FROM kernel_runs WHERE submission_id = ANY($1)', [ids]);
  const scored = rows.filter((r) => r.status === 'scored').length;
  const leftovers = await new Dockerode().listContainers({ all: true, filters: { label: [`holdout.owner=${OWNER}`] } });
  emit({
    bench: 'kernels-batch',
    kernels: N,
    concurrency: C,
    image: args.image,
    scored,
    failed: rows.filter((r) => r.status === 'failed').map((r) => r.error_class),
    lost: N - rows.length,
    runs: runs.length,
    maxRunningSeen: maxRunning,
    containersLeft: leftovers.length,
    uploadMs: Math.round(queuedMs),
    totalMs: Math.round(totalMs),
    kernelsPerMinute: Number(((N / totalMs) * 60_000).toFixed(1)),
  });
  emit({
    bench: 'kernels-latency',
    submitToScoredMs: { p50: pct(rows.map((r) => Number(r.latency)), 50), p90: pct(rows.map((r) => Number(r.latency)), 90), max: pct(rows.map((r) => Number(r.latency)), 100) },
    sandboxRunMs: { p50: pct(runs.map((r) => r.duration_ms), 50), p90: pct(runs.map((r) => r.duration_ms), 90) },
  });
  if (scored !== N || runs.length !== N) process.exitCode = 1;
} finally {
  if (worker && worker.exitCode === null) {
    worker.kill('SIGTERM');
    await new Promise((r) => worker.once('exit', r));
  }
  await api.close();
  await env.drop();
}
