import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { QUEUES } from '@holdout/contracts';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { APP_CONFIG, type AppConfig } from '@holdout/db';
import { REDIS } from '../../infra/infra.module.js';

/** The two kernel queues: CPU kernels and GPU kernels wait apart, so a CPU-only worker never takes a GPU job. */
@Injectable()
export class KernelQueues implements OnApplicationShutdown {
  readonly cpu: Queue;
  readonly gpu: Queue;

  constructor(@Inject(APP_CONFIG) config: AppConfig, @Inject(REDIS) redis: Redis) {
    const opts = { connection: redis, prefix: config.queuePrefix };
    this.cpu = new Queue(QUEUES.kernels, opts);
    this.gpu = new Queue(QUEUES.kernelsGpu, opts);
  }

  of(name: string): Queue {
    return name === QUEUES.kernelsGpu ? this.gpu : this.cpu;
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([this.cpu.close(), this.gpu.close()]);
  }
}
