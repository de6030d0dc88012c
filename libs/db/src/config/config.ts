import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import type { ArtifactStoreSettings } from '../artifact-store.js';
import { repoRoot } from './repo-root.js';

/**
 * Every setting, its environment variable and its default. Defaults work on one machine with
 * `scripts/services.sh up`; nothing here is a secret with a default.
 *
 * | variable | default |
 * | --- | --- |
 * | DATABASE_URL | postgres://holdout@127.0.0.1:54329/holdout |
 * | REDIS_URL | redis://127.0.0.1:63799 |
 * | HOLDOUT_DATA_DIR | `<repo>/.data` (artifacts, competition data, the generated session secret) |
 * | HOLDOUT_ARTIFACT_STORE | local (uploads, logs and outputs under `<data>/artifacts`); `s3`: in an S3 bucket, for API and worker hosts that share no disk (docs/scaling.md) |
 * | HOLDOUT_S3_BUCKET | unset (required for HOLDOUT_ARTIFACT_STORE=s3: the bucket; credentials come from the AWS SDK's standard chain: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, an instance or task role) |
 * | HOLDOUT_S3_REGION | us-east-1 (for s3) |
 * | HOLDOUT_S3_ENDPOINT | unset = AWS (for s3: the origin of an S3-compatible server, e.g. MinIO or Ceph RGW, `https://s3.example.edu:9000`) |
 * | HOLDOUT_S3_FORCE_PATH_STYLE | false (for s3: `true` addresses the bucket in the path, as MinIO and most Ceph RGW setups need) |
 * | HOLDOUT_ARTIFACT_CACHE_GB | 20 (with a remote artifact store: the most each API or worker process keeps of its objects in its cache under `<data>/artifact-cache/`, evicted least-recently-used) |
 * | HOLDOUT_DATA_SCALE | demo (`demo` or `full`: size of the data generated for recipe bundles; recorded with each competition when it is created) |
 * | PORT / HOST | 4000 / 127.0.0.1 (API only) |
 * | HOLDOUT_UPLOAD_LIMIT_MB | 200 |
 * | HOLDOUT_BUNDLE_CHECK_TIMEOUT_S | 120 (an uploaded bundle is unpacked and checked in a child process with a small heap; it is stopped after this) |
 * | HOLDOUT_SESSION_SECRET | generated once and kept in `<data>/session-secret` (mode 0600) |
 * | HOLDOUT_SESSION_TTL_HOURS | 336 (14 days) |
 * | HOLDOUT_QUEUE_PREFIX | `holdout` (BullMQ key prefix; tests use a unique one) |
 * | HOLDOUT_PUBLIC_ORIGINS | comma-separated origins allowed on cookie-authenticated writes besides the API's own (e.g. the web app) |
 * | HOLDOUT_COOKIE_SECURE | true when any of HOLDOUT_PUBLIC_ORIGINS is `https://`, else false (cookies marked `Secure`: set true behind HTTPS) |
 * | HOLDOUT_LOG_LEVEL | info (debug, info, warn, error, silent) |
 * | HOLDOUT_SCORING_CONCURRENCY | 2 (worker) |
 * | HOLDOUT_SCORING_TIMEOUT_S | 120 (worker: a scoring still running after this is stopped; the submission fails with scoring_timeout) |
 * | HOLDOUT_STUCK_AFTER_S | 300 (reconciler: queued/scoring longer than this is re-enqueued) |
 * | HOLDOUT_RECONCILE_EVERY_S | 60 |
 * | HOLDOUT_JOB_LOCK_S | 30 (worker: a job whose worker stopped renewing its lock this long is picked up again) |
 * | HOLDOUT_WORKER_QUEUES | scoring,maintenance,models,kernels (worker: which work this worker takes, a comma list; e.g. `kernels` on a GPU host that should run kernels only. Some worker of a deployment must take each: `maintenance` reveals boards, builds data and reconciles) |
 * | HOLDOUT_KERNELS | on (`off` on a machine without Docker: the worker starts no kernel processors and touches no containers; the API refuses kernel uploads with 503 `kernels_disabled`) |
 * | HOLDOUT_GPUS | none (worker: comma list of the GPU device ids it may hand to kernels, e.g. `0,1`; none = CPU-only, never takes `kernels-gpu` jobs) |
 * | HOLDOUT_KERNEL_IMAGE | unset (worker: runtime image every kernel runs in, e.g. the tag `docker/kernel-runtime/build.sh` prints; unset = the competition's `kernel.image`) |
 * | HOLDOUT_KERNEL_CONCURRENCY | 1 (worker: CPU kernels run at once; GPU kernels run one per device) |
 * | HOLDOUT_KERNEL_OWNER | `<host name>.<queue prefix>` (worker: labels its kernel containers; stable across restarts so it reclaims its orphans) |
 * | HOLDOUT_MODEL_CONCURRENCY | 1 (worker: model submissions run at once) |
 * | HOLDOUT_MODEL_THREADS | the machine's CPUs divided by HOLDOUT_MODEL_CONCURRENCY (worker: CPU threads of each model run, shared among its parallel runs) |
 * | HOLDOUT_MODEL_PARALLEL_RUNS | 2 on the CPU where HOLDOUT_MODEL_THREADS allows, 1 on CUDA (worker: model calls each model run makes at once, each on a thread with onnxruntime sessions of its own and a share of the batch) |
 * | HOLDOUT_MODEL_PROVIDER | cpu (worker: `cuda` runs models on the first of HOLDOUT_GPUS; needs onnxruntime-node's CUDA binaries, see the README) |
 * | HOLDOUT_GPU_HOURS_PER_WEEK | 30 (API: default weekly GPU budget of a team, per competition/course overridable) |
 * | HOLDOUT_COURSE_CREATION | approved (who may open a course and so upload bundles: `approved` = site admins and users an admin approved; `anyone` = every signed-in user) |
 * | HOLDOUT_LOGIN_ATTEMPTS_PER_IP | 30 (failed sign-ins from one address per 15 min before it must wait; counted in Redis, shared by API replicas; 10 per address and account) |
 * | HOLDOUT_UPLOADS_PER_MINUTE | 30 (uploads — submission files, kernels, models, bundles, rescoring solutions — per account per minute; counted in Redis, shared by API replicas; over it: 429 with Retry-After) |
 * | HOLDOUT_AUTH_REQUESTS_PER_MINUTE | 20 (sign-ups per client address, and API tokens created per account, per minute; counted in Redis; raise it for a class signing up behind one NAT address) |
 * | HOLDOUT_MAIL_URL | `log:` (API: how mail such as password-reset links leaves: `log:` writes it to the API's log; `smtp://user:pass@host:587` or `smtps://…:465` sends it through that server) |
 * | HOLDOUT_MAIL_FROM | `Holdout <noreply@localhost>` (API: the sender of its mail) |
 * | HOLDOUT_WEB_URL | the first of HOLDOUT_PUBLIC_ORIGINS, else `http://127.0.0.1:3000` (API: the web app's address, for links in mail) |
 */
