import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { AUTH } from '@holdout/contracts';
import { Competition, provisionCompetitionData } from '@holdout/db';
import { SMTPServer } from 'smtp-server';
import request from 'supertest';
import { createTestEnv, eventually, FixtureBundles, startApi, submissionCsv, type TestApi, type TestEnv } from './testing/index.js';

const DAY = 86_400_000;

/** Every line written to stdout and stderr while `capture` is on (the JsonLogger writes one JSON object per line to stdout). */
function captureOutput(): { lines: string[]; stop: () => void } {
  const lines: string[] = [];
  const originals = { out: process.stdout.write.bind(process.stdout), err: process.stderr.write.bind(process.stderr) };
  const tap = (stream: NodeJS.WriteStream, original: typeof originals.out) =>
    ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      lines.push(...text.split('\n').filter(Boolean));
      // The test runner's own output passes; the API's log lines are kept here only.
      if (text.startsWith('{"time"')) return true;
      return (original as (...a: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof stream.write;
  process.stdout.write = tap(process.stdout, originals.out);
  process.stderr.write = tap(process.stderr, originals.err);
  return {
    lines,
    stop: () => {
      process.stdout.write = originals.out;
      process.stderr.write = originals.err;
    },
  };
}

/**
 * No secret in a log line: sign-up, sign-in (right and wrong), password reset (request, use, reuse),
 * API tokens (created, used, a forged one), a cookie-authenticated upload and secrets put where
 * logs are tempted to look (a query string) — with the API at `debug`, its most talkative level,
 * and mail going out through a real SMTP server (with HOLDOUT_MAIL_URL=log:, the default, the
 * mail itself — reset link included — is written to the log by design: an operator reads it there).
 */
describe('no secret in a log line', () => {
  let env: TestEnv;
  let api: TestApi;
  const mails: string[] = [];
  let smtp: SMTPServer;
  const bundles = new FixtureBundles(() => ({ opensAt: new Date(Date.now() - DAY), closesAt: new Date(Date.now() + DAY) }));

  before(async () => {
    env = await createTestEnv('log_secrets');
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      onData(stream, _session, done) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => (mails.push(Buffer.concat(chunks).toString('utf8')), done()));
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
    const { port } = smtp.server.address() as AddressInfo;
    api = await startApi(env, bundles, { logLevel: 'debug', mailUrl: `smtp://127.0.0.1:${port}`, webUrl: 'https://holdout.example.edu', courseCreation: 'anyone' });
  });
  after(async () => {
    await api?.close();
    await new Promise<void>((resolve) => (smtp ? smtp.close(() => resolve()) : resolve()));
    await env?.drop();
  });

  it('logs every request, the upload and the reset, but never a password, session, CSRF, reset or API token', async () => {
    const secrets: Record<string, string> = {};
    const cookies = (res: request.Response) => Object.fromEntries(([] as string[]).concat(res.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]!.split('=')).map(([k, ...v]) => [k!, v.join('=')]));
    const log = captureOutput();
    try {
      secrets.password = 'first Password 7f3a9c!';
      const reg = await request(api.server).post('/api/auth/register').send({ email: 'ada@example.com', password: secrets.password, displayName: 'Ada' });
      assert.equal(reg.status, 201);
      secrets.registerSession = cookies(reg)[AUTH.sessionCookie]!;
      secrets.registerCsrf = reg.body.csrfToken;

      secrets.wrongPassword = 'wrong Password 51be02?';
      assert.equal((await request(api.server).post('/api/auth/login').send({ email: 'ada@example.com', password: secrets.wrongPassword })).status, 401);
      secrets.unknownAccountPassword = 'nobody Password 93ac1d';
      assert.equal((await request(api.server).post('/api/auth/login').send({ email: 'nobody@example.com', password: secrets.unknownAccountPassword })).status, 401);
      secrets.malformedBodyPassword = 'half Password e21f';
      assert.equal((await request(api.server).post('/api/auth/login').set('content-type', 'application/json').send(`{"email":"ada@example.com","password":"${secrets.malformedBodyPassword}"`)).status, 400);
      secrets.shortPassword = 'Sh0rt!';
      assert.equal((await request(api.server).post('/api/auth/register').send({ email: 'bob@example.com', password: secrets.shortPassword, displayName: 'Bob' })).status, 400);

      const login = await request(api.server).post('/api/auth/login').send({ email: 'ada@example.com', password: secrets.password });
      assert.equal(login.status, 200);
      const session = cookies(login)[AUTH.sessionCookie]!;
      const csrf = login.body.csrfToken as string;
      secrets.session = session;
      secrets.csrf = csrf;
      const asAda = (method: 'get' | 'post', path: string) => request(api.server)[method](path).set('cookie', `${AUTH.sessionCookie}=${session}; ${AUTH.csrfCookie}=${csrf}`).set(AUTH.csrfHeader, csrf);

      // API tokens: created, used, and one that was never issued; a token in a query string.
      const created = await asAda('post', '/api/tokens').send({ name: 'laptop' });
      assert.equal(created.status, 201);
      secrets.apiToken = created.body.token;
      assert.equal((await request(api.server).get('/api/me').set('authorization', `Bearer ${secrets.apiToken}`)).status, 200);
      assert.equal((await request(api.server).get(`/api/me?token=${secrets.apiToken}&password=${encodeURIComponent(secrets.password)}`).set('authorization', `Bearer ${secrets.apiToken}`)).status, 200);
      secrets.forgedToken = 'hko_forgedTokenThatWasNeverIssued0123456789abcdefgh';
      assert.equal((await request(api.server).get('/api/me').set('authorization', `Bearer ${secrets.forgedToken}`)).status, 401);
      secrets.wrongCsrf = 'wrongCsrfToken0123456789abcdefghijklmnop';
      assert.equal((await request(api.server).post('/api/courses').set('cookie', `${AUTH.sessionCookie}=${session}`).set(AUTH.csrfHeader, secrets.wrongCsrf).send({ name: 'X' })).status, 403);

      // An upload, with the session cookie and CSRF header, and one with the API token.
      const course = (await asAda('post', '/api/courses').send({ name: 'Logs' })).body;
      const competition = await asAda('post', '/api/competitions').send({ bundle: 'fixture', slug: 'logs', courseId: course.id });
      assert.equal(competition.status, 201, competition.text);
      await provisionCompetitionData(env.ds, bundles, (await env.ds.getRepository(Competition).findOneByOrFail({ slug: 'logs' })).id, env.config.dataDir);
      await eventually(async () => ((await asAda('get', '/api/competitions/logs/data')).status === 200 ? true : undefined), { what: 'the data' });
      const upload = await asAda('post', '/api/competitions/logs/submissions').attach('file', Buffer.from(submissionCsv()), 'submission.csv');
      assert.equal(upload.status, 202, upload.text);
      const byToken = await request(api.server).post('/api/competitions/logs/submissions').set('authorization', `Bearer ${secrets.apiToken}`).attach('file', Buffer.from(submissionCsv()), 'submission.csv');
      assert.equal(byToken.status, 202, byToken.text);

      // Password reset: the link goes by mail; it is used once, then refused.
      assert.equal((await request(api.server).post('/api/auth/password-reset').send({ email: 'ada@example.com' })).status, 202);
      const mail = await eventually(async () => mails.find((m) => /^To: ada@example\.com/m.test(m)), { what: 'the reset mail' });
      const body = mail.replace(/=\r?\n/g, '').replace(/=3D/g, '=');
      secrets.resetToken = decodeURIComponent(/reset-password\?token=(\S+)/.exec(body)![1]!);
      secrets.newPassword = 'second Password 0d9e4b#';
      assert.equal((await request(api.server).post('/api/auth/password-reset/confirm').send({ token: secrets.resetToken, password: secrets.newPassword })).status, 200);
      assert.equal((await request(api.server).post('/api/auth/password-reset/confirm').send({ token: secrets.resetToken, password: 'third password 1234' })).status, 400);
      const again = await request(api.server).post('/api/auth/login').send({ email: 'ada@example.com', password: secrets.newPassword });
      assert.equal(again.status, 200);
      secrets.sessionAfterReset = cookies(again)[AUTH.sessionCookie]!;
      secrets.sessionSecret = env.config.sessionSecret;
      await new Promise((r) => setTimeout(r, 200)); // the response log lines are written on 'finish'
    } finally {
      log.stop();
    }

    // The capture saw the log: a line for each kind of request driven above.
    const records = log.lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    const requests = records.filter((r) => r.msg === 'request').map((r) => `${r.method} ${r.path} ${r.status}`);
    for (const expected of ['POST /api/auth/register 201', 'POST /api/auth/login 401', 'POST /api/auth/login 200', 'POST /api/tokens 201', 'GET /api/me 401', 'POST /api/auth/password-reset 202', 'POST /api/auth/password-reset/confirm 200', 'POST /api/auth/password-reset/confirm 400']) {
      assert.ok(requests.includes(expected), `${expected} not among the logged requests:\n${requests.join('\n')}`);
    }
    assert.ok(requests.some((r) => r.startsWith('POST /api/competitions/logs/submissions ')), 'the upload is logged');
    assert.ok(records.some((r) => r.msg === 'password reset'), 'the reset itself is logged');
    assert.ok(log.lines.length >= 20, `${log.lines.length} lines`);

    for (const [what, secret] of Object.entries(secrets)) {
      assert.ok(secret && secret.length >= 6, what);
      const forms = new Set([secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)]);
      for (const line of log.lines) for (const f of forms) assert.ok(!line.includes(f), `the ${what} is in a log line: ${line}`);
    }
  });
});
