import { Global, Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { QUEUES } from '@holdout/contracts';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig, createDataSource, JsonLogger, LocalArtifactStore, SubmissionLifecycle } from '@holdout/db';

export const REDIS = Symbol('REDIS');

/** BullMQ queues the API enqueues into (the kernel queues are KernelQueues, in the kernels module). */
@Injectable()
export class Queues implements OnApplicationShutdown {
  readonly scoring: Queue;
  readonly maintenance: Queue;

  constructor(@Inject(APP_CONFIG) config: AppConfig, @Inject(REDIS) redis: Redis) {
    const opts = { connection: redis, prefix: config.queuePrefix };
    this.scoring = new Queue(QUEUES.scoring, opts);
    this.maintenance = new Queue(QUEUES.maintenance, opts);
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([this.scoring.close(), this.maintenance.close()]);
  }
}

@Injectable()
class Closer implements OnApplicationShutdown {
  constructor(
    private readonly ds: DataSource,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}
  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => undefined);
    if (this.ds.isInitialized) await this.ds.destroy();
  }
}

/** Database, Redis and queues, built from the validated config. */
@Global()
@Module({})
export class InfraModule {
  static forRoot(config: AppConfig, logger: JsonLogger, dataSource?: DataSource) {
    return {
      module: InfraModule,
      providers: [
        { provide: APP_CONFIG, useValue: config },
        { provide: JsonLogger, useValue: logger },
        {
          provide: DataSource,
          useFactory: async () => {
            const ds = dataSource ?? createDataSource({ databaseUrl: config.databaseUrl, repoRoot: config.repoRoot, poolSize: 20, applicationName: 'holdout-api' });
            if (!ds.isInitialized) await ds.initialize();
            return ds;
          },
        },
        { provide: REDIS, useFactory: () => new Redis(config.redisUrl, { maxRetriesPerRequest: null, lazyConnect: false }) },
        { provide: LocalArtifactStore, useValue: new LocalArtifactStore(config.artifactDir) },
        { provide: SubmissionLifecycle, inject: [DataSource], useFactory: (ds: DataSource) => new SubmissionLifecycle(ds) },
        Queues,
        Closer,
      ],
      exports: [APP_CONFIG, JsonLogger, DataSource, REDIS, Queues, LocalArtifactStore, SubmissionLifecycle],
    };
  }
}
