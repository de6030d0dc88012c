import { QUEUES, type KernelRunPhase } from '@holdout/contracts';

/**
 * Kernel rules, written down once. Pure: tested without a server, shared by the API (admission)
 * and the worker (routing, log visibility).
 */

/** Largest kernel source accepted (a notebook with outputs can be a few MB). */
export const KERNEL_SOURCE_LIMIT_BYTES = 8 * 1024 * 1024;
/** Attached files per kernel; their total size is bounded by the upload limit. */
export const MAX_ATTACHMENTS = 20;
/** A run is retried after a worker crash at most this many times in all. */
export const MAX_KERNEL_ATTEMPTS = 3;

/**
 * Whether a kernel has used its attempts: `MAX_KERNEL_ATTEMPTS` per try, where each time staff
 * run again one that failed on our side (`retries`) gives it a fresh set.
 */
export function kernelAttemptsExhausted(o: { attempts: number; retries: number }): boolean {
  return o.attempts > MAX_KERNEL_ATTEMPTS * (o.retries + 1);
}

export type KernelEntryKind = 'py' | 'ipynb';

export type EntryCheck = { ok: true; kind: KernelEntryKind } | { ok: false; message: string };

/** A kernel is a `.py` script or an `.ipynb` notebook (JSON with a `cells` list, nbformat 4). */
export function checkKernelEntry(fileName: string, content: Buffer): EntryCheck {
  const lower = fileName.toLowerCase();
  const kind: KernelEntryKind | null = lower.endsWith('.py') ? 'py' : lower.endsWith('.ipynb') ? 'ipynb' : null;
  if (!kind) return { ok: false, message: `a kernel is a .py script or an .ipynb notebook, not "${fileName}"` };
  if (content.length === 0) return { ok: false, message: `${fileName} is empty` };
  if (content.length > KERNEL_SOURCE_LIMIT_BYTES) return { ok: false, message: `${fileName} is larger than ${KERNEL_SOURCE_LIMIT_BYTES / 1024 / 1024} MB` };
  if (kind === 'py') {
    if (content.includes(0)) return { ok: false, message: `${fileName} is not a text file` };
    return { ok: true, kind };
  }
  let nb: unknown;
  try {
    nb = JSON.parse(content.toString('utf8'));
  } catch (err) {
    return { ok: false, message: `${fileName} is not a valid notebook: ${(err as Error).message}` };
  }
  const o = nb as { cells?: unknown; nbformat?: unknown };
  if (typeof o !== 'object' || o === null || !Array.isArray(o.cells)) return { ok: false, message: `${fileName} is not a notebook: it has no "cells" list` };
  if (o.nbformat !== undefined && o.nbformat !== 4) return { ok: false, message: `${fileName} uses nbformat ${String(o.nbformat)}; save it as nbformat 4` };
  return { ok: true, kind };
}

/** Names usable as a directory under /kaggle/input (the sandbox's rule). */
export const INPUT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Where a kernel waits: GPU kernels only on `kernels-gpu`, unless the instructor allowed CPU fallback. */
export function routeKernel(o: { gpusRequested: number; cpuFallback: boolean }): { queue: string; gpu: boolean } {
  if (o.gpusRequested > 0 && !o.cpuFallback) return { queue: QUEUES.kernelsGpu, gpu: true };
  return { queue: QUEUES.kernels, gpu: false };
}

/**
 * The GPU budget week: Monday 00:00 UTC to the next Monday. A team's usage in it is the summed
 * wall-clock time of its runs that held a GPU (a running one counts up to now), except runs that
 * were cancelled or lost to a worker crash and runs of submissions failed on our side
 * (`infrastructure`). A GPU kernel is refused while the usage has reached the budget.
 */
export function gpuWeek(now: Date): { start: Date; end: Date } {
  const day = (now.getUTCDay() + 6) % 7; // Monday = 0
  const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - day));
  return { start, end: new Date(start.getTime() + 7 * 86_400_000) };
}

/** Runs that do not count against the GPU budget (outcome of the run). */
export const UNCHARGED_RUN_OUTCOMES = ['cancelled', 'lost', 'error'] as const;
/** Nor do the runs of submissions that ended with these classes. */
export const UNCHARGED_GPU_FAILURE_CLASSES = ['infrastructure', 'cancelled'] as const;

