import { basename, isAbsolute } from 'node:path';
import type Dockerode from 'dockerode';
import { InvalidKernelSpecError } from '../errors.js';
import type { KernelRunSpec } from '../kernel-runner.js';

/** Labels put on every sandbox container; reconcile finds its own by them. */
export const LABEL_ROLE = 'holdout.role';
export const LABEL_RUN = 'holdout.run';
export const LABEL_OWNER = 'holdout.owner';
/** The deployment (e.g. queue prefix) a container belongs to: dead-owner sweeps stay within it. */
export const LABEL_POOL = 'holdout.pool';
export const LABEL_DEADLINE = 'holdout.deadline';
export const ROLE_KERNEL = 'kernel';

export const KAGGLE_INPUT = '/kaggle/input';
export const KAGGLE_WORKING = '/kaggle/working';
/** Where the entry file (and the notebook driver) are mounted, read-only. */
export const KERNEL_SRC = '/kaggle/src';
export const NOTEBOOK_DRIVER = 'holdout_run_notebook.py';

export const DEFAULT_TMP_BYTES = 512 * 1024 * 1024;
export const DEFAULT_SHM_BYTES = 64 * 1024 * 1024;

export interface ContainerContext {
  /** Image id (`sha256:…`) the spec's image resolved to; the container is created from it. */
  imageId: string;
  /** Host directory bind-mounted read-write at /kaggle/working (owned by `user`). */
  workingDir: string;
  /** Host directory holding the entry file (and driver), bind-mounted read-only at /kaggle/src. */
  codeDir: string;
  /** Runner instance label: reconcile only touches containers with the same owner. */
  owner: string;
  /** Deployment label: a sweep for dead owners only touches containers of its own pool. Default `default`. */
  pool?: string;
  /** `uid:gid` the kernel runs as. Never root. */
  user: string;
  /** Epoch ms after which the run is overdue (recorded as a label for reconcile/sweepers). */
  deadlineMs: number;
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Container name for a run; deterministic so a retried run replaces a leftover one. */
export function containerName(runId: string): string {
  return `holdout-kernel-${runId.replace(/[^A-Za-z0-9_.-]/g, '_')}`;
}

/** The command that runs the entry inside the container. */
export function kernelCommand(spec: KernelRunSpec): string[] {
  const file = `${KERNEL_SRC}/${basename(spec.entry.path)}`;
  return spec.entry.kind === 'py' ? ['python3', file] : ['python3', `${KERNEL_SRC}/${NOTEBOOK_DRIVER}`, file];
}

/** Checks what the engine would not: names, paths and limits. Throws InvalidKernelSpecError. */
export function validateKernelSpec(spec: KernelRunSpec): void {
  const fail = (message: string): never => {
    throw new InvalidKernelSpecError(message);
  };
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/.test(spec.runId)) fail(`runId ${JSON.stringify(spec.runId)} must be 1-100 of [A-Za-z0-9_.-]`);
  if (!spec.image) fail('image is required');
  if (spec.entry.kind !== 'py' && spec.entry.kind !== 'ipynb') fail(`entry kind must be py or ipynb, not ${String(spec.entry.kind)}`);
  const entryName = basename(spec.entry.path);
  if (!isAbsolute(spec.entry.path) || !NAME_RE.test(entryName) || entryName === NOTEBOOK_DRIVER) {
    fail(`entry path ${JSON.stringify(spec.entry.path)} must be absolute with a plain file name`);
  }
  if (!NAME_RE.test(spec.competition.slug)) fail(`competition slug ${JSON.stringify(spec.competition.slug)} is not a valid directory name`);
  if (!isAbsolute(spec.competition.dataDir)) fail('competition dataDir must be an absolute path');
  const names = new Set([spec.competition.slug]);
  for (const input of spec.inputs) {
    if (!NAME_RE.test(input.name)) fail(`input name ${JSON.stringify(input.name)} must be 1-128 of [A-Za-z0-9._-], not starting with . - or _`);
    if (names.has(input.name)) fail(`input name ${input.name} is used twice (or clashes with the competition slug)`);
    if (!isAbsolute(input.hostPath)) fail(`input ${input.name}: hostPath must be absolute`);
    names.add(input.name);
  }
  const l = spec.limits;
  const positive: Array<[string, number | undefined]> = [
    ['wallSeconds', l.wallSeconds],
    ['memoryBytes', l.memoryBytes],
    ['cpus', l.cpus],
    ['pids', l.pids],
    ['outputBytes', l.outputBytes],
    ['logBytes', l.logBytes],
  ];
  for (const [key, value] of positive) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) fail(`limits.${key} must be a positive number`);
  }
  if (l.memoryBytes < 6 * 1024 * 1024) fail('limits.memoryBytes must be at least 6 MiB (the engine refuses less)');
  for (const gpu of spec.gpus) {
    if (!/^[A-Za-z0-9-]+$/.test(gpu)) fail(`gpu device id ${JSON.stringify(gpu)} is not valid`);
  }
  if (new Set(spec.gpus).size !== spec.gpus.length) fail('gpu device ids repeat');
  for (const key of Object.keys(spec.env ?? {})) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) fail(`env name ${JSON.stringify(key)} is not valid`);
  }
}

