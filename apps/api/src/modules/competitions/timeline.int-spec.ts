import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { QUEUES, type CompetitionDto, type CompetitionSummaryDto, type UpdateCompetitionRequest } from '@holdout/contracts';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import request from 'supertest';
import { Client, createTestEnv, FixtureBundles, startApi, type TestApi, type TestEnv } from '../../testing/index.js';

const DAY = 86_400_000;
const at = (ms: number) => new Date(ms).toISOString();

describe('PATCH /api/competitions/:slug (timeline)', () => {
  let env: TestEnv;
  let api: TestApi;
  let maintenance: Queue;
  let redis: Redis;
  let admin: Client;
  let prof: Client;
  let ta: Client;
  let student: Client;
  let outsider: Client;
  let competitionId: string;
  const t0 = Date.now();
  const bundles = new FixtureBundles(() => ({ opensAt: new Date(t0 - DAY), closesAt: new Date(t0 + DAY) }));

  const patch = (c: Client, body: UpdateCompetitionRequest | Record<string, unknown>, slug = 'cells') => c.agent.patch(`/api/competitions/${slug}`).set('x-csrf-token', c.csrf).send(body);
  const revealJob = async (closesAt: string) => maintenance.getJob(`reveal_${competitionId}_${new Date(closesAt).getTime()}`);

  before(async () => {
    env = await createTestEnv('timeline');
    api = await startApi(env, bundles);
    redis = new Redis(env.config.redisUrl, { maxRetriesPerRequest: null });
    maintenance = new Queue(QUEUES.maintenance, { connection: redis, prefix: env.config.queuePrefix });
    admin = await Client.register(api.server, 'admin@example.com'); // the first account administers the site
    prof = await Client.register(api.server, 'prof@example.com');
    await admin.allowCourseCreation(prof);
    const course = (await prof.post('/api/courses').send({ name: 'C' })).body;
    ta = await Client.register(api.server, 'ta@example.com');
    student = await Client.register(api.server, 'stu@example.com');
    outsider = await Client.register(api.server, 'nosy@example.com');
    for (const c of [ta, student]) assert.equal((await c.post('/api/courses/join').send({ code: course.joinCode })).status, 200);
    assert.equal((await prof.put(`/api/courses/${course.id}/members/${ta.user.id}`).send({ role: 'ta' })).status, 204);
    assert.equal((await prof.post('/api/competitions').send({ bundle: 'fixture', slug: 'cells', courseId: course.id })).status, 201);
    competitionId = (await env.ds.query(`SELECT id FROM competitions WHERE slug = 'cells'`))[0].id;
    assert.ok(await revealJob(at(t0 + DAY)), 'creating the competition scheduled its reveal');
  });
  after(async () => {
    await maintenance?.close();
    await redis?.quit();
    await api?.close();
    await env?.drop();
  });

  it('refuses students and TAs (403), outsiders (404) and anonymous callers (401), in the one error shape', async () => {
    const body = { closesAt: at(t0 + 5 * DAY) };
    for (const [who, c, status] of [
      ['student', student, 403],
      ['ta', ta, 403],
      ['outsider', outsider, 404],
    ] as const) {
      const res = await patch(c, body);
      assert.equal(res.status, status, `${who}: ${res.text}`);
      assert.match(res.text, /^\{"error":\{"code":"[a-z_]+","message":"[^"]+"\},"requestId":"[^"]+"\}$/, who);
    }
    assert.equal((await request(api.server).patch('/api/competitions/cells').send(body)).status, 401);
    assert.equal((await prof.get('/api/competitions/cells')).body.closesAt, at(t0 + DAY), 'nothing changed');
  });

  it('is in the OpenAPI document with its body', async () => {
    const doc = await request(api.server).get('/api/docs/json');
    const op = doc.body.paths['/api/competitions/{slug}']?.patch;
    assert.ok(op, 'PATCH /api/competitions/{slug} documented');
    assert.ok(op.requestBody.content['application/json'].schema.properties.closesAt);
    assert.ok(op.requestBody.content['application/json'].schema.properties.limits);
  });

  it('lets the instructor move the timeline: the DTO, an audit event, and the reveal job at the new close', async () => {
    const closesAt = at(t0 + 3 * DAY);
    const teamMergeDeadline = at(t0 + 2 * DAY);
    const res = await patch(prof, { closesAt, teamMergeDeadline });
    assert.equal(res.status, 200, res.text);
    const dto = res.body as CompetitionDto;
    assert.equal(dto.closesAt, closesAt);
    assert.equal(dto.teamMergeDeadline, teamMergeDeadline);
    assert.equal(dto.opensAt, at(t0 - DAY), 'fields not given stay');
    assert.equal(dto.state, 'open');
    assert.equal(dto.pages.overview, '# Fixture', 'a whole CompetitionDto');
    assert.equal((await student.get('/api/competitions/cells')).body.closesAt, closesAt, 'everyone sees the new close');
    const audit = await env.ds.query(`SELECT actor_id, data FROM audit_events WHERE action = 'competition.timeline'`);
    assert.equal(audit.length, 1);
    assert.equal(audit[0].actor_id, prof.user.id);
    assert.equal(audit[0].data.before.closesAt, at(t0 + DAY));
    assert.equal(audit[0].data.after.closesAt, closesAt);
    const job = await revealJob(closesAt);
    assert.ok(job, 'a reveal job at the new close');
    assert.deepEqual(job.data, { competitionId });
    assert.ok(Math.abs(job.timestamp + job.delay - new Date(closesAt).getTime()) < 60_000, 'fires at the new close');
    assert.equal(await revealJob(at(t0 + DAY)), undefined, 'the job for the old close is gone');
  });

  it('validates the order and the fields', async () => {
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ['merge deadline after the close', { teamMergeDeadline: at(t0 + 4 * DAY) }, /teamMergeDeadline/],
      ['merge deadline at the open', { teamMergeDeadline: at(t0 - DAY) }, /teamMergeDeadline/],
      ['opens after it closes', { opensAt: at(t0 + 4 * DAY) }, /opensAt .* must be before closesAt/],
      ['close in the past', { closesAt: at(t0 - DAY / 2) }, /closesAt must be in the future/],
      ['not a time', { closesAt: 'next tuesday' }, /closesAt/],
      ['unknown field', { tittle: 'renamed' }, /tittle/],
      ['a zero daily quota', { limits: { dailySubmissions: 0 } }, /limits\.dailySubmissions/],
      ['an unknown setting', { limits: { teamSize: 3 } }, /teamSize/],
      ['kernel limits on a competition without kernels', { kernel: { gpus: 1 } }, /kernel: cells takes no kernel submissions/],
      ['nothing to change', {}, /at least one/],
    ];
    for (const [name, body, message] of cases) {
      const res = await patch(prof, body);
      assert.equal(res.status, 400, `${name}: ${res.text}`);
      assert.equal(res.body.error.code, 'bad_request', name);
      assert.match(res.body.error.message, message, name);
    }
    const dto = (await prof.get('/api/competitions/cells')).body as CompetitionDto;
    assert.equal(dto.closesAt, at(t0 + 3 * DAY), 'a refused edit changes nothing');
    assert.equal(dto.teamMergeDeadline, at(t0 + 2 * DAY));
    // A merge deadline equal to the close is allowed; null removes it.
    assert.equal((await patch(prof, { teamMergeDeadline: at(t0 + 3 * DAY) })).status, 200);
    assert.equal((await patch(prof, { teamMergeDeadline: null })).body.teamMergeDeadline, null);
  });

  it('a merge deadline not named follows a moved close, and the response says so', async () => {
    // Now: close t0+3d, merge deadline t0+3d (equal). Move the close a day later: the deadline keeps its gap (none).
    await patch(prof, { teamMergeDeadline: at(t0 + 2 * DAY) });
    const later = await patch(prof, { closesAt: at(t0 + 5 * DAY) });
    assert.equal(later.status, 200, later.text);
    assert.equal(later.body.teamMergeDeadline, at(t0 + 4 * DAY));
    assert.deepEqual(later.body.notes, [`The team merge deadline moved with the close, to ${at(t0 + 4 * DAY)} (1 day before it).`]);
    // Named, it is taken as given (and checked); a change without a moved close carries no note.
    const named = await patch(prof, { closesAt: at(t0 + 3 * DAY), teamMergeDeadline: at(t0 + 2 * DAY) });
    assert.equal(named.body.teamMergeDeadline, at(t0 + 2 * DAY));
    assert.equal(named.body.notes, undefined);
    assert.equal((await prof.get('/api/competitions/cells')).body.notes, undefined, 'notes only answer the edit');
    const audit = await env.ds.query(`SELECT data FROM audit_events WHERE action = 'competition.timeline' ORDER BY at DESC LIMIT 2`);
    assert.equal(audit[1].data.after.teamMergeDeadline, at(t0 + 4 * DAY), 'the moved deadline is in the audit');
  });

  it('the list shows the course staff how busy each competition is, and participants nothing of it', async () => {
    const [expected] = (await env.ds.query(
      `SELECT count(DISTINCT team_id)::int AS teams, count(*)::int AS submissions FROM submissions WHERE competition_id = $1`,
      [competitionId],
    )) as { teams: number; submissions: number }[];
    const staffView = ((await prof.get('/api/competitions')).body as CompetitionSummaryDto[]).find((c) => c.slug === 'cells')!;
    assert.deepEqual(staffView.activity, { ...expected, unfinished: 0 });
    const studentView = ((await student.get('/api/competitions')).body as CompetitionSummaryDto[]).find((c) => c.slug === 'cells')!;
    assert.equal(studentView.activity, undefined);
  });

  it('edits the settings: title, quota, final selections, per-image feedback and pages, audited; the quota follows', async () => {
    const res = await patch(prof, { title: 'Cells, spring cohort', limits: { dailySubmissions: 1, finalSelections: 1 }, feedback: { perImagePublic: false }, pages: { overview: '# Cells\nWelcome.' } });
    assert.equal(res.status, 200, res.text);
    const dto = res.body as CompetitionDto;
    assert.equal(dto.title, 'Cells, spring cohort');
    assert.deepEqual(dto.limits, { dailySubmissions: 1, finalSelections: 1, maxTeamSize: 5 });
    assert.equal(dto.pages.overview, '# Cells\nWelcome.');
    assert.match(dto.pages.rules, /\*\*1 submissions per day\*\*/, 'the generated rules follow the limits');
    assert.equal(dto.pages.rules.split('## Submission limits').length, 2, 'one quota section, replaced, not appended');
    assert.match(dto.pages.rules, /^Be nice\./, "the bundle's own rules are kept");
    const [audit] = await env.ds.query(`SELECT data FROM audit_events WHERE action = 'competition.settings'`);
    assert.deepEqual(audit.data.before.limits, { dailySubmissions: 5, finalSelections: 2, maxTeamSize: 5 });
    assert.deepEqual(audit.data.after.limits, { dailySubmissions: 1, finalSelections: 1, maxTeamSize: 5 });
    assert.equal(audit.data.after.title, 'Cells, spring cohort');
    const [row] = await env.ds.query(`SELECT config FROM competitions WHERE id = $1`, [competitionId]);
    assert.deepEqual(row.config.feedback, { perImagePublic: false });
    // Students and TAs may not.
    assert.equal((await patch(student, { limits: { dailySubmissions: 50 } })).status, 403);
    assert.equal((await patch(ta, { title: 'Mine' })).status, 403);
  });

  it('turns submission kinds on and off within what the bundle offers, audited', async () => {
    assert.deepEqual((await prof.get('/api/competitions/cells')).body.availableKinds, ['file']);
    const refused = await patch(prof, { submissionKinds: ['file', 'kernel'] });
    assert.equal(refused.status, 400);
    assert.match(refused.body.error.message, /submissionKinds: this competition's bundle does not offer kernel \(it offers file\)/);
    const none = await patch(prof, { submissionKinds: [] });
    assert.equal(none.status, 400);
    assert.match(none.body.error.message, /at least one/);
    assert.equal((await patch(prof, { submissionKinds: ['model'] })).status, 400);
    const same = await patch(prof, { submissionKinds: ['file', 'file'] });
    assert.equal(same.status, 200, same.text);
    assert.deepEqual(same.body.submissionKinds, ['file']);
    const audit = await env.ds.query(`SELECT data FROM audit_events WHERE action = 'competition.settings' ORDER BY at DESC LIMIT 1`);
    assert.deepEqual(audit[0].data.after.submissionKinds, ['file']);
  });

  it('lets a site admin who is not in the course edit it', async () => {
    const res = await patch(admin, { opensAt: at(t0 - 2 * DAY) });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.opensAt, at(t0 - 2 * DAY));
  });

  it('refuses to move the close of a closed, revealed competition', async () => {
    // A merge deadline still ahead comes to the close with it: the timeline stays consistent and
    // the competition can still be edited (renamed) afterwards.
    const open = (await prof.get('/api/competitions/cells')).body as CompetitionDto;
    const mergeAt = new Date((Date.now() + Date.parse(open.closesAt)) / 2).toISOString();
    assert.equal((await patch(prof, { teamMergeDeadline: mergeAt })).status, 200);
    assert.equal((await prof.post('/api/competitions/cells/close')).status, 200);
    const closed = (await prof.get('/api/competitions/cells')).body as CompetitionDto;
    assert.equal(closed.revealed, true);
    assert.equal(closed.teamMergeDeadline, closed.closesAt);
    const renamed = await patch(prof, { title: 'Cells, closed early' });
    assert.equal(renamed.status, 200, renamed.text);
    const res = await patch(prof, { closesAt: at(t0 + 10 * DAY) });
    assert.equal(res.status, 409, res.text);
    assert.equal(res.body.error.code, 'conflict');
    assert.match(res.body.error.message, /can no longer move/);
    assert.equal((await prof.get('/api/competitions/cells')).body.closesAt, closed.closesAt);
    assert.equal(await revealJob(at(t0 + 10 * DAY)), undefined, 'no reveal scheduled for a refused close');
  });
});
