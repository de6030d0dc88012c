import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { HealthDto } from '@holdout/contracts';
import type { Response } from 'express';
import { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import { REDIS } from '../../infra/infra.module.js';
import { Public } from '../auth/principal.js';

@ApiTags('health')
@Controller()
export class HealthController {
  constructor(
    private readonly ds: DataSource,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  /** Liveness: the process answers. */
  @Public()
  @Get('health')
  health(): HealthDto {
    return { status: 'ok', checks: {} };
  }

  /** Readiness: database reachable and fully migrated, Redis reachable. 503 otherwise. */
  @Public()
  @Get('ready')
  async ready(@Res({ passthrough: true }) res: Response): Promise<HealthDto> {
    const checks: HealthDto['checks'] = {};
    await Promise.all([
      this.ds
        .showMigrations()
        .then((pending) => (checks.database = pending ? 'pending migrations' : 'ok'))
        .catch((e: Error) => (checks.database = e.message)),
      this.redis
        .ping()
        .then(() => (checks.redis = 'ok'))
        .catch((e: Error) => (checks.redis = e.message)),
    ]);
    const ok = Object.values(checks).every((v) => v === 'ok');
    res.status(ok ? 200 : 503);
    return { status: ok ? 'ok' : 'unavailable', checks };
  }
}
