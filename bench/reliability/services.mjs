// The reliability bench's own PostgreSQL and Redis: it restarts them and throws Redis's data
// away, so it never runs on services someone else uses. scripts/services.sh starts them under
// their own HOLDOUT_HOME and ports; the fault helpers below act on exactly those instances.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export function benchServices(root) {
  const home = process.env.HOLDOUT_RELIABILITY_HOME ?? join(root, '.data', 'reliability');
  const pgPort = Number(process.env.HOLDOUT_RELIABILITY_PG_PORT ?? 54359);
  const redisPort = Number(process.env.HOLDOUT_RELIABILITY_REDIS_PORT ?? 63829);
  for (const [name, port] of [['PostgreSQL', pgPort], ['Redis', redisPort]]) {
    // The shared test and bench services: never ours to restart.
    if ([54339, 63809, 54349, 63819, 54329, 63799].includes(port)) throw new Error(`${name} port ${port} belongs to the test, bench or default services; choose another (HOLDOUT_RELIABILITY_*_PORT)`);
  }
  // services.sh starts nothing for a service whose URL is set: clear them for it.
  const env = { ...process.env, HOLDOUT_HOME: home, HOLDOUT_PG_PORT: String(pgPort), HOLDOUT_REDIS_PORT: String(redisPort), HOLDOUT_PG_FSYNC: 'off', DATABASE_URL: '', REDIS_URL: '' };
  const services = (...args) => {
    const r = spawnSync('bash', [join(root, 'scripts', 'services.sh'), ...args], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    if (r.status !== 0) throw new Error(`scripts/services.sh ${args.join(' ')} failed (${r.status})`);
    return r.stdout;
  };
  const pgBin = () => readFileSync(join(home, 'run', 'postgres'), 'utf8').trim();
  const asPg = (cmd, args) => (process.getuid?.() === 0 ? execFileSync('runuser', ['-u', 'postgres', '--', cmd, ...args], { stdio: 'ignore' }) : execFileSync(cmd, args, { stdio: 'ignore' }));
  return {
    home,
    databaseUrl: `postgres://holdout@127.0.0.1:${pgPort}/holdout`,
    redisUrl: `redis://127.0.0.1:${redisPort}`,
    up() {
      services('up', 'postgres', 'redis');
    },
    down() {
      services('down');
    },
    /** `pg_ctl restart -m fast`: connections are cut, in-flight transactions roll back. */
    restartPostgres() {
      asPg(join(pgBin(), 'pg_ctl'), ['-D', join(home, 'postgres'), '-m', 'fast', '-w', '-t', '60', 'restart']);
    },
    /** Redis stops without saving, its append-only files are removed, and it starts empty. */
    restartRedisEmpty() {
      spawnSync('redis-cli', ['-p', String(redisPort), 'shutdown', 'nosave'], { stdio: 'ignore' });
      for (const f of ['appendonlydir', 'appendonly.aof', 'dump.rdb']) rmSync(join(home, 'redis', f), { recursive: true, force: true });
      services('up', 'redis');
    },
  };
}
