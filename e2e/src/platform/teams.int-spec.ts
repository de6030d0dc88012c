import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { INestApplicationContext } from '@nestjs/common';
import type { AuditEventDto, GradeRowDto, LeaderboardDto, SubmissionDto, TeamDto, TeamInviteDto, TeamSummaryDto } from '@holdout/contracts';
import { Client, createTestEnv, eventually, expectedScore, FixtureBundles, startApi, submissionCsv, type TestApi, type TestEnv, scored } from '@holdout/api/testing';
import { startWorker } from '@holdout/worker/testing';

const DAY = 86_400_000;

// Teams merge through the real API and worker: names, invite links and invites by name, the
// rules (size, deadline), what a merge does to submissions, selections and the leaderboard, leaving.
describe('teams and merges', () => {
  let env: TestEnv;
  let api: TestApi;
  let worker: INestApplicationContext;
  let prof: Client;
  let courseId = '';
  const s: Record<'ann' | 'ben' | 'cat' | 'dan', Client> = {} as never;
  const bundles = new FixtureBundles(() => ({ opensAt: new Date(Date.now() - DAY), closesAt: new Date(Date.now() + 10 * DAY), dailySubmissions: 5 }));

  const team = async (c: Client) => (await c.get('/api/competitions/teams/team')).body as TeamDto;
  const submit = async (c: Client, tp: number) => {
    const r = await c.post('/api/competitions/teams/submissions').attach('file', Buffer.from(submissionCsv(tp, 8)), 'sub.csv');
    assert.equal(r.status, 202, JSON.stringify(r.body));
    return scored(c, r.body.id);
  };

  before(async () => {
    env = await createTestEnv('teams');
    api = await startApi(env, bundles);
    worker = await startWorker(env, bundles);
    prof = await Client.register(api.server, 'prof@example.com', 'Prof');
    const course = (await prof.post('/api/courses').send({ name: 'Teams' })).body;
    courseId = course.id;
    assert.equal((await prof.post('/api/competitions').send({ bundle: 'fixture', slug: 'teams', courseId: course.id })).status, 201);
    await eventually(async () => ((await prof.get('/api/competitions/teams/data')).status === 200 ? true : undefined), { what: 'the data' });
    for (const name of ['ann', 'ben', 'cat', 'dan'] as const) {
      s[name] = await Client.register(api.server, `${name}@example.com`, name);
      await s[name].post('/api/courses/join').send({ code: course.joinCode });
    }
  });
  after(async () => {
    await worker?.close();
    await api?.close();
    await env?.drop();
  });

  it('everyone starts as a team of one; names are unique in the competition', async () => {
    const ann = await team(s.ann);
    assert.deepEqual([ann.name, ann.members, ann.maxTeamSize, ann.invitePath, ann.submissions], ['ann', [{ displayName: 'ann', you: true }], 5, null, 0]);
    assert.equal(ann.leaveProblem, 'you are the only member of your team');
    const renamed = await s.ann.agent.patch('/api/competitions/teams/team').set('x-csrf-token', s.ann.csrf).send({ name: 'Alpha' });
    assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
    assert.equal(renamed.body.name, 'Alpha');
    const clash = await s.ben.agent.patch('/api/competitions/teams/team').set('x-csrf-token', s.ben.csrf).send({ name: 'ALPHA' });
    assert.equal(clash.status, 409);
    assert.match(clash.body.error.message, /a team called "ALPHA" exists already/);
    const unknown = await s.ben.agent.patch('/api/competitions/teams/team').set('x-csrf-token', s.ben.csrf).send({ name: 'B', colour: 'red' });
    assert.equal(unknown.status, 400, 'unknown fields are refused');
    // Not a member of the course: no team.
    const outsider = await Client.register(api.server, 'out@example.com', 'out');
    assert.equal((await outsider.get('/api/competitions/teams/team')).status, 404);
  });

  it('a merge through the invite link keeps both teams\' submissions and scores, clears selections, and the board shows one team', async () => {
    const a = await submit(s.ann, 8);
    const b = await submit(s.ben, 6);
    assert.equal((await s.ben.put(`/api/submissions/${b.id}/selection`).send({ selected: true })).status, 200);
    const before = (await s.cat.get('/api/competitions/teams/leaderboard')).body as LeaderboardDto;
    assert.deepEqual(before.entries.map((e) => e.teamName).sort(), ['Alpha', 'ben']);

    const link = (await s.ann.post('/api/competitions/teams/team/invite-link')).body as TeamDto;
    assert.match(link.invitePath ?? '', /^\/competitions\/teams\/team\?code=[A-Za-z0-9_-]{20,}$/);
    const code = new URL(link.invitePath!, 'http://x').searchParams.get('code')!;
    assert.equal((await s.ann.post('/api/competitions/teams/team/invite-link')).body.invitePath, link.invitePath, 'made once');
    assert.equal((await team(s.ben)).invitePath, null, 'another team never sees it');
    const preview = await s.ben.get(`/api/competitions/teams/team/invite-link/${code}`);
    assert.deepEqual(preview.body, { team: { name: 'Alpha', members: 1 }, problem: null });
    assert.equal((await s.ben.get('/api/competitions/teams/team/invite-link/not-a-real-code-at-all')).status, 404);

    const joined = await s.ben.post('/api/competitions/teams/team/join').send({ code });
    assert.equal(joined.status, 200, JSON.stringify(joined.body));
    const merged = joined.body as TeamDto;
    assert.equal(merged.name, 'Alpha');
    assert.deepEqual(merged.members.map((m) => [m.displayName, m.you]), [['ann', false], ['ben', true]]);
    assert.equal(merged.submissions, 2);
    assert.equal(merged.leaveProblem, "your team has made submissions; they stay the team's, so its members stay too");
    // Both see the same team and its submissions, scores kept; the selection was cleared.
    const mine = (await s.ann.get('/api/competitions/teams/submissions')).body as SubmissionDto[];
    assert.deepEqual(mine.map((x) => [x.id, x.publicScore, x.selected, x.teamName]).sort(), [
      [a.id, a.publicScore, false, 'Alpha'],
      [b.id, b.publicScore, false, 'Alpha'],
    ].sort());
    assert.equal((await s.ben.get(`/api/submissions/${a.id}`)).status, 200, 'a member sees the team\'s older submissions');
    const board = await eventually(async () => {
      const r = (await s.cat.get('/api/competitions/teams/leaderboard')).body as LeaderboardDto;
      return r.entries.length === 1 ? r : undefined;
    }, { what: 'the board to show the merged team' });
    assert.deepEqual(board.entries.map((e) => [e.teamName, e.score, e.entries]), [['Alpha', expectedScore(8), 2]]);
    const [audit] = (await env.ds.query(`SELECT data FROM audit_events WHERE action = 'team.merge'`)) as { data: Record<string, unknown> }[];
    assert.deepEqual(audit!.data, { into: 'Alpha', from: 'ben', via: 'link', members: 2, submissions: 2, selectionsCleared: 1 });
  });

  it('invites by name follow the size limit the instructor sets; declined and withdrawn invites', async () => {
    // Cat has not competed yet: an invite by her name makes her team of one first.
    const early = await s.ann.post('/api/competitions/teams/team/invites').send({ teamName: 'Cat' });
    assert.equal(early.status, 201, JSON.stringify(early.body));
    assert.equal((await s.ann.delete(`/api/competitions/teams/team/invites/${early.body.id}`)).status, 200);
    assert.equal((await prof.get('/api/competitions/teams/team')).status, 403, 'the course staff do not form teams');
    await team(s.dan);
    const limited = await prof.agent.patch('/api/competitions/teams').set('x-csrf-token', prof.csrf).send({ limits: { maxTeamSize: 2 } });
    assert.equal(limited.status, 200, JSON.stringify(limited.body));
    assert.equal(limited.body.limits.maxTeamSize, 2);
    assert.match(limited.body.pages.rules, /Teams of up to \*\*2\*\*/);
    const tooBig = await s.ann.post('/api/competitions/teams/team/invites').send({ teamName: 'cat' });
    assert.equal(tooBig.status, 409);
    assert.match(tooBig.body.error.message, /would have 3 members; at most 2/);
    assert.equal((await s.ann.post('/api/competitions/teams/team/invites').send({ teamName: 'nobody' })).status, 404);

    // Cat invites Dan; Dan declines; Cat invites again and withdraws it.
    const sent = await s.cat.post('/api/competitions/teams/team/invites').send({ teamName: 'dan' });
    assert.equal(sent.status, 201, JSON.stringify(sent.body));
    const invite = sent.body as TeamInviteDto;
    assert.equal((await s.cat.post('/api/competitions/teams/team/invites').send({ teamName: 'dan' })).status, 409, 'one pending invite at a time');
    const dan = await team(s.dan);
    assert.deepEqual(dan.invitesReceived.map((i) => [i.id, i.team.name, i.problem]), [[invite.id, 'cat', null]]);
    assert.equal((await s.ann.post(`/api/competitions/teams/team/invites/${invite.id}/accept`)).status, 404, 'only the invited team answers');
    assert.equal((await s.dan.post(`/api/competitions/teams/team/invites/${invite.id}/decline`)).status, 200);
    assert.deepEqual((await team(s.cat)).invitesSent, []);
    const again = (await s.cat.post('/api/competitions/teams/team/invites').send({ teamName: 'dan' })).body as TeamInviteDto;
    assert.equal((await s.cat.delete(`/api/competitions/teams/team/invites/${again.id}`)).status, 200);
    assert.equal((await s.dan.post(`/api/competitions/teams/team/invites/${again.id}/accept`)).status, 404, 'a withdrawn invite is gone');
  });

  it('an accepted invite merges the teams; a member leaves a team that has not submitted; after the deadline teams are fixed', async () => {
    const invite = (await s.cat.post('/api/competitions/teams/team/invites').send({ teamName: 'dan' })).body as TeamInviteDto;
    const accepted = await s.dan.post(`/api/competitions/teams/team/invites/${invite.id}/accept`);
    assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
    assert.deepEqual((accepted.body as TeamDto).members.map((m) => m.displayName), ['cat', 'dan']);
    assert.equal((accepted.body as TeamDto).leaveProblem, null);
    const left = await s.dan.post('/api/competitions/teams/team/leave');
    assert.equal(left.status, 200, JSON.stringify(left.body));
    assert.deepEqual((left.body as TeamDto).members, [{ displayName: 'dan', you: true }]);
    assert.deepEqual((await team(s.cat)).members.map((m) => m.displayName), ['cat']);
    const stays = await s.ben.post('/api/competitions/teams/team/leave');
    assert.equal(stays.status, 409);
    assert.match(stays.body.error.message, /has made submissions/);

    // The instructor sets the merge deadline to a minute ago: no more merges or leaving.
    const deadline = new Date(Date.now() - 60_000).toISOString();
    assert.equal((await prof.agent.patch('/api/competitions/teams').set('x-csrf-token', prof.csrf).send({ teamMergeDeadline: deadline })).status, 200);
    const late = await s.cat.post('/api/competitions/teams/team/invites').send({ teamName: 'dan' });
    assert.equal(late.status, 409);
    assert.match(late.body.error.message, /merging closed at .* \(the team merge deadline\)/);
    assert.equal((await team(s.cat)).mergeClosesAt, new Date(deadline).toISOString());
  });

  it('anonymous boards show participants pseudonyms (their own team by name); a freeze shows them the board as it stood', async () => {
    const set = async (leaderboard: Record<string, unknown>) => {
      const r = await prof.agent.patch('/api/competitions/teams').set('x-csrf-token', prof.csrf).send({ leaderboard });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r.body;
    };
    const names = async (c: Client) => ((await c.get('/api/competitions/teams/leaderboard')).body as LeaderboardDto).entries.map((e) => e.teamName);
    await set({ anonymous: true });
    await eventually(async () => ((await names(s.cat))[0] !== 'Alpha' ? true : undefined), { what: 'the anonymous board' });
    const [pseudonym] = await names(s.cat);
    assert.match(pseudonym!, /^[A-Z][a-z]+ [A-Z][a-z]+ [0-9a-f]{4}$/);
    assert.deepEqual(await names(s.cat), [pseudonym], 'stable');
    assert.deepEqual(await names(s.ann), ['Alpha'], 'a team sees its own name');
    assert.deepEqual(await names(prof), ['Alpha'], 'staff see names');
    const body = JSON.stringify((await s.cat.get('/api/competitions/teams/leaderboard')).body);
    assert.ok(!body.includes('Alpha') && !body.includes('ann') && !body.includes('ben'), body);

    // Closes in 10 days; a 20-day freeze began before anything was submitted.
    const frozen = await set({ anonymous: false, freezeDays: 20 });
    assert.equal(frozen.leaderboard.freezeDays, 20);
    const cat = await submit(s.cat, 7);
    const board = async (c: Client) => (await c.get('/api/competitions/teams/leaderboard')).body as LeaderboardDto;
    await eventually(async () => ((await board(prof)).entries.length === 2 ? true : undefined), { what: 'the live board for staff' });
    const seen = await board(s.cat);
    assert.deepEqual([seen.entries.length, seen.frozenSince], [0, frozen.leaderboard.freezesAt]);
    assert.equal(((await s.cat.get(`/api/submissions/${cat.id}`)).body as SubmissionDto).publicScore, expectedScore(7), 'a team still sees its own new scores');
    await set({ freezeDays: 0 });
    await eventually(async () => ((await board(s.cat)).entries.length === 2 ? true : undefined), { what: 'the board live again' });
  });

  it('instructors list teams and disqualify a submission or a team (the board re-ranks, the team reads why); reinstating undoes it', async () => {
    const teams = await prof.get('/api/competitions/teams/teams');
    assert.equal(teams.status, 200);
    const alpha = (teams.body as TeamSummaryDto[]).find((t) => t.name === 'Alpha')!;
    assert.deepEqual(alpha.members, [{ displayName: 'ann', email: 'ann@example.com' }, { displayName: 'ben', email: 'ben@example.com' }]);
    assert.equal((await s.cat.get('/api/competitions/teams/teams')).status, 403, 'students do not list teams');
    const best = ((await s.ann.get('/api/competitions/teams/submissions')).body as SubmissionDto[]).find((x) => x.publicScore === expectedScore(8))!;
    const boardScore = async () => ((await s.cat.get('/api/competitions/teams/leaderboard')).body as LeaderboardDto).entries.filter((e) => e.teamName === 'Alpha').map((e) => [e.teamName, e.score]);

    assert.equal((await s.ann.post(`/api/submissions/${best.id}/disqualification`).send({ reason: 'mine' })).status, 403, 'not a student\'s to do');
    assert.equal((await prof.post(`/api/submissions/${best.id}/disqualification`).send({})).status, 400, 'a reason is required');
    const dq = await prof.post(`/api/submissions/${best.id}/disqualification`).send({ reason: 'hand-labelled test images' });
    assert.equal(dq.status, 200, JSON.stringify(dq.body));
    assert.equal(((await s.ben.get(`/api/submissions/${best.id}`)).body as SubmissionDto).disqualified?.reason, 'hand-labelled test images');
    await eventually(async () => (JSON.stringify(await boardScore()) === JSON.stringify([['Alpha', expectedScore(6)]]) ? true : undefined), { what: 'the board without it' });
    assert.equal((await prof.delete(`/api/submissions/${best.id}/disqualification`)).status, 200);
    await eventually(async () => (JSON.stringify(await boardScore()) === JSON.stringify([['Alpha', expectedScore(8)]]) ? true : undefined), { what: 'the board with it again' });

    const team = await prof.post(`/api/competitions/teams/teams/${alpha.id}/disqualification`).send({ reason: 'shared code with another team' });
    assert.equal(team.status, 200, JSON.stringify(team.body));
    assert.equal((team.body as TeamSummaryDto).disqualified?.reason, 'shared code with another team');
    assert.equal((await (await s.ann.get('/api/competitions/teams/team')).body as TeamDto).disqualified?.reason, 'shared code with another team');
    await eventually(async () => ((await boardScore()).length === 0 ? true : undefined), { what: 'the board without the team' });
    const actions = (await env.ds.query(`SELECT action FROM audit_events WHERE action LIKE '%disqualify' OR action LIKE '%reinstate' ORDER BY at`)) as { action: string }[];
    assert.deepEqual(actions.map((a) => a.action), ['submission.disqualify', 'submission.reinstate', 'team.disqualify']);
  });

  it('exports grades (JSON, CSV) per student: team, scores and ranks (private after the reveal), flags, a mapped grade', async () => {
    assert.equal((await s.ann.get('/api/competitions/teams/grades')).status, 403);
    const before = (await prof.get('/api/competitions/teams/grades')).body as GradeRowDto[];
    assert.deepEqual(before.map((r) => [r.student, r.team, r.privateScore, r.disqualified]), [
      ['ann', 'Alpha', null, true],
      ['ben', 'Alpha', null, true],
      ['cat', 'cat', null, false],
      ['dan', 'dan', null, false],
    ]);
    assert.equal((await prof.delete(`/api/competitions/teams/teams/${before.length && ((await prof.get('/api/competitions/teams/teams')).body as TeamSummaryDto[]).find((t) => t.name === 'Alpha')!.id}/disqualification`)).status, 200);
    // A team name that would run as a spreadsheet formula.
    assert.equal((await s.dan.agent.patch('/api/competitions/teams/team').set('x-csrf-token', s.dan.csrf).send({ name: '=SUM(1,2)' })).status, 200);
    assert.equal((await prof.post('/api/competitions/teams/close')).status, 200);
    const rows = (await prof.get('/api/competitions/teams/grades?grade=rank')).body as GradeRowDto[];
    assert.deepEqual(rows.map((r) => [r.student, r.team, r.publicRank, r.privateRank, r.grade, r.disqualified]), [
      ['ann', 'Alpha', 1, 1, 100, false],
      ['ben', 'Alpha', 1, 1, 100, false],
      ['cat', 'cat', 2, 2, 0, false],
      ['dan', '=SUM(1,2)', null, null, null, false],
    ]);
    assert.equal(rows[0]!.privateScore, 1, 'the fixture\'s private images are all predicted right');
    const linear = (await prof.get('/api/competitions/teams/grades?grade=linear&low=0&high=2')).body as GradeRowDto[];
    assert.deepEqual(linear.map((r) => r.grade), [50, 50, linear[2]!.grade, null]);
    assert.equal((await prof.get('/api/competitions/teams/grades?grade=linear&low=1&high=1')).status, 400);
    const csv = await prof.get('/api/competitions/teams/grades?format=csv&grade=rank');
    assert.equal(csv.status, 200);
    assert.match(csv.headers["content-disposition"]!, /^attachment; filename="?teams-grades\.csv"?$/);
    const lines = csv.text.trimEnd().split('\n');
    assert.equal(lines[0], 'student,email,team,public_score,public_rank,private_score,private_rank,selected,late,disqualified,grade');
    assert.match(lines[1]!, /^ann,ann@example\.com,Alpha,[\d.]+,1,1,1,,no,no,100$/);
    assert.equal(lines[4], `dan,dan@example.com,"'=SUM(1,2)",,,,,,no,no,`);
  });

  it('instructors read the course\'s audit log, filtered by competition and action; nobody else does', async () => {
    const all = await prof.get(`/api/courses/${courseId}/audit`);
    assert.equal(all.status, 200, JSON.stringify(all.body));
    const actions = (all.body as AuditEventDto[]).map((e) => e.action);
    for (const a of ['competition.create', 'competition.settings', 'team.rename', 'team.merge', 'team.invite', 'team.leave', 'submission.disqualify', 'team.disqualify', 'team.reinstate', 'competition.close']) {
      assert.ok(actions.includes(a), `${a} in ${actions.join(', ')}`);
    }
    const newest = (all.body as AuditEventDto[])[0]!;
    assert.equal(newest.action, 'competition.close');
    assert.deepEqual(newest.actor, { displayName: 'Prof', email: 'prof@example.com' });
    assert.equal(newest.competition, 'teams');
    const teamOnly = (await prof.get(`/api/courses/${courseId}/audit?competition=teams&action=team.`)).body as AuditEventDto[];
    assert.ok(teamOnly.length > 0 && teamOnly.every((e) => e.action.startsWith('team.') && e.competition === 'teams'));
    const merge = teamOnly.filter((e) => e.action === 'team.merge').at(-1)!; // newest first: the first merge is last
    assert.deepEqual([merge.actor?.displayName, merge.data.into, merge.data.from], ['ben', 'Alpha', 'ben']);
    const page = (await prof.get(`/api/courses/${courseId}/audit?limit=2&before=${newest.id}`)).body as AuditEventDto[];
    const all2 = all.body as AuditEventDto[];
    assert.deepEqual(page.map((e) => e.id), [all2[1]!.id, all2[2]!.id], 'the next page starts right after the given event');
    assert.equal((await s.ann.get(`/api/courses/${courseId}/audit`)).status, 403);
    assert.equal((await prof.get(`/api/courses/${courseId}/audit?action=DROP TABLE`)).status, 400);
  });
});
