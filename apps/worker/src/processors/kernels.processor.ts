import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { JsonLogger, kernelChannels, type AppConfig } from '@holdout/db';
import type { DevicePool } from '@holdout/sandbox';
import { Queue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { QUEUES, type KernelJobData } from '../jobs.js';
import { KernelRunService } from '../kernels/kernel-run.service.js';
import { KernelSweeper } from '../kernels/kernel-sweeper.service.js';
import { DEVICE_POOL } from '../kernels/tokens.js';
import { CONFIG } from '../tokens.js';

/**
 * Consumers of `kernels` (CPU kernels, HOLDOUT_KERNEL_CONCURRENCY at once) and, only on a worker
 * told its GPUs (HOLDOUT_GPUS), `kernels-gpu` (one kernel per device). A CPU-only worker never
 * takes a GPU job. Before consuming, orphaned sandboxes of this worker are reconciled.
 */
@Injectable()
export class KernelsProcessor implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly workers: Worker[] = [];
  // BullMQ does not close connections it was given; these are ours to close.
  private readonly connections: Redis[] = [];
  private readonly queues: Record<string, Queue> = {};
  private sweepTimer: NodeJS.Timeout | null = null;
  private sweeping = false;

  constructor(
    private readonly runs: KernelRunService,
    private readonly sweeper: KernelSweeper,
    private readonly logger: JsonLogger,
    @Inject(DEVICE_POOL) private readonly devices: DevicePool,
    @Inject(CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const shared = this.connect();
    for (const name of [QUEUES.kernels, QUEUES.kernelsGpu]) this.queues[name] = new Queue(name, { connection: shared, prefix: this.config.queuePrefix });

    const sub = this.connect();
    sub.on('message', (_channel: string, submissionId: string) => {
      if (this.runs.cancel(submissionId)) this.logger.write('info', 'kernel cancelled', { submissionId });
    });
    await sub.subscribe(kernelChannels.cancel(this.config.queuePrefix));

    try {
      await this.sweeper.reconcileSandboxes(this.queues);
    } catch (err) {
      // The engine may be down: jobs then fail as infrastructure and are retried; sweeps go on.
      this.logger.write('error', 'could not reconcile kernel sandboxes', { err: (err as Error).message });
    }

    const consume = (queue: string, concurrency: number) => {
      const w = new Worker<KernelJobData>(queue, (job: Job<KernelJobData>) => this.runs.process(job, queue), {
        connection: this.connect(),
        prefix: this.config.queuePrefix,
        concurrency,
        lockDuration: this.config.jobLockMs,
        stalledInterval: this.config.jobLockMs,
        maxStalledCount: 2,
      });
      w.on('failed', (job, err) => this.logger.write('debug', 'kernel job failed', { queue, jobId: job?.id, err: err.message }));
      w.on('error', (err) => this.logger.write('error', 'kernel worker error', { queue, err: err.message }));
      this.workers.push(w);
    };
    consume(QUEUES.kernels, this.config.kernels.concurrency);
    if (this.devices.size > 0) consume(QUEUES.kernelsGpu, this.devices.size);
    this.logger.write('info', 'kernel worker ready', { gpus: this.devices.devices, concurrency: this.config.kernels.concurrency, owner: this.config.kernels.owner });

    this.sweepTimer = setInterval(() => {
      if (this.sweeping) return;
      this.sweeping = true;
      this.sweeper
        .sweep(this.queues)
        .catch((err: unknown) => this.logger.write('warn', 'kernel sweep failed', { err: (err as Error).message }))
        .finally(() => (this.sweeping = false));
    }, this.config.reconcileEveryMs);
    this.sweepTimer.unref();
  }

  private connect(): Redis {
    const r = new Redis(this.config.redisUrl, { maxRetriesPerRequest: null });
    this.connections.push(r);
    return r;
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    // close() waits for running jobs: kill their sandboxes so a shutdown does not wait hours;
    // the submissions go back to the queue (not charged) and run again elsewhere or after restart.
    for (const id of this.runs.activeSubmissions()) this.runs.cancelForShutdown(id);
    await Promise.all(this.workers.map((w) => w.close()));
    await Promise.all(Object.values(this.queues).map((q) => q.close()));
    await Promise.all(this.connections.map((c) => c.quit().catch(() => undefined)));
  }
}
