// Integration tests against the real Docker engine (scripts/docker-engine.sh) and the kernel
// runtime image (docker/kernel-runtime/build.sh; HOLDOUT_KERNEL_IMAGE overrides the default
// holdout/kernel-runtime:slim). Every container here carries a per-file owner label, so nothing
// touches other people's containers.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, realpath, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Dockerode from 'dockerode';
import type { KernelRunSpec, LogChunk, RunOptions, RunResult } from '../kernel-runner.js';
import { KernelImageMismatchError, KernelImageNotFoundError, KernelKilledFromOutsideError, KernelSandboxLostError } from '../errors.js';
import { DockerKernelRunner } from './docker-kernel-runner.js';
import { loopDevices, mountPoints, releaseVolumesUnder } from '../working-volume.js';

const IMAGE = process.env.HOLDOUT_KERNEL_IMAGE ?? 'holdout/kernel-runtime:slim';
const MiB = 1024 * 1024;
const OWNER = `it-${process.pid}`;
/** This file's pool: sweeps here never look at other suites' containers. */
const POOL = `it-pool-${process.pid}`;
const docker = new Dockerode();

let root: string;
let dataDir: string;
let runner: DockerKernelRunner;
let seq = 0;
const warnings: string[] = [];

interface KernelOpts {
  /** Default: the suite's runner (hard cap on a working volume). */
  runner?: DockerKernelRunner;
  kind?: 'py' | 'ipynb';
  limits?: Partial<KernelRunSpec['limits']>;
  inputs?: KernelRunSpec['inputs'];
  options?: RunOptions;
}

/** Runs `source` as a kernel and checks that nothing of it is left on the host afterwards. */
async function runKernel(source: string | object, opts: KernelOpts = {}): Promise<RunResult & { log: string; live: string }> {
  const runId = `t${process.pid}-${++seq}`;
  const kind = opts.kind ?? 'py';
  const dir = join(root, runId);
  await mkdir(dir, { recursive: true });
  const entry = join(dir, kind === 'py' ? 'main.py' : 'main.ipynb');
  await writeFile(entry, typeof source === 'string' ? source : JSON.stringify(source));
  let live = '';
  const onLog = (c: LogChunk) => {
    live += c.text;
  };
  const r = opts.runner ?? runner;
  const result = await r.run(
    {
      runId,
      image: IMAGE,
      entry: { path: entry, kind },
      competition: { slug: 'comp', dataDir },
      inputs: opts.inputs ?? [],
      limits: { wallSeconds: 60, memoryBytes: 256 * MiB, cpus: 1, pids: 128, outputBytes: 20 * MiB, logBytes: 256 * 1024, ...opts.limits },
      gpus: [],
      outputDir: join(dir, 'out'),
    },
    { onLog, ...opts.options },
  );
  assert.deepEqual(await containersOf(`holdout.run=${runId}`), [], 'container removed');
  await assert.rejects(stat(join(r.scratchRoot, r.owner, runId)), 'scratch dir removed');
  assert.deepEqual(await volumesUnder(join(r.scratchRoot, r.owner, runId)), { mounts: [], loops: [] }, 'working volume unmounted and its loop device detached');
  return { ...result, log: await readFile(result.logPath, 'utf8'), live };
}

/** Mounts and loop devices left under `dir` (a run's working volume must never outlive it). */
async function volumesUnder(path: string) {
  const dir = await realpath(path).catch(() => path);
  return {
    mounts: (await mountPoints()).filter((m) => m.startsWith(`${dir}/`)),
    loops: (await loopDevices()).filter((d) => d.backFile.startsWith(`${dir}/`)).map((d) => `${d.name} ${d.backFile}`),
  };
}

/** This suite's containers, whatever owner it gave them. */
async function suiteContainers(): Promise<string[]> {
  const list = await docker.listContainers({ all: true, filters: { label: ['holdout.role=kernel'] } });
  return list.filter((c) => (c.Labels['holdout.owner'] ?? '').startsWith(OWNER)).map((c) => c.Id);
}

async function containersOf(label: string): Promise<string[]> {
  const list = await docker.listContainers({ all: true, filters: { label: [label] } });
  return list.map((c) => c.Id);
}

