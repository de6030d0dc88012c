import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { INestApplicationContext } from '@nestjs/common';
import type { CompetitionDto, LeaderboardDto, SubmissionDetailDto } from '@holdout/contracts';
import { Client, createTestEnv, eventually, expectedScore, FixtureBundles, startApi, submissionCsv, type FixtureTimeline, type TestApi, type TestEnv } from '@holdout/api/testing';
import { startWorker } from '@holdout/worker/testing';

const DAY = 86_400_000;
// Every scoring takes this long, so a submission made just before the close is still scoring
// well after it (and after the reveal's settling time of 5 s).
const SCORING_MS = 15_000;

/**
 * The reveal rule (docs: apps/api/README.md, the rules page): the private board is revealed once
 * the competition has closed and no submission made before the close is still queued or scoring,
 * so the revealed board holds every on-time submission and nothing lands on it afterwards.
 */
describe('the reveal waits for submissions made before the close', () => {
  let env: TestEnv;
  let api: TestApi;
  let worker: INestApplicationContext;
  let timeline: FixtureTimeline = { opensAt: new Date(Date.now() - DAY), closesAt: new Date(Date.now() + DAY) };
  const bundles = new FixtureBundles(() => timeline);
  let prof: Client;
  let ann: Client;
  let courseId: string;

  const revealedAt = async (slug: string): Promise<Date | null> => ((await env.ds.query('SELECT revealed_at FROM competitions WHERE slug = $1', [slug])) as { revealed_at: Date | null }[])[0]!.revealed_at;
  const status = async (id: string): Promise<{ status: string; scored_at: Date | null }> => ((await env.ds.query('SELECT status, scored_at FROM submissions WHERE id = $1', [id])) as { status: string; scored_at: Date | null }[])[0]!;
  const sleepUntil = (t: number) => new Promise((r) => setTimeout(r, Math.max(0, t - Date.now())));
  const privateBoard = async (slug: string) => (await ann.get(`/api/competitions/${slug}/leaderboard?split=private`)).body as LeaderboardDto;

  async function competition(slug: string, t: FixtureTimeline): Promise<void> {
    timeline = t;
    const res = await prof.post('/api/competitions').send({ bundle: 'fixture', slug, courseId });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    await eventually(async () => ((await ann.get(`/api/competitions/${slug}/data`)).status === 200 ? true : undefined), { what: `${slug} data` });
  }

  before(async () => {
    env = await createTestEnv('reveal_at_close');
    api = await startApi(env, bundles);
    worker = await startWorker(env, bundles, { testScoringDelayMs: SCORING_MS });
    prof = await Client.register(api.server, 'prof@example.com', 'Prof');
    const course = (await prof.post('/api/courses').send({ name: 'Reveal' })).body as { id: string; joinCode: string };
    courseId = course.id;
    ann = await Client.register(api.server, 'ann@example.com', 'Ann');
    assert.equal((await ann.post('/api/courses/join').send({ code: course.joinCode })).status, 200);
  });
  after(async () => {
    await worker?.close();
    await api?.close();
    await env?.drop();
  });

  it('a submission still scoring at the scheduled close holds the reveal; once scored, the reveal includes it and a late one does not hold it', async () => {
    await competition('sched', { opensAt: new Date(Date.now() - DAY), closesAt: new Date(Date.now() + DAY), dailySubmissions: 10 });
    const onTime = await ann.upload('sched', submissionCsv(8, 6));
    assert.equal(onTime.status, 202, JSON.stringify(onTime.body));
    assert.equal(onTime.body.late, false);
    await eventually(async () => ((await status(onTime.body.id)).status === 'scoring' ? true : undefined), { what: 'the on-time submission to be scoring' });
    const scoringEnds = Date.now() + SCORING_MS;
    // The instructor moves the close to just ahead: the reveal job follows it.
    const closesAt = new Date(Date.now() + 2_000);
    const moved = await prof.patch('/api/competitions/sched').send({ closesAt: closesAt.toISOString() });
    assert.equal(moved.status, 200, JSON.stringify(moved.body));
    await sleepUntil(closesAt.getTime() + 200);
    const late = await ann.upload('sched', submissionCsv(8, 8));
    assert.equal(late.status, 202);
    assert.equal(late.body.late, true);
    assert.equal((await ann.get('/api/competitions/sched')).body.state, 'closed');
    // Past the close and its settling time: the reveal job has fired, and holds.
    await sleepUntil(Math.min(closesAt.getTime() + 7_000, scoringEnds - 1_000));
    assert.equal((await status(onTime.body.id)).status, 'scoring', 'the on-time submission finished before the hold could be observed; raise SCORING_MS');
    assert.equal(await revealedAt('sched'), null, 'not revealed while a submission made before the close is scoring');
    const hidden = await privateBoard('sched');
    assert.equal(hidden.revealed, false);
    assert.deepEqual(hidden.entries, []);

    const at = await eventually(async () => (await revealedAt('sched')) ?? undefined, { timeoutMs: SCORING_MS + 15_000, what: 'the reveal' });
    const scored = await status(onTime.body.id);
    assert.equal(scored.status, 'scored');
    assert.ok(scored.scored_at! <= at, `the reveal (${at.toISOString()}) came after the score (${scored.scored_at!.toISOString()})`);
    assert.ok(at.getTime() - scored.scored_at!.getTime() < 5_000, 'revealed within a few seconds of the last score');
    assert.equal((await status(late.body.id)).status, 'scoring', 'the late submission, still scoring, did not hold the reveal');
    // The board as a participant reads it right after the reveal (the API's board cache follows the reveal's event).
    const board = await eventually(async () => {
      const b = await privateBoard('sched');
      return b.revealed ? b : undefined;
    }, { what: 'the revealed private board' });
    assert.deepEqual(board.entries.map((e) => [e.teamName, e.submissionId, e.score]), [['Ann', onTime.body.id, expectedScore(6)]]);
    const detail = (await ann.get(`/api/submissions/${onTime.body.id}`)).body as SubmissionDetailDto;
    assert.equal(detail.privateScore, expectedScore(6));
  });

  it("an instructor's close while a submission is scoring: closed at once, revealed once it is scored", async () => {
    await competition('early', { opensAt: new Date(Date.now() - DAY), closesAt: new Date(Date.now() + DAY), dailySubmissions: 10 });
    const up = await ann.upload('early', submissionCsv(4, 8));
    assert.equal(up.status, 202);
    await eventually(async () => ((await status(up.body.id)).status === 'scoring' ? true : undefined), { what: 'the submission to be scoring' });
    const closed = await prof.post('/api/competitions/early/close');
    assert.equal(closed.status, 200, JSON.stringify(closed.body));
    assert.equal((closed.body as CompetitionDto).state, 'closed');
    assert.equal((closed.body as CompetitionDto).revealed, false, 'not revealed while the submission is scoring');
    assert.equal((await privateBoard('early')).revealed, false);
    const at = await eventually(async () => (await revealedAt('early')) ?? undefined, { timeoutMs: SCORING_MS + 15_000, what: 'the reveal' });
    const s = await status(up.body.id);
    assert.equal(s.status, 'scored');
    assert.ok(s.scored_at! <= at);
    const board = await eventually(async () => {
      const b = await privateBoard('early');
      return b.revealed ? b : undefined;
    }, { what: 'the revealed private board' });
    assert.deepEqual(board.entries.map((e) => [e.teamName, e.score]), [['Ann', 1]]);
    await eventually(async () => {
      const notices = (await ann.get('/api/notifications')).body as { items: { kind: string; link: string }[] };
      return notices.items.some((n) => n.kind === 'reveal' && n.link.startsWith('/competitions/early/')) ? true : undefined;
    }, { what: 'the reveal notice' });
  });

  it("an upload committing while the instructor closes: the close waits for it, and the reveal holds it", async () => {
    await competition('race', { opensAt: new Date(Date.now() - DAY), closesAt: new Date(Date.now() + DAY), dailySubmissions: 10 });
    // A first submission gives Ann her team, so the next one's only wait is the one made here.
    const first = await ann.upload('race', submissionCsv(2, 2));
    assert.equal(first.status, 202);
    await eventually(async () => ((await status(first.body.id)).status === 'scored' ? true : undefined), { timeoutMs: SCORING_MS + 15_000, what: 'the first submission' });
    // Ann's row locked: the upload's INSERT (its foreign-key check on her) waits, after it has
    // read the close and before it commits — the window in which an instructor's close used to
    // reveal a board that an on-time submission then joined.
    const lock = env.ds.createQueryRunner();
    await lock.connect();
    await lock.startTransaction();
    const [{ id: annId }] = (await lock.query('SELECT id FROM users WHERE email = $1 FOR UPDATE', ['ann@example.com'])) as { id: string }[];
    assert.ok(annId);
    // (supertest sends on then())
    const upload = ann.upload('race', submissionCsv(8, 8)).then((r: { status: number; body: any }) => r);
    await eventually(async () => {
      const waiting = (await env.ds.query(`SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO "submissions"%'`)) as unknown[];
      return waiting.length > 0 ? true : undefined;
    }, { what: 'the upload waiting at its INSERT' });
    const close = prof.post('/api/competitions/race/close').then((r: { status: number; body: any }) => r);
    await new Promise((r) => setTimeout(r, 1_000));
    await lock.commitTransaction();
    await lock.release();
    const [up, closed] = await Promise.all([upload, close]);
    assert.equal(up.status, 202, JSON.stringify(up.body));
    assert.equal(up.body.late, false, 'read the close before the instructor closed: on time');
    assert.equal(closed.status, 200, JSON.stringify(closed.body));
    assert.equal((closed.body as CompetitionDto).revealed, false, 'not revealed while the on-time upload is unfinished');
    await eventually(async () => (await revealedAt('race')) ?? undefined, { timeoutMs: SCORING_MS + 15_000, what: 'the reveal' });
    const board = await eventually(async () => {
      const b = await privateBoard('race');
      return b.revealed ? b : undefined;
    }, { what: 'the revealed private board' });
    // Ranked by the better private score of her two (8 of 8 right beats 2 of 8): the late-committing one is on it.
    assert.deepEqual(board.entries.map((e) => [e.teamName, e.submissionId]), [['Ann', up.body.id]]);
  });
});
