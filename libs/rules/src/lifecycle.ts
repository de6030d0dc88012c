import type { FailureClass, KernelRunPhase, SubmissionErrorCode, SubmissionKind, SubmissionStatus } from '@holdout/contracts';

/**
 * The life of a submission, as a table. Every change of `submissions.status` is one of these
 * transitions (libs/db's SubmissionLifecycle is the only code that writes it):
 *
 *   accept                      (new) → queued
 *   claimForScoring   queued | scoring → scoring   a file scorer takes it (or retakes it after a crash)
 *   claimForRun       queued | running → running   a kernel worker takes it (or retakes it after a crash): its public run
 *   startHiddenRun             running → running   the public run wrote a valid file: the run over the hidden test data
 *   refuseOutput               running → failed    the public run's file is not a valid submission (not charged)
 *   completeRun                running → complete  a run without submitting ended with a valid file
 *   collectOutput              running → scoring   the kernel wrote its submission file
 *   recordScore                scoring → scored
 *   reject                     scoring → failed    the scorer refused the file (validation / scoring-error)
 *   failRun                    running → failed    the kernel's own fault (timeout, oom, exception, no file)
 *   failInfrastructure queued | running | scoring → failed   ours: not charged
 *   requeue          running | scoring → queued    ours, retried
 *   cancel             queued | running → cancelled
 *   rescore           scored | failed → scored | failed   a new solution version scores it again
 *   retry                       failed → queued    staff run again a kernel that failed on our side
 *
 * `scored`, `failed`, `cancelled` and `complete` are final except for `rescore`, and `retry` of a kernel that
 * failed on our side (`infrastructure`; the lifecycle guards the class too).
 */
export const TRANSITIONS = {
  accept: { from: [], to: ['queued'] },
  claimForScoring: { from: ['queued', 'scoring'], to: ['scoring'] },
  claimForRun: { from: ['queued', 'running'], to: ['running'] },
  startHiddenRun: { from: ['running'], to: ['running'] },
  refuseOutput: { from: ['running'], to: ['failed'] },
  completeRun: { from: ['running'], to: ['complete'] },
  collectOutput: { from: ['running'], to: ['scoring'] },
  recordScore: { from: ['scoring'], to: ['scored'] },
  reject: { from: ['scoring'], to: ['failed'] },
  failRun: { from: ['running'], to: ['failed'] },
  failInfrastructure: { from: ['queued', 'running', 'scoring'], to: ['failed'] },
  requeue: { from: ['running', 'scoring'], to: ['queued'] },
  cancel: { from: ['queued', 'running'], to: ['cancelled'] },
  rescore: { from: ['scored', 'failed'], to: ['scored', 'failed'] },
  retry: { from: ['failed'], to: ['queued'] },
} as const satisfies Record<string, { from: readonly SubmissionStatus[]; to: readonly SubmissionStatus[] }>;

export type Transition = keyof typeof TRANSITIONS;

export const SUBMISSION_STATUSES = ['queued', 'running', 'scoring', 'scored', 'failed', 'cancelled', 'complete'] as const satisfies readonly SubmissionStatus[];
/** Statuses a submission leaves on its own (the platform still owes it a result). */
export const UNFINISHED_STATUSES = ['queued', 'running', 'scoring'] as const satisfies readonly SubmissionStatus[];
export const SUBMISSION_KINDS = ['file', 'kernel', 'model'] as const satisfies readonly SubmissionKind[];
export const FAILURE_CLASSES = ['validation', 'timeout', 'oom', 'exception', 'no-submission-file', 'scoring-error', 'cancelled', 'infrastructure'] as const satisfies readonly FailureClass[];

/** Failure classes a kernel run ends with by the participant's doing (Kaggle's words). */
export const RUN_FAILURE_CLASSES = ['timeout', 'oom', 'exception', 'no-submission-file'] as const satisfies readonly FailureClass[];
export type RunFailureClass = (typeof RUN_FAILURE_CLASSES)[number];

/** The error code of a run's failure: its class in the codes' spelling (lower snake_case). */
export function runFailureCode(c: RunFailureClass): Extract<SubmissionErrorCode, 'timeout' | 'oom' | 'exception' | 'no_submission_file'> {
  switch (c) {
    case 'timeout':
    case 'oom':
    case 'exception':
      return c;
    case 'no-submission-file':
      return 'no_submission_file';
  }
}
/** The scorer refused the file: `validation` for an uploaded file, `scoring-error` for a kernel's output. */
export type RejectionClass = 'validation' | 'scoring-error';
export const rejectionClassOf = (kind: SubmissionKind): RejectionClass => (kind === 'file' ? 'validation' : 'scoring-error');