/**
 * The engine's create options for a kernel run: the whole sandbox policy in one pure function
 * (tested without an engine). No network, read-only root, no capabilities, no privilege
 * escalation, a non-root user, memory without swap, CPU and PID limits, an init process,
 * capped logs, tmpfs /tmp, read-only inputs, GPUs by device id.
 */
export function buildContainerSpec(spec: KernelRunSpec, ctx: ContainerContext): Dockerode.ContainerCreateOptions {
  validateKernelSpec(spec);
  if (/^0*(:|$)/.test(ctx.user) || ctx.user.startsWith('root')) {
    throw new InvalidKernelSpecError('kernels never run as root');
  }
  const { limits } = spec;
  const memory = Math.floor(limits.memoryBytes);
  const tmpBytes = Math.floor(limits.tmpBytes ?? Math.min(DEFAULT_TMP_BYTES, memory));
  const shmBytes = Math.floor(limits.shmBytes ?? DEFAULT_SHM_BYTES);

  const mounts: Dockerode.MountSettings[] = [
    bind(ctx.codeDir, KERNEL_SRC, true),
    bind(spec.competition.dataDir, `${KAGGLE_INPUT}/${spec.competition.slug}`, true),
    ...spec.inputs.map((input) => bind(input.hostPath, `${KAGGLE_INPUT}/${input.name}`, true)),
    bind(ctx.workingDir, KAGGLE_WORKING, false),
  ];

  const deviceRequests: Dockerode.DeviceRequest[] =
    spec.gpus.length > 0 ? [{ Driver: 'nvidia', DeviceIDs: [...spec.gpus], Capabilities: [['gpu']] }] : [];

  const env: Record<string, string> = {
    ...(spec.env ?? {}),
    HOME: '/tmp',
    PYTHONUNBUFFERED: '1',
    PYTHONDONTWRITEBYTECODE: '1',
    MPLCONFIGDIR: '/tmp/matplotlib',
    KAGGLE_KERNEL_RUN_TYPE: 'Batch',
    HOLDOUT_RUN_ID: spec.runId,
    // Without a GPU request, make sure nothing tries to find one.
    ...(spec.gpus.length === 0 ? { CUDA_VISIBLE_DEVICES: '' } : {}),
  };

  return {
    name: containerName(spec.runId),
    Image: ctx.imageId,
    Cmd: kernelCommand(spec),
    Entrypoint: [],
    WorkingDir: KAGGLE_WORKING,
    User: ctx.user,
    Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
    Hostname: 'kernel',
    Labels: {
      [LABEL_ROLE]: ROLE_KERNEL,
      [LABEL_RUN]: spec.runId,
      [LABEL_OWNER]: ctx.owner,
      [LABEL_POOL]: ctx.pool ?? 'default',
      [LABEL_DEADLINE]: String(ctx.deadlineMs),
    },
    AttachStdin: false,
    AttachStdout: true,
    AttachStderr: true,
    OpenStdin: false,
    Tty: false,
    StopSignal: 'SIGKILL',
    HostConfig: {
      NetworkMode: 'none',
      ReadonlyRootfs: true,
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
      Privileged: false,
      Init: true,
      Memory: memory,
      MemorySwap: memory,
      MemorySwappiness: 0,
      OomKillDisable: false,
      NanoCpus: Math.round(limits.cpus * 1e9),
      PidsLimit: Math.floor(limits.pids),
      ShmSize: shmBytes,
      Tmpfs: { '/tmp': `rw,nosuid,nodev,size=${tmpBytes},mode=1777` },
      Mounts: mounts,
      DeviceRequests: deviceRequests,
      // The runner captures output itself (capped); the engine's own copy is capped too so a
      // printing loop cannot fill the host's disk.
      LogConfig: { Type: 'json-file', Config: { 'max-size': String(Math.max(limits.logBytes, 1024 * 1024)), 'max-file': '1' } },
      RestartPolicy: { Name: 'no', MaximumRetryCount: 0 },
      AutoRemove: false,
      IpcMode: 'private',
      Ulimits: [{ Name: 'core', Soft: 0, Hard: 0 }],
    },
  };
}

function bind(source: string, target: string, readOnly: boolean): Dockerode.MountSettings {
  return { Type: 'bind', Source: source, Target: target, ReadOnly: readOnly };
}
