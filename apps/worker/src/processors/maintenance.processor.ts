import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { JsonLogger, type AppConfig } from '@holdout/db';
import { DelayedError, Queue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { JOBS, QUEUES, type BuildDataJobData, type RevealJobData } from '../jobs.js';
import { MaintenanceService, REVEAL_RECHECK_MS } from '../maintenance/maintenance.service.js';
import { CONFIG } from '../tokens.js';

const RECONCILE_SCHEDULER = 'reconcile';

/** `maintenance` queue: scheduled reveals, data builds, and the reconciler (a job scheduler). */
@Injectable()
export class MaintenanceProcessor implements OnApplicationBootstrap, OnApplicationShutdown {
  private worker: Worker | null = null;
  // BullMQ does not close connections it was given; these are ours to close.
  private readonly connections: Redis[] = [];
  private scoringQueue: Queue | null = null;
  private maintenanceQueue: Queue | null = null;
  private watchdog: NodeJS.Timeout | null = null;

  constructor(
    private readonly maintenance: MaintenanceService,
    private readonly logger: JsonLogger,
    @Inject(CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const connection = this.connect();
    this.scoringQueue = new Queue(QUEUES.scoring, { connection, prefix: this.config.queuePrefix });
    this.maintenanceQueue = new Queue(QUEUES.maintenance, { connection, prefix: this.config.queuePrefix });
    await this.scheduleReconcile();
    // The scheduler lives in Redis: a Redis that lost its data (restarted without its files,
    // flushed) loses it, and with it the reconciler that re-enqueues the scoring jobs lost with
    // it and reveals what is due. Checked as often as it runs, and put back when missing.
    this.watchdog = setInterval(() => {
      void this.maintenanceQueue
        ?.getJobScheduler(RECONCILE_SCHEDULER)
        .then(async (found) => {
          if (found) return;
          await this.scheduleReconcile();
          this.logger.write('warn', 'the reconciler\'s schedule was missing from Redis (Redis lost its data?); scheduled again');
        })
        .catch(() => undefined); // Redis unreachable: the next round tries again
    }, this.config.reconcileEveryMs);
    this.watchdog.unref();
    this.worker = new Worker(QUEUES.maintenance, (job: Job, token?: string) => this.handle(job, token), {
      connection: this.connect(),
      prefix: this.config.queuePrefix,
      concurrency: 2,
      lockDuration: Math.max(this.config.jobLockMs, 60_000),
    });
    this.worker.on('error', (err) => this.logger.write('error', 'maintenance worker error', { err: err.message }));
    this.worker.on('failed', (job, err) => this.logger.write('warn', 'maintenance job failed', { name: job?.name, jobId: job?.id, err: err.message }));
  }

  private async scheduleReconcile(): Promise<void> {
    await this.maintenanceQueue!.upsertJobScheduler(RECONCILE_SCHEDULER, { every: this.config.reconcileEveryMs }, { name: JOBS.reconcile, data: {}, opts: { removeOnComplete: true, removeOnFail: 100 } });
  }

  private async handle(job: Job, token: string | undefined): Promise<unknown> {
    switch (job.name) {
      case JOBS.reveal: {
        const outcome = await this.maintenance.reveal((job.data as RevealJobData).competitionId);
        if (outcome !== 'held') return outcome === 'revealed';
        // Submissions made before the close are still being scored: the same job checks again
        // shortly (not a retry: it uses none of the job's attempts).
        await job.moveToDelayed(Date.now() + REVEAL_RECHECK_MS, token);
        throw new DelayedError();
      }
      case JOBS.buildData:
        return this.maintenance.buildData((job.data as BuildDataJobData).competitionId);
      case JOBS.reconcile:
        return this.maintenance.reconcile(this.scoringQueue!, this.maintenanceQueue!);
      default:
        this.logger.write('warn', 'unknown maintenance job', { name: job.name });
        return null;
    }
  }

  private connect(): Redis {
    const r = new Redis(this.config.redisUrl, { maxRetriesPerRequest: null });
    this.connections.push(r);
    return r;
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.watchdog) clearInterval(this.watchdog);
    await this.worker?.close();
    await this.scoringQueue?.close();
    await this.maintenanceQueue?.close();
    await Promise.all(this.connections.map((c) => c.quit().catch(() => undefined)));
  }
}
