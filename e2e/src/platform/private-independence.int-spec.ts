import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { INestApplicationContext } from '@nestjs/common';
import { AUTH, type SubmissionDto } from '@holdout/contracts';
import { Client, createTestEnv, eventually, expectedScore, FixtureBundles, startApi, submissionCsv, type TestApi, type TestEnv, scored } from '@holdout/api/testing';
import { startWorker } from '@holdout/worker/testing';
import { apiRoutes, rawRequest, type RawResponse } from './raw-http.js';

const DAY = 86_400_000;
const SLUG = 'sealed';
const S = `/api/competitions/${SLUG}`;
const NONE = '00000000-0000-4000-8000-000000000000';
/** Headers that differ between any two requests (the clock, the request's own id), whatever the data. */
const PER_REQUEST_HEADERS = new Set(['date', 'x-request-id', 'connection', 'keep-alive']);

interface Seen {
  route: string;
  path: string;
  status: number;
  headers: Record<string, unknown>;
  text: string;
  bytes: number;
}

/**
 * Before the reveal, nothing a student receives depends on a private score: not its content, and
 * not its size. Two ways:
 *
 * 1. Two submissions of one team, the same public score, private scores 0.6111111111111112 (many
 *    digits) and 1 (round), as the real worker scored them: every route about each answers with
 *    the same status and the same number of bytes, and the same bytes once the ids and times are
 *    swapped.
 * 2. Every GET route the API offers (its OpenAPI document is the list; event streams read for
 *    their first event), asked by a student before and after the private scores, intervals and
 *    per-image private scores of every submission are rewritten in the database to other values
 *    (0.1, 0.123456789012345 and 0.9; each crawl on a fresh API process, so no cache answers):
 *    byte for byte the same bodies, lengths and ETags.
 *
 * Timing: a student's request never branches on a private score before the reveal. The value is
 * fetched with its row (a double precision column: at most 24 characters on PostgreSQL's text
 * protocol, parsed by the driver in nanoseconds) and then dropped: `toSubmissionDto` replaces it
 * by null when `revealed` is false without looking at it, and the private board before the reveal
 * is an empty list rendered without a query (`private-hidden`); nothing sorts, ranks, selects or
 * notifies by it until the reveal. The remaining difference, the driver's parse of a few more
 * digits, is some nanoseconds against milliseconds of network and event-loop jitter: not
 * measurable by a client, so it is argued here rather than timed.
 */
