import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createDataSource, JsonLogger, type AppConfig, type CompetitionData } from '@holdout/db';
import { processEnv, type TestEnv } from '@holdout/db/testing';
import { WorkerModule, type WorkerOptions } from './worker.module.js';

/** The worker in this process, on its own connections to the env's database and Redis. */
export async function startWorker(
  env: TestEnv,
  bundles: CompetitionData,
  overrides: Partial<AppConfig> & { testScoringDelayMs?: number } = {},
  logger = new JsonLogger(env.config.logLevel, 'worker'),
  options: Pick<WorkerOptions, 'artifactStore' | 'cacheBytes'> = {},
): Promise<INestApplicationContext> {
  const ds = createDataSource({ databaseUrl: env.config.databaseUrl, repoRoot: env.config.repoRoot, poolSize: 5, applicationName: `${env.name}-worker` });
  await ds.initialize();
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot({ config: { ...env.config, ...overrides }, logger, dataSource: ds, bundles, ...options }), { logger });
  await app.init();
  return app;
}

/**
 * Starts `node apps/worker/dist/main.js` as a separate process on the env (jobs whose worker dies
 * are taken over after 2 s); its output goes to `log` in the env's data directory.
 */
export function spawnWorker(env: TestEnv, extra: Record<string, string>, log: string): ChildProcess {
  const child = spawn(process.execPath, [fileURLToPath(new URL('./main.js', import.meta.url))], {
    env: processEnv(env, { HOLDOUT_LOG_LEVEL: 'info', HOLDOUT_JOB_LOCK_S: '2', ...extra }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = createWriteStream(join(env.config.dataDir, log));
  child.stdout!.pipe(out);
  child.stderr!.pipe(out);
  return child;
}

/** Resolves once the process has exited (at once if it already has). */
export function exited(c: ChildProcess): Promise<void> {
  return new Promise((r) => (c.exitCode !== null || c.signalCode !== null ? r() : c.once('exit', () => r())));
}

// What the platform's integration tests (e2e/src/platform) drive directly.
export { WorkerModule } from './worker.module.js';
export { MaintenanceService } from './maintenance/maintenance.service.js';
export { KernelSweeper } from './kernels/kernel-sweeper.service.js';
export { JOBS, QUEUES } from './jobs.js';
