import { chmod, chown, copyFile, lstat, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Writable } from 'node:stream';
import Dockerode from 'dockerode';
import { KernelImageMismatchError, KernelImageNotFoundError, KernelKilledFromOutsideError, KernelSandboxLostError } from '../errors.js';
import type {
  KernelRunSpec,
  KernelRunner,
  OrphanedRun,
  ReconcileOptions,
  ReconcileResult,
  RunOptions,
  RunOutcome,
  RunResult,
  SweepOptions,
  SweepResult,
} from '../kernel-runner.js';
import { LogCapture } from '../log-capture.js';
import { MAX_OUTPUT_ENTRIES, copyRegularFiles, measureDir } from '../outputs.js';
import { createWorkingVolume, probeWorkingVolumes, releaseVolumesUnder, type WorkingVolume } from '../working-volume.js';
import {
  LABEL_OWNER,
  LABEL_POOL,
  LABEL_ROLE,
  LABEL_RUN,
  NOTEBOOK_DRIVER,
  ROLE_KERNEL,
  buildContainerSpec,
  containerName,
  validateKernelSpec,
} from './container-spec.js';
import { NOTEBOOK_DRIVER_SOURCE } from './notebook-driver.js';

/** `name[:tag]@sha256:<64 hex>`: an image reference pinned by digest. */
const PINNED_IMAGE = /^(.+)@(sha256:[0-9a-f]{64})$/;

export interface DockerKernelRunnerOptions {
  /** Engine client; default: the local socket (`DOCKER_HOST` honoured by dockerode). */
  docker?: Dockerode;
  /**
   * Names this runner's containers (label `holdout.owner`); reconcile only touches its own.
   * One per worker process on an engine, stable across its restarts (e.g. the host name).
   */
  owner?: string;
  /**
   * The deployment this runner belongs to (label `holdout.pool`, e.g. the queue prefix): a
   * dead-owner sweep only touches containers and scratch of the same pool, so deployments (or
   * test suites) sharing an engine never remove each other's sandboxes. Default `default`.
   */
  pool?: string;
  /** Where per-run scratch directories live; default `<tmpdir>/holdout-sandbox`. */
  scratchRoot?: string;
  /** `uid:gid` kernels run as; default `1000:1000` (the runtime image's `kaggle` user). */
  user?: string;
  /** How often peak memory is sampled; default 500 ms. */
  memoryPollMs?: number;
  /**
   * How the `/kaggle/working` cap (`limits.outputBytes`) is enforced. `loop`: a filesystem of the
   * cap's size per run (a hard cap: writes past it fail with ENOSPC; needs root and loop
   * devices). `poll`: a plain host directory measured every `outputPollMs`, the run killed past
   * the cap (a fast writer overshoots by what it writes between two checks). `auto` (default):
   * `loop` where a probe volume can be made, else `poll` with one warning.
   */
  workingCap?: 'auto' | 'loop' | 'poll';
  /** Fallback only (`poll`): how often the size of /kaggle/working is checked; default 1000 ms. */
  outputPollMs?: number;
  /** Told once when the runner falls back to something weaker (default: console.warn). */
  onWarning?: (message: string) => void;
}

/** In each owner's scratch directory: the pool it belongs to (dead-owner sweeps check it). */
const POOL_FILE = '.pool';

type KillReason = 'timeout' | 'cancelled' | 'output-limit';

/** Runs kernels as Docker containers under the sandbox policy of `buildContainerSpec`. */
export class DockerKernelRunner implements KernelRunner {
  readonly docker: Dockerode;
  readonly owner: string;
  readonly pool: string;
  readonly scratchRoot: string;
  private readonly user: string;
  private readonly memoryPollMs: number;
  private readonly outputPollMs: number;
  private readonly workingCap: 'auto' | 'loop' | 'poll';
  private readonly warn: (message: string) => void;
  private capMode: Promise<'loop' | 'poll'> | null = null;
  private ownerDirReady = false;
  private readonly active = new Set<string>();