/** The JSON a kernel printed on a `RESULT ` line. */
function resultOf(r: { log: string; logTail: string }): any {
  const line = (r.log + '\n' + r.logTail).split('\n').find((l) => l.startsWith('RESULT '));
  assert.ok(line, `no RESULT line in log:\n${r.logTail}`);
  return JSON.parse(line.slice('RESULT '.length));
}

function notebook(...cells: string[]) {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } },
    cells: cells.map((src, i) => ({ cell_type: 'code', id: `c${i}`, metadata: {}, execution_count: null, outputs: [], source: src })),
  };
}

before(async () => {
  try {
    await docker.ping();
  } catch {
    assert.fail('no Docker engine answers: run `bash scripts/docker-engine.sh` first');
  }
  try {
    await docker.getImage(IMAGE).inspect();
  } catch {
    assert.fail(`image ${IMAGE} is missing: run \`bash docker/kernel-runtime/build.sh slim\` first`);
  }
  root = await mkdtemp(join(tmpdir(), 'sandbox-it-'));
  dataDir = join(root, 'competition', 'kernel-view');
  await mkdir(join(dataDir, 'test'), { recursive: true });
  await writeFile(join(dataDir, 'test', 'img-1.txt'), 'pixels');
  await writeFile(join(dataDir, 'sample_submission.csv'), 'id,predicted\nimg-1,\n');
  // The solution sits beside the mounted directory, as in a real competition store; it must not be reachable.
  await mkdir(join(root, 'competition', 'hidden'), { recursive: true });
  await writeFile(join(root, 'competition', 'hidden', 'solution.csv'), 'id,height,width,encoding,Usage\n');
  runner = new DockerKernelRunner({ owner: OWNER, pool: POOL, scratchRoot: join(root, 'scratch'), onWarning: (m) => warnings.push(m) });
  assert.equal(await runner.workingCapMode(), 'loop', `this machine must give kernels a hard cap: ${warnings.join('; ')}`);
});

after(async () => {
  const left = await suiteContainers();
  for (const id of left) await docker.getContainer(id).remove({ force: true }).catch(() => undefined);
  const volumes = await volumesUnder(root);
  await releaseVolumesUnder(root);
  await rm(root, { recursive: true, force: true });
  assert.deepEqual(left, [], 'no container of this suite outlived it');
  assert.deepEqual(volumes, { mounts: [], loops: [] }, 'no working volume of this suite outlived it');
});

