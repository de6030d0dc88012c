// BullMQ job names and the options each job is enqueued with, by the API and the worker alike.
// (Queue names and job payloads are contracts: QUEUES, ScoreJobData, … in @holdout/contracts.)

/** Job names within the queues of `QUEUES` (contracts). */
export const JOBS = {
  score: 'score',
  reveal: 'reveal',
  reconcile: 'reconcile',
  buildData: 'build-data',
  model: 'model',
} as const;

/** Options every scoring job is enqueued with; the job id makes enqueueing idempotent. */
export function scoreJobOptions(jobId: string) {
  return { jobId, attempts: 5, backoff: { type: 'exponential' as const, delay: 1000 }, removeOnComplete: true, removeOnFail: 1000 };
}

/** A kernel run: the job id is the submission id (one live job per kernel). */
export function kernelJobOptions(submissionId: string) {
  return { jobId: submissionId, attempts: 3, backoff: { type: 'exponential' as const, delay: 5000 }, removeOnComplete: true, removeOnFail: 1000 };
}

/** A model run: the job id is the submission id (one live job per model). */
export function modelJobOptions(submissionId: string) {
  return { jobId: submissionId, attempts: 3, backoff: { type: 'exponential' as const, delay: 5000 }, removeOnComplete: true, removeOnFail: 1000 };
}

/** Building a competition's data: one job per competition. */
export function buildDataJobOptions(competitionId: string) {
  return { jobId: `build-data_${competitionId}`, attempts: 3, backoff: { type: 'exponential' as const, delay: 5000 }, removeOnComplete: true, removeOnFail: 100 };
}

/** Job states in which a job will still run: the reconcilers leave such a job alone. */
export const LIVE_JOB_STATES: ReadonlySet<string> = new Set(['active', 'waiting', 'delayed', 'prioritized', 'waiting-children']);
