// Shared set-up for the API benchmarks: a fresh database, the API and the worker as their own
// processes (as in production), and helpers. Requires `npx tsc -b apps/api apps/worker` and the
// services from scripts/services.sh (DATABASE_URL / REDIS_URL).
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { processEnv } from '@holdout/api/testing';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const OUT = join(ROOT, 'bench', 'output');
mkdirSync(OUT, { recursive: true });

/** The API's or worker's environment on a test env, logging warnings only. */
export function childEnv(env, extra = {}) {
  return processEnv(env, { HOLDOUT_LOG_LEVEL: 'warn', ...extra });
}

/** Starts `node <entry>` and resolves once `ready()` says so. */
export async function startProcess(entry, env, log, ready, nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean)) {
  const child = spawn(process.execPath, [...nodeArgs, join(ROOT, entry)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = createWriteStream(join(OUT, log));
  child.stdout.pipe(out);
  child.stderr.pipe(out);
  const until = Date.now() + 60_000;
  while (!(await ready().catch(() => false))) {
    if (child.exitCode !== null) throw new Error(`${entry} exited with ${child.exitCode}; see bench/output/${log}`);
    if (Date.now() > until) throw new Error(`${entry} did not become ready; see bench/output/${log}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return child;
}

export async function stop(child) {
  if (!child || child.exitCode !== null) return;
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
}

export function line(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

export function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** A JSON client of the API at `base`: `session(email)` registers a user; `post(s, path, body)` as them. */
export function apiClient(base) {
  return {
    async session(email) {
      const r = await fetch(`${base}/api/auth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: 'benchmark password', displayName: email }) });
      const body = await r.json();
      return { cookie: r.headers.getSetCookie().map((c) => c.split(';')[0]).join('; '), csrf: body.csrfToken };
    },
    async post(s, path, body) {
      const r = await fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json', cookie: s.cookie, 'x-csrf-token': s.csrf }, body: JSON.stringify(body) });
      return { status: r.status, body: await r.json() };
    },
  };
}
