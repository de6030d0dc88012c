import { availableParallelism, totalmem } from 'node:os';
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { KernelHost } from '@holdout/competition';
import { JsonLogger, kernelHostKeys, type AppConfig } from '@holdout/db';
import type { Redis } from 'ioredis';
import { CONFIG, REDIS } from '../tokens.js';

/** This worker's machine as kernel runs see it: its CPUs, its memory and the GPUs it was told. */
export function thisHost(config: AppConfig): KernelHost {
  return { owner: config.kernels.owner, cpus: availableParallelism(), memoryBytes: totalmem(), gpus: config.kernels.gpus.length };
}

/**
 * Announces this kernel worker's machine in Redis (one key per worker, expiring a minute after
 * the worker stops refreshing it), so the API can tell instructors what no worker gives.
 */
@Injectable()
export class KernelHostAnnouncer implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    @Inject(CONFIG) private readonly config: AppConfig,
    @Inject(REDIS) private readonly redis: Redis,
    private readonly logger: JsonLogger,
  ) {}

  onApplicationBootstrap(): void {
    void this.announce();
    this.timer = setInterval(() => void this.announce(), kernelHostKeys.refreshMs);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.redis.del(kernelHostKeys.one(this.config.queuePrefix, this.config.kernels.owner)).catch(() => undefined);
  }

  private async announce(): Promise<void> {
    const host = thisHost(this.config);
    await this.redis
      .set(kernelHostKeys.one(this.config.queuePrefix, host.owner), JSON.stringify(host), 'EX', kernelHostKeys.ttlSeconds)
      .catch((err: unknown) => this.logger.write('warn', 'could not announce this kernel worker', { err: String(err) }));
  }
}
