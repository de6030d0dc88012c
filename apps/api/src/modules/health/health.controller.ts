import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthIndicatorService } from '@nestjs/terminus';
import type { HealthDto } from '@holdout/contracts';
import type { Response } from 'express';
import { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import { REDIS } from '../../infra/infra.module.js';
import { Public } from '../auth/principal.js';

const CHECK_TIMEOUT_MS = 2000;

@ApiTags('health')
@Controller()
export class HealthController {
  constructor(
    private readonly ds: DataSource,
    @Inject(REDIS) private readonly redis: Redis,
    private readonly indicators: HealthIndicatorService,
  ) {}

  /** Liveness: the process answers. */
  @Public()
  @Get('health')
  health(): HealthDto {
    return { status: 'ok', checks: {} };
  }

  /**
   * Readiness: database reachable and fully migrated, Redis reachable, each within 2 s (a hung
   * dependency makes the check fail, not hang). 503 otherwise. Terminus's indicators run the
   * checks; the body keeps the platform's HealthDto shape.
   */
  @Public()
  @Get('ready')
  async ready(@Res({ passthrough: true }) res: Response): Promise<HealthDto> {
    const results = await Promise.all([
      this.indicators
        .check('database')
        .attempt(async () => {
          if (await this.ds.showMigrations()) throw new Error('pending migrations');
        })
        .withTimeout(CHECK_TIMEOUT_MS),
      this.indicators
        .check('redis')
        .attempt(async () => {
          await this.redis.ping();
        })
        .withTimeout(CHECK_TIMEOUT_MS),
    ]);
    const checks: HealthDto['checks'] = {};
    for (const r of results) {
      for (const [key, v] of Object.entries(r) as [string, { status: string; message?: string }][]) checks[key] = v.status === 'up' ? 'ok' : (v.message ?? 'down');
    }
    const ok = Object.values(checks).every((v) => v === 'ok');
    res.status(ok ? 200 : 503);
    return { status: ok ? 'ok' : 'unavailable', checks };
  }
}
