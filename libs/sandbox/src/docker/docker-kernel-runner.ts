import { chmod, chown, copyFile, lstat, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Writable } from 'node:stream';
import Dockerode from 'dockerode';
import { KernelImageNotFoundError, KernelSandboxLostError } from '../errors.js';
import type {
  KernelRunSpec,
  KernelRunner,
  OrphanedRun,
  ReconcileOptions,
  ReconcileResult,
  RunOptions,
  RunOutcome,
  RunResult,
} from '../kernel-runner.js';
import { LogCapture } from '../log-capture.js';
import { copyRegularFiles, measureDir } from '../outputs.js';
import {
  LABEL_OWNER,
  LABEL_ROLE,
  LABEL_RUN,
  NOTEBOOK_DRIVER,
  ROLE_KERNEL,
  buildContainerSpec,
  containerName,
  validateKernelSpec,
} from './container-spec.js';
import { NOTEBOOK_DRIVER_SOURCE } from './notebook-driver.js';

export interface DockerKernelRunnerOptions {
  /** Engine client; default: the local socket (`DOCKER_HOST` honoured by dockerode). */
  docker?: Dockerode;
  /**
   * Names this runner's containers (label `holdout.owner`); reconcile only touches its own.
   * One per worker process on an engine, stable across its restarts (e.g. the host name).
   */
  owner?: string;
  /** Where per-run scratch directories live; default `<tmpdir>/holdout-sandbox`. */
  scratchRoot?: string;
  /** `uid:gid` kernels run as; default `1000:1000` (the runtime image's `kaggle` user). */
  user?: string;
  /** How often peak memory is sampled; default 500 ms. */
  memoryPollMs?: number;
  /** How often the size of /kaggle/working is checked against `outputBytes`; default 1000 ms. */
  outputPollMs?: number;
}

type KillReason = 'timeout' | 'cancelled' | 'output-limit';

/** Runs kernels as Docker containers under the sandbox policy of `buildContainerSpec`. */
export class DockerKernelRunner implements KernelRunner {
  readonly docker: Dockerode;
  readonly owner: string;
  readonly scratchRoot: string;
  private readonly user: string;
  private readonly memoryPollMs: number;
  private readonly outputPollMs: number;
  private readonly active = new Set<string>();

  constructor(options: DockerKernelRunnerOptions = {}) {
    this.docker = options.docker ?? new Dockerode();
    this.owner = options.owner ?? 'default';
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(this.owner)) throw new Error(`owner ${this.owner} must be [A-Za-z0-9_.-]`);
    this.scratchRoot = options.scratchRoot ?? join(tmpdir(), 'holdout-sandbox');
    this.user = options.user ?? '1000:1000';
    this.memoryPollMs = options.memoryPollMs ?? 500;
    this.outputPollMs = options.outputPollMs ?? 1000;
  }

  /** Run ids this runner is driving right now. */
  activeRuns(): string[] {
    return [...this.active];
  }

  /** The image id (`sha256:…`) a reference resolves to on this engine. */
  async resolveImage(image: string): Promise<string> {
    try {
      const info = await this.docker.getImage(image).inspect();
      return info.Id;
    } catch (err) {
      if (statusOf(err) === 404) throw new KernelImageNotFoundError(image);
      throw err;
    }
  }

  async run(spec: KernelRunSpec, options: RunOptions = {}): Promise<RunResult> {
    validateKernelSpec(spec);
    if (this.active.has(spec.runId)) throw new Error(`run ${spec.runId} is already running on this runner`);
    this.active.add(spec.runId);
    const scratch = join(this.scratchRoot, this.owner, spec.runId);
    let container: Dockerode.Container | null = null;
    let capture: LogCapture | null = null;
    try {
      const imageId = await this.resolveImage(spec.image);
      const { codeDir, workingDir } = await this.prepareScratch(scratch, spec);
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
        timers.push(
          setIntervalAsync(async () => {
            const usage = await measureDir(workingDir, spec.limits.outputBytes);
            if (usage.exceeded) kill('output-limit');
          }, this.outputPollMs),
        );
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

      const collected = await this.collectOutputs(workingDir, spec);
      const outcome = decideOutcome({
        killedFor,
        oomKilled: state.OOMKilled,
        exitCode: state.ExitCode,
        hasSubmission: collected.submissionPath !== null,
        outputExceeded: collected.exceeded,
      });
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
      await rm(scratch, { recursive: true, force: true }).catch(() => undefined);
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
      if (await live(runId)) continue;
      await rm(join(ownScratch, runId), { recursive: true, force: true });
      result.removedScratchDirs.push(join(ownScratch, runId));
    }
    return result;
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
    await rm(scratch, { recursive: true, force: true });
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
    const [uid, gid] = this.user.split(':').map(Number);
    try {
      await chown(workingDir, uid!, gid ?? uid!);
    } catch {
      await chmod(workingDir, 0o777); // not root: fall back to a world-writable scratch dir
    }
    return { codeDir, workingDir };
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
  outputExceeded: boolean;
}

interface Decided {
  outcome: RunOutcome;
  reason: KillReason | 'oom' | 'exit' | 'missing' | null;
}

/** Maps how a sandbox ended to Kaggle's classes; our own kills take precedence. Pure. */
export function decideOutcome(input: OutcomeInput): Decided {
  if (input.killedFor === 'cancelled') return { outcome: 'cancelled', reason: 'cancelled' };
  if (input.killedFor === 'timeout') return { outcome: 'timeout', reason: 'timeout' };
  if (input.oomKilled) return { outcome: 'oom', reason: 'oom' };
  if (input.killedFor === 'output-limit' || input.outputExceeded) return { outcome: 'exception', reason: 'output-limit' };
  if (input.exitCode !== 0) return { outcome: 'exception', reason: 'exit' };
  if (!input.hasSubmission) return { outcome: 'no-submission-file', reason: 'missing' };
  return { outcome: 'succeeded', reason: null };
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
