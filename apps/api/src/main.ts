import 'reflect-metadata';
import cluster from 'node:cluster';
import { z } from 'zod';
import { JsonLogger, loadConfigOrExit, openReadyDataSourceOrExit } from '@holdout/db';
import { createApp } from './app.factory.js';
import { LibCompetitionBundles } from './modules/competitions/lib-bundles.js';

// node apps/api/dist/main.js — serves /api on HOST:PORT. Refuses to start on a bad config or a
// database that is not fully migrated (run apps/api/dist/migrate.js first).
async function main(): Promise<void> {
  const config = loadConfigOrExit('api');
  const logger = new JsonLogger(config.logLevel, 'api');
  const ds = await openReadyDataSourceOrExit({ databaseUrl: config.databaseUrl, repoRoot: config.repoRoot, poolSize: 20, applicationName: 'holdout-api' }, logger);
  const app = await createApp({ config, logger, bundles: new LibCompetitionBundles(config.repoRoot), dataSource: ds });
  await app.listen(config.port, config.host);
  logger.write('info', 'listening', { url: `http://${config.host}:${config.port}/api`, docs: `http://${config.host}:${config.port}/api/docs` });
}

// HOLDOUT_API_PROCESSES (default 1): serve from that many processes sharing the port (node:cluster).
// Caches are per process; their invalidation already travels over Redis pub/sub.
const processes = z.coerce.number().int().min(1).max(64).safeParse(process.env.HOLDOUT_API_PROCESSES ?? '1');
if (!processes.success) {
  process.stderr.write(`holdout api: invalid configuration:\n  - HOLDOUT_API_PROCESSES: ${processes.error.issues[0]!.message}\n`);
  process.exit(78);
}
if (processes.data > 1 && cluster.isPrimary) {
  let shuttingDown = false;
  for (let i = 0; i < processes.data; i++) cluster.fork();
  cluster.on('exit', (w, code, signal) => {
    process.stderr.write(`holdout api: process ${w.process.pid} exited (${signal ?? code})\n`);
    if (!shuttingDown) process.exitCode = 1;
  });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      shuttingDown = true;
      for (const w of Object.values(cluster.workers ?? {})) w?.process.kill(sig);
    });
  }
} else {
  void start();
}

function start(): Promise<void> {
  return main().catch((err: unknown) => {
    process.stderr.write(`holdout api: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
}
