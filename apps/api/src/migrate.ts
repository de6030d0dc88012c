import 'reflect-metadata';
import { createDataSource, JsonLogger, loadConfigOrExit, migrate } from '@holdout/db';

// node apps/api/dist/migrate.js [--check] — applies pending migrations (each in its own
// transaction) and exits 0; with --check only reports and exits 1 when some are pending.
async function main(): Promise<void> {
  const config = loadConfigOrExit('migrate');
  const logger = new JsonLogger(config.logLevel === 'silent' ? 'silent' : 'info', 'migrate');
  const ds = createDataSource({ databaseUrl: config.databaseUrl, repoRoot: config.repoRoot, poolSize: 2, applicationName: 'holdout-migrate' });
  await ds.initialize();
  try {
    if (process.argv.includes('--check')) {
      const { pending } = await migrate(ds, { checkOnly: true });
      logger.write('info', pending ? 'pending migrations' : 'schema is up to date');
      process.exitCode = pending ? 1 : 0;
      return;
    }
    const { applied } = await migrate(ds);
    logger.write('info', applied.length ? 'migrated' : 'schema is up to date', { applied });
  } finally {
    await ds.destroy();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`holdout migrate: failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