  constructor(options: DockerKernelRunnerOptions = {}) {
    this.docker = options.docker ?? new Dockerode();
    this.owner = options.owner ?? 'default';
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(this.owner)) throw new Error(`owner ${this.owner} must be [A-Za-z0-9_.-]`);
    this.pool = options.pool ?? 'default';
    if (!/^[^\s/]{1,200}$/.test(this.pool)) throw new Error(`pool ${JSON.stringify(this.pool)} must be 1-200 characters without spaces or slashes`);
    this.scratchRoot = options.scratchRoot ?? join(tmpdir(), 'holdout-sandbox');
    this.user = options.user ?? '1000:1000';
    this.memoryPollMs = options.memoryPollMs ?? 500;
    this.outputPollMs = options.outputPollMs ?? 1000;
    this.workingCap = options.workingCap ?? 'auto';
    this.warn = options.onWarning ?? ((m) => console.warn(m));
  }

  /** How this runner enforces the working-directory cap (`auto` is resolved by a probe, once). */
  workingCapMode(): Promise<'loop' | 'poll'> {
    if (this.workingCap !== 'auto') return Promise.resolve(this.workingCap);
    this.capMode ??= (async () => {
      await mkdir(this.scratchRoot, { recursive: true });
      const why = await probeWorkingVolumes(this.scratchRoot);
      if (why === null) return 'loop';
      this.warn(
        `kernel sandbox: /kaggle/working cannot get a filesystem of its own here (${why}); its size cap is ` +
          `enforced by measuring it every ${this.outputPollMs} ms instead, so a fast writer can overshoot it`,
      );
      return 'poll';
    })();
    return this.capMode;
  }

  /** Run ids this runner is driving right now. */
  activeRuns(): string[] {
    return [...this.active];
  }

  /**
   * The image id (`sha256:…`) a reference resolves to on this engine. A reference pinned by digest
   * (`name[:tag]@sha256:…`) must resolve to that image: its id (a locally built or imported image)
   * or one of its registry digests (a pulled one).
   */
  async resolveImage(image: string): Promise<string> {
    const pinned = PINNED_IMAGE.exec(image);
    const name = pinned ? pinned[1]! : image;
    let info: Dockerode.ImageInspectInfo;
    try {
      info = await this.docker.getImage(name).inspect();
    } catch (err) {
      if (statusOf(err) === 404) throw new KernelImageNotFoundError(image);
      throw err;
    }
    if (pinned && info.Id !== pinned[2] && !(info.RepoDigests ?? []).some((d) => d.endsWith(`@${pinned[2]}`))) throw new KernelImageMismatchError(image, info.Id);
    return info.Id;
  }

  async run(spec: KernelRunSpec, options: RunOptions = {}): Promise<RunResult> {
    validateKernelSpec(spec);
    if (this.active.has(spec.runId)) throw new Error(`run ${spec.runId} is already running on this runner`);
    this.active.add(spec.runId);
    const scratch = join(this.scratchRoot, this.owner, spec.runId);
    let container: Dockerode.Container | null = null;
    let capture: LogCapture | null = null;
    let volume: WorkingVolume | null = null;
    try {
      const imageId = await this.resolveImage(spec.image);
      const { codeDir, workingDir } = await this.prepareScratch(scratch, spec);
      if ((await this.workingCapMode()) === 'loop') {
        const [uid, gid] = this.kernelIds();
        volume = await createWorkingVolume({ dir: workingDir, image: join(scratch, 'working.img'), capBytes: spec.limits.outputBytes, uid, gid });
      }
      await mkdir(spec.outputDir, { recursive: true });
      const logPath = join(spec.outputDir, 'kernel.log');
      capture = new LogCapture(logPath, spec.limits.logBytes, options.onLog);

      const base = {
        runId: spec.runId,
        imageDigest: imageId,
        logPath,
      };
      if (options.signal?.aborted) {
        return { ...base, ...this.emptyOutcome('cancelled', spec, 'The run was cancelled before it started.'), logTail: '' };
      }

      await this.removeContainer(containerName(spec.runId)); // a leftover of an earlier attempt
      const createOptions = buildContainerSpec(spec, {
        imageId,
        codeDir,
        workingDir,
        owner: this.owner,
        pool: this.pool,
        user: this.user,
        deadlineMs: Date.now() + spec.limits.wallSeconds * 1000,
      });
      container = await this.docker.createContainer(createOptions);
      const c = container;

      // Attach before start so no early output is lost.
      const stream = (await c.attach({ stream: true, stdout: true, stderr: true })) as NodeJS.ReadWriteStream;
      const cap = capture;
      const streamEnded = new Promise<void>((resolve) => {
        stream.once('end', resolve);
        stream.once('close', resolve);
        stream.once('error', () => resolve());
      });
      this.docker.modem.demuxStream(stream, sink((b) => cap.write('stdout', b)), sink((b) => cap.write('stderr', b)));

      let killedFor: KillReason | null = null;
      const kill = (reason: KillReason) => {
        if (killedFor) return;
        killedFor = reason;
        c.kill({ signal: 'SIGKILL' }).catch(() => undefined); // already gone: fine
      };
      const onAbort = () => kill('cancelled');
      options.signal?.addEventListener('abort', onAbort, { once: true });

      let peak: number | null = null;
      const timers: NodeJS.Timeout[] = [];
      let started = Date.now();
      try {
        await c.start();
        started = Date.now();
        if (options.signal?.aborted) kill('cancelled');
        timers.push(setTimeout(() => kill('timeout'), spec.limits.wallSeconds * 1000));
        const memory = this.memorySampler(c);
        timers.push(
          setIntervalAsync(async () => {
            const v = await memory();
            if (v !== null && (peak === null || v > peak)) peak = v;
          }, this.memoryPollMs),
        );
        // Without a volume of its own, the cap is only as good as this poll.
        if (!volume) {
          timers.push(
            setIntervalAsync(async () => {
              const usage = await measureDir(workingDir, spec.limits.outputBytes);
              if (usage.exceeded) kill('output-limit');
            }, this.outputPollMs),
          );
        }
        await c.wait().catch((err: unknown) => {
          if (statusOf(err) !== 404) throw err; // 404: gone already; inspect below says so
        });
      } finally {
        for (const t of timers) clearTimeout(t);
        options.signal?.removeEventListener('abort', onAbort);
      }
      const durationMs = Date.now() - started;
      // The attach stream may still hold the last output.
      await Promise.race([streamEnded, delay(2000)]);
      const state = await c.inspect().then(
        (info) => info.State,
        (err: unknown) => {
          throw statusOf(err) === 404 ? new KernelSandboxLostError(spec.runId) : err;
        },
      );

      const outputFull = volume ? (await volume.usage()).full : false;
      const collected = await this.collectOutputs(workingDir, spec);
      const outcome = decideOutcome({
        killedFor,
        oomKilled: state.OOMKilled,
        exitCode: state.ExitCode,
        hasSubmission: collected.submissionPath !== null,
        outputExceeded: collected.exceeded,
        outputFull,
      });
      if (killedFromOutside(outcome, state.ExitCode)) throw new KernelKilledFromOutsideError(spec.runId, state.ExitCode);
      await capture.close();
      capture = null;
      return {
        ...base,
        outcome: outcome.outcome,
        exitCode: state.ExitCode,
        durationMs,
        peakMemoryBytes: peak,
        logTail: cap.tailText(),
        logTruncated: cap.isTruncated,
        logBytesSeen: cap.bytesSeen,
        submissionPath: outcome.outcome === 'succeeded' ? collected.submissionPath : null,
        message: messageFor(outcome, spec, state.ExitCode),
      };
    } finally {
      if (capture) await capture.close().catch(() => undefined);
      if (container) await this.removeContainer(container.id).catch(() => undefined);
      // Never `rm -r` into a volume still mounted: a failed release leaves the directory to reconcile.
      const released = volume
        ? await volume.release().then(
            () => true,
            (err: unknown) => {
              this.warn(`kernel sandbox: could not release the working volume of run ${spec.runId}: ${(err as Error).message}`);
              return false;
            },
          )
        : true;
      if (released) await rm(scratch, { recursive: true, force: true }).catch(() => undefined);
      this.active.delete(spec.runId);
    }
  }

  async reconcile(options: ReconcileOptions): Promise<ReconcileResult> {
    const result: ReconcileResult = { orphans: [], active: [], removedScratchDirs: [] };
    const containers = await this.docker.listContainers({
      all: true,
      filters: { label: [`${LABEL_ROLE}=${ROLE_KERNEL}`, `${LABEL_OWNER}=${this.owner}`] },
    });
    const live = async (runId: string) => this.active.has(runId) || (await options.isRunActive(runId));
    for (const info of containers) {
      const runId = info.Labels[LABEL_RUN] ?? '';
      if (runId && (await live(runId))) {
        result.active.push(runId);
        continue;
      }
      await this.removeContainer(info.Id);
      const orphan: OrphanedRun = { runId, handle: info.Id, state: info.State, action: 'removed' };
      result.orphans.push(orphan);
    }
    const ownScratch = join(this.scratchRoot, this.owner);
    const dirs = await readdir(ownScratch).catch(() => [] as string[]);
    for (const runId of dirs) {
      if (runId === POOL_FILE || (await live(runId))) continue;
      await this.removeScratch(join(ownScratch, runId));
      result.removedScratchDirs.push(join(ownScratch, runId));
    }
    return result;
  }

  /**
   * Removes the sandboxes of dead runners of this pool, whatever their owner: containers whose
   * owner `isOwnerAlive` says is gone, and (when that runner shared this machine) its scratch
   * directories with their mounted working volumes; and this runner's own containers that no run
   * of it drives (a start that failed during an engine restart). Its scratch is left to `reconcile`.
   */
  async sweepDeadOwners(options: SweepOptions): Promise<SweepResult> {
    const result: SweepResult = { orphans: [], removedScratchDirs: [], deadOwners: [] };
    const verdicts = new Map<string, boolean>();
    const alive = async (owner: string) => {
      if (owner === this.owner) return true;
      if (!verdicts.has(owner)) verdicts.set(owner, await options.isOwnerAlive(owner));
      return verdicts.get(owner)!;
    };
    const containers = await this.docker.listContainers({
      all: true,
      filters: { label: [`${LABEL_ROLE}=${ROLE_KERNEL}`, `${LABEL_POOL}=${this.pool}`] },
    });
    for (const info of containers) {
      const owner = info.Labels[LABEL_OWNER] ?? '';
      // Ours, yet driven by no run of this runner: what a start that failed while the engine
      // restarted left behind (its removal failed too, the engine being down then).
      if (owner === this.owner && !this.active.has(info.Labels[LABEL_RUN] ?? '')) {
        await this.removeContainer(info.Id);
        result.orphans.push({ runId: info.Labels[LABEL_RUN] ?? '', handle: info.Id, state: info.State, action: 'removed', owner });
        continue;
      }
      if (!owner || (await alive(owner))) continue;
      await this.removeContainer(info.Id);
      result.orphans.push({ runId: info.Labels[LABEL_RUN] ?? '', handle: info.Id, state: info.State, action: 'removed', owner });
    }
    const owners = await readdir(this.scratchRoot).catch(() => [] as string[]);
    for (const owner of owners) {
      if (owner.startsWith('.') || owner === this.owner) continue;
      const dir = join(this.scratchRoot, owner);
      const pool = await readFile(join(dir, POOL_FILE), 'utf8').catch(() => null);
      if (pool !== this.pool || (await alive(owner))) continue;
      for (const runId of await readdir(dir).catch(() => [] as string[])) {
        if (runId === POOL_FILE) continue;
        await this.removeScratch(join(dir, runId));
        result.removedScratchDirs.push(join(dir, runId));
      }
    }
    result.deadOwners = [...verdicts].filter(([, ok]) => !ok).map(([owner]) => owner);
    return result;
  }

  /** A scratch directory, with any volume still mounted in it released first. */
  private async removeScratch(dir: string): Promise<void> {
    await releaseVolumesUnder(dir);
    await rm(dir, { recursive: true, force: true });
  }

  /** The kernel user's uid and gid. */
  private kernelIds(): [number, number] {
    const [uid, gid] = this.user.split(':').map(Number);
    return [uid!, gid ?? uid!];
  }

  private emptyOutcome(outcome: RunOutcome, spec: KernelRunSpec, message: string) {
    void spec;
    return {
      outcome,
      exitCode: null,
      durationMs: 0,
      peakMemoryBytes: null,
      logTruncated: false,
      logBytesSeen: 0,
      submissionPath: null,
      message,
    };
  }

  private async prepareScratch(scratch: string, spec: KernelRunSpec): Promise<{ codeDir: string; workingDir: string }> {
    await this.ensureOwnerDir();
    await this.removeScratch(scratch); // a leftover of an earlier attempt of this run
    const codeDir = join(scratch, 'code');
    const workingDir = join(scratch, 'working');
    await mkdir(codeDir, { recursive: true, mode: 0o755 });
    await mkdir(workingDir, { recursive: true, mode: 0o755 });
    // Parents must be traversable for the engine's bind mounts and the kernel user.
    await chmod(scratch, 0o755);
    const entry = join(codeDir, basename(spec.entry.path));
    await copyFile(spec.entry.path, entry);
    await chmod(entry, 0o644);
    if (spec.entry.kind === 'ipynb') await writeFile(join(codeDir, NOTEBOOK_DRIVER), NOTEBOOK_DRIVER_SOURCE, { mode: 0o644 });
    // The kernel user must own its working directory (it cannot chown anything itself).
    const [uid, gid] = this.kernelIds();
    try {
      await chown(workingDir, uid, gid);
    } catch {
      await chmod(workingDir, 0o777); // not root: fall back to a world-writable scratch dir
    }
    return { codeDir, workingDir };
  }

  /** This owner's scratch directory, marked with its pool for dead-owner sweeps. */
  private async ensureOwnerDir(): Promise<void> {
    if (this.ownerDirReady) return;
    const dir = join(this.scratchRoot, this.owner);
    await mkdir(dir, { recursive: true, mode: 0o755 });
    await writeFile(join(dir, POOL_FILE), this.pool);
    this.ownerDirReady = true;
  }

  private async collectOutputs(workingDir: string, spec: KernelRunSpec) {
    const usage = await measureDir(workingDir, spec.limits.outputBytes);
    const dest = join(spec.outputDir, 'working');
    await rm(dest, { recursive: true, force: true });
    await copyRegularFiles(workingDir, dest, spec.limits.outputBytes);
    const submission = join(dest, 'submission.csv');
    const st = await lstat(submission).catch(() => null);
    return { submissionPath: st?.isFile() ? submission : null, exceeded: usage.exceeded };
  }

  /** Reads the container's peak memory from its cgroup when visible, else the engine's stats. */
  private memorySampler(c: Dockerode.Container): () => Promise<number | null> {
    const candidates = [
      `/sys/fs/cgroup/memory/docker/${c.id}/memory.max_usage_in_bytes`,
      `/sys/fs/cgroup/docker/${c.id}/memory.peak`,
      `/sys/fs/cgroup/system.slice/docker-${c.id}.scope/memory.peak`,
    ];
    let source: string | null | undefined;
    let statsBusy = false;
    return async () => {
      if (source === undefined) {
        source = null;
        for (const path of candidates) {
          if (await readNumber(path).then((v) => v !== null)) {
            source = path;
            break;
          }
        }
      }
      if (source) return readNumber(source);
      if (statsBusy) return null;
      statsBusy = true;
      try {
        const stats = (await c.stats({ stream: false, 'one-shot': true } as { stream: false })) as unknown as {
          memory_stats?: { max_usage?: number; usage?: number };
        };
        return stats.memory_stats?.max_usage || stats.memory_stats?.usage || null;
      } catch {
        return null;
      } finally {
        statsBusy = false;
      }
    };
  }

  /** Removes a container and waits until the engine no longer lists it. Absent already: fine. */
  private async removeContainer(idOrName: string): Promise<void> {
    const container = this.docker.getContainer(idOrName);
    try {
      await container.remove({ force: true, v: true });
      return;
    } catch (err) {
      const status = statusOf(err);
      if (status === 404) return;
      if (status !== 409) throw err;
    }
    // 409: someone else's removal is in progress (a reconcile); wait for it to finish.
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      try {
        await container.inspect();
      } catch (err) {
        if (statusOf(err) === 404) return;
        throw err;
      }
      await delay(100);
    }
    throw new Error(`container ${idOrName} is still being removed after 30 s`);
  }
}

