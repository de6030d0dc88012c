// Job names and payloads of the queues this worker serves (shapes from @holdout/contracts).
export { QUEUES, type KernelJobData, type ModelJobData, type RevealJobData, type ScoreJobData } from '@holdout/contracts';
export { JOBS } from '@holdout/db';

export interface BuildDataJobData {
  competitionId: string;
}
