import { Inject, Injectable, Module, type DynamicModule, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { join } from 'node:path';
import { ArtifactFiles, CompetitionData, HostCompetitionData, JsonLogger, Notifier, openArtifactFiles, SubmissionLifecycle, type AppConfig, type ArtifactStore, EventPublisher } from '@holdout/db';
import { Redis } from 'ioredis';
import { BundleData } from './bundle-data.js';
import { DataSource } from 'typeorm';
import { MaintenanceService } from './maintenance/maintenance.service.js';
import { DockerKernelRunner, DevicePool, type KernelRunner } from '@holdout/sandbox';
import { KernelHostAnnouncer } from './kernels/kernel-host.service.js';
import { KernelRunService } from './kernels/kernel-run.service.js';
import { KernelSweeper } from './kernels/kernel-sweeper.service.js';
import { DEVICE_POOL, KERNEL_RUNNER } from './kernels/tokens.js';
import { KernelsProcessor } from './processors/kernels.processor.js';
import { MaintenanceProcessor } from './processors/maintenance.processor.js';
import { ModelsProcessor } from './processors/models.processor.js';
import { ModelRunService } from './models/model-run.service.js';
import { ScoringProcessor } from './processors/scoring.processor.js';
import { ScorerPool } from './scoring/scorer-pool.js';
import { ScoringService } from './scoring/scoring.service.js';
import { CONFIG, REDIS } from './tokens.js';

/** Says once, at start, why this worker takes no kernel jobs. */
@Injectable()
class KernelsDisabledNotice implements OnApplicationBootstrap {
  constructor(
    private readonly logger: JsonLogger,
    @Inject(CONFIG) private readonly config: AppConfig,
  ) {}
  onApplicationBootstrap(): void {
    const why = this.config.kernels.enabled ? 'HOLDOUT_WORKER_QUEUES leaves kernels out' : 'kernel runs are disabled (HOLDOUT_KERNELS=off)';
    this.logger.write('info', `this worker runs no kernels: ${why}; no kernel processors, no host announcement, no sandbox reconcile`);
  }
}

/**
 * Closes what the worker opened: the scoring threads, Redis, then the database. Nest runs this
 * module's shutdown hooks by dependency level, so the processors (which depend on everything)
 * stop and hand back their jobs first, while the database their last writes need is still open.
 * That ordering is why the DataSource is a plain provider here rather than @nestjs/typeorm's
 * module, whose own module's hook is not ordered against these; BullMQ is wired by hand for the
 * reason the API's InfraModule gives.
 */
@Injectable()
class Closer implements OnApplicationShutdown {
  constructor(
    private readonly ds: DataSource,
    private readonly pool: ScorerPool,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}
  async onApplicationShutdown(): Promise<void> {
    await this.pool.close();
    await this.redis.quit().catch(() => undefined);
    if (this.ds.isInitialized) await this.ds.destroy();
  }
}

export interface WorkerOptions {
  config: AppConfig & { testScoringDelayMs?: number };
  logger: JsonLogger;
  dataSource: DataSource;
  /** Where competition data comes from (default: the bundles under competitions/). */
  bundles?: CompetitionData;
  /** Which queues to consume, over `config.workerQueues` (HOLDOUT_WORKER_QUEUES); no kernels when `config.kernels.enabled` is false. */
  queues?: { scoring?: boolean; maintenance?: boolean; kernels?: boolean; models?: boolean };
  /** Runs kernels (default: a DockerKernelRunner on the local engine, owner HOLDOUT_KERNEL_OWNER). */
  kernelRunner?: KernelRunner;
  /**
   * Where uploads, logs and outputs live (default: HOLDOUT_ARTIFACT_STORE). A remote store is read
   * through a cache in `<data>/artifact-cache/worker-<owner>` of at most `cacheBytes` (default HOLDOUT_ARTIFACT_CACHE_BYTES).
   */
  artifactStore?: ArtifactStore;
  cacheBytes?: number;
}

/**
 * The work a worker takes: HOLDOUT_WORKER_QUEUES (`config.workerQueues`), with `overrides` on top
 * (tests), and kernels only where kernel runs are enabled (HOLDOUT_KERNELS).
 */
export function consumedQueues(config: AppConfig, overrides: WorkerOptions['queues'] = {}): Required<NonNullable<WorkerOptions['queues']>> {
  const roles = new Set(config.workerQueues);
  const q = { scoring: roles.has('scoring'), maintenance: roles.has('maintenance'), kernels: roles.has('kernels'), models: roles.has('models'), ...overrides };
  return { ...q, kernels: q.kernels && config.kernels.enabled };
}

@Module({})
export class WorkerModule {
  static forRoot(o: WorkerOptions): DynamicModule {
    const q = consumedQueues(o.config, o.queues);
    // HOLDOUT_KERNELS=off (no Docker here): nothing of the kernel side is even constructed. A
    // worker told not to take kernels neither announces a kernel host (the API would count its
    // GPUs as online) nor sweeps sandboxes; it may run where there is no Docker engine.
    const kernelsOff = !q.kernels;
    return {
      module: WorkerModule,
      providers: [
        { provide: CONFIG, useValue: o.config },
        { provide: JsonLogger, useValue: o.logger },
        { provide: DataSource, useValue: o.dataSource },
        { provide: REDIS, useFactory: () => new Redis(o.config.redisUrl, { maxRetriesPerRequest: null }) },
        {
          provide: ArtifactFiles,
          useFactory: () =>
            openArtifactFiles({
              config: o.config,
              store: o.artifactStore,
              cacheDir: join(o.config.dataDir, 'artifact-cache', `worker-${o.config.kernels.owner}`),
              cacheBytes: o.cacheBytes ?? o.config.artifactCacheBytes,
              logger: o.logger,
            }),
        },
        { provide: CompetitionData, useValue: o.bundles ?? new BundleData() },
        {
          provide: HostCompetitionData,
          inject: [CompetitionData, ArtifactFiles],
          useFactory: (bundles: CompetitionData, files: ArtifactFiles) => new HostCompetitionData(bundles, o.config.dataDir, files),
        },
        { provide: SubmissionLifecycle, useValue: new SubmissionLifecycle(o.dataSource) },
        { provide: ScorerPool, useFactory: () => new ScorerPool(o.config.scoringConcurrency, o.config.scoringTimeoutMs) },
        { provide: EventPublisher, inject: [REDIS], useFactory: (redis: Redis) => new EventPublisher(redis, o.config.queuePrefix) },
        { provide: Notifier, inject: [REDIS], useFactory: (redis: Redis) => new Notifier(redis, o.config.queuePrefix) },
        ScoringService,
        MaintenanceService,
        ...(q.scoring ? [ScoringProcessor] : []),
        ...(q.maintenance ? [MaintenanceProcessor] : []),
        ModelRunService,
        ...(q.models ? [ModelsProcessor] : []),
        ...(kernelsOff
          ? [KernelsDisabledNotice]
          : [
              {
                provide: KERNEL_RUNNER,
                useFactory: () =>
                  o.kernelRunner ??
                  new DockerKernelRunner({
                    owner: o.config.kernels.owner,
                    // Dead-worker sweeps stay within this deployment's containers.
                    pool: o.config.queuePrefix,
                    scratchRoot: `${o.config.dataDir}/sandbox`,
                    onWarning: (message) => o.logger.write('warn', message),
                  }),
              },
              { provide: DEVICE_POOL, useFactory: () => new DevicePool(o.config.kernels.gpus) },
              KernelRunService,
              KernelSweeper,
              KernelHostAnnouncer,
              ...(q.kernels ? [KernelsProcessor] : []),
            ]),
        Closer,
      ],
    };
  }
}
