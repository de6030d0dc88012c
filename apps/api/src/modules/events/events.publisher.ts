import { Inject, Injectable } from '@nestjs/common';
import { Redis } from 'ioredis';
import { APP_CONFIG, type AppConfig, type BundleCheckEvent, channels, type CompetitionEvent, type SubmissionEvent } from '@holdout/db';
import { REDIS } from '../../infra/infra.module.js';

/** Announces changes to every API replica (and so to every SSE stream). Ids only. */
@Injectable()
export class EventsPublisher {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async competitionChanged(competitionId: string): Promise<void> {
    const e: CompetitionEvent = { type: 'leaderboard', competitionId };
    await this.redis.publish(channels.competition(this.config.queuePrefix, competitionId), JSON.stringify(e));
  }

  async bundleCheck(e: Omit<BundleCheckEvent, 'type'>): Promise<void> {
    await this.redis.publish(channels.bundleCheck(this.config.queuePrefix, e.checkId), JSON.stringify({ type: 'bundle-check', ...e } satisfies BundleCheckEvent));
  }

  async submissionChanged(submissionId: string, competitionId: string): Promise<void> {
    const e: SubmissionEvent = { type: 'submission', submissionId, competitionId };
    await this.redis.publish(channels.submission(this.config.queuePrefix, submissionId), JSON.stringify(e));
  }
}