interface OutcomeInput {
  killedFor: KillReason | null;
  oomKilled: boolean;
  exitCode: number;
  hasSubmission: boolean;
  /** The output walk found more than the cap (a sparse file, too many entries, or the poll's view). */
  outputExceeded: boolean;
  /** The working volume was full when the kernel ended: a write failed with ENOSPC at the cap. */
  outputFull?: boolean;
}

interface Decided {
  outcome: RunOutcome;
  reason: KillReason | 'output-full' | 'output-exceeded' | 'oom' | 'exit' | 'missing' | null;
}

/** Maps how a sandbox ended to Kaggle's classes; our own kills take precedence. Pure. */
export function decideOutcome(input: OutcomeInput): Decided {
  if (input.killedFor === 'cancelled') return { outcome: 'cancelled', reason: 'cancelled' };
  if (input.killedFor === 'timeout') return { outcome: 'timeout', reason: 'timeout' };
  if (input.oomKilled) return { outcome: 'oom', reason: 'oom' };
  if (input.killedFor === 'output-limit') return { outcome: 'exception', reason: 'output-limit' };
  if (input.outputFull) return { outcome: 'exception', reason: 'output-full' };
  if (input.outputExceeded) return { outcome: 'exception', reason: 'output-exceeded' };
  if (input.exitCode !== 0) return { outcome: 'exception', reason: 'exit' };
  if (!input.hasSubmission) return { outcome: 'no-submission-file', reason: 'missing' };
  return { outcome: 'succeeded', reason: null };
}

