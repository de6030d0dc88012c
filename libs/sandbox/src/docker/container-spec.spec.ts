import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KernelRunSpec } from '../kernel-runner.js';
import { InvalidKernelSpecError } from '../errors.js';
import { buildContainerSpec, containerName, type ContainerContext } from './container-spec.js';

const MiB = 1024 * 1024;

function aSpec(overrides: Partial<KernelRunSpec> = {}): KernelRunSpec {
  return {
    runId: 'run-42',
    image: 'holdout/kernel-runtime:slim',
    entry: { path: '/srv/uploads/main.py', kind: 'py' },
    competition: { slug: 'sartorius', dataDir: '/srv/data/sartorius/kernel-view' },
    inputs: [{ hostPath: '/srv/datasets/weights', name: 'my-weights' }],
    limits: { wallSeconds: 9 * 3600, memoryBytes: 2048 * MiB, cpus: 2, pids: 256, outputBytes: 100 * MiB, logBytes: MiB },
    gpus: [],
    outputDir: '/srv/out/run-42',
    ...overrides,
  };
}

const ctx: ContainerContext = {
  imageId: 'sha256:abc',
  workingDir: '/scratch/run-42/working',
  codeDir: '/scratch/run-42/code',
  owner: 'worker-a',
  pool: 'prod',
  user: '1000:1000',
  deadlineMs: 1_700_000_000_000,
};