export class IllegalTransitionError extends Error {
  constructor(
    readonly transition: Transition,
    readonly from: SubmissionStatus | null,
  ) {
    super(`a submission cannot go through "${transition}" from ${from === null ? 'nothing' : `"${from}"`}`);
    this.name = 'IllegalTransitionError';
  }
}

/** The statuses `t` may start from. */
export function allowedFrom(t: Transition): readonly SubmissionStatus[] {
  return TRANSITIONS[t].from;
}

/** Whether `t` may start from `from` (null: the submission does not exist yet). */
export function canTransition(from: SubmissionStatus | null, t: Transition): boolean {
  const allowed: readonly SubmissionStatus[] = TRANSITIONS[t].from;
  return from === null ? allowed.length === 0 : allowed.includes(from);
}

/**
 * The status after `t` from `from`; throws IllegalTransitionError when `t` may not start there.
 * `outcome` picks among several targets (only `rescore` has two: scored or failed).
 */
export function nextStatus(from: SubmissionStatus | null, t: Transition, outcome?: SubmissionStatus): SubmissionStatus {
  if (!canTransition(from, t)) throw new IllegalTransitionError(t, from);
  const targets: readonly SubmissionStatus[] = TRANSITIONS[t].to;
  if (targets.length === 1) return targets[0]!;
  if (outcome && targets.includes(outcome)) return outcome;
  throw new IllegalTransitionError(t, from);
}

/**
 * The statuses a guarded write of `t` accepts: the table's, narrowed to `only` when the caller
 * knows more (a sweeper that fails only what is still `running`). Widening throws.
 */
export function guardOf(t: Transition, only?: readonly SubmissionStatus[]): readonly SubmissionStatus[] {
  const allowed = allowedFrom(t);
  if (!only) return allowed;
  for (const s of only) if (!allowed.includes(s)) throw new IllegalTransitionError(t, s);
  return only;
}

/** The runs of a kernel, in order (`kernel_runs.phase`, `submissions.run_phase`). */
export const KERNEL_RUN_PHASES = ['public', 'hidden'] as const satisfies readonly KernelRunPhase[];

/**
 * The steps of a kernel run (`kernel_runs.step`), in order: the container is created, runs, its
 * output is collected, scored, and the run is done (also after a failure or a cancel).
 */
export const KERNEL_RUN_STEPS = ['created', 'running', 'collected', 'scoring', 'done'] as const;
export type KernelRunStep = (typeof KERNEL_RUN_STEPS)[number];

/**
 * How a kernel run ended (`kernel_runs.outcome`): the sandbox's outcomes, `lost` (its worker
 * stopped) and `error` (it could not be run on our side).
 */
export const KERNEL_RUN_OUTCOMES = ['succeeded', 'timeout', 'oom', 'exception', 'no-submission-file', 'cancelled', 'lost', 'error'] as const;
export type KernelRunOutcome = (typeof KERNEL_RUN_OUTCOMES)[number];

/**
 * How a model run ended (`model_runs.outcome`): `invalid-output` is the model's fault (NaN or a
 * wrong shape: charged, like a kernel that crashed), `timeout` too; `lost` (its worker stopped) and
 * `error` (it could not be run on our side) are not.
 */
export const MODEL_RUN_OUTCOMES = ['succeeded', 'timeout', 'invalid-output', 'cancelled', 'lost', 'error'] as const;
export type ModelRunOutcome = (typeof MODEL_RUN_OUTCOMES)[number];

/**
 * Where a kernel job picks up when a worker takes it — the first time, or after the worker that
 * had it died: a queued kernel is claimed; a `running` one was in a sandbox that died with its
 * worker, so it is claimed again as a new attempt; a `scoring` one has its output collected and
 * is scored; a finished one is left alone.
 */
export function kernelJobResumesAt(status: SubmissionStatus): 'claim' | 'score' | 'skip' {
  switch (status) {
    case 'queued':
    case 'running':
      return 'claim';
    case 'scoring':
      return 'score';
    case 'scored':
    case 'failed':
    case 'cancelled':
    case 'complete':
      return 'skip';
  }
}
