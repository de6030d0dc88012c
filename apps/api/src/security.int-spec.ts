import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AUTH } from '@holdout/contracts';
import request from 'supertest';
import { Competition, provisionCompetitionData } from '@holdout/db';
import { Client, createTestEnv, eventually, FixtureBundles, startApi, submissionCsv, type TestApi, type TestEnv } from './testing/index.js';

const DAY = 86_400_000;
const bundles = new FixtureBundles(() => ({ opensAt: new Date(Date.now() - DAY), closesAt: new Date(Date.now() + DAY), dailySubmissions: 100 }));

const cookiesOf = (res: { headers: Record<string, unknown> }): string[] => ([] as string[]).concat((res.headers['set-cookie'] as string[] | undefined) ?? []);
const cookieNamed = (res: { headers: Record<string, unknown> }, name: string) => cookiesOf(res).find((c) => c.startsWith(`${name}=`));
const valueOf = (setCookie: string | undefined) => setCookie?.split(';')[0]!.split('=').slice(1).join('=') ?? '';

/** The 429 every limit answers: the one error shape, Retry-After equal to details.retryAfterSeconds, "try again in N s". */
function assertLimited(res: request.Response, what: RegExp, windowSeconds = 60): void {
  assert.equal(res.status, 429, `${res.status} ${res.text}`);
  assert.equal(res.body.error.code, 'too_many_attempts');
  assert.match(res.body.error.message, what);
  assert.match(res.body.error.message, /try again in \d+ s\.$/);
  assert.match(res.body.requestId, /\S/);
  const retry = Number(res.headers['retry-after']);
  assert.ok(Number.isInteger(retry) && retry >= 1 && retry <= windowSeconds, `Retry-After: ${res.headers['retry-after']}`);
  assert.equal(res.body.error.details.retryAfterSeconds, retry);
  assert.ok(res.body.error.message.includes(`try again in ${retry} s.`));
}

