import { Inject, Injectable } from '@nestjs/common';
import type { KernelHost } from '@holdout/competition';
import type { Redis } from 'ioredis';
import { APP_CONFIG, type AppConfig, kernelHostKeys } from '@holdout/db';
import { REDIS } from '../../infra/infra.module.js';

/** The kernel workers online now, as each announces itself (see the worker's KernelHostAnnouncer). */
@Injectable()
export class KernelHosts {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  async online(): Promise<KernelHost[]> {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, found] = await this.redis.scan(cursor, 'MATCH', kernelHostKeys.pattern(this.config.queuePrefix), 'COUNT', 200);
      cursor = next;
      keys.push(...found);
    } while (cursor !== '0');
    if (keys.length === 0) return [];
    const values = await this.redis.mget(...keys);
    return values.flatMap((v) => {
      try {
        const h = JSON.parse(v ?? '') as KernelHost;
        return [h.cpus, h.memoryBytes, h.gpus].every((n) => typeof n === 'number' && Number.isFinite(n)) ? [h] : [];
      } catch {
        return []; // expired between SCAN and MGET, or not ours
      }
    });
  }
}
