import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { JsonLogger, type AppConfig } from '@holdout/db';
import { Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { QUEUES, type ScoreJobData } from '../jobs.js';
import { ScoringService } from '../scoring/scoring.service.js';
import { CONFIG } from '../tokens.js';

/** BullMQ consumer of the `scoring` queue. The scoring itself runs on worker threads. */
@Injectable()
export class ScoringProcessor implements OnApplicationBootstrap, OnApplicationShutdown {
  private worker: Worker | null = null;
  // BullMQ does not close connections it was given; these are ours to close.
  private readonly connections: Redis[] = [];

  constructor(
    private readonly scoring: ScoringService,
    private readonly logger: JsonLogger,
    @Inject(CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.worker = new Worker<ScoreJobData>(QUEUES.scoring, (job: Job<ScoreJobData>) => this.scoring.process(job), {
      connection: this.connect(),
      prefix: this.config.queuePrefix,
      concurrency: this.config.scoringConcurrency,
      lockDuration: this.config.jobLockMs,
      stalledInterval: this.config.jobLockMs,
      maxStalledCount: 2,
    });
    this.worker.on('failed', (job, err) => this.logger.write('debug', 'scoring job failed', { jobId: job?.id, err: err.message }));
    this.worker.on('error', (err) => this.logger.write('error', 'scoring worker error', { err: err.message }));
  }

  private connect(): Redis {
    const r = new Redis(this.config.redisUrl, { maxRetriesPerRequest: null });
    this.connections.push(r);
    return r;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.worker?.close();
    await Promise.all(this.connections.map((c) => c.quit().catch(() => undefined)));
  }
}