/**
 * Whether a run that ended on a nonzero exit was killed by SIGKILL or SIGTERM that no limit or
 * cancel of ours explains (those are decided before `exit`): the engine stopping, not the kernel.
 * A kernel that kills itself so is retried too, then failed as ours: it gains nothing by it.
 */
export function killedFromOutside(decided: Decided, exitCode: number): boolean {
  return decided.reason === 'exit' && (exitCode === 137 || exitCode === 143);
}

function messageFor(decided: Decided, spec: KernelRunSpec, exitCode: number): string | null {
  switch (decided.reason) {
    case null:
      return null;
    case 'cancelled':
      return 'The run was cancelled.';
    case 'timeout':
      return `Your kernel ran longer than the ${formatSeconds(spec.limits.wallSeconds)} time limit and was stopped.`;
    case 'oom':
      return `Your kernel used more than the ${formatBytes(spec.limits.memoryBytes)} memory limit and was stopped.`;
    case 'output-limit':
      return `Your kernel wrote more than ${formatBytes(spec.limits.outputBytes)} to /kaggle/working and was stopped.`;
    case 'output-exceeded':
      return `Your kernel left more than ${formatBytes(spec.limits.outputBytes)} in /kaggle/working (sparse files count at their full size, and at most ${MAX_OUTPUT_ENTRIES} files).`;
    case 'output-full':
      return `Your kernel wrote more than the ${formatBytes(spec.limits.outputBytes)} /kaggle/working limit: writing past it failed with "No space left on device".`;
    case 'exit':
      return `Your kernel threw an exception (exit code ${exitCode}); see the end of the log.`;
    case 'missing':
      return 'Your kernel finished but wrote no /kaggle/working/submission.csv.';
  }
}

export function formatBytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i += 1;
  }
  return `${Number.isInteger(n) ? n : n.toFixed(1)} ${units[i]}`;
}

export function formatSeconds(s: number): string {
  if (s % 3600 === 0) return `${s / 3600} h`;
  if (s % 60 === 0) return `${s / 60} min`;
  return `${s} s`;
}

function sink(onData: (b: Buffer) => void): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, done) {
      onData(chunk);
      done();
    },
  });
}

/** Like setInterval, but never overlaps a slow tick with the next. */
function setIntervalAsync(fn: () => Promise<void>, ms: number): NodeJS.Timeout {
  const handle = setTimeout(async function tick() {
    try {
      await fn();
    } catch {
      // sampling is best effort
    }
    handle.refresh();
  }, ms);
  return handle;
}

async function readNumber(path: string): Promise<number | null> {
  try {
    const n = Number((await readFile(path, 'utf8')).trim());
    return Number.isFinite(n) && n > 0 ? n : null;
  } catch {
    return null;
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function statusOf(err: unknown): number | undefined {
  return (err as { statusCode?: number } | null)?.statusCode;
}
