import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createDataSource, JsonLogger, type AppConfig, type CompetitionBundles } from '@holdout/api/persistence';
import type { TestEnv } from '@holdout/api/testing';
import { WorkerModule } from './worker.module.js';

/** The worker in this process, on its own connections to the env's database and Redis. */
export async function startWorker(
  env: TestEnv,
  bundles: CompetitionBundles,
  overrides: Partial<AppConfig> & { testScoringDelayMs?: number } = {},
  logger = new JsonLogger(env.config.logLevel, 'worker'),
): Promise<INestApplicationContext> {
  const ds = createDataSource({ databaseUrl: env.config.databaseUrl, repoRoot: env.config.repoRoot, poolSize: 5, applicationName: `${env.name}-worker` });
  await ds.initialize();
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot({ config: { ...env.config, ...overrides }, logger, dataSource: ds, bundles }), { logger });
  await app.init();
  return app;
}
