import { Global, Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { QUEUES } from '@holdout/contracts';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { join } from 'node:path';
import { APP_CONFIG, type AppConfig, ARTIFACT_STORE, ArtifactFiles, createDataSource, JsonLogger, openArtifactFiles, SubmissionLifecycle } from '@holdout/db';

export const REDIS = Symbol('REDIS');

/** BullMQ queues the API enqueues into (the kernel queues are KernelQueues, in the kernels module). */
@Injectable()
export class Queues implements OnApplicationShutdown {
  readonly scoring: Queue;
  readonly maintenance: Queue;
  readonly models: Queue;

  constructor(@Inject(APP_CONFIG) config: AppConfig, @Inject(REDIS) redis: Redis) {
    const opts = { connection: redis, prefix: config.queuePrefix };
    this.scoring = new Queue(QUEUES.scoring, opts);
    this.maintenance = new Queue(QUEUES.maintenance, opts);
    this.models = new Queue(QUEUES.models, opts);
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([this.scoring.close(), this.maintenance.close(), this.models.close()]);
  }
}

@Injectable()
class Closer implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}
  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => undefined);
  }
}

/**
 * Database, Redis and queues, built from the validated config. The DataSource comes through
 * @nestjs/typeorm (which also closes it at shutdown), built by libs/db's createDataSource — the
 * one shape the API, the worker, migrations and tests share — and not retried: a serving
 * process refuses to start on an unreachable or unmigrated database (openReadyDataSourceOrExit).
 *
 * Queues stay hand-wired (Queues, KernelQueues: one Queue object per queue on the shared Redis
 * client) rather than @nestjs/bullmq's registerQueue: the worker must build its BullMQ workers
 * from the runtime config (lock duration from HOLDOUT_JOB_LOCK_S, which the restart tests set to
 * 2 s; the CPU or GPU kernel queue and its concurrency from the host's devices), which
 * @nestjs/bullmq's @Processor takes as decorator arguments fixed at import; producers and
 * consumers are kept in the same style.
 */
@Global()
@Module({})
export class InfraModule {
  static forRoot(config: AppConfig, logger: JsonLogger, dataSource?: DataSource) {
    let ds = dataSource;
    const theDataSource = () => (ds ??= createDataSource({ databaseUrl: config.databaseUrl, repoRoot: config.repoRoot, poolSize: 20, applicationName: 'holdout-api' }));
    return {
      module: InfraModule,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () => ({ ...theDataSource().options, retryAttempts: 0 }),
          dataSourceFactory: async () => theDataSource(),
        }),
      ],
      providers: [
        { provide: APP_CONFIG, useValue: config },
        { provide: JsonLogger, useValue: logger },
        { provide: REDIS, useFactory: () => new Redis(config.redisUrl, { maxRetriesPerRequest: null, lazyConnect: false }) },
        // HOLDOUT_ARTIFACT_STORE; a remote store's objects the API reads as files (an uploaded model
        // or bundle to check, a slide to cut tiles from) go through a cache of this process's own,
        // named by its port so that a restart finds it again.
        {
          provide: ArtifactFiles,
          useFactory: () => openArtifactFiles({ config, cacheDir: join(config.dataDir, 'artifact-cache', `api-${config.port}`), cacheBytes: config.artifactCacheBytes, logger }),
        },
        { provide: ARTIFACT_STORE, inject: [ArtifactFiles], useFactory: (files: ArtifactFiles) => files.store },
        { provide: SubmissionLifecycle, inject: [DataSource], useFactory: (ds: DataSource) => new SubmissionLifecycle(ds) },
        Queues,
        Closer,
      ],
      exports: [APP_CONFIG, JsonLogger, REDIS, Queues, ArtifactFiles, ARTIFACT_STORE, SubmissionLifecycle],
    };
  }
}