describe('DockerKernelRunner: happy paths', () => {
  it('runs a script that reads the competition data and writes submission.csv', async () => {
    const r = await runKernel(`
import os, json
rows = sorted(os.listdir('/kaggle/input/comp/test'))
with open('/kaggle/working/submission.csv', 'w') as f:
    f.write('id,predicted\\n' + ''.join(n.split('.')[0] + ',1 3\\n' for n in rows))
os.makedirs('/kaggle/working/extra', exist_ok=True)
open('/kaggle/working/extra/notes.txt', 'w').write('kept')
print('RESULT ' + json.dumps({'uid': os.getuid(), 'cwd': os.getcwd(), 'home': os.environ['HOME']}))
`);
    assert.equal(r.outcome, 'succeeded', r.logTail);
    assert.equal(r.exitCode, 0);
    assert.equal(r.message, null);
    assert.ok(r.submissionPath);
    assert.equal(await readFile(r.submissionPath, 'utf8'), 'id,predicted\nimg-1,1 3\n');
    assert.equal(await readFile(join(r.submissionPath, '..', 'extra', 'notes.txt'), 'utf8'), 'kept');
    assert.deepEqual(resultOf(r), { uid: 1000, cwd: '/kaggle/working', home: '/tmp' });
    assert.match(r.live, /RESULT /, 'output was streamed live');
    const id = (await docker.getImage(IMAGE).inspect()).Id;
    assert.equal(r.imageDigest, id);
    assert.match(r.imageDigest, /^sha256:[0-9a-f]{64}$/);
    assert.ok(r.durationMs > 0 && r.durationMs < 30_000);
  });

  it('resolves an image pinned by digest only to that image, and names both digests when the engine has another build', async () => {
    const id = (await docker.getImage(IMAGE).inspect()).Id;
    assert.equal(await runner.resolveImage(IMAGE), id);
    assert.equal(await runner.resolveImage(`${IMAGE}@${id}`), id);
    const other = `sha256:${'0'.repeat(64)}`;
    await assert.rejects(runner.resolveImage(`${IMAGE}@${other}`), (err: unknown) => {
      assert.ok(err instanceof KernelImageMismatchError && err instanceof KernelImageNotFoundError, String(err));
      assert.equal(err.message, `kernel image ${IMAGE} on this engine is ${id}, not the ${other} the competition pins (load the pinned image on this host)`);
      return true;
    });
    await assert.rejects(runner.resolveImage(`holdout/no-such-image:x@${id}`), (err: unknown) => err instanceof KernelImageNotFoundError && !(err instanceof KernelImageMismatchError));
  });

  it('mounts attached datasets read-only under /kaggle/input/<name>', async () => {
    const weights = join(root, 'weights');
    await mkdir(weights, { recursive: true });
    await writeFile(join(weights, 'model.txt'), 'w=0.5');
    const r = await runKernel(
      `
w = open('/kaggle/input/my-weights/model.txt').read()
open('/kaggle/working/submission.csv', 'w').write('id,predicted\\n# ' + w + '\\n')
`,
      { inputs: [{ hostPath: weights, name: 'my-weights' }] },
    );
    assert.equal(r.outcome, 'succeeded', r.logTail);
    assert.match(await readFile(r.submissionPath!, 'utf8'), /w=0\.5/);
  });

  it('executes a notebook, streaming cell output, and keeps the executed notebook', async () => {
    const r = await runKernel(
      notebook(
        "import os\nrows = sorted(os.listdir('/kaggle/input/comp/test'))\nprint('found', len(rows), 'test images')",
        "open('submission.csv', 'w').write('id,predicted\\n' + ''.join(n.split('.')[0] + ',\\n' for n in rows))\n6 * 7",
      ),
      { kind: 'ipynb' },
    );
    assert.equal(r.outcome, 'succeeded', r.logTail);
    assert.equal(await readFile(r.submissionPath!, 'utf8'), 'id,predicted\nimg-1,\n');
    assert.match(r.log, /found 1 test images/);
    assert.match(r.log, /^42$/m, 'execute_result printed');
    const executed = JSON.parse(await readFile(join(r.submissionPath!, '..', '__notebook__.ipynb'), 'utf8'));
    assert.equal(executed.cells[1].execution_count, 2);
  });
});

