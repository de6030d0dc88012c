import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { assertSchemaReady, ConfigError, createDataSource, JsonLogger, loadConfig } from '@holdout/api/persistence';
import { WorkerModule } from './worker.module.js';

// node apps/worker/dist/main.js — consumes the scoring and maintenance queues. Same environment
// as the API (DATABASE_URL, REDIS_URL, HOLDOUT_DATA_DIR, HOLDOUT_QUEUE_PREFIX, …) plus
// HOLDOUT_SCORING_CONCURRENCY, HOLDOUT_STUCK_AFTER_S, HOLDOUT_RECONCILE_EVERY_S, HOLDOUT_JOB_LOCK_S.
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`holdout worker: ${err.message}\n`);
      process.exit(78);
    }
    throw err;
  }
  const delay = Number(process.env.HOLDOUT_TEST_SCORING_DELAY_MS ?? 0);
  const logger = new JsonLogger(config.logLevel, 'worker');
  const ds = createDataSource({ databaseUrl: config.databaseUrl, repoRoot: config.repoRoot, poolSize: 10, applicationName: 'holdout-worker' });
  try {
    await ds.initialize();
    await assertSchemaReady(ds);
  } catch (err) {
    logger.write('error', `refusing to start: ${(err as Error).message}`);
    await ds.destroy().catch(() => undefined);
    process.exit(1);
  }
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot({ config: { ...config, ...(delay > 0 ? { testScoringDelayMs: delay } : {}) }, logger, dataSource: ds }), { logger });
  app.enableShutdownHooks();
  await app.init();
  logger.write('info', 'worker started', { queues: ['scoring', 'maintenance'], concurrency: config.scoringConcurrency });
}

main().catch((err: unknown) => {
  process.stderr.write(`holdout worker: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
