// Starts the real platform for browser tests: a fresh PostgreSQL database, the API and the worker
// from their compiled entry points, and the built web app (`apps/web/server.mjs`), each on a free loopback
// port, with logs under e2e/output/logs. PostgreSQL and Redis come from DATABASE_URL / REDIS_URL,
// or from scripts/services.sh when those are unset.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const ROOT = resolve(import.meta.dirname, '../../..');
const LOGS = resolve(process.env.HOLDOUT_E2E_OUTPUT ?? join(ROOT, 'e2e/output'), 'logs');

export interface Stack {
  web: string;
  api: string;
  databaseUrl: string;
  /** The API's log (its own file: stacks of several spec files may run at once); mail goes there by default. */
  apiLog: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => res(port));
    });
  });
}

function servicesEnv(): { DATABASE_URL: string; REDIS_URL: string } {
  if (process.env.DATABASE_URL && process.env.REDIS_URL) return { DATABASE_URL: process.env.DATABASE_URL, REDIS_URL: process.env.REDIS_URL };
  const out = execFileSync('bash', [join(ROOT, 'scripts/services.sh'), 'up', 'postgres', 'redis'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const env: Record<string, string> = {};
  for (const m of out.matchAll(/export (\w+)=['"]?([^'"\n]+)['"]?/g)) env[m[1]!] = m[2]!;
  if (!env.DATABASE_URL || !env.REDIS_URL) throw new Error(`scripts/services.sh printed no DATABASE_URL/REDIS_URL:\n${out}`);
  return { DATABASE_URL: process.env.DATABASE_URL ?? env.DATABASE_URL, REDIS_URL: process.env.REDIS_URL ?? env.REDIS_URL };
}

async function withAdminDb<T>(databaseUrl: string, fn: (q: (sql: string) => Promise<unknown>) => Promise<T>): Promise<T> {
  const pg = (await import('pg')).default;
  const url = new URL(databaseUrl);
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    return await fn((sql) => client.query(sql));
  } finally {
    await client.end();
  }
}

function run(name: string, args: string[], env: NodeJS.ProcessEnv, cwd = ROOT, logFile = join(LOGS, `${name}.log`)): ChildProcess {
  mkdirSync(LOGS, { recursive: true });
  const log = createWriteStream(logFile);
  const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  return child;
}

async function waitFor(url: string, child: ChildProcess, name: string, seconds = 90): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}; see ${join(LOGS, `${name}.log`)}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (res.status < 500) return;
    } catch {
      // not listening yet
    }
    await sleep(250);
  }
  throw new Error(`${name} did not answer ${url} within ${seconds}s; see ${join(LOGS, `${name}.log`)}`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(8000)]);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

// Entry points; overridable to diagnose against another build of the api/worker.
const API_MAIN = process.env.HOLDOUT_E2E_API_DIST ?? join(ROOT, 'apps/api/dist');
const WORKER_MAIN = process.env.HOLDOUT_E2E_WORKER_DIST ?? join(ROOT, 'apps/worker/dist');

/** `web: false` starts the API and the worker only; `env` adds settings (e.g. HOLDOUT_KERNELS=on). */
export async function startStack(o: { web?: boolean; env?: Record<string, string> } = {}): Promise<Stack> {
  const withWeb = o.web !== false;
  const webDir = join(ROOT, 'apps/web');
  if (withWeb && !existsSync(join(webDir, '.next/BUILD_ID'))) throw new Error('the web app is not built: run `npm run build -w @holdout/web` first');
  for (const f of [join(API_MAIN, 'main.js'), join(API_MAIN, 'migrate.js'), join(WORKER_MAIN, 'main.js')]) {
    if (!existsSync(f)) throw new Error(`${f} is missing: run \`npx tsc -b\` first`);
  }
  const services = servicesEnv();
  const dbName = `holdout_web_e2e_${process.pid}_${randomBytes(3).toString('hex')}`;
  await withAdminDb(services.DATABASE_URL, (q) => q(`CREATE DATABASE ${dbName}`));
  const dbUrl = new URL(services.DATABASE_URL);
  dbUrl.pathname = `/${dbName}`;
  const [apiPort, webPort] = [await freePort(), await freePort()];
  const apiLog = join(LOGS, `api-${apiPort}.log`);
  const api = `http://127.0.0.1:${apiPort}`;
  const web = `http://127.0.0.1:${webPort}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: dbUrl.toString(),
    REDIS_URL: services.REDIS_URL,
    PORT: String(apiPort),
    HOST: '127.0.0.1',
    HOLDOUT_QUEUE_PREFIX: `webe2e_${dbName}`,
    HOLDOUT_PUBLIC_ORIGINS: web,
    HOLDOUT_SESSION_SECRET: randomBytes(32).toString('hex'),
    // Competition data builds are cached by content: shared between runs of these tests. Not under
    // `.data/`: the API's file download (express sendFile, dotfiles: 'deny') refuses any path
    // with a dot-directory in it.
    HOLDOUT_DATA_DIR: process.env.HOLDOUT_E2E_DATA_DIR ?? join(ROOT, 'e2e/output/data'),
    HOLDOUT_LOG_LEVEL: process.env.HOLDOUT_LOG_LEVEL ?? 'info',
    HOLDOUT_KERNELS: process.env.HOLDOUT_KERNELS ?? 'off',
    ...o.env,
  };
  execFileSync(process.execPath, [join(API_MAIN, 'migrate.js')], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  const children: ChildProcess[] = [];
  const stop = async () => {
    await Promise.all(children.reverse().map(stopChild));
    await withAdminDb(services.DATABASE_URL, (q) => q(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`)).catch(() => undefined);
  };
  try {
    const apiProc = run('api', [join(API_MAIN, 'main.js')], env, ROOT, apiLog);
    children.push(apiProc);
    children.push(run('worker', [join(WORKER_MAIN, 'main.js')], env));
    await waitFor(`${api}/api/health`, apiProc, 'api');
    if (withWeb) {
      // The web's own server (apps/web/server.mjs), as `npm start` runs it.
      const webProc = run('web', [join(webDir, 'server.mjs')], { ...env, HOLDOUT_API_URL: api, PORT: String(webPort), HOSTNAME: '127.0.0.1' }, webDir);
      children.push(webProc);
      await waitFor(`${web}/login`, webProc, 'web');
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { web, api, databaseUrl: dbUrl.toString(), apiLog, stop };
}