/** Whether a run counts against its team's GPU budget. */
export function countsTowardGpuBudget(r: { gpu: boolean; outcome: string | null; submissionErrorClass: string | null }): boolean {
  if (!r.gpu) return false;
  if (r.outcome !== null && (UNCHARGED_RUN_OUTCOMES as readonly string[]).includes(r.outcome)) return false;
  return !(r.submissionErrorClass !== null && (UNCHARGED_GPU_FAILURE_CLASSES as readonly string[]).includes(r.submissionErrorClass));
}

/**
 * A GPU kernel is admitted while the week's usage plus what the team's unfinished GPU kernels hold
 * (`gpuReservationSeconds`) is under the budget (the last one admitted may then overshoot it).
 */
export function gpuBudgetAllows(o: { usedHours: number; reservedHours?: number; limitHours: number }): boolean {
  return o.usedHours + (o.reservedHours ?? 0) < o.limitHours;
}

/**
 * The GPU time an unfinished GPU kernel may still use, held against its team's budget until it
 * ends: the time limit of every run it may make (its public run, and the run over the hidden test
 * data unless it only runs), less what its runs have already counted. So a team just under its
 * budget cannot queue several kernels that together overshoot it: the overshoot is bounded by the
 * last kernel admitted.
 */
export function gpuReservationSeconds(o: { runOnly: boolean; timeLimitSeconds: number; countedSeconds: number }): number {
  return Math.max(0, (o.runOnly ? 1 : 2) * o.timeLimitSeconds - o.countedSeconds);
}

/**
 * What of a kernel run's log (and output files) a viewer who may see the submission sees. Staff
 * see everything; the team sees its public runs (over public data only) whole, and a run over the
 * hidden test data only when the competition allows it (`kernel.showHiddenDataLogs`; Kaggle: no)
 * — otherwise only the failure class.
 */
export function logAccess(o: { staff: boolean; showHiddenDataLogs: boolean; phase: KernelRunPhase }): 'full' | 'class-only' {
  return o.staff || o.phase === 'public' || o.showHiddenDataLogs ? 'full' : 'class-only';
}

/** The environment variable Kaggle sets in the run over the hidden test data (kernels may branch on it). */
export const HIDDEN_RUN_ENV = { KAGGLE_IS_COMPETITION_RERUN: 'True' } as const;

/** The kernel settings of a competition (its `competition.yaml` `kernel:` block as stored). */
export interface CompetitionKernelSettings {
  image: string;
  timeLimitSeconds: number;
  gpus: number;
  memoryBytes: number;
  cpus: number;
  outputLimitBytes: number;
  showHiddenDataLogs: boolean;
  /** Processes and threads at once (the container's pids limit). */
  processes: number;
  /** Public runs a team may start per UTC day (`publicRunsLeft`). */
  publicRunsPerDay: number;
}

const DEFAULTS: CompetitionKernelSettings = {
  image: 'holdout/kernel-runtime:slim',
  timeLimitSeconds: 9 * 3600,
  gpus: 1,
  memoryBytes: 16 * 1024 ** 3,
  cpus: 4,
  outputLimitBytes: 1024 ** 3,
  showHiddenDataLogs: false,
  processes: 256,
  publicRunsPerDay: 20,
};

/** Reads the stored competition config's kernel block, filling the schema's defaults. */
export function kernelSettingsOf(config: Record<string, unknown>): CompetitionKernelSettings {
  const k = (config.kernel ?? {}) as Partial<CompetitionKernelSettings>;
  return {
    image: typeof k.image === 'string' && k.image ? k.image : DEFAULTS.image,
    timeLimitSeconds: num(k.timeLimitSeconds, DEFAULTS.timeLimitSeconds),
    gpus: num(k.gpus, DEFAULTS.gpus, true),
    memoryBytes: num(k.memoryBytes, DEFAULTS.memoryBytes),
    cpus: num(k.cpus, DEFAULTS.cpus),
    outputLimitBytes: num(k.outputLimitBytes, DEFAULTS.outputLimitBytes),
    showHiddenDataLogs: typeof k.showHiddenDataLogs === 'boolean' ? k.showHiddenDataLogs : DEFAULTS.showHiddenDataLogs,
    processes: num(k.processes, DEFAULTS.processes),
    publicRunsPerDay: num(k.publicRunsPerDay, DEFAULTS.publicRunsPerDay),
  };
}

function num(v: unknown, d: number, zeroOk = false): number {
  return typeof v === 'number' && Number.isFinite(v) && (v > 0 || (zeroOk && v === 0)) ? v : d;
}
