import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { INestApplicationContext } from '@nestjs/common';
import { AUTH } from '@holdout/contracts';
import type { BundleCompetition } from '@holdout/api/testing';
import { Client, createTestEnv, eventually, expectedScore, FIXTURE_SOLUTION, FixtureBundles, startApi, submissionCsv, type FixtureTimeline, type TestApi, type TestEnv } from '@holdout/api/testing';
import { startWorker } from '@holdout/worker/testing';

const DAY = 86_400_000;
type Role = 'anonymous' | 'outsider' | 'otherTeam' | 'owner' | 'ta' | 'instructor';
const ROLES: Role[] = ['anonymous', 'outsider', 'otherTeam', 'owner', 'ta', 'instructor'];

interface Res {
  status: number;
  text: string;
}

/** The fixture competition from a bundle directory on disk, with a starter kernel and a file beside it that is not served. */
class BundleDirFixture extends FixtureBundles {
  constructor(
    timeline: () => FixtureTimeline,
    private readonly dir: string,
  ) {
    super(timeline);
  }
  override async load(bundle: string): Promise<BundleCompetition> {
    return { ...(await super.load(bundle)), bundleDir: this.dir };
  }
}
// In files only staff (the kernel log) or nobody (the bundle's own files) may read.
const LOG_SECRET = 'kernel-log-line-only-staff-read';
const BUNDLE_SECRET = 'bundle-file-nobody-downloads';

/** One raw HTTP request (also reads the first SSE event and hangs up). */
function call(server: Server, method: string, path: string, headers: Record<string, string>, body?: string): Promise<Res> {
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers: { ...headers, ...(body ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) } : {}) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        text += c;
        if (String(res.headers['content-type']).startsWith('text/event-stream') && text.includes('data: ')) {
          const end = text.indexOf('\n\n', text.indexOf('data: '));
          if (end >= 0) {
            req.destroy();
            resolve({ status: res.statusCode!, text });
          }
        }
      });
      res.on('end', () => resolve({ status: res.statusCode!, text }));
    });
    req.on('error', (e) => (req.destroyed ? undefined : reject(e)));
    req.end(body);
  });
}

/**
 * Route × role × phase. Every response, of every role, is searched for what must not leak:
 * before the reveal the private score and per-image private ids; never the solution file;
 * never another team's submission to a non-member.
 */
