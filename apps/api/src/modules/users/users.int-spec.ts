import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, createTestEnv, startApi, type TestApi, type TestEnv } from '../../testing/index.js';
import { LibCompetitionBundles } from '../competitions/lib-bundles.js';

describe('who may open courses (and so upload bundles)', () => {
  let env: TestEnv;
  let api: TestApi;
  let open: TestApi;
  let admin: Client;
  let student: Client;

  before(async () => {
    env = await createTestEnv('course_creators');
    const bundles = new LibCompetitionBundles(env.config.repoRoot);
    api = await startApi(env, bundles);
    open = await startApi(env, bundles, { courseCreation: 'anyone' });
    admin = await Client.register(api.server, 'admin@example.com'); // the first account administers the site
    student = await Client.register(api.server, 'student@example.com');
  });
  after(async () => {
    await api?.close();
    await open?.close();
    await env?.drop();
  });

  it('by default, site admins and the users they approve; the approval is audited', async () => {
    assert.equal(admin.user.canCreateCourses, true);
    assert.equal(student.user.canCreateCourses, false);
    const refused = await student.post('/api/courses').send({ name: 'Mine' });
    assert.equal(refused.status, 403);
    assert.match(refused.body.error.message, /needs approval from a site administrator/);
    assert.equal((await student.get('/api/admin/users')).status, 403, 'admin routes are for admins');
    assert.equal((await student.put(`/api/admin/users/${student.user.id}/course-creator`).send({ allowed: true })).status, 403);

    const found = await admin.get('/api/admin/users?email=student');
    assert.equal(found.status, 200);
    assert.deepEqual(found.body.map((u: { email: string }) => u.email), ['student@example.com']);
    assert.equal((await admin.put(`/api/admin/users/${student.user.id}/course-creator`).send({ allowed: 'yes' })).status, 400);
    const approved = await admin.put(`/api/admin/users/${student.user.id}/course-creator`).send({ allowed: true });
    assert.equal(approved.status, 200, JSON.stringify(approved.body));
    assert.equal(approved.body.canCreateCourses, true);
    assert.equal((await student.get('/api/me')).body.canCreateCourses, true);
    assert.equal((await student.post('/api/courses').send({ name: 'Mine' })).status, 201);
    const audit = await env.ds.query(`SELECT actor_id, subject_id, data FROM audit_events WHERE action = 'user.course-creator'`);
    assert.deepEqual(audit, [{ actor_id: admin.user.id, subject_id: student.user.id, data: { before: false, after: true } }]);

    await admin.put(`/api/admin/users/${student.user.id}/course-creator`).send({ allowed: false });
    assert.equal((await student.post('/api/courses').send({ name: 'Another' })).status, 403);
  });

  it('with HOLDOUT_COURSE_CREATION=anyone, every signed-in user', async () => {
    const anyone = await Client.register(open.server, 'anyone@example.com');
    assert.equal(anyone.user.canCreateCourses, true);
    assert.equal((await anyone.post('/api/courses').send({ name: 'Open' })).status, 201);
  });
});
