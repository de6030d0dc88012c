/** Options every scoring job is enqueued with; the job id makes enqueueing idempotent. */
export function scoreJobOptions(jobId: string) {
  return { jobId, attempts: 5, backoff: { type: 'exponential' as const, delay: 1000 }, removeOnComplete: true, removeOnFail: 1000 };
}

/**
 * Submissions a rescore (and the reconciler's catch-up after a new solution version) scores
 * again, as SQL over `submissions s`: scored ones, and those whose output the scorer rejected (a
 * file: `validation`; a kernel's submission.csv: `scoring-error`), which a corrected solution may
 * accept. A kernel is not run again: its stored `submission.csv` is scored.
 */
export const RESCORABLE_SQL = `(s.kind IN ('file', 'kernel') AND (s.status = 'scored' OR (s.status = 'failed' AND s.error_class IN ('validation', 'scoring-error'))))`;
