import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { INestApplicationContext } from '@nestjs/common';
import { createTestEnv, FixtureBundles, type TestEnv } from '@holdout/api/testing';
import { JOBS, QUEUES } from '@holdout/worker/testing';
import { Queue, QueueEvents } from 'bullmq';
import { startWorker } from '@holdout/worker/testing';

describe('maintenance: data builds', () => {
  let env: TestEnv;
  let worker: INestApplicationContext;
  let queue: Queue;
  let events: QueueEvents;

  before(async () => {
    env = await createTestEnv('maintenance');
    worker = await startWorker(env, new FixtureBundles(() => ({ opensAt: new Date(), closesAt: new Date(Date.now() + 86_400_000) })));
    const connection = { url: env.config.redisUrl };
    queue = new Queue(QUEUES.maintenance, { connection, prefix: env.config.queuePrefix });
    events = new QueueEvents(QUEUES.maintenance, { connection, prefix: env.config.queuePrefix });
    await events.waitUntilReady();
  });
  after(async () => {
    await events?.close();
    await queue?.close();
    await worker?.close();
    await env?.drop();
  });

  it('completes at once, without retries, a build for a competition that no longer exists', async () => {
    // As the API enqueues it: 3 attempts with a 5 s backoff, which a missing competition used to
    // go through before the job was dropped.
    const job = await queue.add(JOBS.buildData, { competitionId: randomUUID() }, { attempts: 3, backoff: { type: 'exponential', delay: 5000 } });
    const started = Date.now();
    assert.equal(await job.waitUntilFinished(events, 10_000), false);
    assert.ok(Date.now() - started < 5000, 'finished before any retry');
    assert.equal((await queue.getJob(job.id!))?.attemptsMade, 1);
  });
});
