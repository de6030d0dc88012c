import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { Client, createCompetitionWithData, createTestEnv, dataVisible, FixtureBundles, startApi, submissionCsv, type TestApi, type TestEnv } from './testing/index.js';

const DAY = 86_400_000;

/**
 * Every request body refuses a field it does not know with a 400 naming it, and changes nothing:
 * a misspelt field ("dailySubmision") must not be silently ignored.
 */
describe('unknown fields in request bodies', () => {
  let env: TestEnv;
  let api: TestApi;
  let prof: Client;
  let student: Client;
  let courseId: string;
  let submissionId: string;

  before(async () => {
    env = await createTestEnv('unknown_fields');
    const bundles = new FixtureBundles(() => ({ opensAt: new Date(Date.now() - DAY), closesAt: new Date(Date.now() + DAY) }));
    api = await startApi(env, bundles);
    prof = await Client.register(api.server, 'prof@example.com');
    const course = (await prof.post('/api/courses').send({ name: 'C' })).body;
    courseId = course.id;
    student = await Client.register(api.server, 'stu@example.com');
    await student.post('/api/courses/join').send({ code: course.joinCode });
    await createCompetitionWithData({ env, bundles, instructor: prof, courseId, bundle: 'fixture', slug: 'cells' });
    await dataVisible(student, 'cells');
    const up = await student.upload('cells', submissionCsv());
    assert.equal(up.status, 202, up.text);
    submissionId = up.body.id;
  });
  after(async () => {
    await api?.close();
    await env?.drop();
  });

  const refusesByName = (res: request.Response, field: string, what: string) => {
    assert.equal(res.status, 400, `${what}: ${res.status} ${res.text.slice(0, 200)}`);
    assert.equal(res.body.error.code, 'bad_request', what);
    assert.match(res.body.error.message, new RegExp(`"${field}"`), `${what}: ${res.body.error.message}`);
  };

  it('JSON bodies: auth, tokens, courses, competitions, timeline, selection, kernel policy, admin', async () => {
    const anon = request(api.server);
    refusesByName(await anon.post('/api/auth/register').send({ email: 'x@example.com', password: 'correct horse battery', displayName: 'X', role: 'admin' }), 'role', 'register');
    refusesByName(await anon.post('/api/auth/login').send({ email: 'stu@example.com', password: 'correct horse battery', remember: true }), 'remember', 'login');
    refusesByName(await student.post('/api/tokens').send({ name: 'laptop', scopes: ['all'] }), 'scopes', 'token');
    refusesByName(await prof.post('/api/courses').send({ name: 'D', public: true }), 'public', 'course');
    refusesByName(await student.post('/api/courses/join').send({ code: 'ABCDEFGH', as: 'ta' }), 'as', 'join');
    refusesByName(await prof.put(`/api/courses/${courseId}/members/${student.user.id}`).send({ role: 'ta', until: 'never' }), 'until', 'role');
    refusesByName(await prof.post('/api/competitions').send({ bundle: 'fixture', slug: 'other', courseId, dailySubmisions: 99 }), 'dailySubmisions', 'create');
    refusesByName(await prof.agent.patch('/api/competitions/cells').set('x-csrf-token', prof.csrf).send({ closesAt: new Date(Date.now() + 2 * DAY).toISOString(), limitz: { dailySubmissions: 9 } }), 'limitz', 'competition edit');
    refusesByName(await student.put(`/api/submissions/${submissionId}/selection`).send({ selected: true, force: true }), 'force', 'selection');
    refusesByName(await prof.put('/api/competitions/cells/kernel-policy').send({ cpuFallback: true, gpus: 4 }), 'gpus', 'kernel policy');
    refusesByName(await prof.put(`/api/admin/users/${student.user.id}/course-creator`).send({ allowed: true, admin: true }), 'admin', 'course creator');
    // Nothing was changed by any of them.
    assert.equal((await env.ds.query(`SELECT count(*)::int AS n FROM competitions`))[0].n, 1);
    assert.equal((await env.ds.query(`SELECT count(*)::int AS n FROM courses`))[0].n, 1);
    assert.equal((await env.ds.query(`SELECT count(*)::int AS n FROM api_tokens`))[0].n, 0);
  });

  it('multipart fields: a submission and a bundle upload', async () => {
    const rows = async () => (await env.ds.query(`SELECT count(*)::int AS n FROM submissions`))[0].n as number;
    const before = await rows();
    const misspelt = await student.post('/api/competitions/cells/submissions').field('descripton', 'typo').attach('file', Buffer.from(submissionCsv()), 'submission.csv');
    refusesByName(misspelt, 'descripton', 'submission');
    assert.equal(await rows(), before, 'no submission stored');
    const bundle = await prof.post('/api/competitions').field('courseId', courseId).field('sluug', 'x').attach('bundle', Buffer.from('not read'), 'bundle.tar.gz');
    refusesByName(bundle, 'sluug', 'bundle upload');
  });
});
