import { Inject, Injectable } from '@nestjs/common';
import { channels, type AppConfig, type CompetitionEvent, type SubmissionEvent } from '@holdout/db';
import { Redis } from 'ioredis';
import { CONFIG, REDIS } from './tokens.js';

/** Tells the API replicas that a submission or a competition's boards changed (ids only). */
@Injectable()
export class Publisher {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(CONFIG) private readonly config: AppConfig,
  ) {}

  async submission(submissionId: string, competitionId: string): Promise<void> {
    const e: SubmissionEvent = { type: 'submission', submissionId, competitionId };
    await this.redis.publish(channels.submission(this.config.queuePrefix, submissionId), JSON.stringify(e));
  }

  async competition(competitionId: string): Promise<void> {
    const e: CompetitionEvent = { type: 'leaderboard', competitionId };
    await this.redis.publish(channels.competition(this.config.queuePrefix, competitionId), JSON.stringify(e));
  }
}