describe('DockerKernelRunner: failure classes', () => {
  it('stops a kernel sleeping past its time limit: timeout', async () => {
    const t0 = Date.now();
    const r = await runKernel(`import time\nprint('sleeping', flush=True)\ntime.sleep(120)`, { limits: { wallSeconds: 2 } });
    assert.equal(r.outcome, 'timeout');
    assert.match(r.message!, /2 s time limit/);
    assert.ok(r.durationMs >= 2000 && r.durationMs < 10_000, `duration ${r.durationMs}`);
    assert.ok(Date.now() - t0 < 20_000);
    assert.match(r.log, /sleeping/);
    assert.ok(r.peakMemoryBytes !== null && r.peakMemoryBytes > 1 * MiB && r.peakMemoryBytes < 256 * MiB, `peak ${r.peakMemoryBytes}`);
  });

  it('classes a memory bomb as oom and records peak memory near the limit', async () => {
    const r = await runKernel(
      // Growing over ~3 s rather than at once: the engine samples memory about once a second, and
      // on a loaded machine a bomb that dies within one sample records too low a peak.
      `
import time
chunks = []
while True:
    chunks.append(bytearray(8 * 1024 * 1024))
    time.sleep(0.25)
`,
      { limits: { memoryBytes: 96 * MiB } },
    );
    assert.equal(r.outcome, 'oom', `${r.outcome} ${r.exitCode} ${r.logTail}`);
    assert.match(r.message!, /96 MiB memory limit/);
    assert.equal(r.submissionPath, null);
    if (r.peakMemoryBytes !== null) {
      assert.ok(r.peakMemoryBytes > 48 * MiB && r.peakMemoryBytes <= 97 * MiB, `peak ${r.peakMemoryBytes}`);
    }
  });

  it('classes a notebook whose kernel is OOM-killed as oom', async () => {
    const r = await runKernel(notebook('chunks = []\nwhile True:\n    chunks.append(bytearray(8 * 1024 * 1024))'), {
      kind: 'ipynb',
      limits: { memoryBytes: 160 * MiB },
    });
    assert.equal(r.outcome, 'oom', `${r.outcome} ${r.exitCode} ${r.logTail}`);
  });

  it('classes a raised exception as exception with the last lines of the log', async () => {
    const r = await runKernel(`
print('step 1')
def predict():
    raise ValueError('mask shape (520, 704) does not match (704, 520)')
predict()
`);
    assert.equal(r.outcome, 'exception');
    assert.equal(r.exitCode, 1);
    // stdout and stderr travel separately through the engine, so their relative order is not kept.
    assert.match(r.logTail, /^step 1$/m);
    assert.match(r.logTail, /^ValueError: mask shape \(520, 704\) does not match \(704, 520\)$/m);
    assert.match(r.message!, /exit code 1/);
  });

  it('classes a failing notebook cell as exception with its traceback', async () => {
    const r = await runKernel(notebook("print('cell one ok')", "import numpy as np\nnp.zeros(3).reshape(2, 2)"), {
      kind: 'ipynb',
    });
    assert.equal(r.outcome, 'exception');
    assert.match(r.logTail, /cell one ok/);
    assert.match(r.logTail, /ValueError: cannot reshape array of size 3/);
    assert.doesNotMatch(r.logTail, /\x1b\[/, 'no terminal colour codes');
  });

  it('classes a clean exit without submission.csv as no-submission-file', async () => {
    const r = await runKernel(`open('/kaggle/working/submision.csv', 'w').write('typo')`);
    assert.equal(r.outcome, 'no-submission-file');
    assert.equal(r.exitCode, 0);
    assert.equal(r.submissionPath, null);
  });

  it('does not accept a submission.csv that is a symlink to somewhere else', async () => {
    const r = await runKernel(`import os\nos.symlink('/etc/passwd', '/kaggle/working/submission.csv')`);
    assert.equal(r.outcome, 'no-submission-file');
  });

  it('cancels a running kernel through its AbortSignal', async () => {
    const ac = new AbortController();
    const r = await runKernel(`import time\nprint('started', flush=True)\ntime.sleep(120)`, {
      options: {
        signal: ac.signal,
        onLog: (c) => {
          if (c.text.includes('started')) ac.abort();
        },
      },
    });
    assert.equal(r.outcome, 'cancelled');
    assert.ok(r.durationMs < 15_000, `duration ${r.durationMs}`);
  });

  it('returns cancelled without starting anything when already aborted', async () => {
    const ac = new AbortController();
    ac.abort();
    const r = await runKernel(`open('/kaggle/working/submission.csv', 'w').write('x')`, { options: { signal: ac.signal } });
    assert.equal(r.outcome, 'cancelled');
    assert.equal(r.exitCode, null);
  });
});

describe('DockerKernelRunner: hostile kernels', () => {
  it('has no network: only lo, and the host loopback server is unreachable', async () => {
    let connections = 0;
    const server: Server = createServer((s) => {
      connections += 1;
      s.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const r = await runKernel(`
import json, os, socket
ifaces = sorted(os.listdir('/sys/class/net'))
dev = [l.split(':')[0].strip() for l in open('/proc/net/dev').read().splitlines()[2:]]
try:
    s = socket.create_connection(('127.0.0.1', ${port}), timeout=3)
    reached = True
except OSError as e:
    reached = False
print('RESULT ' + json.dumps({'ifaces': ifaces, 'dev': sorted(dev), 'reached': reached}))
`);
      assert.deepEqual(resultOf(r), { ifaces: ['lo'], dev: ['lo'], reached: false });
      assert.equal(connections, 0, 'the host server saw no connection');
    } finally {
      server.close();
    }
  });

  it('stops a fork bomb at the PID limit while another run is unaffected', async () => {
    const bomb = runKernel(
      `
import json, os, time
n = 0
err = None
for i in range(2000):
    try:
        if os.fork() == 0:
            time.sleep(60)
            os._exit(0)
        n += 1
    except OSError as e:
        err = e.errno
        break
print('RESULT ' + json.dumps({'forked': n, 'errno': err}), flush=True)
`,
      { limits: { pids: 64 } },
    );
    const bystander = runKernel(`open('/kaggle/working/submission.csv', 'w').write('id,predicted\\n')`);
    const [b, ok] = await Promise.all([bomb, bystander]);
    const res = resultOf(b);
    assert.ok(res.forked < 64, `forked ${res.forked}`);
    assert.equal(res.errno, 11, 'EAGAIN from the pids limit');
    assert.equal(b.outcome, 'no-submission-file', 'ended when its main process did: children did not keep it alive');
    assert.ok(b.durationMs < 30_000);
    assert.equal(ok.outcome, 'succeeded');
  });

  it('stops a writer at full speed exactly at the /kaggle/working cap: ENOSPC, the class and message of an exceeded cap', async () => {
    const cap = 64 * MiB;
    const r = await runKernel(
      `
import json, os, subprocess, time
# dd at full speed; then a small writer fills what a refused large write leaves.
t0 = time.time()
dd = subprocess.run(['dd', 'if=/dev/zero', 'of=/kaggle/working/fill.bin', 'bs=1M'], capture_output=True, text=True)
ms = (time.time() - t0) * 1000
small, err = 0, None
try:
    with open('/kaggle/working/rest.bin', 'wb', buffering=0) as f:
        while True:
            small += f.write(b'y' * 4096)
except OSError as e:
    err = e.errno
sizes = {n: os.path.getsize('/kaggle/working/' + n) for n in sorted(os.listdir('/kaggle/working'))}
st = os.statvfs('/kaggle/working')
print('RESULT ' + json.dumps({'ddExit': dd.returncode, 'ddErr': dd.stderr.strip().splitlines()[0], 'ms': ms, 'errno': err, 'sizes': sizes, 'avail': st.f_bavail * st.f_frsize}), flush=True)
open('/kaggle/working/submission.csv', 'w').write('id,predicted\\n')
`,
      { limits: { outputBytes: cap } },
    );
    const res = resultOf(r);
    const total = res.sizes['fill.bin'] + res.sizes['rest.bin'];
    console.log(`# hard cap ${cap}: dd wrote ${res.sizes['fill.bin']} bytes in ${Math.round(res.ms)} ms, then 4 KiB writes ${res.sizes['rest.bin']}; ${total} in all`);
    assert.notEqual(res.ddExit, 0);
    assert.match(res.ddErr, /No space left on device/);
    assert.equal(res.errno, 28, 'ENOSPC');
    assert.ok(total <= cap, `wrote ${total} > cap ${cap}`);
    assert.ok(total >= cap - 4 * 4096, `wrote ${total}: the whole cap is usable`);
    assert.ok(res.sizes['fill.bin'] >= cap - 2 * MiB, `dd stopped at ${res.sizes['fill.bin']}`);
    assert.equal(res.avail, 0);
    // Its submission.csv could not even be written: the run fails as an exceeded cap.
    assert.equal(r.outcome, 'exception');
    assert.match(r.message!, /more than the 64 MiB \/kaggle\/working limit: writing past it failed with "No space left on device"/);
    assert.equal(r.submissionPath, null);
    assert.ok(r.durationMs < 30_000);
  });

  it('a kernel that hits the cap, catches ENOSPC and still exits cleanly fails the same way', async () => {
    const r = await runKernel(
      `
try:
    with open('/kaggle/working/fill.bin', 'wb') as f:
        while True:
            f.write(b'x' * (1024 * 1024))
except OSError as e:
    print('caught', e.errno, flush=True)
`,
      { limits: { outputBytes: 8 * MiB } },
    );
    assert.match(r.log, /caught 28/);
    assert.equal(r.exitCode, 0);
    assert.equal(r.outcome, 'exception');
    assert.match(r.message!, /more than the 8 MiB \/kaggle\/working limit/);
  });

  it('collects outputs from the volume: a kernel close to the cap but within it succeeds', async () => {
    const r = await runKernel(
      `
with open('/kaggle/working/model.bin', 'wb') as f:
    f.write(b'm' * (5 * 1024 * 1024))
open('/kaggle/working/submission.csv', 'w').write('id,predicted\\nimg-1,1 3\\n')
`,
      { limits: { outputBytes: 16 * MiB } },
    );
    assert.equal(r.outcome, 'succeeded', `${r.message} ${r.logTail}`);
    assert.equal(await readFile(r.submissionPath!, 'utf8'), 'id,predicted\nimg-1,1 3\n');
    assert.equal((await stat(join(r.submissionPath!, '..', 'model.bin'))).size, 5 * MiB);
  });

  it('a sparse file larger than the cap passes the volume but is not collected, and fails the run', async () => {
    const r = await runKernel(
      `
with open('/kaggle/working/sparse.bin', 'wb') as f:
    f.seek(1024 ** 3)
    f.write(b'x')
open('/kaggle/working/submission.csv', 'w').write('id,predicted\\n')
`,
      { limits: { outputBytes: 8 * MiB } },
    );
    assert.equal(r.outcome, 'exception');
    assert.match(r.message!, /left more than 8 MiB in \/kaggle\/working/);
    const copied = await readdir(join(r.logPath, '..', 'working'));
    assert.ok(!copied.includes('sparse.bin'), 'an over-cap file is not collected');
  });

  it('without loop devices (poll fallback) a kernel filling /kaggle/working past the cap is still stopped', async () => {
    const polling = new DockerKernelRunner({ owner: `${OWNER}-poll`, pool: POOL, scratchRoot: join(root, 'scratch'), workingCap: 'poll', outputPollMs: 250 });
    assert.equal(await polling.workingCapMode(), 'poll');
    const r = await runKernel(
      `
import time
with open('/kaggle/working/fill.bin', 'wb') as f:
    for i in range(200):  # bounded: 200 MiB at most, then wait to be stopped
        f.write(b'x' * (1024 * 1024))
        f.flush()
time.sleep(60)
`,
      { runner: polling, limits: { outputBytes: 8 * MiB } },
    );
    assert.equal(r.outcome, 'exception');
    assert.match(r.message!, /more than 8 MiB to \/kaggle\/working and was stopped/);
    assert.ok(r.durationMs < 30_000);
    const copied = await readdir(join(r.logPath, '..', 'working'));
    assert.ok(!copied.includes('fill.bin'), 'an over-cap file is not collected');
  });

  it('caps /tmp: filling it fails with ENOSPC inside the kernel', async () => {
    const r = await runKernel(
      `
import json
written = 0
err = None
try:
    with open('/tmp/fill.bin', 'wb') as f:
        while written < 256 * 1024 * 1024:
            f.write(b'x' * (1024 * 1024))
            f.flush()
            written += 1024 * 1024
except OSError as e:
    err = e.errno
print('RESULT ' + json.dumps({'written': written, 'errno': err}))
open('/kaggle/working/submission.csv', 'w').write('id,predicted\\n')
`,
      { limits: { tmpBytes: 16 * MiB, memoryBytes: 256 * MiB } },
    );
    assert.equal(r.outcome, 'succeeded', r.logTail);
    const res = resultOf(r);
    assert.equal(res.errno, 28, 'ENOSPC');
    assert.ok(res.written <= 16 * MiB, `wrote ${res.written}`);
  });

  it('cannot write to read-only paths, gain privileges or find the solution file', async () => {
    const r = await runKernel(`
import errno, json, os
results = {}
for path in ['/x', '/etc/passwd', '/usr/lib/x', '/kaggle/x', '/home/kaggle/x', '/kaggle/input/comp/x', '/kaggle/input/comp/test/img-1.txt', '/kaggle/src/x']:
    try:
        with open(path, 'a') as f:
            f.write('pwned')
        results[path] = 'written'
    except OSError as e:
        results[path] = errno.errorcode[e.errno]
try:
    os.setuid(0)
    root = True
except OSError:
    root = False
cap_eff = [l.split()[1] for l in open('/proc/self/status') if l.startswith('CapEff')][0]
cap_bnd = [l.split()[1] for l in open('/proc/self/status') if l.startswith('CapBnd')][0]
nnp = [l.split()[1] for l in open('/proc/self/status') if l.startswith('NoNewPrivs')][0]
found = []
for top in ['/kaggle', '/tmp', '/home', '/root', '/srv', '/mnt', '/var', '/opt']:
    for d, _, files in os.walk(top):
        found += [os.path.join(d, f) for f in files if 'solution' in f.lower()]
print('RESULT ' + json.dumps({'writes': results, 'root': root, 'capEff': cap_eff, 'capBnd': cap_bnd, 'noNewPrivs': nnp, 'found': found}))
`);
    const res = resultOf(r);
    for (const [path, outcome] of Object.entries(res.writes)) {
      assert.ok(outcome === 'EROFS' || outcome === 'EACCES', `${path}: ${outcome}`);
    }
    // The kernel user owns /home/kaggle in the image: only a read-only root stops this write.
    assert.equal(res.writes['/home/kaggle/x'], 'EROFS');
    assert.equal(res.writes['/kaggle/input/comp/x'], 'EROFS');
    assert.equal(res.root, false);
    assert.equal(res.capEff, '0000000000000000');
    assert.equal(res.capBnd, '0000000000000000', 'all capabilities dropped, not just unused');
    assert.equal(res.noNewPrivs, '1');
    assert.deepEqual(res.found, []);
    assert.equal(await readFile(join(dataDir, 'test', 'img-1.txt'), 'utf8'), 'pixels', 'host data untouched');
  });

  it('caps a kernel printing far beyond the log cap, keeping the real tail', async () => {
    const r = await runKernel(
      `
import sys
line = 'x' * 1023 + '\\n'
for i in range(32 * 1024):  # 32 MiB
    sys.stdout.write(line)
print('THE END')
open('/kaggle/working/submission.csv', 'w').write('id,predicted\\n')
`,
      { limits: { logBytes: 64 * 1024 } },
    );
    assert.equal(r.outcome, 'succeeded');
    assert.equal(r.logTruncated, true);
    assert.ok(r.logBytesSeen >= 32 * MiB, `seen ${r.logBytesSeen}`);
    const size = (await stat(r.logPath)).size;
    assert.ok(size <= 64 * 1024 + 512, `log file ${size} bytes`);
    assert.match(r.log, /log truncated after 65536 bytes/);
    assert.ok(r.live.length <= 64 * 1024 + 512, 'live stream capped too');
    assert.match(r.logTail, /THE END$/);
  });

  it('leaves no background process behind when the kernel exits', async () => {
    // A duration no other process on the host uses: the check below looks for it among all of the
    // host's processes (a developer's own `sleep 300` once failed it).
    const seconds = (300 + Math.random()).toFixed(6);
    const r = await runKernel(`
import os, subprocess
subprocess.Popen(['sleep', '${seconds}'], start_new_session=True)
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        import time
        time.sleep(300)
    os._exit(0)
open('/kaggle/working/submission.csv', 'w').write('id,predicted\\n')
`);
    assert.equal(r.outcome, 'succeeded');
    assert.ok(r.durationMs < 20_000, `duration ${r.durationMs}`);
    const sleepers = execFileSync('ps', ['-eo', 'args']).toString().split('\n').filter((l) => l.trim() === `sleep ${seconds}`);
    assert.deepEqual(sleepers, [], 'no kernel process survives on the host');
  });
});

describe('DockerKernelRunner: reconcile', () => {
  it("removes a dead worker's containers and scratch dirs, and leaves active runs alone", async () => {
    const crashed = new DockerKernelRunner({ owner: OWNER, scratchRoot: join(root, 'scratch') });
    // Settles as the outcome, or the error's name when the runner notices its sandbox vanished.
    const longRun = runKernel(`import time\nprint('up', flush=True)\ntime.sleep(120)`).then(
      (r) => r.outcome as string,
      (err: Error) => err.name,
    );
    // Wait until the long run's container is running.
    const deadline = Date.now() + 20_000;
    let ids: string[] = [];
    while (Date.now() < deadline && ids.length === 0) {
      ids = (await docker.listContainers({ filters: { label: [`holdout.owner=${OWNER}`], status: ['running'] } })).map((c) => c.Id);
      if (ids.length === 0) await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(ids.length, 1, 'the long run is running');
    const runId = (await docker.getContainer(ids[0]!).inspect()).Config.Labels['holdout.run']!;
    const scratch = join(root, 'scratch', OWNER, runId);
    assert.equal((await volumesUnder(scratch)).mounts.length, 1, 'the run has its working volume mounted');

    // The run is still live elsewhere: reconcile leaves it.
    const kept = await crashed.reconcile({ isRunActive: (id) => id === runId });
    assert.deepEqual(kept.orphans, []);
    assert.deepEqual(kept.active, [runId]);

    // A restarted worker that does not know the run: it is an orphan and removed.
    const found = await crashed.reconcile({ isRunActive: () => false });
    assert.deepEqual(
      found.orphans.map((o) => ({ runId: o.runId, handle: o.handle, action: o.action })),
      [{ runId, handle: ids[0], action: 'removed' }],
    );
    assert.ok(found.removedScratchDirs.some((d) => d.endsWith(runId)));
    assert.deepEqual(await containersOf(`holdout.run=${runId}`), []);
    assert.deepEqual(await volumesUnder(scratch), { mounts: [], loops: [] }, 'its working volume was released before its scratch was removed');

    // The original driver of the run notices its container vanished and ends (killed from outside, or
    // KernelSandboxLostError, depending on when it looked), rather than hanging.
    const ended = await longRun;
    assert.ok([KernelKilledFromOutsideError.name, KernelSandboxLostError.name].includes(ended), ended);
  });

  it('does not touch containers of other owners', async () => {
    const other = new DockerKernelRunner({ owner: `${OWNER}-other`, scratchRoot: join(root, 'scratch') });
    const mine = runKernel(`import time\ntime.sleep(3)\nopen('/kaggle/working/submission.csv', 'w').write('id,predicted\\n')`);
    await new Promise((r) => setTimeout(r, 1000));
    const found = await other.reconcile({ isRunActive: () => false });
    assert.deepEqual(found.orphans, []);
    assert.equal((await mine).outcome, 'succeeded');
  });

  it("any worker removes a dead worker's sandboxes and working volumes; a live owner's and another pool's stay", async () => {
    const scratchRoot = join(root, 'scratch');
    const make = (suffix: string, pool = POOL) => new DockerKernelRunner({ owner: `${OWNER}-${suffix}`, pool, scratchRoot, onWarning: (m) => warnings.push(m) });
    const dead = make('dead');
    const live = make('live');
    const elsewhere = make('elsewhere', `${POOL}-other`);
    const sleeper = `import time\nprint('up', flush=True)\ntime.sleep(8)\nopen('/kaggle/working/submission.csv', 'w').write('id,predicted\\n')`;
    const settle = (p: Promise<RunResult>) => p.then((r) => r.outcome as string, (err: Error) => err.name);
    const runs = {
      dead: settle(runKernel(sleeper, { runner: dead })),
      live: settle(runKernel(sleeper, { runner: live })),
      elsewhere: settle(runKernel(sleeper, { runner: elsewhere })),
    };
    const running = async () =>
      (await docker.listContainers({ filters: { label: ['holdout.role=kernel'], status: ['running'] } })).filter((c) => c.Labels['holdout.owner']?.startsWith(`${OWNER}-`));
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && (await running()).length < 3) await new Promise((r) => setTimeout(r, 200));
    assert.equal((await running()).length, 3, 'three sandboxes running');
    const deadScratch = join(scratchRoot, `${OWNER}-dead`);
    assert.equal((await volumesUnder(deadScratch)).mounts.length, 1, `the dead owner's run has its working volume (${warnings.join('; ')})`);

    // The sweep from this suite's runner (another owner): only the dead owner's are its business.
    const asked: string[] = [];
    const swept = await runner.sweepDeadOwners({
      isOwnerAlive: (owner) => {
        asked.push(owner);
        return owner !== `${OWNER}-dead` && owner !== `${OWNER}-elsewhere`;
      },
    });
    assert.deepEqual(swept.deadOwners, [`${OWNER}-dead`]);
    assert.deepEqual(swept.orphans.map((o) => o.owner), [`${OWNER}-dead`]);
    assert.ok(!asked.includes(OWNER), 'never asks about itself');
    assert.ok(!asked.includes(`${OWNER}-elsewhere`), 'another pool is not looked at');
    assert.deepEqual(await volumesUnder(deadScratch), { mounts: [], loops: [] }, 'the dead owner\'s working volume was released');
    assert.ok(swept.removedScratchDirs.length === 1 && swept.removedScratchDirs[0]!.startsWith(deadScratch));
    const left = (await running()).map((c) => c.Labels['holdout.owner']).sort();
    assert.deepEqual(left, [`${OWNER}-elsewhere`, `${OWNER}-live`]);

    assert.deepEqual(warnings, [], 'every runner here got loop volumes');
    assert.deepEqual(await runs.live, 'succeeded');
    assert.deepEqual(await runs.elsewhere, 'succeeded');
    assert.ok([KernelKilledFromOutsideError.name, KernelSandboxLostError.name].includes(await runs.dead), await runs.dead);
  });
});