describe('private scores before the reveal: the bytes a student receives do not depend on them', { timeout: 3 * 60_000 }, () => {
  let env: TestEnv;
  let api: TestApi;
  const extraApis: TestApi[] = [];
  let worker: INestApplicationContext;
  let prof: Client;
  let viewer: Client;
  let other: Client;
  let courseId = '';
  let many: SubmissionDto; // private 0.6111111111111112
  let round: SubmissionDto; // private 1
  let theirs: SubmissionDto;
  let offeredGets: string[] = [];

  const submit = async (c: Client, pub: number, priv: number) => {
    const r = await c.upload(SLUG, submissionCsv(pub, priv));
    assert.equal(r.status, 202, JSON.stringify(r.body));
    return scored(c, r.body.id as string);
  };

  before(async () => {
    env = await createTestEnv('private_independence');
    const bundles = new FixtureBundles(() => ({ opensAt: new Date(Date.now() - DAY), closesAt: new Date(Date.now() + 10 * DAY), dailySubmissions: 20, finalSelections: 2 }));
    api = await startApi(env, bundles);
    worker = await startWorker(env, bundles);
    prof = await Client.register(api.server, 'prof@example.com', 'Prof');
    const course = (await prof.post('/api/courses').send({ name: 'Sealed 101' })).body;
    courseId = course.id;
    assert.equal((await prof.post('/api/competitions').send({ bundle: 'fixture', slug: SLUG, courseId })).status, 201);
    await eventually(async () => ((await prof.get(`${S}/data`)).status === 200 ? true : undefined), { what: 'the data' });
    viewer = await Client.register(api.server, 'vera@example.com', 'Vera');
    other = await Client.register(api.server, 'otto@example.com', 'Otto');
    for (const c of [viewer, other]) assert.equal((await c.post('/api/courses/join').send({ code: course.joinCode })).status, 200);
    // The same public part (a perfect p1), private parts of different quality.
    many = await submit(viewer, 8, 1);
    round = await submit(viewer, 8, 8);
    theirs = await submit(other, 6, 3);
    offeredGets = (await apiRoutes(api.server)).filter((r) => r.startsWith('GET '));
    // Let the scored notifications and board updates settle before anything is compared.
    await new Promise((r) => setTimeout(r, 500));
  });
  after(async () => {
    await worker?.close();
    for (const a of extraApis) await a.close().catch(() => undefined);
    await api?.close();
    await env?.drop();
  });

  const ask = async (server: TestApi, c: Client, route: string, path: string): Promise<Seen> => {
    const r: RawResponse = await rawRequest(server.server, 'GET', path, { cookie: c.cookie, [AUTH.csrfHeader]: c.csrf });
    const headers = Object.fromEntries(Object.entries(r.headers).filter(([k]) => !PER_REQUEST_HEADERS.has(k)));
    // An error's request id is the request's own (a UUID: the same length every time).
    return { route, path, status: r.status, headers, text: r.text.replace(/"requestId":"[^"]*"/g, '"requestId":"…"'), bytes: Buffer.byteLength(r.text) };
  };

  /** Every GET route of the API as `c`, its parameters filled with what a student knows (and an id of another team's submission). */
  async function crawl(server: TestApi, c: Client): Promise<Seen[]> {
    const values: Record<string, string[]> = {
      slug: [SLUG],
      file: ['sample_submission.csv', 'test/p1.png'],
      level: ['0'],
      x: ['0'],
      y: ['0'],
      code: ['not-a-code'],
      rescoreId: [NONE],
    };
    const out: Seen[] = [];
    for (const route of offeredGets) {
      const template = route.slice('GET '.length);
      const ids = template.startsWith('/api/submissions/{id}') ? [many.id, round.id, theirs.id] : template.startsWith('/api/courses/{id}') ? [courseId] : [NONE];
      const paths = [template];
      const expand = (name: string, options: string[]) => {
        for (let i = paths.length - 1; i >= 0; i--) {
          if (!paths[i]!.includes(`{${name}}`)) continue;
          const p = paths.splice(i, 1)[0]!;
          for (const v of options) paths.push(p.replace(`{${name}}`, v));
        }
      };
      expand('id', ids);
      for (const [name, options] of Object.entries(values)) expand(name, options);
      assert.ok(paths.every((p) => !/\{\w+\}/.test(p)), `${route}: a parameter the crawl cannot fill`);
      for (const p of paths) {
        out.push(await ask(server, c, route, p));
        // The submissions list and the boards: every split and scope.
        if (template.endsWith('/leaderboard')) for (const q of ['?split=public', '?split=private']) out.push(await ask(server, c, route, p + q));
        if (template.endsWith('/submissions')) out.push(await ask(server, c, route, `${p}?scope=all`));
      }
    }
    return out;
  }

  it('two submissions differing only in their private score (0.6111… and 1): every answer about each has the same size', async () => {
    const rows = (await env.ds.query('SELECT id, public_score, private_score FROM submissions WHERE id = ANY($1)', [[many.id, round.id]])) as { id: string; public_score: number; private_score: number }[];
    const by = new Map(rows.map((r) => [r.id, r]));
    assert.equal(by.get(many.id)!.private_score, expectedScore(1));
    assert.equal(by.get(round.id)!.private_score, 1);
    assert.equal(by.get(many.id)!.public_score, by.get(round.id)!.public_score, 'the same public score');
    assert.ok(String(expectedScore(1)).length > 15, 'a private score with many digits');

    const about = offeredGets.filter((r) => r.startsWith('GET /api/submissions/{id}')).map((r) => r.slice('GET '.length));
    assert.ok(about.length >= 5, about.join(', '));
    const iso = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/g;
    const checked: string[] = [];
    for (const template of about) {
      const a = await ask(api, viewer, template, template.replace('{id}', many.id));
      const b = await ask(api, viewer, template, template.replace('{id}', round.id));
      assert.equal(a.status, b.status, template);
      assert.equal(a.bytes, b.bytes, `${template}: ${a.bytes} bytes for the submission with private 0.6111…, ${b.bytes} for private 1:\n${a.text}\n${b.text}`);
      assert.equal(a.headers['content-length'], b.headers['content-length'], template);
      // The uploaded file itself differs in its private rows ("q1,1 1" and "q1,1 8"): its size is all that is compared.
      if (!template.endsWith('/file')) assert.equal(a.text.replaceAll(many.id, round.id).replace(iso, 'T'), b.text.replace(iso, 'T'), `${template}: the same bytes but for ids and times`);
      checked.push(`${template} ${a.status} ${a.bytes}B`);
    }
    assert.ok(checked.some((c) => c.startsWith('/api/submissions/{id} 200')), checked.join('\n'));
    assert.ok(checked.some((c) => c.startsWith('/api/submissions/{id}/events 200')), checked.join('\n'));

    // In the team's list the two are entries of the same size: the same bytes once the ids and times are swapped.
    const list = JSON.parse((await ask(api, viewer, 'list', `${S}/submissions`)).text) as SubmissionDto[];
    const entry = (id: string) => JSON.stringify(list.find((s) => s.id === id));
    assert.equal(entry(many.id).length, entry(round.id).length);
    assert.equal(entry(many.id).replaceAll(many.id, round.id).replace(iso, 'T'), entry(round.id).replace(iso, 'T'));
    for (const s of list) assert.equal(s.privateScore, null, 'no private score before the reveal');
  });

  it('every GET route a student can ask answers byte for byte the same whatever the private scores are', async () => {
    const baseline = await crawl(api, viewer);
    const asked = new Set(baseline.map((s) => s.route));
    assert.deepEqual(offeredGets.filter((r) => !asked.has(r)), [], 'GET routes the crawl did not ask');
    // The crawl reached what carries scores: the viewer's submissions, the boards, the event streams.
    const ok = (path: string) => baseline.find((s) => s.path === path && s.status === 200);
    for (const path of [`${S}/submissions`, `/api/submissions/${many.id}`, `/api/submissions/${many.id}/events`, `${S}/leaderboard?split=public`, `${S}/leaderboard?split=private`, `${S}`, '/api/notifications']) assert.ok(ok(path), `${path} answered 200`);
    assert.match(ok(`/api/submissions/${many.id}/events`)!.text, /data: \{"type":"status"/);
    assert.match(ok(`${S}/leaderboard?split=public`)!.text, new RegExp(many.id.slice(0, 8) + '|' + round.id.slice(0, 8)), 'the viewer is on the public board');

    // Nor was a private score written into anything at scoring time (a notification, an event): the
    // scored values, the viewer's 0.6111… and the other team's 0.7727…, appear nowhere (to four places).
    for (const priv of [expectedScore(1), expectedScore(3)]) {
      const digits = String(priv).slice(0, 6);
      assert.deepEqual(baseline.filter((s) => s.text.includes(digits)).map((s) => s.path), [], `the private score ${priv} in an answer`);
    }

    // The same crawl again, nothing changed: what differs here is per request, not data.
    const again = await crawl(api, viewer);
    const unstable = new Set(again.filter((s, i) => s.text !== baseline[i]!.text || JSON.stringify(s.headers) !== JSON.stringify(baseline[i]!.headers)).map((s) => s.path));

    for (const value of [0.1, 0.123456789012345, 0.9]) {
      await env.ds.query(
        `UPDATE submissions SET private_score = $1, private_interval = jsonb_build_array($1::float8 - 0.05, $1::float8 + 0.05), per_image_private = jsonb_build_object('q1', $1::float8, 'q2', $1::float8) WHERE private_score IS NOT NULL`,
        [value],
      );
      await env.ds.query(`UPDATE score_records SET private_score = $1, private_interval = jsonb_build_array($1::float8 - 0.05, $1::float8 + 0.05) WHERE private_score IS NOT NULL`, [value]);
      // A fresh API process: no cache of the boards or the competition answers from before.
      const fresh = await startApi(env, new FixtureBundles(() => ({ opensAt: new Date(Date.now() - DAY), closesAt: new Date(Date.now() + 10 * DAY), dailySubmissions: 20, finalSelections: 2 })));
      extraApis.push(fresh);
      const now = await crawl(fresh, viewer);
      assert.equal(now.length, baseline.length);
      const differences = now.flatMap((s, i) => {
        const b = baseline[i]!;
        assert.equal(s.path, b.path);
        if (s.status !== b.status || s.bytes !== b.bytes) return [`${s.path}: ${b.status} ${b.bytes}B → ${s.status} ${s.bytes}B`];
        if (unstable.has(s.path)) return [];
        if (s.text !== b.text) return [`${s.path}: other bytes of the same length\n  ${b.text.slice(0, 300)}\n  ${s.text.slice(0, 300)}`];
        if (JSON.stringify(s.headers) !== JSON.stringify(b.headers)) return [`${s.path}: other headers ${JSON.stringify(b.headers)} → ${JSON.stringify(s.headers)}`];
        return [];
      });
      assert.deepEqual(differences, [], `private scores set to ${value}: ${differences.length} answers changed`);
    }
    // What may change between two identical requests is short and names no score (health and readiness timings).
    assert.ok([...unstable].every((p) => /^\/api\/(health|ready)$/.test(p)), `answers that differ between identical requests: ${[...unstable].join(', ')}`);
  });
});
