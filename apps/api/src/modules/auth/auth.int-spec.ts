import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AUTH, type ErrorBody } from '@holdout/contracts';
import request from 'supertest';
import { Client, createTestEnv, FixtureBundles, startApi, type TestApi, type TestEnv } from '../../testing/index.js';

describe('auth, tokens, courses', () => {
  let env: TestEnv;
  let api: TestApi;
  before(async () => {
    env = await createTestEnv('auth');
    // Course creation is open here: these accounts create courses to exercise CSRF, tokens and
    // roles (who may create courses by default is users.int-spec's subject).
    api = await startApi(env, new FixtureBundles(() => ({ opensAt: new Date(0), closesAt: new Date(Date.now() + 86_400_000) })), { courseCreation: 'anyone' });
  });
  after(async () => {
    await api.close();
    await env.drop();
  });

  it('registers, sets an HttpOnly SameSite=Lax session cookie and a readable CSRF cookie', async () => {
    const res = await request(api.server).post('/api/auth/register').send({ email: 'Ada@Example.com', password: 'correct horse battery', displayName: 'Ada' });
    assert.equal(res.status, 201);
    assert.equal(res.body.user.email, 'ada@example.com');
    assert.equal(res.body.user.isAdmin, true, 'the first account administers the site');
    const cookies = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
    const session = cookies.find((c) => c.startsWith(`${AUTH.sessionCookie}=`))!;
    assert.match(session, /HttpOnly/);
    assert.match(session, /SameSite=Lax/);
    const csrf = cookies.find((c) => c.startsWith(`${AUTH.csrfCookie}=`))!;
    assert.doesNotMatch(csrf, /HttpOnly/);
    assert.ok(res.body.csrfToken.length > 20);
    const row = await env.ds.query('SELECT password_hash FROM users WHERE email = $1', ['ada@example.com']);
    assert.match(row[0].password_hash, /^\$argon2id\$/);
  });

  it('rejects a duplicate email, a wrong password and bad input with the one error shape', async () => {
    const dup = await request(api.server).post('/api/auth/register').send({ email: 'ada@example.com', password: 'another password', displayName: 'X' });
    assert.equal(dup.status, 409);
    assert.equal((dup.body as ErrorBody).error.code, 'email_taken');
    assert.ok((dup.body as ErrorBody).requestId);
    const wrong = await request(api.server).post('/api/auth/login').send({ email: 'ada@example.com', password: 'nope nope nope' });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body.error.code, 'invalid_credentials');
    const unknown = await request(api.server).post('/api/auth/login').send({ email: 'nobody@example.com', password: 'nope nope nope' });
    assert.deepEqual(unknown.body.error, wrong.body.error, 'unknown accounts look like wrong passwords');
    const bad = await request(api.server).post('/api/auth/register').send({ email: 'not-an-email', password: 'short' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'bad_request');
    assert.ok(Array.isArray(bad.body.error.details));
    const foreign = await request(api.server).post('/api/auth/login').set('origin', 'https://evil.example').send({ email: 'ada@example.com', password: 'correct horse battery' });
    assert.equal(foreign.status, 403, 'no login from a foreign page (login CSRF)');
    assert.equal(foreign.body.error.code, 'csrf_failed');
    const junk = await request(api.server).post('/api/auth/login').set('content-type', 'application/json').send('{nope');
    assert.equal(junk.status, 400);
    assert.equal(junk.body.error.code, 'bad_request');
  });

  it('locks an account after 10 failed sign-ins, even for the right password', async () => {
    await Client.register(api.server, 'target@example.com', 'T', 'the right password');
    for (let i = 0; i < 10; i++) {
      assert.equal((await request(api.server).post('/api/auth/login').send({ email: 'target@example.com', password: `guess ${i}` })).status, 401);
    }
    const locked = await request(api.server).post('/api/auth/login').send({ email: 'target@example.com', password: 'the right password' });
    assert.equal(locked.status, 429);
    assert.equal(locked.body.error.code, 'too_many_attempts');
  });

  it('requires the CSRF header on cookie-authenticated writes, and a same or allowed Origin', async () => {
    const c = await Client.register(api.server, 'csrf@example.com');
    const none = await c.agent.post('/api/courses').send({ name: 'No header' });
    assert.equal(none.status, 403);
    assert.equal(none.body.error.code, 'csrf_failed');
    const wrong = await c.agent.post('/api/courses').set(AUTH.csrfHeader, 'forged').send({ name: 'Forged' });
    assert.equal(wrong.status, 403);
    const foreign = await c.post('/api/courses').set('origin', 'https://evil.example').send({ name: 'Foreign' });
    assert.equal(foreign.status, 403);
    const ok = await c.post('/api/courses').send({ name: 'With header' });
    assert.equal(ok.status, 201);
    assert.equal(ok.body.role, 'instructor');
    assert.match(ok.body.joinCode, /^[A-Z2-9]{8}$/);
  });

  it('logs out: the session stops working', async () => {
    const c = await Client.register(api.server, 'bye@example.com');
    assert.equal((await c.get('/api/me')).status, 200);
    assert.equal((await c.post('/api/auth/logout')).status, 204);
    assert.equal((await c.get('/api/me')).status, 401);
  });

  it('personal API tokens: shown once, stored hashed, work as Bearer without CSRF, revocable', async () => {
    const c = await Client.register(api.server, 'cli@example.com');
    const created = await c.post('/api/tokens').send({ name: 'laptop' });
    assert.equal(created.status, 201);
    const token: string = created.body.token;
    assert.match(token, /^hko_/);
    const rows = await env.ds.query('SELECT token_hash FROM api_tokens WHERE id = $1', [created.body.id]);
    assert.notEqual(rows[0].token_hash, token);
    assert.ok(!JSON.stringify(rows).includes(token));
    const listed = await c.get('/api/tokens');
    assert.equal(listed.body.length, 1);
    assert.equal(listed.body[0].token, undefined, 'the secret is never shown again');
    const me = await request(api.server).get('/api/me').set('authorization', `Bearer ${token}`);
    assert.equal(me.status, 200);
    assert.equal(me.body.email, 'cli@example.com');
    const write = await request(api.server).post('/api/courses').set('authorization', `Bearer ${token}`).send({ name: 'From CLI' });
    assert.equal(write.status, 201);
    assert.equal((await c.delete(`/api/tokens/${created.body.id}`)).status, 204);
    const after = await request(api.server).get('/api/me').set('authorization', `Bearer ${token}`);
    assert.equal(after.status, 401);
  });

  it('courses: join code makes a student; only the instructor can change roles', async () => {
    const teacher = await Client.register(api.server, 'teacher@example.com');
    const course = (await teacher.post('/api/courses').send({ name: 'Vision' })).body;
    const student = await Client.register(api.server, 'pupil@example.com');
    const joined = await student.post('/api/courses/join').send({ code: course.joinCode.toLowerCase() });
    assert.equal(joined.status, 200);
    assert.equal(joined.body.role, 'student');
    assert.equal(joined.body.joinCode, undefined, 'students do not see the join code');
    const me = await student.get('/api/me');
    assert.deepEqual(me.body.courses.map((c: { id: string }) => c.id), [course.id]);
    const denied = await student.put(`/api/courses/${course.id}/members/${student.user.id}`).send({ role: 'ta' });
    assert.equal(denied.status, 403);
    const made = await teacher.put(`/api/courses/${course.id}/members/${student.user.id}`).send({ role: 'ta' });
    assert.equal(made.status, 204);
    assert.equal((await student.get('/api/courses')).body[0].role, 'ta');
    const roster = await teacher.get(`/api/courses/${course.id}/members`);
    assert.equal(roster.status, 200);
    assert.deepEqual(roster.body.map((m: { email: string; role: string }) => [m.email, m.role]), [
      ['teacher@example.com', 'instructor'],
      ['pupil@example.com', 'ta'],
    ]);
    const outsider = await Client.register(api.server, 'nosy@example.com');
    assert.equal((await outsider.get(`/api/courses/${course.id}/members`)).status, 404);
    const audit = await env.ds.query(`SELECT action FROM audit_events WHERE action = 'course.role'`);
    assert.equal(audit.length, 1);
    assert.equal((await student.post('/api/courses/join').send({ code: 'ZZZZZZZZ' })).status, 404);
  });

  it('health, readiness, OpenAPI JSON and unknown routes', async () => {
    assert.equal((await request(api.server).get('/api/health')).status, 200);
    const ready = await request(api.server).get('/api/ready');
    assert.equal(ready.status, 200);
    assert.deepEqual(ready.body.checks, { database: 'ok', redis: 'ok' });
    const doc = await request(api.server).get('/api/docs/json');
    assert.equal(doc.status, 200);
    assert.ok(doc.body.paths['/api/competitions/{slug}/leaderboard']);
    const missing = await request(api.server).get('/api/nothing-here').set('x-request-id', 'req-123');
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.body, { error: { code: 'not_found', message: 'Cannot GET /api/nothing-here' }, requestId: 'req-123' });
    assert.equal(missing.headers['x-request-id'], 'req-123');
  });
});
