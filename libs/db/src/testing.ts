import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import { loadConfig, type AppConfig } from './config/config.js';
import { createDataSource } from './data-source.js';

// Test support for any suite that needs a database (`@holdout/db/testing`).

const BASE_DB = process.env.DATABASE_URL ?? 'postgres://holdout@127.0.0.1:54329/holdout';

/** A fresh database (and data dir, queue prefix, secret) for one test file; `drop()` removes all of it. */
export interface TestEnv {
  name: string;
  config: AppConfig;
  ds: DataSource;
  drop(): Promise<void>;
}

export async function createTestEnv(label: string, opts: { migrate?: boolean } = {}): Promise<TestEnv> {
  const name = `t_${label.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;
  const admin = new DataSource({ type: 'postgres', url: BASE_DB });
  await admin.initialize();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.destroy();
  const url = new URL(BASE_DB);
  url.pathname = `/${name}`;
  const dataDir = await mkdtemp(join(tmpdir(), `holdout-${label}-`));
  const config = loadConfig({
    ...process.env,
    DATABASE_URL: url.toString(),
    HOLDOUT_DATA_DIR: dataDir,
    HOLDOUT_QUEUE_PREFIX: name,
    HOLDOUT_SESSION_SECRET: randomBytes(32).toString('hex'),
    HOLDOUT_LOG_LEVEL: (process.env.HOLDOUT_TEST_LOG_LEVEL as AppConfig['logLevel']) ?? 'silent',
    PORT: '0',
  });
  const ds = createDataSource({ databaseUrl: config.databaseUrl, repoRoot: config.repoRoot, poolSize: 10, applicationName: name });
  await ds.initialize();
  if (opts.migrate !== false) await ds.runMigrations({ transaction: 'each' });
  return {
    name,
    config,
    ds,
    async drop() {
      if (ds.isInitialized) await ds.destroy();
      const a = new DataSource({ type: 'postgres', url: BASE_DB });
      await a.initialize();
      await a.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await a.destroy();
      // BullMQ keys and anything else under this prefix.
      const redis = new Redis(config.redisUrl);
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${name}:*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length) await redis.del(...keys);
      } while (cursor !== '0');
      await redis.quit();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * The environment of an app process (`node apps/api/dist/main.js`, the worker) on `env`'s
 * database, Redis, data directory, queue prefix and session secret; `extra` adds or overrides.
 */
export function processEnv(env: TestEnv, extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    DATABASE_URL: env.config.databaseUrl,
    REDIS_URL: env.config.redisUrl,
    HOLDOUT_DATA_DIR: env.config.dataDir,
    HOLDOUT_QUEUE_PREFIX: env.config.queuePrefix,
    HOLDOUT_SESSION_SECRET: env.config.sessionSecret,
    ...extra,
  };
}
export { startS3TestServer, s3TestClient } from './s3-test-server.js';
