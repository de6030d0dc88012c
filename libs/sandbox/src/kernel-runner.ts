/**
 * The engine-neutral contract for running a kernel (a student's `.py` script or `.ipynb`
 * notebook) in a sandbox. Nothing here names Docker: a Kubernetes backend (a Job per run) can
 * implement the same interface.
 */

/** Kaggle's failure classes, plus `cancelled`. "Submission scoring error" is the scorer's, not ours. */
export type RunOutcome = 'succeeded' | 'timeout' | 'oom' | 'exception' | 'no-submission-file' | 'cancelled';

export const RUN_OUTCOMES: readonly RunOutcome[] = [
  'succeeded',
  'timeout',
  'oom',
  'exception',
  'no-submission-file',
  'cancelled',
];

export interface KernelEntry {
  /** Host path of the script or notebook. It is mounted read-only; its file name is kept. */
  path: string;
  kind: 'py' | 'ipynb';
}

/** A read-only directory (for example a dataset a student attached) at `/kaggle/input/<name>/`. */
export interface KernelInput {
  hostPath: string;
  name: string;
}

export interface KernelLimits {
  /** Wall-clock limit, enforced by the runner (kill, then outcome `timeout`). */
  wallSeconds: number;
  /** Memory limit; swap is not allowed (memory + swap = memory). */
  memoryBytes: number;
  /** CPU share, e.g. 2 or 0.5. */
  cpus: number;
  /** Maximum number of processes/threads in the sandbox. */
  pids: number;
  /** Cap on everything written under `/kaggle/working`. */
  outputBytes: number;
  /** Cap on the captured stdout+stderr; what follows is counted and dropped. */
  logBytes: number;
  /** Size of the `/tmp` tmpfs (counts towards memory). Default 512 MiB. */
  tmpBytes?: number;
  /** Size of `/dev/shm` (PyTorch data loaders use it; counts towards memory). Default 64 MiB. */
  shmBytes?: number;
}

export interface KernelRunSpec {
  /** Unique per attempt's subject (the submission/run id). Used in labels and names. */
  runId: string;
  /** Image reference (tag or id). The runner resolves it once and records the digest it ran. */
  image: string;
  entry: KernelEntry;
  /** Competition data (public files plus the hidden test images in `test/`), read-only at `/kaggle/input/<slug>/`. */
  competition: { slug: string; dataDir: string };
  /** Attached datasets, each read-only at `/kaggle/input/<name>/`. */
  inputs: KernelInput[];
  limits: KernelLimits;
  /** Device ids (e.g. `['0']` or GPU UUIDs) this run may use; empty for a CPU run. */
  gpus: string[];
  /**
   * Host directory, owned by the caller, where the runner leaves the outputs it collected:
   * `working/` (regular files from `/kaggle/working`, symlinks dropped) and `kernel.log`.
   * Created when missing. The caller uploads and removes it.
   */
  outputDir: string;
  /** Extra environment variables for the kernel (no secrets: the kernel can print them). */
  env?: Record<string, string>;
}

export interface LogChunk {
  stream: 'stdout' | 'stderr';
  text: string;
}

export interface RunOptions {
  /** Called with live output as it arrives, up to the log cap (then once with a truncation notice). */
  onLog?: (chunk: LogChunk) => void;
  /** Aborting kills the run; its outcome is then `cancelled`. */
  signal?: AbortSignal;
}

export interface RunResult {
  runId: string;
  outcome: RunOutcome;
  /** Exit code of the kernel's process, or null when it never ran to an exit (e.g. killed before start). */
  exitCode: number | null;
  /** From the sandbox starting to it exiting (or being killed). */
  durationMs: number;
  /**
   * Peak memory of the sandbox in bytes. Docker backend: sampled about every 500 ms from the
   * container's cgroup (`memory.max_usage_in_bytes` on cgroup v1, `memory.peak` on v2), which
   * are true high-water marks; when the cgroup files are not visible, the engine's stats are
   * sampled instead (a lower bound). Null when no sample was taken (very short runs).
   */
  peakMemoryBytes: number | null;
  /** Last lines of the output (kept even when the log was truncated), for the `exception` class. */
  logTail: string;
  /** True when the output went past `limits.logBytes` and was cut. */
  logTruncated: boolean;
  /** Total bytes the kernel printed, including what was dropped. */
  logBytesSeen: number;
  /** Host path of the captured log (inside `outputDir`). */
  logPath: string;
  /** Host path of `submission.csv` inside `outputDir`, or null when the kernel wrote none. */
  submissionPath: string | null;
  /** Digest of the image actually run (`sha256:…`, the engine's image id). */
  imageDigest: string;
  /** A short explanation a student can act on, for every outcome except `succeeded`. */
  message: string | null;
}

/** A sandbox found by `reconcile` whose run is not active in this process. */
export interface OrphanedRun {
  runId: string;
  /** Backend-specific handle (the container id for Docker). */
  handle: string;
  /** What the backend reported: `running`, `exited`, `created`, … */
  state: string;
  /** What reconcile did about it. The caller fails or retries the run; a retry starts afresh. */
  action: 'removed';
  /** The runner that started it (set by `sweepDeadOwners`, whose finds are other runners'). */
  owner?: string;
}

export interface ReconcileOptions {
  /** True when the run is still being driven by a live worker (then its sandbox is left alone). */
  isRunActive: (runId: string) => boolean | Promise<boolean>;
}

export interface ReconcileResult {
  orphans: OrphanedRun[];
  /** Sandboxes left alone because `isRunActive` said their run is live. */
  active: string[];
  /** Scratch directories of dead runs that were removed. */
  removedScratchDirs: string[];
}

export interface SweepOptions {
  /**
   * Whether the runner named `owner` is still alive (e.g. its heartbeat key exists). Asked once
   * per owner and sweep; never for the sweeping runner itself.
   */
  isOwnerAlive: (owner: string) => boolean | Promise<boolean>;
}

export interface SweepResult {
  /** Sandboxes of dead owners that were removed. */
  orphans: OrphanedRun[];
  /** Their scratch directories on this machine (working volumes unmounted first). */
  removedScratchDirs: string[];
  /** Owners found dead. */
  deadOwners: string[];
}

export interface KernelRunner {
  /**
   * Runs a kernel to completion. A kernel's own failure (timeout, memory, exception, no
   * submission) is a RunResult, never a throw; a throw means an infrastructure fault (engine
   * down, image missing, bad spec) that the caller may retry or fail.
   */
  run(spec: KernelRunSpec, options?: RunOptions): Promise<RunResult>;
  /** Finds sandboxes of this runner left behind by a crash, removes them and reports them. */
  reconcile(options: ReconcileOptions): Promise<ReconcileResult>;
  /**
   * Removes the sandboxes of other runners (of the same deployment) that died, whatever their
   * owner id, so a worker that never comes back does not leave its kernels running. Optional:
   * a backend whose orchestrator collects them itself need not implement it.
   */
  sweepDeadOwners?(options: SweepOptions): Promise<SweepResult>;
}