describe('security headers', () => {
  let env: TestEnv;
  let api: TestApi;
  let tls: TestApi;

  before(async () => {
    env = await createTestEnv('sec_headers');
    api = await startApi(env, bundles);
    // Configured as served over HTTPS (an https:// public origin): HOLDOUT_COOKIE_SECURE's default.
    tls = await startApi(env, bundles, { cookieSecure: true, publicOrigins: ['https://holdout.example.edu'] });
  });
  after(async () => {
    await tls?.close();
    await api?.close();
    await env?.drop();
  });

  const assertHardened = (res: request.Response, where: string) => {
    assert.equal(res.headers['x-content-type-options'], 'nosniff', where);
    assert.equal(res.headers['referrer-policy'], 'no-referrer', where);
    assert.equal(res.headers['cross-origin-opener-policy'], 'same-origin', where);
    assert.equal(res.headers['cross-origin-resource-policy'], 'same-site', where);
    assert.equal(res.headers['x-frame-options'], 'DENY', where);
    assert.equal(res.headers['x-powered-by'], undefined, where);
  };

  it('every JSON answer, errors and unknown routes included, loads nothing and cannot be framed', async () => {
    const answers = {
      health: await request(api.server).get('/api/health'),
      unknownRoute: await request(api.server).get('/api/no/such/route'),
      unauthenticated: await request(api.server).get('/api/me'),
      badJson: await request(api.server).post('/api/auth/login').set('content-type', 'application/json').send('{nope'),
      outsideTheApi: await request(api.server).get('/index.html'),
    };
    assert.deepEqual(Object.fromEntries(Object.entries(answers).map(([k, r]) => [k, r.status])), { health: 200, unknownRoute: 404, unauthenticated: 401, badJson: 400, outsideTheApi: 404 });
    for (const [where, res] of Object.entries(answers)) {
      // Outside /api, Express's own "Cannot GET" page keeps its stricter `default-src 'none'` (framing: X-Frame-Options).
      if (where !== 'outsideTheApi') assert.equal(res.headers['content-security-policy'], "default-src 'none';frame-ancestors 'none';base-uri 'none';form-action 'none'", where);
      else assert.equal(res.headers['content-security-policy'], "default-src 'none'", where);
      assertHardened(res, where);
      assert.equal(res.headers['strict-transport-security'], undefined, `${where}: no HSTS over plain HTTP`);
    }
  });

  it('keeps Swagger UI working under its own policy: every script and stylesheet it names is served from itself', async () => {
    for (const path of ['/api/docs', '/api/docs/']) await docsWork(path);
  });

  async function docsWork(path: string): Promise<void> {
    const page = await request(api.server).get(path);
    assert.equal(page.status, 200, path);
    assertHardened(page, 'docs');
    const csp = String(page.headers['content-security-policy']);
    for (const d of ["default-src 'self'", "script-src 'self'", "style-src 'self' 'unsafe-inline'", "img-src 'self' data:", "connect-src 'self'", "frame-ancestors 'none'", "object-src 'none'"]) assert.ok(csp.includes(d), `${d} in ${csp}`);
    // No inline script (script-src 'self' would block it): only <script src> of its own.
    assert.doesNotMatch(page.text, /<script(?![^>]*\bsrc=)[^>]*>/);
    const assets = [...page.text.matchAll(/<(?:script[^>]*\bsrc|link[^>]*\bhref)="([^"]+)"/g)].map((m) => m[1]!);
    assert.ok(assets.some((a) => a.endsWith('swagger-ui-init.js')), assets.join(' '));
    for (const a of assets) {
      assert.doesNotMatch(a, /^(https?:)?\/\//, `${a}: from another origin`);
      const res = await request(api.server).get(new URL(a, `http://x${path}`).pathname);
      assert.equal(res.status, 200, `${path}: ${a}`);
      assert.match(String(res.headers['content-security-policy']), /script-src 'self'/, 'its assets under the same policy');
    }
    const spec = await request(api.server).get('/api/docs/json');
    assert.equal(spec.status, 200);
    assert.equal(spec.body.info.title, 'Holdout API');
  }

  it('sends HSTS only over TLS: a request forwarded as https by the trusted proxy, or a platform configured for https', async () => {
    const forwarded = await request(api.server).get('/api/health').set('x-forwarded-proto', 'https');
    assert.equal(forwarded.headers['strict-transport-security'], 'max-age=31536000; includeSubDomains');
    const configured = await request(tls.server).get('/api/health');
    assert.equal(configured.headers['strict-transport-security'], 'max-age=31536000; includeSubDomains');
    assert.equal((await request(api.server).get('/api/health')).headers['strict-transport-security'], undefined);
  });
});

describe('request limits shared by API replicas through Redis', () => {
  let env: TestEnv;
  let a: TestApi;
  let b: TestApi;
  /** A signed-in browser's cookies and CSRF token, usable on either replica. */
  interface Session {
    cookie: string;
    csrf: string;
  }
  let prof: Session;
  let ann: Session;
  let ben: Session;
  const LIMITS = { uploadsPerMinute: 3, authPerMinute: 2 };

  const post = (api: TestApi, s: Session, path: string) => request(api.server).post(path).set('cookie', s.cookie).set(AUTH.csrfHeader, s.csrf);
  const upload = (api: TestApi, s: Session) => post(api, s, '/api/competitions/lim/submissions').attach('file', Buffer.from(submissionCsv()), 'submission.csv');
  /** Signs up from `ip` (x-forwarded-for from loopback is trusted), each account from an address of its own. */
  const signUp = (api: TestApi, email: string, ip: string) =>
    request(api.server).post('/api/auth/register').set('x-forwarded-for', ip).send({ email, password: 'correct horse battery', displayName: email.split('@')[0] });
  const sessionOf = (res: request.Response): Session => {
    assert.equal(res.status, 201, res.text);
    return { cookie: cookiesOf(res).map((c) => c.split(';')[0]).join('; '), csrf: res.body.csrfToken };
  };

  before(async () => {
    env = await createTestEnv('sec_limits');
    // Two replicas of the API: the same database, Redis and key prefix, nothing else shared.
    a = await startApi(env, bundles, { rateLimits: LIMITS });
    b = await startApi(env, bundles, { rateLimits: LIMITS });
    prof = sessionOf(await signUp(a, 'prof@example.com', '10.0.0.1'));
    ann = sessionOf(await signUp(b, 'ann@example.com', '10.0.0.2'));
    ben = sessionOf(await signUp(a, 'ben@example.com', '10.0.0.3'));
    const course = (await post(a, prof, '/api/courses').send({ name: 'Limits' })).body;
    const created = await post(a, prof, '/api/competitions').send({ bundle: 'fixture', slug: 'lim', courseId: course.id });
    assert.equal(created.status, 201, created.text);
    const competition = await env.ds.getRepository(Competition).findOneByOrFail({ slug: 'lim' });
    await provisionCompetitionData(env.ds, bundles, competition.id, env.config.dataDir);
    for (const s of [ann, ben]) assert.equal((await post(b, s, '/api/courses/join').send({ code: course.joinCode })).status, 200);
    // The API caches competitions for a moment: wait until both replicas take submissions.
    for (const api of [a, b]) {
      await eventually(async () => ((await request(api.server).get('/api/competitions/lim/data').set('cookie', ann.cookie)).status === 200 ? true : undefined), { what: 'the data' });
    }
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await env?.drop();
  });

  it('counts uploads per account across both replicas; the refused upload stores nothing; another account is not affected', async () => {
    const statuses: number[] = [];
    let refused: request.Response | undefined;
    for (const api of [a, b, a, b]) {
      refused = await upload(api, ann);
      statuses.push(refused.status);
    }
    assert.deepEqual(statuses, [202, 202, 202, 429], 'three uploads a minute, the fourth refused on whichever replica');
    assertLimited(refused!, /^Too many uploads from your account \(at most 3 in 60 s\)/);
    const [{ n }] = await env.ds.query(`SELECT count(*)::int AS n FROM submissions s JOIN users u ON u.id = s.user_id WHERE u.email = 'ann@example.com'`);
    assert.equal(n, 3, 'the refused upload left no submission');
    assert.equal((await upload(b, ben)).status, 202, 'another account uploads');
  });

  it('counts every upload route together: a bundle upload is one too', async () => {
    // Creating `lim` took one of the instructor's three.
    const statuses: number[] = [];
    for (const api of [b, a, b]) statuses.push((await post(api, prof, '/api/competitions').send({ bundle: 'no-such-bundle', slug: 'x' })).status);
    assert.notEqual(statuses[0], 429, statuses.join(','));
    assert.notEqual(statuses[1], 429, statuses.join(','));
    assertLimited(await post(a, prof, '/api/competitions').send({ bundle: 'fixture', slug: 'y' }), /^Too many uploads from your account/);
  });

  it('counts sign-ups per address across both replicas, with 429, Retry-After and the wait in the message', async () => {
    assert.equal((await signUp(a, 's1@example.com', '10.7.7.7')).status, 201);
    assert.equal((await signUp(b, 's2@example.com', '10.7.7.7')).status, 201);
    assertLimited(await signUp(a, 's3@example.com', '10.7.7.7'), /^Too many sign-ups from your network address \(at most 2 in 60 s\)/);
    assert.equal((await env.ds.query(`SELECT count(*)::int AS n FROM users WHERE email = 's3@example.com'`))[0].n, 0);
    assert.equal((await signUp(b, 's3@example.com', '10.8.8.8')).status, 201, 'another address signs up');
  });

  it('counts API tokens created per account across both replicas', async () => {
    assert.equal((await post(a, ben, '/api/tokens').send({ name: 't1' })).status, 201);
    assert.equal((await post(b, ben, '/api/tokens').send({ name: 't2' })).status, 201);
    assertLimited(await post(a, ben, '/api/tokens').send({ name: 't3' }), /^Too many API tokens created by your account \(at most 2 in 60 s\)/);
    assert.equal((await post(b, ann, '/api/tokens').send({ name: 'mine' })).status, 201, 'another account creates one');
  });

  it('counts password-reset requests per address across both replicas (10 in 15 min)', async () => {
    const statuses: number[] = [];
    let last: request.Response | undefined;
    for (let i = 0; i < 11; i++) {
      last = await request((i % 2 ? a : b).server).post('/api/auth/password-reset').set('x-forwarded-for', '10.9.9.9').send({ email: `nobody${i}@example.com` });
      statuses.push(last.status);
    }
    assert.deepEqual(statuses, [...Array(10).fill(202), 429]);
    assertLimited(last!, /^Too many password-reset requests from your network address \(at most 10 in 900 s\)/, 900);
  });
});

describe('session cookies and fixation', () => {
  let env: TestEnv;
  let api: TestApi;
  let tls: TestApi;

  before(async () => {
    env = await createTestEnv('sec_sessions');
    api = await startApi(env, bundles);
    tls = await startApi(env, bundles, { cookieSecure: true, publicOrigins: ['https://holdout.example.edu'] });
    await Client.register(api.server, 'victim@example.com', 'Victim', 'victim password 1');
    await Client.register(api.server, 'mallory@example.com', 'Mallory', 'mallory password 1');
  });
  after(async () => {
    await tls?.close();
    await api?.close();
    await env?.drop();
  });

  const login = (server: TestApi['server'], email: string, password: string, cookie?: string, csrf?: string) => {
    let r = request(server).post('/api/auth/login');
    if (cookie) r = r.set('cookie', cookie);
    if (csrf) r = r.set(AUTH.csrfHeader, csrf);
    return r.send({ email, password });
  };

  it('marks the session cookie HttpOnly, SameSite=Lax, Path=/ and Secure only when served over HTTPS', async () => {
    const plain = await login(api.server, 'victim@example.com', 'victim password 1');
    const secure = await login(tls.server, 'victim@example.com', 'victim password 1');
    for (const [res, isSecure] of [[plain, false], [secure, true]] as const) {
      assert.equal(res.status, 200);
      const session = cookieNamed(res, AUTH.sessionCookie)!.split(';').map((s) => s.trim());
      const csrf = cookieNamed(res, AUTH.csrfCookie)!.split(';').map((s) => s.trim());
      assert.ok(session.includes('HttpOnly'), session.join('; '));
      assert.ok(session.includes('SameSite=Lax'), session.join('; '));
      assert.ok(session.includes('Path=/'), session.join('; '));
      assert.equal(session.includes('Secure'), isSecure, session.join('; '));
      assert.ok(!csrf.includes('HttpOnly'), 'the CSRF cookie is read by the page');
      assert.equal(csrf.includes('Secure'), isSecure, csrf.join('; '));
      assert.ok(csrf.includes('SameSite=Lax'));
      assert.ok(session.some((p) => p.startsWith('Expires=')), 'a session cookie with an end');
    }
  });

  it('never adopts a session token the browser brought: signing in issues a fresh one', async () => {
    // An attacker plants a token of their choosing (e.g. through a sibling subdomain) …
    const planted = 'attacker-chosen-session-token-0123456789abcdef';
    const res = await login(api.server, 'victim@example.com', 'victim password 1', `${AUTH.sessionCookie}=${planted}`);
    assert.equal(res.status, 200);
    const issued = valueOf(cookieNamed(res, AUTH.sessionCookie));
    assert.ok(issued.length >= 40 && issued !== planted, 'a new token');
    assert.equal((await request(api.server).get('/api/me').set('cookie', `${AUTH.sessionCookie}=${planted}`)).status, 401, 'the planted token signs nobody in');
    assert.equal((await request(api.server).get('/api/me').set('cookie', `${AUTH.sessionCookie}=${issued}`)).body.email, 'victim@example.com');

    // … or their own live session (and its CSRF cookie): the victim's sign-in does not upgrade it.
    const mallory = await login(api.server, 'mallory@example.com', 'mallory password 1');
    const malloryToken = valueOf(cookieNamed(mallory, AUTH.sessionCookie));
    const malloryCsrf = valueOf(cookieNamed(mallory, AUTH.csrfCookie));
    const victim = await login(api.server, 'victim@example.com', 'victim password 1', `${AUTH.sessionCookie}=${malloryToken}; ${AUTH.csrfCookie}=${malloryCsrf}`, malloryCsrf);
    assert.equal(victim.status, 200);
    const victimToken = valueOf(cookieNamed(victim, AUTH.sessionCookie));
    assert.notEqual(victimToken, malloryToken);
    assert.notEqual(valueOf(cookieNamed(victim, AUTH.csrfCookie)), malloryCsrf, 'a fresh CSRF token with it');
    assert.equal((await request(api.server).get('/api/me').set('cookie', `${AUTH.sessionCookie}=${malloryToken}`)).body.email, 'mallory@example.com', "the planted session stays the attacker's own");
    assert.equal((await request(api.server).get('/api/me').set('cookie', `${AUTH.sessionCookie}=${victimToken}`)).body.email, 'victim@example.com');
    // Only hashes are stored: the database holds neither token in clear.
    const stored = (await env.ds.query('SELECT token_hash FROM sessions')) as { token_hash: string }[];
    assert.ok(stored.every((s) => s.token_hash !== victimToken && s.token_hash !== planted && s.token_hash !== malloryToken));
  });

  it('signing out ends the session on the server, not only in the browser', async () => {
    const res = await login(api.server, 'victim@example.com', 'victim password 1');
    const token = valueOf(cookieNamed(res, AUTH.sessionCookie));
    const csrf = valueOf(cookieNamed(res, AUTH.csrfCookie));
    const cookie = `${AUTH.sessionCookie}=${token}; ${AUTH.csrfCookie}=${csrf}`;
    assert.equal((await request(api.server).post('/api/auth/logout').set('cookie', cookie).set(AUTH.csrfHeader, csrf)).status, 204);
    assert.equal((await request(api.server).get('/api/me').set('cookie', cookie)).status, 401, 'a copy of the old cookie no longer works');
  });
});

describe('CSRF on every state-changing route', () => {
  let env: TestEnv;
  let api: TestApi;
  let session = '';
  let csrf = '';
  let writes: { method: string; path: string }[] = [];

  before(async () => {
    env = await createTestEnv('sec_csrf');
    api = await startApi(env, bundles);
    const res = await request(api.server).post('/api/auth/register').send({ email: 'csrf@example.com', password: 'correct horse battery', displayName: 'C' });
    session = valueOf(cookieNamed(res, AUTH.sessionCookie));
    csrf = res.body.csrfToken;
    // The API's own list of routes (its OpenAPI document), every parameter filled so the route matches.
    const doc = (await request(api.server).get('/api/docs/json')).body as { paths: Record<string, Record<string, unknown>> };
    writes = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops)
        .filter((m) => !['get', 'head', 'options'].includes(m))
        .map((m) => ({ method: m, path: path.replace(/\{(\w+)\}/g, (_, name: string) => (/id$/i.test(name) ? '00000000-0000-4000-8000-000000000000' : 'x')) })),
    );
  });
  after(async () => {
    await api?.close();
    await env?.drop();
  });

  const send = (w: { method: string; path: string }, headers: Record<string, string>) => {
    let r = (request(api.server) as unknown as Record<string, (p: string) => request.Test>)[w.method]!(w.path);
    for (const [k, v] of Object.entries(headers)) r = r.set(k, v);
    return r.send({});
  };

  it('refuses a signed-in browser request without the token, with a wrong one, or from a foreign origin, on every write the API offers', async () => {
    assert.ok(writes.length >= 30, `${writes.length} state-changing routes`);
    const cookie = `${AUTH.sessionCookie}=${session}; ${AUTH.csrfCookie}=${csrf}`;
    const cases = {
      'no token': { cookie },
      'a wrong token': { cookie, [AUTH.csrfHeader]: `${csrf.slice(0, -2)}xx` },
      "another session's token": { cookie, [AUTH.csrfHeader]: 'hko_not-the-token-of-this-session_0123456789abc' },
      'a foreign origin': { cookie, [AUTH.csrfHeader]: csrf, origin: 'https://evil.example' },
    };
    const accepted: string[] = [];
    for (const w of writes) {
      for (const [what, headers] of Object.entries(cases)) {
        const res = await send(w, headers);
        if (res.status !== 403 || res.body?.error?.code !== 'csrf_failed') accepted.push(`${w.method.toUpperCase()} ${w.path} with ${what}: ${res.status} ${res.text.slice(0, 120)}`);
      }
    }
    assert.deepEqual(accepted, [], `${accepted.length} writes got past the CSRF check`);
    // The session is fine: with its token the same kind of request gets through the check.
    const ok = await request(api.server).post('/api/tokens').set('cookie', cookie).set(AUTH.csrfHeader, csrf).send({ name: 'fine' });
    assert.equal(ok.status, 201, ok.text);
  });
});
