import type { FailureClass, KernelRunPhase, SubmissionKind, SubmissionStatus } from '@holdout/contracts';
import { quotaWindow } from '@holdout/metrics';

/**
 * The daily quota rule, written down once (and on every competition's rules page).
 *
 * A team may make `dailySubmissions` submissions per UTC day (00:00–24:00 UTC). A submission
 * counts against the day it was created on unless it failed for a reason that is not the
 * participant's doing or that the scorer rejected as invalid — i.e. it is charged when its status
 * is queued, running, scoring or scored, or when it failed with a kernel-runtime class
 * (timeout, oom, exception, no-submission-file) in its run over the hidden test data. Not
 * charged: failed with `validation`, `scoring-error` or `infrastructure`, `cancelled`, a kernel
 * that failed in its public run (it has its own daily limit, `publicRunsAllow`), and a kernel run
 * without submitting. Late submissions count the same way.
 */
export const CHARGED_STATUSES = ['queued', 'running', 'scoring', 'scored'] as const satisfies readonly SubmissionStatus[];
export const CHARGED_FAILURE_CLASSES = ['timeout', 'oom', 'exception', 'no-submission-file'] as const satisfies readonly FailureClass[];

/** The run phase whose failures are not charged to the daily quota. */
export const UNCHARGED_RUN_PHASE = 'public' satisfies KernelRunPhase;

export function isCharged(s: { status: SubmissionStatus; errorClass: FailureClass | null; runPhase: KernelRunPhase | null; runOnly: boolean }): boolean {
  if (s.runOnly) return false;
  if ((CHARGED_STATUSES as readonly string[]).includes(s.status)) return true;
  return s.status === 'failed' && s.errorClass !== null && (CHARGED_FAILURE_CLASSES as readonly string[]).includes(s.errorClass) && s.runPhase !== UNCHARGED_RUN_PHASE;
}

/**
 * The public runs' own daily limit (a competition's `kernel.publicRunsPerDay`): every kernel
 * submission, and every run without submitting, starts with a public run; those made today count
 * unless cancelled or failed on our side (`infrastructure`).
 */
export const UNCOUNTED_PUBLIC_RUN_CLASSES = ['cancelled', 'infrastructure'] as const satisfies readonly FailureClass[];

export function publicRunsLeft(o: { publicRunsPerDay: number; startedToday: number }): number {
  return Math.max(0, o.publicRunsPerDay - o.startedToday);
}

/** Start and end of the quota day (UTC) containing `now`. */
export function quotaDay(now: Date): { start: Date; end: Date } {
  return quotaWindow({ now });
}

/** Submissions left today; never negative. */
export function quotaLeft(o: { dailySubmissions: number; chargedToday: number }): number {
  return Math.max(0, o.dailySubmissions - o.chargedToday);
}

/**
 * Which submissions a rescore (and the reconciler's catch-up after a new solution version)
 * scores again: scored ones, and those whose output the scorer rejected (a file: `validation`;
 * a kernel's submission.csv: `scoring-error`), which a corrected solution may accept — in both
 * cases only what was scored against a solution version (a kernel whose public run wrote an
 * invalid file never was). A kernel or a model is not run again: its stored predictions are scored.
 */
export const RESCORABLE_KINDS = ['file', 'kernel', 'model'] as const satisfies readonly SubmissionKind[];
export const RESCORABLE_FAILURE_CLASSES = ['validation', 'scoring-error'] as const satisfies readonly FailureClass[];

export function isRescorable(s: { kind: SubmissionKind; status: SubmissionStatus; errorClass: FailureClass | null; scoredAgainstSolution: boolean }): boolean {
  if (!(RESCORABLE_KINDS as readonly string[]).includes(s.kind) || !s.scoredAgainstSolution) return false;
  if (s.status === 'scored') return true;
  return s.status === 'failed' && s.errorClass !== null && (RESCORABLE_FAILURE_CLASSES as readonly string[]).includes(s.errorClass);
}
