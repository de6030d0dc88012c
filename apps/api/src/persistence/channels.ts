/**
 * Redis pub/sub channels between the worker and the API. Messages carry ids only; the API reads
 * the row and renders it for each viewer, so nothing private travels to a client by accident.
 */
export const channels = {
  submission: (prefix: string, submissionId: string) => `${prefix}:events:submission:${submissionId}`,
  competition: (prefix: string, competitionId: string) => `${prefix}:events:competition:${competitionId}`,
  pattern: (prefix: string) => `${prefix}:events:*`,
};

/** Message on a competition channel: its leaderboards changed (new score, selection, reveal, rescore). */
export interface CompetitionEvent {
  type: 'leaderboard';
  competitionId: string;
}
/** Message on a submission channel: its row changed. */
export interface SubmissionEvent {
  type: 'submission';
  submissionId: string;
  competitionId: string;
}

/** Job names within the queues of `QUEUES` (contracts). */
export const JOBS = {
  score: 'score',
  reveal: 'reveal',
  reconcile: 'reconcile',
  buildData: 'build-data',
} as const;
