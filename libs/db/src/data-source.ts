import 'reflect-metadata';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { ENTITIES } from './entities.js';
import { SnakeNamingStrategy } from './naming.js';

export interface DataSourceOptions {
  databaseUrl: string;
  repoRoot: string;
  poolSize?: number;
  applicationName?: string;
}

/** The one DataSource shape used by the API, the worker, migrations and tests. Never synchronizes. */
export function createDataSource(o: DataSourceOptions): DataSource {
  return new DataSource({
    type: 'postgres',
    uuidExtension: 'pgcrypto',
    url: o.databaseUrl,
    entities: ENTITIES,
    migrations: [join(o.repoRoot, 'migrations', 'dist', '*.js')],
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    namingStrategy: new SnakeNamingStrategy(),
    synchronize: false,
    migrationsRun: false,
    logging: ['error'],
    extra: { max: o.poolSize ?? 10, application_name: o.applicationName ?? 'holdout' },
  });
}

export class SchemaNotReadyError extends Error {}

/** Refuses a schema with pending migrations (the API does not serve a half-migrated database). */
export async function assertSchemaReady(ds: DataSource): Promise<void> {
  let pending: boolean;
  try {
    pending = await ds.showMigrations();
  } catch (err) {
    throw new SchemaNotReadyError(`cannot read the migration state: ${(err as Error).message}`);
  }
  if (pending) throw new SchemaNotReadyError('the database has pending migrations: run `node apps/api/dist/migrate.js` first');
}

/**
 * For a serving process (API, worker): a connected DataSource on a fully migrated schema, or —
 * when the database is unreachable or not migrated — one error log line and exit 1, so nothing
 * is ever served on a half-migrated schema.
 */
export async function openReadyDataSourceOrExit(
  o: DataSourceOptions,
  logger: { write(level: 'error', msg: string): void },
): Promise<DataSource> {
  const ds = createDataSource(o);
  try {
    await ds.initialize();
    await assertSchemaReady(ds);
  } catch (err) {
    logger.write('error', `refusing to start: ${(err as Error).message}`);
    await ds.destroy().catch(() => undefined);
    process.exit(1);
  }
  return ds;
}

/**
 * The migration runner: applies pending migrations, each in its own transaction, and names them;
 * with `checkOnly`, applies nothing and says whether some are pending.
 */
export async function migrate(ds: DataSource, o: { checkOnly?: boolean } = {}): Promise<{ pending: boolean; applied: string[] }> {
  if (o.checkOnly) return { pending: await ds.showMigrations(), applied: [] };
  const done = await ds.runMigrations({ transaction: 'each' });
  return { pending: false, applied: done.map((m) => m.name) };
}