describe('buildContainerSpec', () => {
  it('applies the whole sandbox policy', () => {
    const opts = buildContainerSpec(aSpec(), ctx);
    const hc = opts.HostConfig!;
    assert.equal(hc.NetworkMode, 'none');
    assert.equal(hc.ReadonlyRootfs, true);
    assert.deepEqual(hc.CapDrop, ['ALL']);
    assert.equal(hc.CapAdd, undefined);
    assert.deepEqual(hc.SecurityOpt, ['no-new-privileges']);
    assert.equal(hc.Privileged, false);
    assert.equal(hc.Init, true);
    assert.equal(hc.Memory, 2048 * MiB);
    assert.equal(hc.MemorySwap, hc.Memory, 'no swap: memory+swap = memory');
    assert.equal(hc.NanoCpus, 2e9);
    assert.equal(hc.PidsLimit, 256);
    assert.deepEqual(hc.Tmpfs, { '/tmp': `rw,nosuid,nodev,size=${512 * MiB},mode=1777` });
    assert.equal(hc.LogConfig?.Type, 'json-file');
    assert.equal(hc.LogConfig?.Config?.['max-file'], '1');
    assert.equal(hc.AutoRemove, false, 'the runner removes it after collecting the state');
    assert.equal(opts.User, '1000:1000');
    assert.equal(opts.Image, 'sha256:abc', 'created from the resolved id, so the recorded digest is what ran');
    assert.equal(opts.Tty, false);
    assert.equal(opts.WorkingDir, '/kaggle/working');
  });

  it('labels the container with its run, owner and pool and names it after the run', () => {
    const opts = buildContainerSpec(aSpec(), ctx);
    assert.deepEqual(opts.Labels, {
      'holdout.role': 'kernel',
      'holdout.run': 'run-42',
      'holdout.owner': 'worker-a',
      'holdout.pool': 'prod',
      'holdout.deadline': '1700000000000',
    });
    assert.equal(buildContainerSpec(aSpec(), { ...ctx, pool: undefined }).Labels!['holdout.pool'], 'default');
    assert.equal(opts.name, containerName('run-42'));
    assert.equal(opts.name, 'holdout-kernel-run-42');
  });

  it("mounts inputs read-only at Kaggle's paths and only working is writable", () => {
    const mounts = buildContainerSpec(aSpec(), ctx).HostConfig!.Mounts!;
    const byTarget = Object.fromEntries(mounts.map((m) => [m.Target, m]));
    assert.deepEqual(Object.keys(byTarget).sort(), [
      '/kaggle/input/my-weights',
      '/kaggle/input/sartorius',
      '/kaggle/src',
      '/kaggle/working',
    ]);
    assert.equal(byTarget['/kaggle/input/sartorius']!.Source, '/srv/data/sartorius/kernel-view');
    assert.equal(byTarget['/kaggle/input/my-weights']!.Source, '/srv/datasets/weights');
    assert.equal(byTarget['/kaggle/working']!.Source, '/scratch/run-42/working');
    for (const m of mounts) {
      assert.equal(m.Type, 'bind');
      assert.equal(m.ReadOnly, m.Target !== '/kaggle/working', `${m.Target} read-only`);
    }
  });

  it('asks for no GPU on a CPU run and hides CUDA devices', () => {
    const opts = buildContainerSpec(aSpec(), ctx);
    assert.deepEqual(opts.HostConfig!.DeviceRequests, []);
    assert.ok(opts.Env!.includes('CUDA_VISIBLE_DEVICES='));
  });

  it('requests exactly the assigned GPUs by device id', () => {
    const opts = buildContainerSpec(aSpec({ gpus: ['1', 'GPU-8f2c'] }), ctx);
    assert.deepEqual(opts.HostConfig!.DeviceRequests, [{ Driver: 'nvidia', DeviceIDs: ['1', 'GPU-8f2c'], Capabilities: [['gpu']] }]);
    assert.equal((opts.HostConfig!.DeviceRequests![0] as { Count?: number }).Count, undefined, 'never "all GPUs"');
    assert.ok(!opts.Env!.some((e) => e.startsWith('CUDA_VISIBLE_DEVICES=')));
  });

  it('runs scripts with python3 and notebooks through the driver', () => {
    assert.deepEqual(buildContainerSpec(aSpec(), ctx).Cmd, ['python3', '/kaggle/src/main.py']);
    const nb = buildContainerSpec(aSpec({ entry: { path: '/u/analysis.ipynb', kind: 'ipynb' } }), ctx);
    assert.deepEqual(nb.Cmd, ['python3', '/kaggle/src/holdout_run_notebook.py', '/kaggle/src/analysis.ipynb']);
  });

  it("honours tmp and shm sizes and keeps platform env over the caller's", () => {
    const opts = buildContainerSpec(
      aSpec({ limits: { ...aSpec().limits, tmpBytes: 64 * MiB, shmBytes: 256 * MiB }, env: { HOME: '/root', SEED: '7' } }),
      ctx,
    );
    assert.match(opts.HostConfig!.Tmpfs!['/tmp']!, new RegExp(`size=${64 * MiB},`));
    assert.equal(opts.HostConfig!.ShmSize, 256 * MiB);
    assert.ok(opts.Env!.includes('SEED=7'));
    assert.ok(opts.Env!.includes('HOME=/tmp'));
    assert.ok(!opts.Env!.includes('HOME=/root'));
  });

  const invalid: Array<[string, Partial<KernelRunSpec>]> = [
    ['a run id with a slash', { runId: 'a/b' }],
    ['an input named ..', { inputs: [{ hostPath: '/x', name: '..' }] }],
    ['an input named with a slash', { inputs: [{ hostPath: '/x', name: 'a/b' }] }],
    ['an input clashing with the slug', { inputs: [{ hostPath: '/x', name: 'sartorius' }] }],
    ['a relative input path', { inputs: [{ hostPath: 'rel/x', name: 'w' }] }],
    ['a relative entry path', { entry: { path: 'main.py', kind: 'py' } }],
    ['an unknown entry kind', { entry: { path: '/main.r', kind: 'r' as 'py' } }],
    ['a zero time limit', { limits: { ...aSpec().limits, wallSeconds: 0 } }],
    ['a tiny memory limit', { limits: { ...aSpec().limits, memoryBytes: 1024 } }],
    ['a NaN cpu share', { limits: { ...aSpec().limits, cpus: Number.NaN } }],
    ['repeated GPUs', { gpus: ['0', '0'] }],
    ['a GPU id with a comma', { gpus: ['0,1'] }],
    ['a bad env name', { env: { 'A=B': 'x' } }],
  ];
  for (const [what, overrides] of invalid) {
    it(`rejects ${what}`, () => {
      assert.throws(() => buildContainerSpec(aSpec(overrides), ctx), InvalidKernelSpecError);
    });
  }

  it('refuses to run kernels as root', () => {
    for (const user of ['0', '0:0', 'root', '00:1000']) {
      assert.throws(() => buildContainerSpec(aSpec(), { ...ctx, user }), InvalidKernelSpecError, user);
    }
  });
});
