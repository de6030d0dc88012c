import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { listBundledCompetitions } from '@holdout/competition';
import type { BundleDto } from '@holdout/contracts';
import request from 'supertest';
import { Client, createTestEnv, startApi, type TestApi, type TestEnv } from '../../testing/index.js';
import { LibCompetitionBundles } from './lib-bundles.js';

describe('GET /api/bundles', () => {
  let env: TestEnv;
  let api: TestApi;
  let admin: Client;
  let prof: Client;
  let student: Client;
  let nobody: Client;

  before(async () => {
    env = await createTestEnv('bundle_list');
    api = await startApi(env, new LibCompetitionBundles(env.config.repoRoot));
    admin = await Client.register(api.server, 'admin@example.com'); // the first account administers the site, in no course
    prof = await Client.register(api.server, 'prof@example.com');
    await admin.allowCourseCreation(prof);
    const course = (await prof.post('/api/courses').send({ name: 'C' })).body;
    student = await Client.register(api.server, 'stu@example.com');
    assert.equal((await student.post('/api/courses/join').send({ code: course.joinCode })).status, 200);
    nobody = await Client.register(api.server, 'nobody@example.com');
  });
  after(async () => {
    await api?.close();
    await env?.drop();
  });

  it('describes every bundled competition under competitions/ to instructors and admins', async () => {
    const expected = (await listBundledCompetitions(env.config.repoRoot)).map((b) => ({
      slug: b.slug,
      title: b.config.title,
      description: b.config.description,
      metric: b.config.metric.name,
      submissionKinds: b.config.submissions.kinds,
    }));
    assert.ok(expected.length >= 2, 'the repository bundles at least two competitions');
    for (const [who, c] of [
      ['instructor', prof],
      ['admin', admin],
    ] as const) {
      const res = await c.get('/api/bundles');
      assert.equal(res.status, 200, `${who}: ${res.text}`);
      assert.deepEqual(res.body as BundleDto[], expected, who);
    }
    const sartorius = expected.find((b) => b.slug === 'sartorius-cells');
    assert.deepEqual([sartorius?.metric, sartorius?.submissionKinds], ['instance-map', ['kernel', 'model']]);
    // What it lists can be created.
    const courseId = (await prof.get('/api/courses')).body[0].id;
    const created = await prof.post('/api/competitions').send({ bundle: expected[0]!.slug, courseId });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.body.title, expected[0]!.title);
  });

  it('refuses students, users in no course (403) and anonymous callers (401), in the one error shape', async () => {
    for (const [who, c] of [
      ['student', student],
      ['nobody', nobody],
    ] as const) {
      const res = await c.get('/api/bundles');
      assert.equal(res.status, 403, `${who}: ${res.text}`);
      assert.equal(res.body.error.code, 'forbidden');
      assert.ok(typeof res.body.requestId === 'string');
    }
    const anon = await request(api.server).get('/api/bundles');
    assert.equal(anon.status, 401);
    assert.equal(anon.body.error.code, 'unauthenticated');
  });

  it('is in the OpenAPI document', async () => {
    const doc = await request(api.server).get('/api/docs/json');
    assert.ok(doc.body.paths['/api/bundles']?.get, 'GET /api/bundles documented');
  });
});
