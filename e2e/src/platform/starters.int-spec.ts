import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { INestApplicationContext } from '@nestjs/common';
import { LibCompetitionBundles } from '@holdout/api/testing';
import { Client, createCompetitionWithData, createTestEnv, dataVisible, eventually, startApi, type TestApi, type TestEnv } from '@holdout/api/testing';
import type { CompetitionDto } from '@holdout/contracts';
import { startWorker } from '@holdout/worker/testing';

// Real PostgreSQL, Redis, Docker engine and the slim runtime image (HOLDOUT_KERNEL_IMAGE), with
// the real bundles' demo data: what a student gets from "Code" → starter → submit.
process.env.HOLDOUT_KERNEL_IMAGE ??= 'holdout/kernel-runtime:slim';
process.env.HOLDOUT_KERNEL_OWNER = `t-starters-${randomBytes(3).toString('hex')}`;

const TERMINAL = new Set(['scored', 'failed', 'cancelled', 'complete']);

describe('the bundled starter kernels under a slug the instructor chose', () => {
  let env: TestEnv;
  let api: TestApi;
  let worker: INestApplicationContext;
  let student: Client;
  const slugs = { 'hubmap-glomeruli': 'kidney-2026', 'sartorius-cells': 'cells-2026' } as const;

  before(async () => {
    env = await createTestEnv('starters');
    const bundles = new LibCompetitionBundles(env.config.repoRoot);
    api = await startApi(env, bundles);
    const prof = await Client.register(api.server, 'prof@example.com');
    const course = (await prof.post('/api/courses').send({ name: 'Vision' })).body;
    // The bundles ask for a GPU; this machine has none, so the course lets kernels use the CPU.
    assert.equal((await prof.put(`/api/courses/${course.id}/kernel-policy`).send({ cpuFallback: true })).status, 200);
    for (const [bundle, slug] of Object.entries(slugs)) await createCompetitionWithData({ env, bundles, instructor: prof, courseId: course.id, bundle, slug });
    student = await Client.register(api.server, 'stu@example.com');
    await student.post('/api/courses/join').send({ code: course.joinCode });
    for (const slug of Object.values(slugs)) await dataVisible(student, slug);
    worker = await startWorker(env, bundles);
  });
  after(async () => {
    await worker?.close();
    await api?.close();
    await env?.drop();
  });

  it('the pages name the input path of the competition\'s own slug', async () => {
    const c = (await student.get(`/api/competitions/${slugs['hubmap-glomeruli']}`)).body as CompetitionDto;
    assert.match(c.pages.overview, /\/kaggle\/input\/kidney-2026\//);
    assert.doesNotMatch(JSON.stringify(c.pages), /\/kaggle\/input\/hubmap-glomeruli/);
  });

  for (const [bundle, file] of [
    ['hubmap-glomeruli', 'kernel.py'],
    ['hubmap-glomeruli', 'kernel.ipynb'],
    ['sartorius-cells', 'kernel.py'],
    ['sartorius-cells', 'kernel.ipynb'],
  ] as const) {
    it(`${bundle}: the starter ${file}, downloaded and submitted as it is, runs to a score`, { timeout: 600_000 }, async () => {
      const slug = slugs[bundle];
      const starter = await student.get(`/api/competitions/${slug}/data/starter/${file}`).buffer(true).parse((res: import('node:http').IncomingMessage, done: (err: Error | null, body: Buffer) => void) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => done(null, Buffer.concat(parts)));
      });
      assert.equal(starter.status, 200);
      const up = await student.post(`/api/competitions/${slug}/submissions`).field('kind', 'kernel').attach('file', starter.body as Buffer, file);
      assert.equal(up.status, 202, JSON.stringify(up.body));
      const done = await eventually(
        async () => {
          const [row] = (await env.ds.query('SELECT status, public_score, error_class, error_message FROM submissions WHERE id = $1', [up.body.id])) as Record<string, any>[];
          return TERMINAL.has(row!.status) ? row : undefined;
        },
        { timeoutMs: 540_000, everyMs: 500, what: `the ${bundle} starter to finish` },
      );
      assert.equal(done!.status, 'scored', JSON.stringify(done));
      assert.ok(done!.public_score > 0, `public score ${done!.public_score}`);
    });
  }
});
