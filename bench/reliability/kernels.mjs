// Kernels in the rush (issue 17): a kernel-only copy of the fixture competition, the students'
// small kernels, and the faults that only kernels meet — the Docker engine restarting, the
// artifact disk full, the worker killed while a kernel runs — with the helpers that act on
// exactly this bench's engine objects (its pool label) and its own small data mount.
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const DAY = 86_400_000;

/** The fixture bundle as a kernel-only competition (as e2e/src/platform/kernel-fixtures.ts): the four test images hidden, kernels on CPU, a short time limit. */
export function kernelBundles(fixture, { daily, image, timeLimitSeconds }) {
  return new (class extends fixture.FixtureBundles {
    async load() {
      const base = await super.load('fixture');
      return {
        ...base,
        bundleDir: '/fixture/kernels',
        submissionKinds: ['kernel'],
        config: {
          submissions: { kinds: ['kernel'] },
          kernel: { image, timeLimitSeconds, gpus: 0, memoryBytes: 512 * 1024 * 1024, cpus: 1, outputLimitBytes: 16 * 1024 * 1024, showHiddenDataLogs: false, processes: 256 },
        },
      };
    }
    async build(bundleDir, dataRoot) {
      const built = await super.build(bundleDir, dataRoot);
      const hidden = join(built.dataDir, 'hidden', 'test');
      await mkdir(hidden, { recursive: true });
      for (const id of ['p1', 'p2', 'q1', 'q2']) await writeFile(join(hidden, `${id}.png`), Buffer.from(id));
      return built;
    }
  })(() => ({ opensAt: new Date(Date.now() - DAY), closesAt: new Date(Date.now() + DAY), dailySubmissions: daily }));
}

/** A student's kernel: works a second or two, then writes its predictions (a broken file for a broken one). */
export function kernelSource(csv) {
  return `import time\nprint('working', flush=True)\ntime.sleep(${(1 + Math.random()).toFixed(2)})\nopen('/kaggle/working/submission.csv', 'w').write(${JSON.stringify(csv)})\nprint('done', flush=True)\n`;
}

/** This run's containers on the engine (label holdout.pool = the run's queue prefix), running or not. */
export function poolContainers(pool) {
  const r = spawnSync('docker', ['ps', '-a', '--filter', `label=holdout.pool=${pool}`, '--format', '{{.ID}} {{.State}} {{.Label "holdout.run"}} {{.Names}}'], { encoding: 'utf8' });
  if (r.status !== 0) return null;
  return r.stdout.split('\n').filter(Boolean).map((l) => {
    const [id, state, run, name] = l.split(' ');
    return { id, state, run, name };
  });
}

export const engineUp = () => spawnSync('docker', ['info'], { stdio: 'ignore', timeout: 10_000 }).status === 0;

/**
 * Restarts the local Docker engine as an operator's `systemctl restart docker` would: SIGTERM to
 * the dockerd that scripts/docker-engine.sh started (its command line checked first), its
 * containers stopped with it, then scripts/docker-engine.sh starts it again. Resolves with how
 * long the engine did not answer.
 */
export async function restartDockerEngine(root) {
  const pids = spawnSync('pgrep', ['-x', 'dockerd'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
  if (pids.length !== 1) throw new Error(`expected one dockerd, found ${pids.length}`);
  const pid = Number(pids[0]);
  const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  if (!cmd.startsWith('dockerd ') || !cmd.includes('--host=unix:///var/run/docker.sock')) throw new Error(`dockerd ${pid} is not the engine of scripts/docker-engine.sh: ${cmd}`);
  const t = Date.now();
  process.kill(pid, 'SIGTERM');
  while (Date.now() - t < 60_000) {
    try {
      process.kill(pid, 0);
    } catch {
      break;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const stoppedMs = Date.now() - t;
  const r = spawnSync('bash', [join(root, 'scripts', 'docker-engine.sh')], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0 || !engineUp()) throw new Error('scripts/docker-engine.sh did not bring the engine back');
  return { engineStopMs: stoppedMs, engineDownMs: Date.now() - t };
}

/** A small tmpfs over the run's data directory (HOLDOUT_DATA_DIR): a disk that can fill up. */
export function mountSmallDisk(dir, size = '24m') {
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'holdout-reliability', dir]);
}
export function unmountSmallDisk(dir) {
  const r = spawnSync('umount', [dir], { encoding: 'utf8' });
  if (r.status !== 0) spawnSync('umount', ['-l', dir]);
}
export function mounted(dir) {
  return readFileSync('/proc/mounts', 'utf8').split('\n').some((l) => l.split(' ')[1] === dir);
}

/** Fills the disk under `dir` with one file until it is full; returns the file and how many bytes it took. */
export function fillDisk(dir) {
  const file = join(dir, 'reliability-filler');
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(256 * 1024, 1);
  let bytes = 0;
  try {
    for (;;) {
      bytes += writeSync(fd, chunk);
    }
  } catch (err) {
    if (err.code !== 'ENOSPC') throw err;
    // The last bytes below a whole chunk.
    const small = Buffer.alloc(512, 1);
    try {
      for (;;) bytes += writeSync(fd, small);
    } catch {
      /* full */
    }
  } finally {
    closeSync(fd);
  }
  return { file, bytes };
}
export const freeDisk = (file) => rmSync(file, { force: true });
