#!/usr/bin/env node
// Kernel sandbox benchmark. Prints one JSON object per line.
//   node bench/sandbox/run.mjs [--image holdout/kernel-runtime:slim] [--iterations 10] [--batch 20] [--concurrency 4]
// Needs a running engine (scripts/docker-engine.sh), the image (docker/kernel-runtime/build.sh)
// and a build of libs/sandbox (npx tsc -b libs/sandbox).
//
// 1. overhead: the same trivial script run by DockerKernelRunner (create → start → exit →
//    outputs collected → container and scratch removed) and by a bare `docker run --rm` with the
//    same mounts, alternating, in the same process; medians and their ratio (goal ≤ 1.3).
// 2. batch: N trivial kernels queued at once, at most C running; all must succeed.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { DockerKernelRunner } from '../../libs/sandbox/dist/index.js';

const run = promisify(execFile);
const { values: args } = parseArgs({
  options: {
    image: { type: 'string', default: process.env.HOLDOUT_KERNEL_IMAGE ?? 'holdout/kernel-runtime:slim' },
    iterations: { type: 'string', default: '10' },
    batch: { type: 'string', default: '20' },
    concurrency: { type: 'string', default: '4' },
  },
});
const iterations = Number(args.iterations);
const batch = Number(args.batch);
const concurrency = Number(args.concurrency);
const MiB = 1024 * 1024;
const SCRIPT = "open('/kaggle/working/submission.csv', 'w').write('id,predicted\\n')\nprint('ok')\n";

const root = await mkdtemp(join(tmpdir(), 'bench-sandbox-'));
const owner = `bench-${process.pid}`;
const runner = new DockerKernelRunner({ owner, scratchRoot: join(root, 'scratch') });
const emit = (o) => console.log(JSON.stringify(o));

try {
  const entry = join(root, 'main.py');
  await writeFile(entry, SCRIPT);
  const dataDir = join(root, 'data');
  await mkdir(join(dataDir, 'test'), { recursive: true });
  const imageDigest = await runner.resolveImage(args.image);
  let seq = 0;
  const spec = () => {
    const runId = `bench-${process.pid}-${++seq}`;
    return {
      runId,
      image: args.image,
      entry: { path: entry, kind: 'py' },
      competition: { slug: 'comp', dataDir },
      inputs: [],
      limits: { wallSeconds: 120, memoryBytes: 512 * MiB, cpus: 1, pids: 128, outputBytes: 64 * MiB, logBytes: MiB },
      gpus: [],
      outputDir: join(root, 'out', runId),
    };
  };

  const viaRunner = async () => {
    const t = performance.now();
    const r = await runner.run(spec());
    if (r.outcome !== 'succeeded') throw new Error(`runner: ${r.outcome} ${r.logTail}`);
    return performance.now() - t;
  };
  const bare = async () => {
    const work = join(root, 'bare', String(++seq));
    await mkdir(work, { recursive: true });
    const t = performance.now();
    await run('docker', [
      'run', '--rm', '--network', 'none',
      '-v', `${root}:/kaggle/src:ro`, '-v', `${dataDir}:/kaggle/input/comp:ro`, '-v', `${work}:/kaggle/working`,
      '-u', '0', '-w', '/kaggle/working', args.image, 'python3', '/kaggle/src/main.py',
    ]);
    return performance.now() - t;
  };

  // Warm-up: page cache, engine.
  await viaRunner();
  await bare();
  const runnerMs = [];
  const bareMs = [];
  for (let i = 0; i < iterations; i++) {
    runnerMs.push(await viaRunner());
    bareMs.push(await bare());
  }
  const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const round = (x) => Math.round(x);
  emit({
    bench: 'sandbox.overhead',
    image: args.image,
    imageDigest,
    iterations,
    runnerMedianMs: round(med(runnerMs)),
    bareDockerRunMedianMs: round(med(bareMs)),
    ratio: Number((med(runnerMs) / med(bareMs)).toFixed(2)),
    goal: 1.3,
    runnerMs: runnerMs.map(round),
    bareMs: bareMs.map(round),
  });

  const t0 = performance.now();
  const queue = Array.from({ length: batch }, () => spec());
  const outcomes = {};
  const latencies = [];
  let maxRunning = 0;
  let running = 0;
  const workers = Array.from({ length: concurrency }, async () => {
    for (let s = queue.shift(); s; s = queue.shift()) {
      running += 1;
      maxRunning = Math.max(maxRunning, running);
      const t = performance.now();
      try {
        const r = await runner.run(s);
        outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
      } catch (err) {
        outcomes.error = (outcomes.error ?? 0) + 1;
        emit({ bench: 'sandbox.batch.error', runId: s.runId, error: String(err) });
      } finally {
        running -= 1;
        latencies.push(performance.now() - t);
      }
    }
  });
  await Promise.all(workers);
  const finished = Object.values(outcomes).reduce((a, b) => a + b, 0);
  const { stdout } = await run('docker', ['ps', '-aq', '--filter', `label=holdout.owner=${owner}`]);
  emit({
    bench: 'sandbox.batch',
    kernels: batch,
    concurrency,
    maxRunning,
    finished,
    lost: batch - finished,
    outcomes,
    totalMs: round(performance.now() - t0),
    medianKernelMs: round(med(latencies)),
    containersLeft: stdout.trim() ? stdout.trim().split('\n').length : 0,
  });
} finally {
  await rm(root, { recursive: true, force: true });
}
