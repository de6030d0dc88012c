import { randomUUID } from 'node:crypto';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { INestApplicationContext } from '@nestjs/common';
import type { CompetitionDto, DataFileDto, LeaderboardDto, ShakeupDto, SubmissionDetailDto, SubmissionDto, SubmissionEventDto } from '@holdout/contracts';
import {
  Client,
  createTestEnv,
  eventually,
  expectedScore,
  FixtureBundles,
  INVALID_SUBMISSION,
  startApi,
  submissionCsv,
  type FixtureTimeline,
  type TestApi,
  type TestEnv,
} from '@holdout/api/testing';
import request from 'supertest';
import { readSse } from './sse.js';
import { startWorker } from '@holdout/worker/testing';

const DAY = 86_400_000;

describe('journeys through the running API and worker', () => {
  let env: TestEnv;
  let api: TestApi;
  let worker: INestApplicationContext;
  let timeline: FixtureTimeline = { opensAt: new Date(Date.now() - DAY), closesAt: new Date(Date.now() + DAY) };
  const bundles = new FixtureBundles(() => timeline);
  let instructor: Client;
  let alice: Client;
  let bob: Client;
  let courseId: string;

  const scored = (c: Client, id: string) =>
    eventually(
      async () => {
        const r = await c.get(`/api/submissions/${id}`);
        return r.body.status === 'scored' || r.body.status === 'failed' ? (r.body as SubmissionDetailDto) : undefined;
      },
      { what: `submission ${id} to finish` },
    );

  /** Creates a competition through the API and waits for the worker to build its data. */
  async function competition(slug: string, t: FixtureTimeline): Promise<void> {
    timeline = t;
    const res = await instructor.post('/api/competitions').send({ bundle: 'fixture', slug, courseId });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    await eventually(async () => ((await instructor.get(`/api/competitions/${slug}/data`)).status === 200 ? true : undefined), { what: `${slug} data` });
  }

  before(async () => {
    env = await createTestEnv('journeys');
    env.config.uploadLimitBytes = 64 * 1024;
    api = await startApi(env, bundles);
    worker = await startWorker(env, bundles);
    instructor = await Client.register(api.server, 'prof@example.com', 'Prof');
    courseId = (await instructor.post('/api/courses').send({ name: 'Segmentation 101' })).body.id;
    const code = (await instructor.get('/api/courses')).body[0].joinCode;
    alice = await Client.register(api.server, 'alice@example.com', 'Alice');
    bob = await Client.register(api.server, 'bob@example.com', 'Bob');
    for (const s of [alice, bob]) assert.equal((await s.post('/api/courses/join').send({ code })).status, 200);
    await competition('cells', { opensAt: new Date(Date.now() - DAY), closesAt: new Date(Date.now() + DAY), dailySubmissions: 5, finalSelections: 2 });
  });
  after(async () => {
    await worker?.close();
    await api?.close();
    await env?.drop();
  });

  it('student: sees the competition, lists and downloads public data (ETag, Range), never hidden files', async () => {
    const list = await alice.get('/api/competitions');
    assert.deepEqual(list.body.map((c: { slug: string }) => c.slug), ['cells']);
    const c = (await alice.get('/api/competitions/cells')).body as CompetitionDto;
    assert.equal(c.state, 'open');
    assert.equal(c.viewer?.role, 'student');
    assert.equal(c.viewer?.submissionsToday, 0);
    assert.match(c.pages.rules, /5 submissions per day/);
    const files = (await alice.get('/api/competitions/cells/data')).body as DataFileDto[];
    assert.deepEqual(files.map((f) => f.name), ['sample_submission.csv', 'test/p1.png', 'train.csv']);
    const full = await alice.get('/api/competitions/cells/data/test/p1.png');
    assert.equal(full.status, 200);
    assert.equal(Number(full.headers['content-length']), 1000);
    assert.equal(full.headers.etag, files[1]!.etag);
    const part = await alice.get('/api/competitions/cells/data/test/p1.png').set('range', 'bytes=10-19');
    assert.equal(part.status, 206);
    assert.equal(part.headers['content-range'], 'bytes 10-19/1000');
    assert.deepEqual([...(part.body as Buffer)], Array.from({ length: 10 }, (_, i) => (i + 10) % 251));
    const cached = await alice.get('/api/competitions/cells/data/test/p1.png').set('if-none-match', files[1]!.etag);
    assert.equal(cached.status, 304);
    for (const path of ['../hidden/solution.csv', '..%2Fhidden%2Fsolution.csv', 'hidden/solution.csv', '%2E%2E/hidden/solution.csv', '.%2E/.%2E/hidden/solution.csv']) {
      const r = await alice.get(`/api/competitions/cells/data/${path}`);
      assert.equal(r.status, 404, path);
      assert.doesNotMatch(JSON.stringify(r.body), /Public|Private/);
    }
  });

  it('student: uploads, watches the status over SSE, gets the public score and never the private one', async () => {
    const up = await alice.upload('cells', submissionCsv(8, 4), { description: 'first try', cvScore: '0.9' });
    assert.equal(up.status, 202, JSON.stringify(up.body));
    const s = up.body as SubmissionDto;
    assert.equal(s.status, 'queued');
    assert.equal(s.description, 'first try');
    assert.equal(s.cvScore, 0.9);
    const events = await readSse<SubmissionEventDto>(api.server, `/api/submissions/${s.id}/events`, { cookie: alice.cookie }, (e) => e.type === 'status' && e.submission.status === 'scored');
    const last = events.at(-1)!;
    assert.equal(last.type, 'status');
    if (last.type === 'status') {
      assert.equal(last.submission.publicScore, expectedScore(8));
      assert.equal(last.submission.privateScore, null);
    }
    const d = (await alice.get(`/api/submissions/${s.id}`)).body as SubmissionDetailDto;
    assert.equal(d.publicScore, 1);
    assert.equal(d.privateScore, null);
    assert.deepEqual(Object.keys(d.perImagePublic ?? {}).sort(), ['p1', 'p2'], 'per-image scores of private images are not shown');
    const row = await env.ds.query('SELECT checksum, size_bytes, private_score FROM submissions WHERE id = $1', [s.id]);
    assert.match(row[0].checksum, /^[0-9a-f]{64}$/);
    assert.equal(Number(row[0].size_bytes), Buffer.byteLength(submissionCsv(8, 4)));
    assert.equal(row[0].private_score, expectedScore(4), 'the private score is computed and kept server-side');
    assert.ok(!JSON.stringify(events).includes(String(expectedScore(4))));
  });

  it('per-image public scores are hidden from participants unless the competition discloses them; staff always see them', async () => {
    await competition('quiet', { opensAt: new Date(Date.now() - DAY), closesAt: new Date(Date.now() + DAY), dailySubmissions: 5, finalSelections: 2, perImagePublic: false });
    const up = await alice.upload('quiet', submissionCsv(8, 4));
    assert.equal(up.status, 202, JSON.stringify(up.body));
    const done = await scored(alice, up.body.id);
    assert.equal(done.status, 'scored');
    assert.equal(done.perImagePublic, null, 'the student is not told which images are public');
    const staff = (await instructor.get(`/api/submissions/${up.body.id}`)).body as SubmissionDetailDto;
    assert.deepEqual(Object.keys(staff.perImagePublic ?? {}).sort(), ['p1', 'p2']);
  });

  it('student: a rejected file fails with the scorer message and is not charged', async () => {
    const before = ((await alice.get('/api/competitions/cells')).body as CompetitionDto).viewer!.submissionsToday;
    const up = await alice.upload('cells', INVALID_SUBMISSION);
    assert.equal(up.status, 202);
    const d = await scored(alice, up.body.id);
    assert.equal(d.status, 'failed');
    assert.equal(d.error?.class, 'validation');
    assert.equal(d.error?.row, 2);
    assert.match(d.error!.message, /not sorted/);
    assert.equal(((await alice.get('/api/competitions/cells')).body as CompetitionDto).viewer!.submissionsToday, before);
    const missing = await alice.post('/api/competitions/cells/submissions').field('description', 'no file');
    assert.equal(missing.status, 400);
  });

  it('a model upload to a competition without a model pipeline is refused with a clear error: nothing stored, queued or charged', async () => {
    // The kind listed on a competition whose bundle has no `model:` section (edited by hand).
    await env.ds.query(`UPDATE competitions SET submission_kinds = '{file,model}' WHERE slug = 'cells'`);
    // The API caches competitions for a moment: wait until it serves the edit.
    const kinds = async () => ((await alice.get('/api/competitions/cells')).body as CompetitionDto).submissionKinds;
    await eventually(async () => ((await kinds()).includes('model') ? true : undefined), { what: 'the edited kinds' });
    const count = async () => Number(((await env.ds.query('SELECT count(*) AS n FROM submissions')) as { n: string }[])[0]!.n);
    const { readdir } = await import('node:fs/promises');
    const stored = async () => (await readdir(env.config.artifactDir, { recursive: true }).catch(() => [])).length;
    const [rows, files, today] = [await count(), await stored(), ((await alice.get('/api/competitions/cells')).body as CompetitionDto).viewer!.submissionsToday];
    try {
      const r = await alice.post('/api/competitions/cells/submissions').field('kind', 'model').attach('file', Buffer.from('onnx bytes'), 'model.onnx');
      assert.equal(r.status, 409, r.text);
      assert.equal(r.body.error.code, 'submission_kind_not_allowed');
      assert.match(r.body.error.message, /^this competition has no model pipeline$/);
      assert.equal(await count(), rows, 'no submission row');
      assert.equal(await stored(), files, 'no stored upload');
      assert.equal(((await alice.get('/api/competitions/cells')).body as CompetitionDto).viewer!.submissionsToday, today, 'not charged');
    } finally {
      await env.ds.query(`UPDATE competitions SET submission_kinds = '{file}' WHERE slug = 'cells'`);
      await eventually(async () => ((await kinds()).includes('model') ? undefined : true), { what: 'the kinds restored' });
    }
  });

  it('uploads over the size limit are refused with 413 and leave nothing behind', async () => {
    const before: { n: string }[] = await env.ds.query('SELECT count(*) AS n FROM submissions');
    const big = submissionCsv() + 'x'.repeat(100 * 1024);
    const r = await alice.upload('cells', big);
    assert.equal(r.status, 413);
    assert.equal(r.body.error.code, 'payload_too_large');
    const after: { n: string }[] = await env.ds.query('SELECT count(*) AS n FROM submissions');
    assert.equal(after[0]!.n, before[0]!.n);
    const { readdir } = await import('node:fs/promises');
    const tmp = await readdir(`${env.config.artifactDir}/tmp`).catch(() => []);
    assert.deepEqual(tmp, [], 'no partial upload is left in the artifact store');
  });

  it('the leaderboard event stream announces a change when a score lands', async () => {
    const events = readSse<{ type: string; split: string }>(api.server, '/api/competitions/cells/leaderboard/events', { cookie: bob.cookie }, (e) => e.type === 'changed');
    await new Promise((r) => setTimeout(r, 300)); // subscribed before the upload
    const up = await bob.upload('cells', submissionCsv(2, 2));
    assert.equal(up.status, 202);
    const got = await events;
    assert.deepEqual(got[0], { type: 'changed', split: 'public' });
    await scored(bob, up.body.id);
  });

  it('leaderboards: public ranks best public score per team, private is empty before the reveal', async () => {
    const b = await bob.upload('cells', submissionCsv(4, 8));
    await scored(bob, b.body.id);
    const pub = (await bob.get('/api/competitions/cells/leaderboard')).body as LeaderboardDto;
    assert.equal(pub.split, 'public');
    assert.deepEqual(pub.entries.map((e) => [e.teamName, e.rank, e.display]), [
      ['Alice', 1, '1.0000'],
      ['Bob', 2, expectedScore(4).toFixed(4)],
    ]);
    const priv = (await instructor.get('/api/competitions/cells/leaderboard?split=private')).body as LeaderboardDto;
    assert.deepEqual(priv, { split: 'private', revealed: false, precision: 4, entries: [], frozenSince: null, anonymous: false });
    assert.equal((await bob.get('/api/competitions/cells/shakeup')).status, 409);
    const etag = (await bob.get('/api/competitions/cells/leaderboard')).headers.etag;
    assert.equal((await bob.get('/api/competitions/cells/leaderboard').set('if-none-match', etag)).status, 304);
  });

  it('final selection: only scored on-time submissions, at most the limit, only by the team', async () => {
    const mine = (await alice.get('/api/competitions/cells/submissions')).body as SubmissionDto[];
    const good = mine.filter((s) => s.status === 'scored');
    const failed = mine.find((s) => s.status === 'failed')!;
    assert.equal((await alice.put(`/api/submissions/${failed.id}/selection`).send({ selected: true })).body.error.code, 'not_selectable');
    const extra = [await alice.upload('cells', submissionCsv(7, 7)), await alice.upload('cells', submissionCsv(6, 6))];
    for (const e of extra) await scored(alice, e.body.id);
    const ids = [good[0]!.id, ...extra.map((e) => e.body.id as string)];
    assert.equal((await alice.put(`/api/submissions/${ids[0]}/selection`).send({ selected: true })).status, 200);
    assert.equal((await alice.put(`/api/submissions/${ids[1]}/selection`).send({ selected: true })).status, 200);
    assert.equal((await alice.put(`/api/submissions/${ids[1]}/selection`).send({ selected: true })).status, 200, 'selecting again is harmless');
    const third = await alice.put(`/api/submissions/${ids[2]}/selection`).send({ selected: true });
    assert.equal(third.status, 409);
    assert.equal(third.body.error.code, 'selection_limit');
    assert.equal((await bob.put(`/api/submissions/${ids[2]}/selection`).send({ selected: true })).status, 404, "another team's submission is not found");
    assert.equal((await alice.put(`/api/submissions/${ids[1]}/selection`).send({ selected: false })).status, 200);
    assert.equal((await alice.put(`/api/submissions/${ids[2]}/selection`).send({ selected: true })).status, 200);
  });

  it('instructor: closes early; the private board, the shake-up and late submissions', async () => {
    // Alice selected (8,4) and (6,6): private best = max(expected(4), expected(6)); Bob (4,8) → 1.
    assert.equal((await alice.post('/api/competitions/cells/close')).status, 403);
    const closed = await instructor.post('/api/competitions/cells/close');
    assert.equal(closed.status, 200);
    assert.equal(closed.body.state, 'closed');
    assert.equal(closed.body.revealed, true);
    const priv = (await alice.get('/api/competitions/cells/leaderboard?split=private')).body as LeaderboardDto;
    assert.equal(priv.revealed, true);
    assert.deepEqual(priv.entries.map((e) => [e.teamName, e.score]), [
      ['Bob', 1],
      ['Alice', Math.max(expectedScore(4), expectedScore(6))],
    ]);
    const shake = (await alice.get('/api/competitions/cells/shakeup')).body as ShakeupDto;
    assert.deepEqual(shake.teams.map((t) => [t.teamName, t.publicRank, t.privateRank, t.change]), [
      ['Bob', 2, 1, 1],
      ['Alice', 1, 2, -1],
    ]);
    assert.equal(shake.spearman, -1);
    assert.equal(shake.kendall, -1);
    assert.equal(shake.meanAbsRankChange, 1);
    const mine = (await alice.get('/api/competitions/cells/submissions')).body as SubmissionDto[];
    assert.ok(mine.some((s) => s.privateScore !== null), 'private scores are visible after the reveal');
    const late = await alice.upload('cells', submissionCsv(8, 8));
    assert.equal(late.status, 202);
    assert.equal(late.body.late, true);
    const d = await scored(alice, late.body.id);
    assert.equal(d.status, 'scored');
    assert.equal(d.late, true);
    assert.equal(d.privateScore, 1);
    const board = (await bob.get('/api/competitions/cells/leaderboard?split=private')).body as LeaderboardDto;
    assert.ok(!board.entries.some((e) => e.submissionId === late.body.id), 'late submissions are never ranked');
    assert.equal((await bob.get(`/api/submissions/${late.body.id}`)).status, 404);
    assert.equal((await alice.put(`/api/submissions/${late.body.id}/selection`).send({ selected: true })).status, 409);
    const audit = await env.ds.query(`SELECT action FROM audit_events WHERE action = 'competition.close'`);
    assert.equal(audit.length, 1);
  });

  it('instructor: rescoring against a new solution version keeps the history', async () => {
    const before: { n: string }[] = await env.ds.query(`SELECT count(*) AS n FROM score_records`);
    // New truth: p1 = "1 4" — a prediction of "1 8" on p1 now scores dice 2·4/12.
    const solution = 'id,height,width,encoding,Usage\np1,4,4,1 4,Public\np2,4,4,5 4,Public\nq1,4,4,1 8,Private\nq2,4,4,,Private\n';
    assert.equal((await alice.post('/api/competitions/cells/rescore').send({})).status, 403);
    const res = await instructor.post('/api/competitions/cells/rescore').field('reason', 'fixed p1 labels').attach('solution', Buffer.from(solution), 'solution.csv');
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.equal(res.body.solutionVersion, 2);
    const n = res.body.submissions as number;
    assert.ok(n >= 6);
    await eventually(async () => {
      const r: { n: string }[] = await env.ds.query(`SELECT count(*) AS n FROM score_records WHERE run = $1`, [res.body.rescoreId]);
      return Number(r[0]!.n) === n ? true : undefined;
    }, { what: 'the rescore to finish' });
    const after: { n: string }[] = await env.ds.query(`SELECT count(*) AS n FROM score_records`);
    assert.equal(Number(after[0]!.n), Number(before[0]!.n) + n);
    const pub = (await alice.get('/api/competitions/cells/leaderboard')).body as LeaderboardDto;
    const alicePublic = pub.entries.find((e) => e.teamName === 'Alice')!;
    assert.ok(alicePublic.score < 1, 'scores follow the new solution');
    const audit = await env.ds.query(`SELECT data FROM audit_events WHERE action = 'competition.rescore'`);
    assert.equal(audit[0].data.reason, 'fixed p1 labels');
    // What the console shows: progress, then what changed.
    const status = await instructor.get(`/api/competitions/cells/rescores/${res.body.rescoreId}`);
    assert.equal(status.status, 200, JSON.stringify(status.body));
    const changedByHand: { n: string }[] = await env.ds.query(
      `SELECT count(*) AS n FROM score_records r WHERE r.run = $1 AND r.public_score IS DISTINCT FROM
         (SELECT p.public_score FROM score_records p WHERE p.submission_id = r.submission_id AND p.created_at < r.created_at ORDER BY p.created_at DESC LIMIT 1)`,
      [res.body.rescoreId],
    );
    // (The invalid file uploaded earlier is rejected again.)
    const rejectedByHand: { n: string }[] = await env.ds.query(`SELECT count(*) AS n FROM score_records WHERE run = $1 AND error_code IS NOT NULL`, [res.body.rescoreId]);
    assert.ok(Number(rejectedByHand[0]!.n) >= 1);
    assert.deepEqual(
      { ...status.body, teamsMoved: typeof status.body.teamsMoved },
      { rescoreId: res.body.rescoreId, solutionVersion: 2, submissions: n, done: n, finished: true, changed: Number(changedByHand[0]!.n), rejected: Number(rejectedByHand[0]!.n), teamsMoved: 'number' },
    );
    assert.ok(status.body.changed >= 1, 'predictions of "1 8" on p1 score differently against the new truth');
    assert.equal((await alice.get(`/api/competitions/cells/rescores/${res.body.rescoreId}`)).status, 403);
    assert.equal((await instructor.get(`/api/competitions/cells/rescores/${randomUUID()}`)).status, 404);
  });

  it('no submissions before the competition opens', async () => {
    await competition('later', { opensAt: new Date(Date.now() + DAY), closesAt: new Date(Date.now() + 2 * DAY) });
    const r = await alice.upload('later', submissionCsv());
    assert.equal(r.status, 409);
    assert.equal(r.body.error.code, 'competition_not_open');
  });

  it('quota: parallel uploads cannot exceed the daily limit', async () => {
    await competition('race', { opensAt: new Date(Date.now() - DAY), closesAt: new Date(Date.now() + DAY), dailySubmissions: 3 });
    const results = await Promise.all(Array.from({ length: 10 }, () => bob.upload('race', submissionCsv(5, 5))));
    const statuses = results.map((r: { status: number }) => r.status).sort();
    assert.deepEqual(statuses, [202, 202, 202, 429, 429, 429, 429, 429, 429, 429]);
    const rejected = results.find((r: { status: number }) => r.status === 429)!;
    assert.equal(rejected.body.error.code, 'quota_exceeded');
    assert.ok(rejected.body.error.details.resetsAt);
    const rows: { n: string }[] = await env.ds.query(`SELECT count(*) AS n FROM submissions s JOIN competitions c ON c.id = s.competition_id WHERE c.slug = 'race'`);
    assert.equal(Number(rows[0]!.n), 3);
  });

  it('the scheduled reveal job reveals the private board at closesAt', async () => {
    await competition('soon', { opensAt: new Date(Date.now() - DAY), closesAt: new Date(Date.now() + 3000) });
    const before = (await alice.get('/api/competitions/soon/leaderboard?split=private')).body as LeaderboardDto;
    assert.equal(before.revealed, false);
    const c = await eventually(
      async () => {
        const r = (await alice.get('/api/competitions/soon')).body as CompetitionDto;
        return r.revealed ? r : undefined;
      },
      { timeoutMs: 20_000, what: 'the reveal' },
    );
    assert.equal(c.state, 'closed');
    const audit = await env.ds.query(`SELECT actor_id FROM audit_events WHERE action = 'competition.reveal'`);
    assert.equal(audit.length, 1);
    assert.equal(audit[0].actor_id, null, 'revealed by the system');
  });

  it('a private leaderboard request by an outsider of the course is not found', async () => {
    const outsider = await Client.register(api.server, 'outsider@example.com');
    assert.equal((await outsider.get('/api/competitions/cells/leaderboard')).status, 404);
    assert.equal((await request(api.server).get('/api/competitions/cells/leaderboard')).status, 401);
  });
});
