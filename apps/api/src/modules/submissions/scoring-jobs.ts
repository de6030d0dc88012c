/** Options every scoring job is enqueued with; the job id makes enqueueing idempotent. */
export function scoreJobOptions(jobId: string) {
  return { jobId, attempts: 5, backoff: { type: 'exponential' as const, delay: 1000 }, removeOnComplete: true, removeOnFail: 1000 };
}