describe('authorization matrix', () => {
  let env: TestEnv;
  let api: TestApi;
  let worker: INestApplicationContext;
  const clients = {} as Record<Exclude<Role, 'anonymous'>, Client>;
  let ownerSub: string;
  let otherSub: string;
  let ownerKernel: string;
  let ownerTeam: string;
  let courseId: string;
  let bundleDir: string;
  // Private score of the owner's submission: a number that appears nowhere else.
  const PRIVATE = expectedScore(3);

  const headers = (r: Role): Record<string, string> => (r === 'anonymous' ? {} : { cookie: clients[r].cookie, [AUTH.csrfHeader]: clients[r].csrf });

  before(async () => {
    env = await createTestEnv('authz');
    bundleDir = await mkdtemp(join(tmpdir(), 'holdout-authz-bundle-'));
    await mkdir(join(bundleDir, 'starter'));
    await writeFile(join(bundleDir, 'starter', 'kernel.py'), "print('starter')\n");
    await writeFile(join(bundleDir, 'competition.yaml'), `# ${BUNDLE_SECRET}\n`);
    const bundles = new BundleDirFixture(() => ({ opensAt: new Date(Date.now() - DAY), closesAt: new Date(Date.now() + DAY), finalSelections: 1 }), bundleDir);
    api = await startApi(env, bundles);
    worker = await startWorker(env, bundles);
    clients.instructor = await Client.register(api.server, 'prof@example.com', 'Prof');
    const course = (await clients.instructor.post('/api/courses').send({ name: 'C' })).body;
    courseId = course.id;
    for (const r of ['outsider', 'otherTeam', 'owner', 'ta'] as const) clients[r] = await Client.register(api.server, `${r.toLowerCase()}@example.com`, r);
    for (const r of ['otherTeam', 'owner', 'ta'] as const) await clients[r].post('/api/courses/join').send({ code: course.joinCode });
    await clients.instructor.put(`/api/courses/${course.id}/members/${clients.ta.user.id}`).send({ role: 'ta' });
    // The outsider has a course and competition of their own elsewhere: still sees nothing here.
    await clients.instructor.allowCourseCreation(clients.outsider);
    await clients.outsider.post('/api/courses').send({ name: 'Elsewhere' });
    assert.equal((await clients.instructor.post('/api/competitions').send({ bundle: 'fixture', slug: 'cells', courseId: course.id })).status, 201);
    await eventually(async () => ((await clients.owner.get('/api/competitions/cells/data')).status === 200 ? true : undefined), { what: 'data' });
    ownerSub = (await clients.owner.upload('cells', submissionCsv(8, 3))).body.id;
    otherSub = (await clients.otherTeam.upload('cells', submissionCsv(5, 8))).body.id;
    for (const [c, id] of [
      [clients.owner, ownerSub],
      [clients.otherTeam, otherSub],
    ] as const) {
      await eventually(async () => ((await c.get(`/api/submissions/${id}`)).body.status === 'scored' ? true : undefined), { what: 'scoring' });
    }
    // A kernel of the owner's team as a worker leaves one that threw: failed, with its log in the store.
    const [k] = (await env.ds.query(
      `INSERT INTO submissions (competition_id, team_id, user_id, kind, status, file_name, error_class, error_code, error_message, attempts, started_at, scored_at)
       SELECT competition_id, team_id, user_id, 'kernel', 'failed', 'kernel.py', 'exception', 'exception', 'The kernel threw an exception.', 1, now(), now() FROM submissions WHERE id = $1 RETURNING id`,
      [ownerSub],
    )) as { id: string }[];
    ownerKernel = k!.id;
    ownerTeam = ((await env.ds.query('SELECT team_id FROM submissions WHERE id = $1', [ownerSub])) as { team_id: string }[])[0]!.team_id;
    const logKey = `kernel-runs/${ownerKernel}/1/kernel.log`;
    await env.ds.query(`INSERT INTO kernel_submissions (submission_id, entry_kind, gpu, queue) VALUES ($1, 'py', false, 'kernels')`, [ownerKernel]);
    await env.ds.query(
      `INSERT INTO kernel_runs (submission_id, attempt, step, outcome, log_path, queue, started_at, finished_at) VALUES ($1, 1, 'done', 'exception', $2, 'kernels', now(), now())`,
      [ownerKernel, logKey],
    );
    await mkdir(dirname(join(env.config.artifactDir, logKey)), { recursive: true });
    await writeFile(join(env.config.artifactDir, logKey), `${LOG_SECRET}\nValueError: boom\n`);
  });
  after(async () => {
    await worker?.close();
    await api?.close();
    await env?.drop();
    if (bundleDir) await rm(bundleDir, { recursive: true, force: true });
  });

  // Expected status per role: [anonymous, outsider, otherTeam, owner, ta, instructor]
  const matrix = (phase: 'open' | 'closed'): [string, string, () => string, number[], string?][] => [
    ['GET', 'competition', () => '/api/competitions/cells', [401, 404, 200, 200, 200, 200]],
    ['GET', 'data list', () => '/api/competitions/cells/data', [401, 404, 200, 200, 200, 200]],
    ['GET', 'data file', () => '/api/competitions/cells/data/train.csv', [401, 404, 200, 200, 200, 200]],
    ['GET', 'hidden file', () => '/api/competitions/cells/data/..%2Fhidden%2Fsolution.csv', [401, 404, 404, 404, 404, 404]],
    ['GET', 'hidden file (dots)', () => '/api/competitions/cells/data/%2e%2e/hidden/solution.csv', [401, 404, 404, 404, 404, 404]],
    ['GET', 'my submissions', () => '/api/competitions/cells/submissions', [401, 404, 200, 200, 200, 200]],
    ['GET', 'all submissions (staff)', () => '/api/competitions/cells/submissions?scope=all', [401, 404, 403, 403, 200, 200]],
    ['GET', "owner's submission", () => `/api/submissions/${ownerSub}`, [401, 404, 404, 200, 200, 200]],
    ['GET', "owner's submission events", () => `/api/submissions/${ownerSub}/events`, [401, 404, 404, 200, 200, 200]],
    ['GET', "owner's submission log", () => `/api/submissions/${ownerSub}/log`, [401, 404, 404, 404, 404, 404]],
    ['GET', 'public leaderboard', () => '/api/competitions/cells/leaderboard?split=public', [401, 404, 200, 200, 200, 200]],
    ['GET', 'private leaderboard', () => '/api/competitions/cells/leaderboard?split=private', [401, 404, 200, 200, 200, 200]],
    ['GET', 'shake-up', () => '/api/competitions/cells/shakeup', phase === 'open' ? [401, 404, 409, 409, 409, 409] : [401, 404, 200, 200, 200, 200]],
    ['PUT', "select owner's submission", () => `/api/submissions/${ownerSub}/selection`, phase === 'open' ? [401, 404, 404, 200, 404, 404] : [401, 404, 404, 409, 404, 404], '{"selected":true}'],
    ['POST', 'rescore', () => '/api/competitions/cells/rescore', [401, 404, 403, 403, 403, 202], '{}'],
    ['PATCH', 'edit the timeline', () => '/api/competitions/cells', [401, 404, 403, 403, 403, 200], '{"teamMergeDeadline":null}'],
    // The outsider instructs a course of their own elsewhere: instructors of any course see the bundles.
    ['GET', 'bundles', () => '/api/bundles', [401, 200, 403, 403, 403, 200]],
    ['GET', 'starter kernel', () => '/api/competitions/cells/data/starter/kernel.py', [401, 404, 200, 200, 200, 200]],
    ['GET', 'bundle file beside starter/', () => '/api/competitions/cells/data/starter/..%2Fcompetition.yaml', [401, 404, 404, 404, 404, 404]],
    ['GET', 'bundle file beside starter/ (dots)', () => '/api/competitions/cells/data/starter/%2e%2e/competition.yaml', [401, 404, 404, 404, 404, 404]],
    // Authorised callers get 409: the kernel already ended; a file submission is never cancelled.
    ['POST', "cancel owner's kernel", () => `/api/submissions/${ownerKernel}/cancel`, [401, 404, 404, 409, 403, 409]],
    ['POST', "cancel owner's file submission", () => `/api/submissions/${ownerSub}/cancel`, [401, 404, 404, 409, 403, 409]],
    // The owner's team reads the failure class only (the competition hides logs of runs over hidden data); staff read the log.
    ['GET', "owner's kernel log", () => `/api/submissions/${ownerKernel}/log`, [401, 404, 404, 200, 200, 200]],
    ['GET', 'kernel policy', () => '/api/competitions/cells/kernel-policy', [401, 404, 200, 200, 200, 200]],
    ['PUT', 'set the kernel policy', () => '/api/competitions/cells/kernel-policy', [401, 404, 403, 403, 403, 200], '{"gpuHoursPerWeek":12}'],
    ['PUT', "set the course's kernel policy", () => `/api/courses/${courseId}/kernel-policy`, [401, 404, 403, 403, 403, 200], '{"cpuFallback":false}'],
    ['GET', "the course's kernel policy", () => `/api/courses/${courseId}/kernel-policy`, [401, 404, 403, 403, 403, 200]],
    // Students get 404 like outsiders: a roster is the staff's.
    ['GET', 'course roster', () => `/api/courses/${courseId}/members`, [401, 404, 404, 404, 200, 200]],
    // Teams and the classroom: teams are the students'; the staff list them, instructors act.
    ['GET', 'my team', () => '/api/competitions/cells/team', [401, 404, 200, 200, 403, 403]],
    ['GET', 'all teams (staff)', () => '/api/competitions/cells/teams', [401, 404, 403, 403, 200, 200]],
    ['DELETE', "reinstate the owner's team", () => `/api/competitions/cells/teams/${ownerTeam}/disqualification`, [401, 404, 403, 403, 403, 200]],
    ['DELETE', "reinstate the owner's submission", () => `/api/submissions/${ownerSub}/disqualification`, [401, 404, 404, 403, 403, 200]],
    ['GET', 'grades (staff)', () => '/api/competitions/cells/grades', [401, 404, 403, 403, 200, 200]],
    ['GET', 'audit log', () => `/api/courses/${courseId}/audit`, [401, 404, 403, 403, 403, 200]],
    ['POST', 'roster preview', () => `/api/courses/${courseId}/roster`, [401, 404, 403, 403, 403, 200], '{"csv":"email\\nnew@example.com\\n"}'],
  ];

  async function run(phase: 'open' | 'closed'): Promise<Map<Role, string[]>> {
    const seen = new Map<Role, string[]>(ROLES.map((r) => [r, []]));
    for (const [method, name, path, expected, body] of matrix(phase)) {
      for (const [i, role] of ROLES.entries()) {
        const res = await call(api.server, method, path(), headers(role), body);
        assert.equal(res.status, expected[i], `${phase}: ${method} ${name} as ${role} → ${res.status} ${res.text.slice(0, 200)}`);
        if (res.status >= 400) assert.match(res.text, /"error":\{"code":"[a-z_]+","message"/, `${name} as ${role}: error shape`);
        seen.get(role)!.push(res.text);
      }
    }
    return seen;
  }

  it('before the close: nothing private, hidden or of another team leaks to anyone', async () => {
    const seen = await run('open');
    for (const [role, texts] of seen) {
      const all = texts.join('\n');
      assert.ok(!all.includes(String(PRIVATE)), `${role} saw the private score`);
      assert.ok(!all.includes('"q1"') && !all.includes('"q2"'), `${role} saw per-image private scores`);
      assert.ok(!all.includes('Usage') && !all.includes(FIXTURE_SOLUTION.split('\n')[3]!), `${role} saw the solution`);
      if (role !== 'owner' && role !== 'ta' && role !== 'instructor') {
        assert.ok(!all.includes(`"id":"${ownerSub}"`) && !all.includes(`"id":"${ownerKernel}"`), `${role} saw the owner's submission`);
      }
      assert.equal(all.includes(LOG_SECRET), role === 'ta' || role === 'instructor', `${role}: the kernel log goes to staff only`);
      assert.ok(!all.includes(BUNDLE_SECRET), `${role} read a bundle file`);
      if (role !== 'ta' && role !== 'instructor') assert.ok(!all.includes('owner@example.com'), `${role} saw the roster`);
    }
    assert.ok(seen.get('owner')!.join('').includes(`"id":"${ownerSub}"`), 'the matrix can see what it looks for');
    assert.ok(seen.get('owner')!.join('').includes("print('starter')"), 'the starter kernel is served to members');
    assert.ok(seen.get('owner')!.join('').includes('Result: exception'), 'the owner reads the failure class of their kernel');
  });

  it('after the close: private scores to the team and staff, still nothing to outsiders or other teams', async () => {
    // The rescore in the first pass queued jobs; let them finish so scores are stable.
    await eventually(async () => {
      const r: { n: string }[] = await env.ds.query(`SELECT count(*) AS n FROM submissions WHERE kind = 'file' AND status <> 'scored'`);
      return Number(r[0]!.n) === 0 ? true : undefined;
    }, { what: 'rescoring' });
    assert.equal((await clients.instructor.post('/api/competitions/cells/close')).status, 200);
    await new Promise((r) => setTimeout(r, 2100)); // competition cache TTL
    const seen = await run('closed');
    for (const role of ['owner', 'ta', 'instructor'] as const) {
      const detail = await clients[role].get(`/api/submissions/${ownerSub}`);
      assert.equal(detail.body.privateScore, PRIVATE, `${role} sees the private score after the reveal`);
    }
    for (const role of ['anonymous', 'outsider'] as const) assert.ok(!seen.get(role)!.join('\n').includes(String(PRIVATE)));
    const other = seen.get('otherTeam')!.join('\n');
    assert.ok(!other.includes(`"id":"${ownerSub}"`), "another team never gets the owner's submission record");
    for (const texts of seen.values()) assert.ok(!texts.join('\n').includes('Usage'), 'the solution never leaves the server');
    for (const [role, texts] of seen) {
      const all = texts.join('\n');
      assert.equal(all.includes(LOG_SECRET), role === 'ta' || role === 'instructor', `${role}: the kernel log goes to staff only`);
      assert.ok(!all.includes(BUNDLE_SECRET), `${role} read a bundle file`);
      if (role !== 'ta' && role !== 'instructor') assert.ok(!all.includes('owner@example.com'), `${role} saw the roster`);
      if (role !== 'owner' && role !== 'ta' && role !== 'instructor') assert.ok(!all.includes(`"id":"${ownerKernel}"`), `${role} saw the owner's kernel`);
    }
  });
});
