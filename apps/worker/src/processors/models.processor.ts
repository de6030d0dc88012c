import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { JsonLogger, kernelChannels, LIVE_JOB_STATES, modelJobOptions, SubmissionLifecycle, EventPublisher, type AppConfig } from '@holdout/db';
import { Queue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import { JOBS, QUEUES, type ModelJobData } from '../jobs.js';
import { ModelRunService } from '../models/model-run.service.js';
import { CONFIG } from '../tokens.js';

/** Attempts of a model run before a submission stuck in the queue is failed as ours. */
const MAX_MODEL_ATTEMPTS = 3;

/**
 * Consumer of `models` (HOLDOUT_MODEL_CONCURRENCY runs at once), listening for cancels, and the
 * models' sweeper: a model submission still unfinished without a live job (Redis lost it, the
 * enqueue failed after the commit) is enqueued again, or failed as ours once it used its attempts.
 */
@Injectable()
export class ModelsProcessor implements OnApplicationBootstrap, OnApplicationShutdown {
  private worker: Worker | null = null;
  private queue: Queue | null = null;
  private readonly connections: Redis[] = [];
  private sweepTimer: NodeJS.Timeout | null = null;
  private sweeping = false;

  constructor(
    private readonly ds: DataSource,
    private readonly runs: ModelRunService,
    private readonly lifecycle: SubmissionLifecycle,
    private readonly publisher: EventPublisher,
    private readonly logger: JsonLogger,
    @Inject(CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.queue = new Queue(QUEUES.models, { connection: this.connect(), prefix: this.config.queuePrefix });
    const sub = this.connect();
    sub.on('message', (_channel: string, submissionId: string) => {
      if (this.runs.stop(submissionId, 'cancelled')) this.logger.write('info', 'model run cancelled', { submissionId });
    });
    await sub.subscribe(kernelChannels.cancel(this.config.queuePrefix));
    this.worker = new Worker<ModelJobData>(QUEUES.models, (job: Job<ModelJobData>) => this.runs.process(job), {
      connection: this.connect(),
      prefix: this.config.queuePrefix,
      concurrency: this.config.models.concurrency,
      lockDuration: this.config.jobLockMs,
      stalledInterval: this.config.jobLockMs,
      maxStalledCount: 2,
    });
    this.worker.on('failed', (job, err) => this.logger.write('debug', 'model job failed', { jobId: job?.id, err: err.message }));
    this.worker.on('error', (err) => this.logger.write('error', 'model worker error', { err: err.message }));
    this.sweepTimer = setInterval(() => {
      if (this.sweeping) return;
      this.sweeping = true;
      this.sweep()
        .catch((err: unknown) => this.logger.write('warn', 'model sweep failed', { err: (err as Error).message }))
        .finally(() => (this.sweeping = false));
    }, this.config.reconcileEveryMs);
    this.sweepTimer.unref();
  }

  /** Unfinished model submissions without a live job: enqueued again, or failed as ours after their attempts. */
  async sweep(): Promise<{ requeued: number; failed: number }> {
    const stale: { id: string; attempts: number; competition_id: string }[] = await this.ds.query(
      `SELECT id, attempts, competition_id FROM submissions WHERE kind = 'model' AND status IN ('queued', 'running', 'scoring') AND updated_at < now() - make_interval(secs => $1) ORDER BY created_at LIMIT 500`,
      [this.config.stuckAfterMs / 1000],
    );
    let requeued = 0;
    let failed = 0;
    for (const s of stale) {
      const job = await this.queue!.getJob(s.id);
      const state = job ? await job.getState() : null;
      if (state && LIVE_JOB_STATES.has(state)) continue;
      if (s.attempts >= MAX_MODEL_ATTEMPTS) {
        if (await this.lifecycle.failInfrastructure(s.id, 'the model run did not finish after several attempts; this submission is not charged to your quota', { code: 'stuck' })) failed++;
        await this.publisher.submissionChanged(s.id, s.competition_id);
        await this.runs.notifyEnded(s.id);
        continue;
      }
      if (job) await job.remove().catch(() => undefined);
      await this.lifecycle.touch(s.id);
      await this.queue!.add(JOBS.model, { submissionId: s.id }, modelJobOptions(s.id));
      requeued++;
    }
    if (requeued || failed) this.logger.write('info', 'models reconciled', { requeued, failed });
    return { requeued, failed };
  }

  private connect(): Redis {
    const r = new Redis(this.config.redisUrl, { maxRetriesPerRequest: null });
    this.connections.push(r);
    return r;
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    // close() waits for running jobs: stop them; their submissions go back to the queue (not charged).
    for (const id of this.runs.activeSubmissions()) this.runs.stop(id, 'shutdown');
    await this.worker?.close();
    await this.queue?.close();
    await Promise.all(this.connections.map((c) => c.quit().catch(() => undefined)));
  }
}
