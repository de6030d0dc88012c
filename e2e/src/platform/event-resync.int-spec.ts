import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import type { SubmissionEventDto } from '@holdout/contracts';
import { Client, createTestEnv, eventually, FixtureBundles, startApi, submissionCsv, type TestApi, type TestEnv } from '@holdout/api/testing';
import { startWorker } from '@holdout/worker/testing';
import { readSse } from './sse.js';

const DAY = 86_400_000;

// Redis pub/sub keeps nothing for a subscriber that was away (issue 17: after a Redis restart,
// a student's stream never heard that the submission was scored). The API's event subscription
// is cut here, a change is made while it is away (in the database, with nothing published, as
// when the worker's announcement is lost), and the open streams must still hear of it once the
// subscription is back: the submission's stream renders its new state, the board's says changed.
describe('event streams after the event subscription was lost', () => {
  let env: TestEnv;
  let api: TestApi;
  let redis: Redis;
  const bundles = new FixtureBundles(() => ({ opensAt: new Date(Date.now() - DAY), closesAt: new Date(Date.now() + DAY), dailySubmissions: 5 }));

  before(async () => {
    env = await createTestEnv('event_resync');
    api = await startApi(env, bundles);
    redis = new Redis(env.config.redisUrl);
  });
  after(async () => {
    redis?.disconnect();
    await api?.close();
    await env?.drop();
  });

  /** Cuts the API's subscription connection (its name carries the queue prefix of this env). */
  async function cutSubscription(): Promise<void> {
    const clients = ((await redis.call('CLIENT', 'LIST', 'TYPE', 'pubsub')) as string).split('\n');
    const mine = clients.filter((l) => l.includes(` name=holdout-events:${env.config.queuePrefix} `));
    assert.equal(mine.length, 1, `one event subscription of this API: ${clients.join('\n')}`);
    const id = /(?:^| )id=(\d+)/.exec(mine[0]!)![1]!;
    assert.equal(await redis.call('CLIENT', 'KILL', 'ID', id), 1);
  }

  it('a submission stream renders the state that changed while it was away, and a board stream says changed', async () => {
    const prof = await Client.register(api.server, 'prof@example.com', 'Prof');
    const course = (await prof.post('/api/courses').send({ name: 'Resync' })).body as { id: string; joinCode: string };
    assert.equal((await prof.post('/api/competitions').send({ bundle: 'fixture', slug: 'resync', courseId: course.id })).status, 201);
    const ann = await Client.register(api.server, 'ann@example.com', 'Ann');
    assert.equal((await ann.post('/api/courses/join').send({ code: course.joinCode })).status, 200);
    // A worker builds the data, then stops: nothing changes after it but what the test changes.
    const worker = await startWorker(env, bundles);
    await eventually(async () => ((await ann.get('/api/competitions/resync/data')).status === 200 ? true : undefined), { what: 'the competition data' });
    await worker.close();
    const up = await ann.upload('resync', submissionCsv(8, 8));
    assert.equal(up.status, 202, JSON.stringify(up.body));

    const statuses = readSse<SubmissionEventDto>(api.server, `/api/submissions/${up.body.id}/events`, { cookie: ann.cookie }, (e) => e.type === 'status' && e.submission.status === 'scoring', 20_000);
    const board = readSse<{ type: string; split: string }>(api.server, '/api/competitions/resync/leaderboard/events', { cookie: ann.cookie }, (e) => e.type === 'changed', 20_000);
    await new Promise((r) => setTimeout(r, 500)); // both streams open and subscribed
    await env.ds.query(`UPDATE submissions SET status = 'scoring' WHERE id = $1`, [up.body.id]);
    await cutSubscription();

    const seen = await statuses;
    assert.deepEqual(seen.filter((e) => e.type === 'status').map((e) => (e.type === 'status' ? e.submission.status : null)), ['queued', 'scoring']);
    assert.deepEqual((await board).map((e) => [e.type, e.split]), [['changed', 'public']]);
  });
});
