import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { CourseDto, RosterImportDto } from '@holdout/contracts';
import { Client, createTestEnv, FixtureBundles, startApi, type TestApi, type TestEnv } from '../../testing/index.js';

const DAY = 86_400_000;

describe('course management: join codes, roster import, removing a member', () => {
  let env: TestEnv;
  let api: TestApi;
  let prof: Client;
  let course: CourseDto;
  let ann: Client;

  before(async () => {
    env = await createTestEnv('course_admin');
    api = await startApi(env, new FixtureBundles(() => ({ opensAt: new Date(Date.now() - DAY), closesAt: new Date(Date.now() + DAY) })), { courseCreation: 'anyone' });
    prof = await Client.register(api.server, 'prof@example.com', 'Prof');
    course = (await prof.post('/api/courses').send({ name: 'Segmentation' })).body as CourseDto;
  });
  after(async () => {
    await api?.close();
    await env?.drop();
  });

  it('a new join code replaces the old one and may expire; a revoked code lets nobody in', async () => {
    const old = course.joinCode!;
    assert.equal((await prof.put(`/api/courses/${course.id}/join-code`).send({ expiresAt: new Date(Date.now() - 1000).toISOString() })).status, 400);
    const fresh = await prof.put(`/api/courses/${course.id}/join-code`).send({ expiresAt: new Date(Date.now() + 3600_000).toISOString() });
    assert.equal(fresh.status, 200, JSON.stringify(fresh.body));
    assert.notEqual(fresh.body.joinCode, old);
    assert.ok(fresh.body.joinCodeExpiresAt);
    const s1 = await Client.register(api.server, 's1@example.com', 'S1');
    assert.equal((await s1.post('/api/courses/join').send({ code: old })).status, 404, 'the old code stopped working');
    assert.equal((await s1.post('/api/courses/join').send({ code: fresh.body.joinCode })).status, 200);
    assert.equal((await s1.put(`/api/courses/${course.id}/join-code`).send({})).status, 403, 'students do not make codes');
    // Expired.
    await env.ds.query(`UPDATE courses SET join_code_expires_at = now() - interval '1 minute' WHERE id = $1`, [course.id]);
    const s2 = await Client.register(api.server, 's2@example.com', 'S2');
    const expired = await s2.post('/api/courses/join').send({ code: fresh.body.joinCode });
    assert.equal(expired.status, 409);
    assert.match(expired.body.error.message, /this join code expired on .*; ask your instructor for a new one/);
    // Revoked.
    const revoked = await prof.delete(`/api/courses/${course.id}/join-code`);
    assert.equal(revoked.status, 200);
    assert.equal(revoked.body.joinCode, null);
    assert.equal((await s2.post('/api/courses/join').send({ code: fresh.body.joinCode })).status, 404);
    course = (await prof.put(`/api/courses/${course.id}/join-code`).send({})).body as CourseDto;
    assert.equal(course.joinCodeExpiresAt, null);
  });

  it('imports a roster: a preview names each bad row and changes nothing; applied, accounts join now and new ones on sign-up', async () => {
    ann = await Client.register(api.server, 'ann@example.com', 'Ann');
    const bad = 'email,role\nANN@example.com,\nnot-an-address,\nbob@example.com,ta\nann@example.com,\ncyd@example.com,admin\ns1@example.com,\n';
    const preview = await prof.post(`/api/courses/${course.id}/roster`).send({ csv: bad });
    assert.equal(preview.status, 200, JSON.stringify(preview.body));
    const p = preview.body as RosterImportDto;
    assert.deepEqual(p.rows.map((r) => [r.row, r.email, r.role, r.status]), [
      [2, 'ann@example.com', 'student', 'joins'],
      [3, 'not-an-address', 'student', 'invalid'],
      [4, 'bob@example.com', 'ta', 'joins-on-sign-up'],
      [5, 'ann@example.com', 'student', 'invalid'],
      [6, 'cyd@example.com', 'admin', 'invalid'],
      [7, 's1@example.com', 'student', 'member'],
    ]);
    assert.deepEqual(p.rows.filter((r) => r.problem).map((r) => r.problem), [
      'row 3: "not-an-address" is not an e-mail address',
      'row 5: ann@example.com is listed twice',
      'row 6: role must be student or ta, not "admin"',
    ]);
    assert.deepEqual(p.counts, { joins: 1, joinsOnSignUp: 1, members: 1, invalid: 3 });
    const refused = await prof.post(`/api/courses/${course.id}/roster`).send({ csv: bad, apply: true });
    assert.equal(refused.status, 400);
    assert.match(refused.body.error.message, /3 invalid rows; nothing was imported/);
    const members = async () => ((await prof.get(`/api/courses/${course.id}/members`)).body as { email: string; role: string }[]).map((m) => `${m.email}:${m.role}`).sort();
    assert.ok(!(await members()).includes('ann@example.com:student'), 'nothing changed');
    assert.equal((await prof.post(`/api/courses/${course.id}/roster`).send({ csv: 'mail\nx@example.com\n' })).status, 400, 'no email column');

    const applied = await prof.post(`/api/courses/${course.id}/roster`).send({ csv: 'email,role\nann@example.com,\nbob@example.com,ta\n', apply: true });
    assert.equal(applied.status, 200, JSON.stringify(applied.body));
    assert.deepEqual(applied.body.counts, { joins: 1, joinsOnSignUp: 1, members: 0, invalid: 0 });
    assert.ok((await members()).includes('ann@example.com:student'));
    const bob = await Client.register(api.server, 'bob@example.com', 'Bob');
    assert.deepEqual(((await bob.get('/api/courses')).body as CourseDto[]).map((c) => [c.id, c.role]), [[course.id, 'ta']], 'joins on sign-up with the role of the roster');
  });

  it('removes a member: off the course, a team they leave empty off the boards (kept for the record); never the last instructor', async () => {
    assert.equal((await prof.post('/api/competitions').send({ bundle: 'fixture', slug: 'seg', courseId: course.id })).status, 201);
    const team = (await ann.get('/api/competitions/seg/team')).body as { id: string };
    const [user] = (await env.ds.query(`SELECT id FROM users WHERE email = 'ann@example.com'`)) as { id: string }[];
    assert.equal((await ann.delete(`/api/courses/${course.id}/members/${user!.id}`)).status, 403);
    assert.equal((await prof.delete(`/api/courses/${course.id}/members/${user!.id}`)).status, 204);
    assert.deepEqual((await ann.get('/api/courses')).body, []);
    const [row] = (await env.ds.query('SELECT disqualified_reason FROM teams WHERE id = $1', [team.id])) as { disqualified_reason: string }[];
    assert.equal(row!.disqualified_reason, 'Ann was removed from the course');
    const [me] = (await env.ds.query(`SELECT id FROM users WHERE email = 'prof@example.com'`)) as { id: string }[];
    const last = await prof.delete(`/api/courses/${course.id}/members/${me!.id}`);
    assert.equal(last.status, 409);
    assert.match(last.body.error.message, /last instructor/);
    const actions = ((await prof.get(`/api/courses/${course.id}/audit?action=course.`)).body as { action: string }[]).map((e) => e.action);
    assert.deepEqual([...new Set(actions)].sort(), ['course.join-code', 'course.join-code.revoke', 'course.remove-member', 'course.roster']);
  });
});
