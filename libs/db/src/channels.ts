import type { Redis } from 'ioredis';

/**
 * Redis pub/sub channels between the worker and the API. Messages carry ids only; the API reads
 * the row and renders it for each viewer, so nothing private travels to a client by accident.
 */
export const channels = {
  submission: (prefix: string, submissionId: string) => `${prefix}:events:submission:${submissionId}`,
  competition: (prefix: string, competitionId: string) => `${prefix}:events:competition:${competitionId}`,
  bundleCheck: (prefix: string, checkId: string) => `${prefix}:events:bundle-check:${checkId}`,
  pattern: (prefix: string) => `${prefix}:events:*`,
};

/** Message on a competition channel: its leaderboards changed (new score, selection, reveal, rescore). */
export interface CompetitionEvent {
  type: 'leaderboard';
  competitionId: string;
}
/** Progress of an uploaded bundle's check, for the user who uploaded it (API to API replicas). */
export interface BundleCheckEvent {
  type: 'bundle-check';
  checkId: string;
  userId: string;
  progress: { step: 'unpacking' | 'config' | 'images'; done: number; total: number | null };
}
/** Message on a submission channel: its row changed. */
export interface SubmissionEvent {
  type: 'submission';
  submissionId: string;
  competitionId: string;
}

/** Publishes on the channels above: the one publisher of the API and the worker. Ids only. */
export class EventPublisher {
  constructor(
    private readonly redis: Pick<Redis, 'publish'>,
    private readonly prefix: string,
  ) {}

  async submissionChanged(submissionId: string, competitionId: string): Promise<void> {
    const e: SubmissionEvent = { type: 'submission', submissionId, competitionId };
    await this.redis.publish(channels.submission(this.prefix, submissionId), JSON.stringify(e));
  }

  async competitionChanged(competitionId: string): Promise<void> {
    const e: CompetitionEvent = { type: 'leaderboard', competitionId };
    await this.redis.publish(channels.competition(this.prefix, competitionId), JSON.stringify(e));
  }

  async bundleCheck(e: Omit<BundleCheckEvent, 'type'>): Promise<void> {
    await this.redis.publish(channels.bundleCheck(this.prefix, e.checkId), JSON.stringify({ type: 'bundle-check', ...e } satisfies BundleCheckEvent));
  }
}
