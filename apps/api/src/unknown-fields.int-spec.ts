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

  it('JSON bodies: password reset, teams, disqualifications, notifications, join codes, roster, course kernel policy, rescore', async () => {
    const anon = request(api.server);
    const joinCodeBefore = (await env.ds.query(`SELECT join_code FROM courses WHERE id = $1`, [courseId]))[0].join_code as string;
    refusesByName(await anon.post('/api/auth/password-reset').send({ email: 'stu@example.com', lang: 'en' }), 'lang', 'password reset request');
    refusesByName(await anon.post('/api/auth/password-reset/confirm').send({ token: 'x'.repeat(40), password: 'a new password here', confirm: 'a new password here' }), 'confirm', 'password reset confirm');
    refusesByName(await student.post('/api/competitions/cells/team/invites').send({ teamName: 'prof', message: 'hi' }), 'message', 'team invite');
    refusesByName(await student.post('/api/competitions/cells/team/join').send({ code: 'x'.repeat(24), force: true }), 'force', 'team join');
    const [team] = (await env.ds.query(`SELECT t.id FROM teams t JOIN submissions s ON s.team_id = t.id WHERE s.id = $1`, [submissionId])) as { id: string }[];
    refusesByName(await prof.post(`/api/competitions/cells/teams/${team!.id}/disqualification`).send({ reason: 'copied the test labels', notify: false }), 'notify', 'team disqualification');
    refusesByName(await prof.post(`/api/submissions/${submissionId}/disqualification`).send({ reason: 'hand-labelled', permanent: true }), 'permanent', 'submission disqualification');
    refusesByName(await student.post('/api/notifications/read').send({ all: true }), 'all', 'notifications read');
    refusesByName(await prof.put(`/api/courses/${courseId}/join-code`).send({ expiresAt: null, length: 12 }), 'length', 'join code');
    refusesByName(await prof.post(`/api/courses/${courseId}/roster`).send({ csv: 'email\nnew@example.com\n', apply: true, role: 'ta' }), 'role', 'roster');
    refusesByName(await prof.put(`/api/courses/${courseId}/kernel-policy`).send({ gpuHoursPerWeek: 5, gpus: 2 }), 'gpus', 'course kernel policy');
    refusesByName(await prof.post('/api/competitions/cells/rescore').send({ reason: 'typo fixed', solution: 'v2' }), 'solution', 'rescore');
    // Nothing was changed by any of them.
    const [row] = (await env.ds.query(
      `SELECT (SELECT count(*)::int FROM teams WHERE disqualified_at IS NOT NULL) AS teams_dq,
              (SELECT count(*)::int FROM submissions WHERE disqualified_at IS NOT NULL) AS subs_dq,
              (SELECT count(*)::int FROM team_invites) AS invites,
              (SELECT count(*)::int FROM course_roster) AS roster,
              (SELECT count(*)::int FROM kernel_policies) AS policies,
              (SELECT count(*)::int FROM audit_events WHERE action = 'competition.rescore') AS rescores,
              (SELECT join_code FROM courses WHERE id = $1) AS code`,
      [courseId],
    )) as { teams_dq: number; subs_dq: number; invites: number; roster: number; policies: number; rescores: number; code: string }[];
    assert.deepEqual(row, { teams_dq: 0, subs_dq: 0, invites: 0, roster: 0, policies: 0, rescores: 0, code: joinCodeBefore });
  });

  it('multipart fields: a submission and a bundle upload', async () => {
    const rows = async () => (await env.ds.query(`SELECT count(*)::int AS n FROM submissions`))[0].n as number;
    const before = await rows();
    const misspelt = await student.post('/api/competitions/cells/submissions').field('descripton', 'typo').attach('file', Buffer.from(submissionCsv()), 'submission.csv');
    refusesByName(misspelt, 'descripton', 'submission');
    assert.equal(await rows(), before, 'no submission stored');
    const bundle = await prof.post('/api/competitions').field('courseId', courseId).field('sluug', 'x').attach('bundle', Buffer.from('not read'), 'bundle.tar.gz');
    refusesByName(bundle, 'sluug', 'bundle upload');
    const versions = async () => (await env.ds.query(`SELECT count(*)::int AS n FROM solution_versions`))[0].n as number;
    const solutions = await versions();
    const rescore = await prof.post('/api/competitions/cells/rescore').field('reason', 'corrected labels').field('reasn', 'typo').attach('solution', Buffer.from('id,expected\n'), 'solution.csv');
    refusesByName(rescore, 'reasn', 'rescore with a solution');
    assert.equal(await versions(), solutions, 'no solution version stored');
  });
});