/** The kinds of work a worker can be told to take (HOLDOUT_WORKER_QUEUES). */
export const WORKER_ROLES = ['scoring', 'maintenance', 'models', 'kernels'] as const;
export type WorkerRole = (typeof WORKER_ROLES)[number];

const schema = z.object({
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').default('postgres://holdout@127.0.0.1:54329/holdout'),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must be a redis:// URL').default('redis://127.0.0.1:63799'),
  HOLDOUT_DATA_DIR: z.string().min(1).optional(),
  HOLDOUT_ARTIFACT_STORE: z.enum(['local', 's3']).default('local'),
  HOLDOUT_S3_BUCKET: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name (3-63 lower-case letters, digits, dots and hyphens)').optional(),
  HOLDOUT_S3_REGION: z.string().regex(/^[a-z0-9-]+$/, 'must be a region name such as us-east-1').default('us-east-1'),
  HOLDOUT_S3_ENDPOINT: z.string().regex(/^https?:\/\/[^/?#]+\/?$/, 'must be an http(s):// origin such as https://s3.example.edu:9000').optional(),
  HOLDOUT_S3_FORCE_PATH_STYLE: z.enum(['true', 'false', '1', '0']).default('false'),
  HOLDOUT_DATA_SCALE: z.enum(['demo', 'full']).default('demo'),
  HOLDOUT_ARTIFACT_CACHE_GB: z.coerce.number().positive().max(1_000_000).default(20),
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().min(1).default('127.0.0.1'),
  HOLDOUT_UPLOAD_LIMIT_MB: z.coerce.number().positive().max(100_000).default(200),
  HOLDOUT_BUNDLE_CHECK_TIMEOUT_S: z.coerce.number().positive().max(3600).default(120),
  HOLDOUT_SESSION_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  HOLDOUT_SESSION_TTL_HOURS: z.coerce.number().positive().default(336),
  HOLDOUT_QUEUE_PREFIX: z.string().regex(/^[A-Za-z0-9_.-]+$/).default('holdout'),
  HOLDOUT_PUBLIC_ORIGINS: z.string().default(''),
  HOLDOUT_COOKIE_SECURE: z.enum(['true', 'false', '1', '0']).optional(),
  HOLDOUT_LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  HOLDOUT_SCORING_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(2),
  HOLDOUT_SCORING_TIMEOUT_S: z.coerce.number().positive().default(120),
  HOLDOUT_STUCK_AFTER_S: z.coerce.number().int().min(1).default(300),
  HOLDOUT_RECONCILE_EVERY_S: z.coerce.number().int().min(1).default(60),
  HOLDOUT_JOB_LOCK_S: z.coerce.number().min(1).default(30),
  HOLDOUT_WORKER_QUEUES: z
    .string()
    .transform((v) => v.split(',').map((q) => q.trim()).filter(Boolean))
    .pipe(z.array(z.enum(WORKER_ROLES, { error: () => `names an unknown queue; use a comma list of ${WORKER_ROLES.join(', ')}` })).min(1, 'must name at least one queue'))
    .default([...WORKER_ROLES]),
  HOLDOUT_KERNELS: z.enum(['on', 'off']).default('on'),
  HOLDOUT_GPUS: z.string().regex(/^[A-Za-z0-9-]*(,[A-Za-z0-9-]*)*$/, 'must be a comma list of device ids').default(''),
  HOLDOUT_KERNEL_IMAGE: z.string().trim().optional(),
  HOLDOUT_KERNEL_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(1),
  HOLDOUT_KERNEL_OWNER: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'must be [A-Za-z0-9_.-]').optional(),
  HOLDOUT_MODEL_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(1),
  HOLDOUT_MODEL_THREADS: z.coerce.number().int().min(1).max(256).optional(),
  HOLDOUT_MODEL_PARALLEL_RUNS: z.coerce.number().int().min(1).max(16).optional(),
  HOLDOUT_MODEL_PROVIDER: z.enum(['cpu', 'cuda']).default('cpu'),
  HOLDOUT_GPU_HOURS_PER_WEEK: z.coerce.number().min(0).default(30),
  HOLDOUT_COURSE_CREATION: z.enum(['approved', 'anyone']).default('approved'),
  HOLDOUT_LOGIN_ATTEMPTS_PER_IP: z.coerce.number().int().min(1).default(30),
  HOLDOUT_UPLOADS_PER_MINUTE: z.coerce.number().int().min(1).default(30),
  HOLDOUT_AUTH_REQUESTS_PER_MINUTE: z.coerce.number().int().min(1).default(20),
  HOLDOUT_MAIL_URL: z.string().regex(/^(log:|smtps?:\/\/)/, 'must be log: or an smtp:// or smtps:// URL').default('log:'),
  HOLDOUT_MAIL_FROM: z.string().trim().min(3).default('Holdout <noreply@localhost>'),
  HOLDOUT_WEB_URL: z.string().regex(/^https?:\/\/[^/]+$/, 'must be an origin such as https://holdout.example.edu').optional(),
});

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export interface AppConfig {
  databaseUrl: string;
  redisUrl: string;
  repoRoot: string;
  dataDir: string;
  /** Uploads, kernel outputs, logs: `<data>/artifacts`. */
  artifactDir: string;
  /** Which artifact store: `local` (`artifactDir`, one machine or a shared data directory) or `s3` (hosts that share nothing but PostgreSQL, Redis and the bucket). */
  artifactStore: ArtifactStoreSettings;
  /** The most a process keeps of a remote store's objects in its cache on this host (each API and worker process has its own). */
  artifactCacheBytes: number;
  /** Built competition data: `<data>/competitions`. */
  competitionDataDir: string;
  /** Scale of generated competition data: `demo` builds in seconds, `full` is the real competition's size. */
  dataScale: 'demo' | 'full';
  port: number;
  host: string;
  uploadLimitBytes: number;
  /** An uploaded bundle's check (a child process) is stopped after this long. */
  bundleCheckTimeoutMs: number;
  sessionSecret: string;
  sessionTtlMs: number;
  queuePrefix: string;
  publicOrigins: string[];
  cookieSecure: boolean;
  logLevel: LogLevel;
  scoringConcurrency: number;
  /** A scoring still running after this long is stopped (its thread replaced) and fails. */
  scoringTimeoutMs: number;
  stuckAfterMs: number;
  reconcileEveryMs: number;
  jobLockMs: number;
  /** Who may open courses: site admins and approved users, or anyone signed in. */
  courseCreation: 'approved' | 'anyone';
  /** Failed sign-ins allowed from one client address per window (per address and account: a third of it, at least 3). */
  loginAttemptsPerIp: number;
  /** Requests per fixed one-minute window, counted in Redis: uploads per account; sign-ups per address and tokens created per account. */
  rateLimits: { uploadsPerMinute: number; authPerMinute: number };
  /** Mail transport: `log:` (written to the log) or an smtp(s):// URL. */
  mailUrl: string;
  mailFrom: string;
  /** The web app's origin, for links in mail. */
  webUrl: string;
  /** Kernel workers (and the API's GPU budget). `enabled` false (HOLDOUT_KERNELS=off): no kernel runs on this deployment. */
  /** HOLDOUT_WORKER_QUEUES: which queues a worker consumes (kernels only where kernels are enabled). */
  workerQueues: WorkerRole[];
  kernels: { enabled: boolean; gpus: string[]; image: string | null; concurrency: number; owner: string; gpuHoursPerWeek: number };
  /**
   * Model workers: model submissions run at once; CPU threads of each (null: the machine's CPUs
   * divided by `concurrency`); calls each run makes at once (null: createPredictor's default).
   */
  models: { concurrency: number; threads: number | null; parallelRuns: number | null; provider: 'cpu' | 'cuda' };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** Reads the environment once; throws ConfigError listing every problem. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const parsed = schema.safeParse(env);
  const problems = parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  if (env.HOLDOUT_ARTIFACT_STORE === 's3' && !env.HOLDOUT_S3_BUCKET) problems.push('HOLDOUT_S3_BUCKET: required when HOLDOUT_ARTIFACT_STORE is s3 (the bucket every API and worker host shares)');
  if (!parsed.success || problems.length) throw new ConfigError(problems);
  const e = parsed.data;
  const root = repoRoot();
  const publicOrigins = e.HOLDOUT_PUBLIC_ORIGINS.split(',').map((s) => s.trim()).filter(Boolean);
  const dataDir = e.HOLDOUT_DATA_DIR ? (isAbsolute(e.HOLDOUT_DATA_DIR) ? e.HOLDOUT_DATA_DIR : resolve(e.HOLDOUT_DATA_DIR)) : join(root, '.data');
  return {
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    repoRoot: root,
    dataDir,
    artifactDir: join(dataDir, 'artifacts'),
    artifactStore:
      e.HOLDOUT_ARTIFACT_STORE === 's3'
        ? {
            kind: 's3',
            bucket: e.HOLDOUT_S3_BUCKET!,
            region: e.HOLDOUT_S3_REGION,
            endpoint: e.HOLDOUT_S3_ENDPOINT?.replace(/\/$/, '') ?? null,
            forcePathStyle: e.HOLDOUT_S3_FORCE_PATH_STYLE === 'true' || e.HOLDOUT_S3_FORCE_PATH_STYLE === '1',
          }
        : { kind: 'local' },
    artifactCacheBytes: Math.round(e.HOLDOUT_ARTIFACT_CACHE_GB * 1024 ** 3),
    competitionDataDir: join(dataDir, 'competitions'),
    dataScale: e.HOLDOUT_DATA_SCALE,
    port: e.PORT,
    host: e.HOST,
    uploadLimitBytes: Math.round(e.HOLDOUT_UPLOAD_LIMIT_MB * 1024 * 1024),
    bundleCheckTimeoutMs: Math.round(e.HOLDOUT_BUNDLE_CHECK_TIMEOUT_S * 1000),
    sessionSecret: e.HOLDOUT_SESSION_SECRET ?? persistedSecret(dataDir),
    sessionTtlMs: e.HOLDOUT_SESSION_TTL_HOURS * 3600_000,
    queuePrefix: e.HOLDOUT_QUEUE_PREFIX,
    publicOrigins,
    // Served over HTTPS (the public origin says so): session cookies never travel in clear text.
    cookieSecure: e.HOLDOUT_COOKIE_SECURE === undefined ? publicOrigins.some((o) => o.startsWith('https://')) : e.HOLDOUT_COOKIE_SECURE === 'true' || e.HOLDOUT_COOKIE_SECURE === '1',
    logLevel: e.HOLDOUT_LOG_LEVEL,
    scoringConcurrency: e.HOLDOUT_SCORING_CONCURRENCY,
    workerQueues: e.HOLDOUT_WORKER_QUEUES,
    scoringTimeoutMs: Math.round(e.HOLDOUT_SCORING_TIMEOUT_S * 1000),
    stuckAfterMs: e.HOLDOUT_STUCK_AFTER_S * 1000,
    reconcileEveryMs: e.HOLDOUT_RECONCILE_EVERY_S * 1000,
    jobLockMs: Math.round(e.HOLDOUT_JOB_LOCK_S * 1000),
    courseCreation: e.HOLDOUT_COURSE_CREATION,
    loginAttemptsPerIp: e.HOLDOUT_LOGIN_ATTEMPTS_PER_IP,
    rateLimits: { uploadsPerMinute: e.HOLDOUT_UPLOADS_PER_MINUTE, authPerMinute: e.HOLDOUT_AUTH_REQUESTS_PER_MINUTE },
    mailUrl: e.HOLDOUT_MAIL_URL,
    mailFrom: e.HOLDOUT_MAIL_FROM,
    webUrl: e.HOLDOUT_WEB_URL ?? publicOrigins[0] ?? 'http://127.0.0.1:3000',
    kernels: {
      enabled: e.HOLDOUT_KERNELS === 'on',
      gpus: e.HOLDOUT_GPUS.split(',').map((s) => s.trim()).filter(Boolean),
      image: e.HOLDOUT_KERNEL_IMAGE || null,
      concurrency: e.HOLDOUT_KERNEL_CONCURRENCY,
      // Host and queue prefix: stable across restarts, distinct for each deployment (and test) on one engine.
      owner: e.HOLDOUT_KERNEL_OWNER ?? `${hostname().replace(/[^A-Za-z0-9_.-]/g, '_') || 'worker'}.${e.HOLDOUT_QUEUE_PREFIX}`,
      gpuHoursPerWeek: e.HOLDOUT_GPU_HOURS_PER_WEEK,
    },
    models: { concurrency: e.HOLDOUT_MODEL_CONCURRENCY, threads: e.HOLDOUT_MODEL_THREADS ?? null, parallelRuns: e.HOLDOUT_MODEL_PARALLEL_RUNS ?? null, provider: e.HOLDOUT_MODEL_PROVIDER },
  };
}

// A secret generated on first start and kept with the data, so sessions survive restarts
// without anyone having to invent one, and no secret is baked into the code.
function persistedSecret(dataDir: string): string {
  const file = join(dataDir, 'session-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  try {
    writeFileSync(file, secret + '\n', { flag: 'wx', mode: 0o600 });
  } catch {
    return readFileSync(file, 'utf8').trim(); // another process won the race
  }
  chmodSync(file, 0o600);
  return secret;
}

export const APP_CONFIG = Symbol('APP_CONFIG');
