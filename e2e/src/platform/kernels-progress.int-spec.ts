import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { INestApplicationContext } from '@nestjs/common';
import { Client, createCompetitionWithData, createTestEnv, dataVisible, eventually, startApi, submissionCsv, type TestApi, type TestEnv } from '@holdout/api/testing';
import type { SubmissionEventDto, SubmissionProgressDto } from '@holdout/contracts';
import { readSse } from './sse.js';
import { startWorker } from '@holdout/worker/testing';
import { KernelFixtureBundles } from './kernel-fixtures.js';

// Real PostgreSQL, Redis, Docker engine and the slim runtime image (HOLDOUT_KERNEL_IMAGE).
process.env.HOLDOUT_KERNEL_IMAGE ??= 'holdout/kernel-runtime:slim';
process.env.HOLDOUT_KERNEL_OWNER = `t-progress-${randomBytes(3).toString('hex')}`;

const progressOf = (events: SubmissionEventDto[]): SubmissionProgressDto[] => events.flatMap((e) => (e.type === 'progress' ? [e.progress] : []));

describe('kernel progress over the event stream: queue position, then elapsed time', () => {
  let env: TestEnv;
  let api: TestApi;
  let worker: INestApplicationContext | undefined;
  let alice: Client;
  let bob: Client;
  let bundles: KernelFixtureBundles;

  const submit = (c: Client, source: string) => c.post('/api/competitions/prog/submissions').field('kind', 'kernel').attach('file', Buffer.from(source), 'k.py');
  const sleeper = (seconds: number) => `import time\ntime.sleep(${seconds})\nopen('/kaggle/working/submission.csv', 'w').write(${JSON.stringify(submissionCsv(8, 8))})\n`;

  before(async () => {
    env = await createTestEnv('kernel_progress');
    env.config.kernels.concurrency = 1; // one kernel at a time, as the API counts the workers' slots
    bundles = new KernelFixtureBundles({ prog: { timeLimitSeconds: 120 } });
    api = await startApi(env, bundles);
    const prof = await Client.register(api.server, 'prof@example.com');
    const course = (await prof.post('/api/courses').send({ name: 'K' })).body;
    await createCompetitionWithData({ env, bundles, instructor: prof, courseId: course.id, bundle: 'prog', slug: 'prog' });
    alice = await Client.register(api.server, 'alice@example.com');
    bob = await Client.register(api.server, 'bob@example.com');
    for (const c of [alice, bob]) await c.post('/api/courses/join').send({ code: course.joinCode });
    await dataVisible(alice, 'prog');
  });
  after(async () => {
    await worker?.close();
    await api?.close();
    await env?.drop();
  });

  it('a waiting kernel learns its place in the queue; once running, how long it has run of its limit', { timeout: 180_000 }, async () => {
    // No worker yet: both wait, Alice's first.
    const first = await submit(alice, sleeper(6));
    const second = await submit(bob, sleeper(1));
    assert.equal(first.status, 202, JSON.stringify(first.body));
    assert.equal(second.status, 202, JSON.stringify(second.body));
    const waiting = progressOf(await readSse<SubmissionEventDto>(api.server, `/api/submissions/${second.body.id}/events`, { cookie: bob.cookie }, (e) => e.type === 'progress'));
    assert.deepEqual(waiting[0], { phase: 'queued', run: null, position: 2, waiting: 2, etaSeconds: null, startedAt: null, elapsedSeconds: null, limitSeconds: 120 });
    // Alice's stream: queued at 1 of 2, then, once a worker takes it, running with the time ticking.
    const aliceEvents = readSse<SubmissionEventDto>(
      api.server,
      `/api/submissions/${first.body.id}/events`,
      { cookie: alice.cookie },
      (e) => e.type === 'progress' && e.progress.run === 'hidden' && (e.progress.elapsedSeconds ?? 0) >= 2,
      90_000,
    );
    await new Promise((r) => setTimeout(r, 300));
    worker = await startWorker(env, bundles);
    const seen = progressOf(await aliceEvents);
    assert.deepEqual(seen[0], { phase: 'queued', run: null, position: 1, waiting: 2, etaSeconds: null, startedAt: null, elapsedSeconds: null, limitSeconds: 120 });
    const running = seen.filter((p) => p.phase === 'running');
    assert.ok(running.length >= 2, `progress while running: ${JSON.stringify(seen)}`);
    assert.ok(running.every((p) => p.position === null && p.limitSeconds === 120 && p.startedAt !== null));
    // The public run first, its time ticking; then the run over the hidden data, timed from its own start.
    const publicRun = running.filter((p) => p.run === 'public');
    const hiddenRun = running.filter((p) => p.run === 'hidden');
    assert.deepEqual([...new Set(running.map((p) => p.run))], ['public', 'hidden'], JSON.stringify(running));
    assert.ok(publicRun.at(-1)!.elapsedSeconds! >= 3 && publicRun.at(-1)!.elapsedSeconds! < 60, JSON.stringify(publicRun));
    assert.ok(hiddenRun[0]!.startedAt! > publicRun[0]!.startedAt!, 'the hidden run has its own start');
    assert.ok(hiddenRun.at(-1)!.elapsedSeconds! >= 2 && hiddenRun.at(-1)!.elapsedSeconds! < publicRun.at(-1)!.elapsedSeconds! + 10, JSON.stringify(hiddenRun));
    // Both end scored; then a new kernel's wait is estimated from those runs and the worker online.
    for (const [c, id] of [[alice, first.body.id], [bob, second.body.id]] as const) {
      await eventually(async () => ((await c.get(`/api/submissions/${id}`)).body.status === 'scored' ? true : undefined), { timeoutMs: 90_000, what: `${id} scored` });
    }
    // With that history and the one worker busy with a long kernel, the next one's wait is estimated.
    const long = await submit(alice, sleeper(10));
    await eventually(async () => ((await alice.get(`/api/submissions/${long.body.id}`)).body.status === 'running' ? true : undefined), { timeoutMs: 60_000, what: 'the long kernel to start' });
    const third = await submit(alice, sleeper(0));
    const estimated = progressOf(await readSse<SubmissionEventDto>(api.server, `/api/submissions/${third.body.id}/events`, { cookie: alice.cookie }, (e) => e.type === 'progress'));
    assert.equal(estimated[0]!.phase, 'queued');
    assert.equal(estimated[0]!.position, 1);
    assert.ok(estimated[0]!.etaSeconds !== null && estimated[0]!.etaSeconds > 0, JSON.stringify(estimated[0]));
    // Another team's kernel is not theirs to follow.
    assert.equal((await bob.get(`/api/submissions/${third.body.id}`)).status, 404);
  });
});
