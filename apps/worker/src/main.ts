import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { QUEUES } from '@holdout/contracts';
import { JsonLogger, loadConfigOrExit, openReadyDataSourceOrExit } from '@holdout/db';
import { consumedQueues, WorkerModule } from './worker.module.js';

// node apps/worker/dist/main.js — consumes the scoring, maintenance, models and (unless
// HOLDOUT_KERNELS=off) kernel queues, or those HOLDOUT_WORKER_QUEUES names. Same environment as
// the API (DATABASE_URL, REDIS_URL, HOLDOUT_DATA_DIR, HOLDOUT_QUEUE_PREFIX, …) plus the worker
// settings listed in apps/api/README.md.
async function main(): Promise<void> {
  const config = loadConfigOrExit('worker');
  const delay = Number(process.env.HOLDOUT_TEST_SCORING_DELAY_MS ?? 0);
  const logger = new JsonLogger(config.logLevel, 'worker');
  const ds = await openReadyDataSourceOrExit({ databaseUrl: config.databaseUrl, repoRoot: config.repoRoot, poolSize: 10, applicationName: 'holdout-worker' }, logger);
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot({ config: { ...config, ...(delay > 0 ? { testScoringDelayMs: delay } : {}) }, logger, dataSource: ds }), { logger });
  app.enableShutdownHooks();
  await app.init();
  const q = consumedQueues(config);
  const queues = [q.scoring && QUEUES.scoring, q.maintenance && QUEUES.maintenance, q.models && QUEUES.models, q.kernels && QUEUES.kernels, q.kernels && config.kernels.gpus.length > 0 && QUEUES.kernelsGpu];
  logger.write('info', 'worker started', {
    queues: queues.filter(Boolean),
    concurrency: config.scoringConcurrency,
    gpus: config.kernels.gpus,
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`holdout worker: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
