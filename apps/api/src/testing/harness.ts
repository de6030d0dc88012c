import type { Server } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import { AUTH, type SessionDto, type SubmissionDto } from '@holdout/contracts';
import { Competition, HostCompetitionData, JsonLogger, provisionCompetitionData, type AppConfig } from '@holdout/db';
import type { TestEnv } from '@holdout/db/testing';
import request from 'supertest';
import { createApp } from '../app.factory.js';
import type { CompetitionBundles } from '../modules/competitions/bundles.js';

export { createTestEnv, processEnv, type TestEnv } from '@holdout/db/testing';

export interface TestApi {
  app: INestApplication;
  server: Server;
  close(): Promise<void>;
}

/**
 * Request limits of apps started by startApi: tests sign up and upload from one address many times
 * a second (the bad-input corpus sends hundreds of uploads from one account). A test of the limits
 * passes its own `rateLimits`; apps started as processes (processEnv) keep the production defaults.
 */
export const TEST_RATE_LIMITS: AppConfig['rateLimits'] = { uploadsPerMinute: 100_000, authPerMinute: 100_000 };

/** The real application on an ephemeral port, on the env's database (`config` overrides settings of the env's). */
export async function startApi(env: TestEnv, bundles: CompetitionBundles, config: Partial<AppConfig> = {}): Promise<TestApi> {
  const logger = new JsonLogger(config.logLevel ?? env.config.logLevel, 'api');
  const app = await createApp({ config: { ...env.config, rateLimits: TEST_RATE_LIMITS, ...config }, logger, bundles, dataSource: env.ds });
  await app.listen(0, '127.0.0.1');
  return {
    app,
    server: app.getHttpServer() as Server,
    async close() {
      await app.close();
    },
  };
}

/** A signed-in browser-like client: keeps the cookies and sends the CSRF header on writes. */
export class Client {
  readonly agent: ReturnType<typeof request.agent>;
  csrf = '';
  /** `Cookie` header value of the session, for raw HTTP (SSE) requests. */
  cookie = '';
  user!: SessionDto['user'];

  constructor(server: Server) {
    this.agent = request.agent(server);
  }

  static async register(server: Server, email: string, displayName = email.split('@')[0]!, password = 'correct horse battery'): Promise<Client> {
    const c = new Client(server);
    const res = await c.agent.post('/api/auth/register').send({ email, password, displayName });
    if (res.status !== 201) throw new Error(`register ${email}: ${res.status} ${JSON.stringify(res.body)}`);
    c.csrf = (res.body as SessionDto).csrfToken;
    c.user = (res.body as SessionDto).user;
    c.cookie = ([] as string[])
      .concat(res.headers['set-cookie'] ?? [])
      .map((h) => h.split(';')[0]!)
      .join('; ');
    return c;
  }

  get(path: string) {
    return this.agent.get(path);
  }
  post(path: string) {
    return this.agent.post(path).set(AUTH.csrfHeader, this.csrf);
  }
  put(path: string) {
    return this.agent.put(path).set(AUTH.csrfHeader, this.csrf);
  }
  patch(path: string) {
    return this.agent.patch(path).set(AUTH.csrfHeader, this.csrf);
  }
  delete(path: string) {
    return this.agent.delete(path).set(AUTH.csrfHeader, this.csrf);
  }
  /** As a site admin: lets `user` open courses (`PUT /api/admin/users/:id/course-creator`). */
  async allowCourseCreation(user: Client): Promise<void> {
    const res = await this.put(`/api/admin/users/${user.user.id}/course-creator`).send({ allowed: true });
    if (res.status !== 200) throw new Error(`allow ${user.user.email} to create courses: ${res.status} ${JSON.stringify(res.body)}`);
  }
  upload(slug: string, csv: string, fields: Record<string, string> = {}) {
    let r = this.post(`/api/competitions/${slug}/submissions`);
    for (const [k, v] of Object.entries(fields)) r = r.field(k, v);
    return r.attach('file', Buffer.from(csv), 'submission.csv');
  }
}

/** Polls until `check` returns a value (not undefined) or the time is up. */
export async function eventually<T>(check: () => Promise<T | undefined>, { timeoutMs = 15_000, everyMs = 50, what = 'condition' } = {}): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Waits until `client` sees submission `id` scored (as it would poll its page), and answers it. */
export function scored(client: Client, id: string, timeoutMs = 30_000): Promise<SubmissionDto> {
  return eventually(async () => {
    const r = (await client.get(`/api/submissions/${id}`)).body as SubmissionDto;
    return r.status === 'scored' ? r : undefined;
  }, { timeoutMs, what: `submission ${id} to be scored` });
}

/**
 * An instructor creates `slug` from `bundle` in a course, and its data is built, as the worker
 * would; throws when the API refuses.
 */
export async function createCompetitionWithData(
  o: { env: TestEnv; bundles: CompetitionBundles; instructor: Client; courseId: string; bundle: string; slug: string; api?: TestApi },
): Promise<Competition> {
  const res = await o.instructor.post('/api/competitions').send({ bundle: o.bundle, slug: o.slug, courseId: o.courseId });
  if (res.status !== 201) throw new Error(`create ${o.slug}: ${res.status} ${JSON.stringify(res.body)}`);
  const c = await o.env.ds.getRepository(Competition).findOneByOrFail({ slug: o.slug });
  // As the API host's seed provisions: with a remote store, the downloadable files are put there too.
  await provisionCompetitionData(o.env.ds, o.bundles, c.id, o.env.config.dataDir, o.api ? { host: o.api.app.get(HostCompetitionData, { strict: false }) } : {});
  return c;
}

/** Waits until `client` sees the competition's data (the API caches competitions for a moment). */
export async function dataVisible(client: Client, slug: string): Promise<void> {
  await eventually(async () => ((await client.get(`/api/competitions/${slug}/data`)).status === 200 ? true : undefined), { what: `the data of ${slug}` });
}
