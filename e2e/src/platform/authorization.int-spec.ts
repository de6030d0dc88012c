import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { INestApplicationContext } from '@nestjs/common';
import { AUTH } from '@holdout/contracts';
import type { BundleCompetition } from '@holdout/api/testing';
import {
  Client,
  createTestEnv,
  eventually,
  expectedScore,
  FIXTURE_SOLUTION,
  FixtureBundles,
  startApi,
  submissionCsv,
  tiffDeclaring,
  type FixtureTimeline,
  type TestApi,
  type TestEnv,
} from '@holdout/api/testing';
import { startWorker } from '@holdout/worker/testing';
import { apiRoutes, rawRequest, type RawBody } from './raw-http.js';

const DAY = 86_400_000;

/**
 * Who asks. `owner` is a student of the team the request concerns (the submission's team, the
 * invited team, the team whose link it is); `otherTeam` a student of the course in another team;
 * `outsider` a signed-in user of the site who instructs a course of their own elsewhere; `admin`
 * a site administrator who is no member of the course.
 */
type Role = 'anonymous' | 'outsider' | 'otherTeam' | 'owner' | 'ta' | 'instructor' | 'admin';
const ROLES: Role[] = ['anonymous', 'outsider', 'otherTeam', 'owner', 'ta', 'instructor', 'admin'];
type Phase = 'upcoming' | 'open' | 'closed' | 'revealed';
const PHASES: Phase[] = ['upcoming', 'open', 'closed', 'revealed'];

/** Expected statuses in ROLES order, e.g. `401 404 200 200 200 200 200`; null where the phase has nothing to ask about. */
type Statuses = string | null;
const always = (s: string): Record<Phase, Statuses> => ({ upcoming: s, open: s, closed: s, revealed: s });
/** Of submissions: there are none before the opening. */
const onceOpen = (s: string): Record<Phase, Statuses> => ({ upcoming: null, open: s, closed: s, revealed: s });
const phases = (upcoming: Statuses, open: Statuses, closed: Statuses, revealed: Statuses): Record<Phase, Statuses> => ({ upcoming, open, closed, revealed });

interface Request {
  path: string;
  body?: RawBody;
  /** Who sends it instead of the role's usual client (the team actions' fresh students). */
  as?: Client;
  /** Runs after the request (puts back what the case made for it). */
  after?: () => Promise<void>;
}

interface Case {
  /** The route as the OpenAPI document names it. */
  route: string;
  what: string;
  expect: Record<Phase, Statuses>;
  request: (role: Role, phase: Phase) => Request | Promise<Request>;
}

/** Routes the matrix does not ask (signing in and out has no role; its own tests cover it). */
const NOT_IN_MATRIX: Record<string, string> = {
  'POST /api/auth/register': 'signing up: auth.int-spec',
  'POST /api/auth/login': 'signing in: auth.int-spec',
  'POST /api/auth/logout': 'would end the session the matrix asks with: auth.int-spec',
  'POST /api/auth/password-reset': 'password-reset.int-spec',
  'POST /api/auth/password-reset/confirm': 'password-reset.int-spec',
};

// In files only staff (the kernel's log and output) or nobody (the bundle's own files) may read.
const LOG_SECRET = 'kernel-log-line-only-staff-read';
const OUTPUT_SECRET = 'kernel-output-only-staff-read';
const BUNDLE_SECRET = 'bundle-file-nobody-downloads';

/** The fixture competition from a bundle directory on disk (a starter kernel, a file beside it that is not served) with a small TIFF to tile. */
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
  override async build(bundleDir: string, dataRoot: string) {
    const built = await super.build(bundleDir, dataRoot);
    await writeFile(join(built.publicDir, 'test', 'slide.tiff'), tiffDeclaring(8, 8)); // 8×8 grey: the 64 bytes after the header are its pixels
    return built;
  }
}

/**
 * Route × role × phase: every route the API offers (its OpenAPI document is the list), asked by
 * each role in each phase of a competition (before the opening, open, closed, revealed), against
 * a table of expected statuses written as data. The rules it encodes: members see the
 * competition, outsiders learn nothing (404); the course staff read everything, TAs change
 * nothing; instructors and site admins act; teams are the students'; submissions open at the
 * opening, final selections close at the close, merges happen only while merging is open, the
 * shake-up comes with the reveal. Every response of every role is also searched for what must
 * not leak: before the reveal the private score and per-image private ids; never the solution or
 * the bundle's own files; the kernel's log and output to the staff only; another team's
 * submission and the roster never to students.
 */
describe('authorization matrix: route × role × phase', { timeout: 5 * 60_000 }, () => {
  let env: TestEnv;
  let api: TestApi;
  let worker: INestApplicationContext;
  let bundleDir: string;
  const c = {} as Record<Exclude<Role, 'anonymous'>, Client>;
  let spare: Client; // a student the roster rows remove and put back
  let benched: Client; // a student whose team the disqualification rows take off the boards and back
  let courseId = '';
  let openHouseCode = ''; // the outsider's own course, which anyone may join
  let ownerCode = ''; // the owner's team's invite link
  let rescoreId = '';
  let ownerSub = '';
  let ownerSpare = ''; // disqualified and reinstated by the rows
  let ownerKernel = '';
  let ownerTeam = '';
  let benchedTeam = '';
  let competitionId = '';
  // Private score of the owner's first submission: a number that appears nowhere else.
  const PRIVATE = expectedScore(3);
  let registered = 0;

  const headers = (client: Client | null): Record<string, string> => (client ? { cookie: client.cookie, [AUTH.csrfHeader]: client.csrf } : {});
  const clientOf = (r: Role): Client | null => (r === 'anonymous' ? null : c[r]);
  const json = (v: unknown) => JSON.stringify(v);

  /** A student of the course who has not competed yet (added to the course directly: the rows rotate its join code). */
  async function student(label: string): Promise<Client> {
    const s = await Client.register(api.server, `${label}-${++registered}@example.com`, `${label}-${registered}`);
    await env.ds.query(`INSERT INTO memberships (course_id, user_id, role) VALUES ($1, $2, 'student')`, [courseId, s.user.id]);
    return s;
  }
  const teamIdOf = async (s: Client) => {
    const r = await s.get('/api/competitions/cells/team');
    assert.equal(r.status, 200, json(r.body));
    return r.body.id as string;
  };

  /**
   * Two fresh teams of one per case and phase, for the team actions (a merge cannot be undone):
   * `host`, and `loner`, who with `merged` is already a member of host's team (with `invite`, invited by host).
   */
  const pairs = new Map<string, Promise<{ host: Client; loner: Client; code: string; invite: string | null }>>();
  function pair(key: string, phase: Phase, o: { merged?: boolean; invite?: boolean } = {}) {
    const k = `${key}:${phase}`;
    if (!pairs.has(k)) {
      pairs.set(
        k,
        (async () => {
          const host = await student(`host-${key}-${phase}`);
          const loner = await student(`loner-${key}-${phase}`);
          const hostTeam = await teamIdOf(host);
          const lonerTeam = o.merged ? null : await teamIdOf(loner);
          if (o.merged) await env.ds.query('INSERT INTO team_members (team_id, competition_id, user_id) VALUES ($1, $2, $3)', [hostTeam, competitionId, loner.user.id]);
          const link = await host.post('/api/competitions/cells/team/invite-link');
          assert.equal(link.status, 200, json(link.body));
          const code = new URL(link.body.invitePath, 'http://x').searchParams.get('code')!;
          // An invite from host to loner, as the API writes one (sent while merging was open, it stays pending after).
          let invite: string | null = null;
          if (o.invite) {
            const [row] = (await env.ds.query(
              `INSERT INTO team_invites (competition_id, from_team_id, to_team_id, created_by_id, status) VALUES ($1, $2, $3, $4, 'pending') RETURNING id`,
              [competitionId, hostTeam, lonerTeam, host.user.id],
            )) as { id: string }[];
            invite = row!.id;
          }
          return { host, loner, code, invite };
        })(),
      );
    }
    return pairs.get(k)!;
  }
  /** In team actions: the concerned team's student for `owner`, the other one for `otherTeam`. */
  const actor = (role: Role, owner: Client, other: Client): Client | undefined => (role === 'owner' ? owner : role === 'otherTeam' ? other : undefined);

  /** A queued kernel or model of the owner's team (nothing runs it), cancelled afterwards if the request left it queued. */
  async function queued(kind: 'kernel' | 'model'): Promise<Request> {
    const [row] = (await env.ds.query(
      `INSERT INTO submissions (competition_id, team_id, user_id, kind, status, file_name) VALUES ($1, $2, $3, $4, 'queued', $5) RETURNING id`,
      [competitionId, ownerTeam, c.owner.user.id, kind, kind === 'kernel' ? 'kernel.py' : 'model.onnx'],
    )) as { id: string }[];
    return {
      path: `/api/submissions/${row!.id}/cancel`,
      after: async () => {
        await env.ds.query(`UPDATE submissions SET status = 'cancelled', error_class = 'cancelled', error_code = 'cancelled' WHERE id = $1 AND status = 'queued'`, [row!.id]);
      },
    };
  }

  /** A copy of the competition as it stands (to close it without closing the one the matrix asks about). */
  async function cloneOfCompetition(role: Role, phase: Phase): Promise<string> {
    const slug = `cells-close-${phase}-${role.toLowerCase()}`;
    const cols = ((await env.ds.query(`SELECT column_name FROM information_schema.columns WHERE table_name = 'competitions' AND column_name NOT IN ('id', 'slug')`)) as { column_name: string }[])
      .map((r) => `"${r.column_name}"`)
      .join(', ');
    await env.ds.query(`INSERT INTO competitions (slug, ${cols}) SELECT $2, ${cols} FROM competitions WHERE slug = $1`, ['cells', slug]);
    return slug;
  }

  const S = '/api/competitions/cells';
  const PUB = '/api/competitions/showcase';
  const CASES: Case[] = [
    // The site: health, the account, tokens, notifications.
    { route: 'GET /api/health', what: 'liveness', expect: always('200 200 200 200 200 200 200'), request: () => ({ path: '/api/health' }) },
    { route: 'GET /api/ready', what: 'readiness', expect: always('200 200 200 200 200 200 200'), request: () => ({ path: '/api/ready' }) },
    { route: 'GET /api/me', what: 'who am I', expect: always('401 200 200 200 200 200 200'), request: () => ({ path: '/api/me' }) },
    { route: 'POST /api/tokens', what: 'make a CLI token', expect: always('401 201 201 201 201 201 201'), request: () => ({ path: '/api/tokens', body: json({ name: 'matrix' }) }) },
    { route: 'GET /api/tokens', what: 'my tokens', expect: always('401 200 200 200 200 200 200'), request: () => ({ path: '/api/tokens' }) },
    {
      route: 'DELETE /api/tokens/{id}',
      what: "revoke the owner's token",
      expect: always('401 404 404 204 404 404 404'),
      request: async () => ({ path: `/api/tokens/${(await c.owner.post('/api/tokens').send({ name: 'to revoke' })).body.id}` }),
    },
    { route: 'GET /api/notifications', what: 'my notifications', expect: always('401 200 200 200 200 200 200'), request: () => ({ path: '/api/notifications' }) },
    { route: 'GET /api/notifications/events', what: 'my notification stream', expect: always('401 200 200 200 200 200 200'), request: () => ({ path: '/api/notifications/events' }) },
    { route: 'POST /api/notifications/read', what: 'mark my notifications read', expect: always('401 200 200 200 200 200 200'), request: () => ({ path: '/api/notifications/read', body: '{}' }) },
    { route: 'PUT /api/me/preferences', what: 'my e-mail preference', expect: always('401 200 200 200 200 200 200'), request: () => ({ path: '/api/me/preferences', body: json({ emailNotifications: true }) }) },
    { route: 'GET /api/admin/users', what: 'the accounts (site admins)', expect: always('401 403 403 403 403 403 200'), request: () => ({ path: '/api/admin/users' }) },
    { route: 'GET /api/admin/status', what: 'the platform status (site admins)', expect: always('401 403 403 403 403 403 200'), request: () => ({ path: '/api/admin/status' }) },
    {
      route: 'PUT /api/admin/users/{id}/course-creator',
      what: 'who may open courses (site admins)',
      expect: always('401 403 403 403 403 403 200'),
      request: () => ({ path: `/api/admin/users/${spare.user.id}/course-creator`, body: json({ allowed: false }) }),
    },
    // The outsider instructs a course elsewhere: instructors of any course see the bundles.
    { route: 'GET /api/bundles', what: 'the bundled competitions', expect: always('401 200 403 403 403 200 200'), request: () => ({ path: '/api/bundles' }) },
    // Other users' checks send nothing: the stream is open, and empty.
    { route: 'GET /api/bundles/checks/{id}/events', what: "a bundle check's progress", expect: always('401 200 200 200 200 200 200'), request: () => ({ path: '/api/bundles/checks/00000000-0000-4000-8000-000000000000/events' }) },

    // Courses: anyone signed in joins with a code; the roster and its tools are the instructors' (TAs read the roster).
    { route: 'GET /api/courses', what: 'my courses', expect: always('401 200 200 200 200 200 200'), request: () => ({ path: '/api/courses' }) },
    // The outsider and the instructor were allowed to open courses by the admin; students and the TA were not.
    { route: 'POST /api/courses', what: 'open a course', expect: always('401 201 403 403 403 201 201'), request: () => ({ path: '/api/courses', body: json({ name: 'Another' }) }) },
    { route: 'POST /api/courses/join', what: 'join a course by its code', expect: always('401 200 200 200 200 200 200'), request: () => ({ path: '/api/courses/join', body: json({ code: openHouseCode }) }) },
    { route: 'GET /api/courses/{id}/members', what: 'the roster', expect: always('401 404 404 404 200 200 200'), request: () => ({ path: `/api/courses/${courseId}/members` }) },
    { route: 'PUT /api/courses/{id}/join-code', what: 'a new join code', expect: always('401 404 403 403 403 200 200'), request: () => ({ path: `/api/courses/${courseId}/join-code`, body: '{}' }) },
    { route: 'DELETE /api/courses/{id}/join-code', what: 'revoke the join code', expect: always('401 404 403 403 403 200 200'), request: () => ({ path: `/api/courses/${courseId}/join-code` }) },
    {
      route: 'POST /api/courses/{id}/roster',
      what: 'preview a roster import',
      expect: always('401 404 403 403 403 200 200'),
      request: () => ({ path: `/api/courses/${courseId}/roster`, body: json({ csv: 'email\nnew@example.com\n' }) }),
    },
    {
      route: 'POST /api/courses/{id}/roster',
      what: 'apply a roster import',
      expect: always('401 404 403 403 403 200 200'),
      request: () => ({ path: `/api/courses/${courseId}/roster`, body: json({ csv: 'email\nlater@example.com\n', apply: true }) }),
    },
    {
      route: 'PUT /api/courses/{id}/members/{userId}',
      what: "change a member's role",
      expect: always('401 404 403 403 403 204 204'),
      request: async () => {
        await env.ds.query(`INSERT INTO memberships (course_id, user_id, role) VALUES ($1, $2, 'student') ON CONFLICT DO NOTHING`, [courseId, spare.user.id]);
        return { path: `/api/courses/${courseId}/members/${spare.user.id}`, body: json({ role: 'student' }) };
      },
    },
    {
      route: 'DELETE /api/courses/{id}/members/{userId}',
      what: 'remove a member',
      expect: always('401 404 403 403 403 204 204'),
      request: async () => {
        await env.ds.query(`INSERT INTO memberships (course_id, user_id, role) VALUES ($1, $2, 'student') ON CONFLICT DO NOTHING`, [courseId, spare.user.id]);
        return { path: `/api/courses/${courseId}/members/${spare.user.id}` };
      },
    },
    { route: 'GET /api/courses/{id}/audit', what: 'the audit log (instructors only)', expect: always('401 404 403 403 403 200 200'), request: () => ({ path: `/api/courses/${courseId}/audit` }) },
    // TAs see everything: the course's kernel policy too; instructors change it.
    { route: 'GET /api/courses/{id}/kernel-policy', what: "the course's kernel policy", expect: always('401 404 403 403 200 200 200'), request: () => ({ path: `/api/courses/${courseId}/kernel-policy` }) },
    {
      route: 'PUT /api/courses/{id}/kernel-policy',
      what: "set the course's kernel policy",
      expect: always('401 404 403 403 403 200 200'),
      request: () => ({ path: `/api/courses/${courseId}/kernel-policy`, body: json({ cpuFallback: false }) }),
    },

    // The competition: members see it, outsiders learn nothing; the timeline, settings, close and rescore are the instructors'.
    { route: 'GET /api/competitions', what: 'the competitions I may see', expect: always('401 200 200 200 200 200 200'), request: () => ({ path: '/api/competitions' }) },
    {
      route: 'POST /api/competitions',
      what: 'create a competition in the course',
      expect: always('401 403 403 403 403 201 201'),
      request: (role, phase) => ({ path: '/api/competitions', body: json({ bundle: 'fixture', slug: `made-${phase}-${role.toLowerCase()}`, courseId }) }),
    },
    { route: 'GET /api/competitions/{slug}', what: 'the competition', expect: always('401 404 200 200 200 200 200'), request: () => ({ path: S }) },
    { route: 'PATCH /api/competitions/{slug}', what: 'edit the timeline', expect: always('401 404 403 403 403 200 200'), request: () => ({ path: S, body: json({ teamMergeDeadline: null }) }) },
    { route: 'PATCH /api/competitions/{slug}', what: 'change the settings', expect: always('401 404 403 403 403 200 200'), request: () => ({ path: S, body: json({ leaderboard: { freezeDays: 0 } }) }) },
    {
      // A competition closes once: not before it opened, not again after the reveal.
      route: 'POST /api/competitions/{slug}/close',
      what: 'close now and reveal',
      expect: phases('401 404 403 403 403 409 409', '401 404 403 403 403 200 200', '401 404 403 403 403 200 200', '401 404 403 403 403 409 409'),
      request: async (role, phase) => ({ path: `/api/competitions/${await cloneOfCompetition(role, phase)}/close` }),
    },
    { route: 'POST /api/competitions/{slug}/rescore', what: 'rescore', expect: always('401 404 403 403 403 202 202'), request: () => ({ path: `${S}/rescore`, body: '{}' }) },
    { route: 'GET /api/competitions/{slug}/rescores/{rescoreId}', what: "a rescore's progress", expect: always('401 404 403 403 200 200 200'), request: () => ({ path: `${S}/rescores/${rescoreId}` }) },
    { route: 'GET /api/competitions/{slug}/data', what: 'the data files', expect: always('401 404 200 200 200 200 200'), request: () => ({ path: `${S}/data` }) },
    { route: 'GET /api/competitions/{slug}/data.zip', what: 'all data as a zip', expect: always('401 404 200 200 200 200 200'), request: () => ({ path: `${S}/data.zip` }) },
    { route: 'GET /api/competitions/{slug}/data/{file}', what: 'a data file', expect: always('401 404 200 200 200 200 200'), request: () => ({ path: `${S}/data/train.csv` }) },
    { route: 'GET /api/competitions/{slug}/data/{file}', what: 'the solution (encoded ..)', expect: always('401 404 404 404 404 404 404'), request: () => ({ path: `${S}/data/..%2Fhidden%2Fsolution.csv` }) },
    { route: 'GET /api/competitions/{slug}/data/{file}', what: 'the solution (dots)', expect: always('401 404 404 404 404 404 404'), request: () => ({ path: `${S}/data/%2e%2e/hidden/solution.csv` }) },
    { route: 'GET /api/competitions/{slug}/data/{file}', what: 'the starter kernel', expect: always('401 404 200 200 200 200 200'), request: () => ({ path: `${S}/data/starter/kernel.py` }) },
    { route: 'GET /api/competitions/{slug}/data/{file}', what: 'a bundle file beside starter/', expect: always('401 404 404 404 404 404 404'), request: () => ({ path: `${S}/data/starter/..%2Fcompetition.yaml` }) },
    { route: 'GET /api/competitions/{slug}/data/{file}', what: 'a bundle file beside starter/ (dots)', expect: always('401 404 404 404 404 404 404'), request: () => ({ path: `${S}/data/starter/%2e%2e/competition.yaml` }) },
    { route: 'GET /api/competitions/{slug}/tiles/{file}/info', what: "a slide's levels", expect: always('401 404 200 200 200 200 200'), request: () => ({ path: `${S}/tiles/test/slide.tiff/info` }) },
    { route: 'GET /api/competitions/{slug}/tiles/{file}/{level}/{x}/{y}', what: 'a tile', expect: always('401 404 200 200 200 200 200'), request: () => ({ path: `${S}/tiles/test/slide.tiff/0/0/0.png` }) },
    { route: 'GET /api/competitions/{slug}/kernel-policy', what: 'the kernel limits', expect: always('401 404 200 200 200 200 200'), request: () => ({ path: `${S}/kernel-policy` }) },
    {
      route: 'PUT /api/competitions/{slug}/kernel-policy',
      what: 'set the kernel policy',
      expect: always('401 404 403 403 403 200 200'),
      request: () => ({ path: `${S}/kernel-policy`, body: json({ gpuHoursPerWeek: 12 }) }),
    },

    // Submissions: from the opening (late after the close); a team's own and the staff's to read.
    {
      // Members submit once the competition is open (after the close they are late and never ranked).
      route: 'POST /api/competitions/{slug}/submissions',
      what: 'submit a prediction file',
      expect: phases('401 404 409 409 409 409 409', '401 404 202 202 202 202 202', '401 404 202 202 202 202 202', '401 404 202 202 202 202 202'),
      request: () => ({ path: `${S}/submissions`, body: { multipart: { file: { field: 'file', name: 'submission.csv', content: submissionCsv(6, 6) } } } }),
    },
    { route: 'GET /api/competitions/{slug}/submissions', what: "my team's submissions", expect: always('401 404 200 200 200 200 200'), request: () => ({ path: `${S}/submissions` }) },
    { route: 'GET /api/competitions/{slug}/submissions', what: 'every submission (staff)', expect: always('401 404 403 403 200 200 200'), request: () => ({ path: `${S}/submissions?scope=all` }) },
    { route: 'GET /api/submissions/{id}', what: "the owner's submission", expect: onceOpen('401 404 404 200 200 200 200'), request: () => ({ path: `/api/submissions/${ownerSub}` }) },
    { route: 'GET /api/submissions/{id}/events', what: "the owner's submission's events", expect: onceOpen('401 404 404 200 200 200 200'), request: () => ({ path: `/api/submissions/${ownerSub}/events` }) },
    { route: 'GET /api/submissions/{id}/file', what: "the owner's prediction file", expect: onceOpen('401 404 404 200 200 200 200'), request: () => ({ path: `/api/submissions/${ownerSub}/file` }) },
    { route: 'GET /api/submissions/{id}/log', what: "a file submission's log (it has none)", expect: onceOpen('401 404 404 404 404 404 404'), request: () => ({ path: `/api/submissions/${ownerSub}/log` }) },
    { route: 'GET /api/submissions/{id}/runs', what: "the owner's kernel's runs", expect: onceOpen('401 404 404 200 200 200 200'), request: () => ({ path: `/api/submissions/${ownerKernel}/runs` }) },
    // The team reads the failure class of a run over hidden data (the competition hides its log); staff read the log.
    { route: 'GET /api/submissions/{id}/log', what: "the owner's kernel's log", expect: onceOpen('401 404 404 200 200 200 200'), request: () => ({ path: `/api/submissions/${ownerKernel}/log` }) },
    { route: 'GET /api/submissions/{id}/output', what: "the owner's kernel's output (hidden run)", expect: onceOpen('401 404 404 403 200 200 200'), request: () => ({ path: `/api/submissions/${ownerKernel}/output` }) },
    {
      // Only the team chooses, and only until the close; the staff, who see it, are told they may not.
      route: 'PUT /api/submissions/{id}/selection',
      what: "select the owner's submission",
      expect: phases(null, '401 404 404 200 403 403 403', '401 404 404 409 403 403 403', '401 404 404 409 403 403 403'),
      request: () => ({ path: `/api/submissions/${ownerSub}/selection`, body: json({ selected: true }) }),
    },
    { route: 'POST /api/submissions/{id}/cancel', what: "cancel the owner's queued kernel", expect: onceOpen('401 404 404 200 403 200 200'), request: () => queued('kernel') },
    { route: 'POST /api/submissions/{id}/cancel', what: "cancel the owner's queued model", expect: onceOpen('401 404 404 200 403 200 200'), request: () => queued('model') },
    // Authorised callers get 409: the kernel already ended; a file submission is never cancelled.
    { route: 'POST /api/submissions/{id}/cancel', what: "cancel the owner's ended kernel", expect: onceOpen('401 404 404 409 403 409 409'), request: () => ({ path: `/api/submissions/${ownerKernel}/cancel` }) },
    { route: 'POST /api/submissions/{id}/cancel', what: "cancel the owner's file submission", expect: onceOpen('401 404 404 409 403 409 409'), request: () => ({ path: `/api/submissions/${ownerSub}/cancel` }) },
    // Instructors run again a kernel that failed on our side; this one threw (409 once authorised).
    { route: 'POST /api/submissions/{id}/retry', what: "run the owner's kernel again", expect: onceOpen('401 404 404 403 403 409 409'), request: () => ({ path: `/api/submissions/${ownerKernel}/retry` }) },
    {
      route: 'POST /api/submissions/{id}/disqualification',
      what: 'disqualify a submission',
      expect: onceOpen('401 404 404 403 403 200 200'),
      request: () => ({ path: `/api/submissions/${ownerSpare}/disqualification`, body: json({ reason: 'matrix' }) }),
    },
    { route: 'DELETE /api/submissions/{id}/disqualification', what: 'reinstate a submission', expect: onceOpen('401 404 404 403 403 200 200'), request: () => ({ path: `/api/submissions/${ownerSpare}/disqualification` }) },

    // Boards: every member; the shake-up from the reveal.
    { route: 'GET /api/competitions/{slug}/leaderboard', what: 'the public board', expect: always('401 404 200 200 200 200 200'), request: () => ({ path: `${S}/leaderboard?split=public` }) },
    { route: 'GET /api/competitions/{slug}/leaderboard', what: 'the private board', expect: always('401 404 200 200 200 200 200'), request: () => ({ path: `${S}/leaderboard?split=private` }) },
    { route: 'GET /api/competitions/{slug}/leaderboard/events', what: 'the board stream', expect: always('401 404 200 200 200 200 200'), request: () => ({ path: `${S}/leaderboard/events` }) },
    {
      route: 'GET /api/competitions/{slug}/shakeup',
      what: 'the shake-up',
      expect: phases('401 404 409 409 409 409 409', '401 404 409 409 409 409 409', '401 404 409 409 409 409 409', '401 404 200 200 200 200 200'),
      request: () => ({ path: `${S}/shakeup` }),
    },
    { route: 'GET /api/competitions/{slug}/grades', what: 'grades (staff)', expect: always('401 404 403 403 200 200 200'), request: () => ({ path: `${S}/grades` }) },
    { route: 'GET /api/competitions/{slug}/grades', what: 'grades as CSV (staff)', expect: always('401 404 403 403 200 200 200'), request: () => ({ path: `${S}/grades?format=csv` }) },

    // A public competition of the course: anyone signed in sees it; its course's members compete.
    { route: 'GET /api/competitions/{slug}', what: 'a public competition', expect: always('401 200 200 200 200 200 200'), request: () => ({ path: PUB }) },
    { route: 'GET /api/competitions/{slug}/data', what: "a public competition's data", expect: always('401 200 200 200 200 200 200'), request: () => ({ path: `${PUB}/data` }) },
    { route: 'GET /api/competitions/{slug}/leaderboard', what: "a public competition's board", expect: always('401 200 200 200 200 200 200'), request: () => ({ path: `${PUB}/leaderboard` }) },
    { route: 'GET /api/competitions/{slug}/submissions', what: 'my submissions to a public competition', expect: always('401 200 200 200 200 200 200'), request: () => ({ path: `${PUB}/submissions` }) },
    {
      route: 'POST /api/competitions/{slug}/submissions',
      what: 'submit to a public competition',
      expect: phases('401 403 409 409 409 409 409', '401 403 202 202 202 202 202', '401 403 202 202 202 202 202', '401 403 202 202 202 202 202'),
      request: () => ({ path: `${PUB}/submissions`, body: { multipart: { file: { field: 'file', name: 'submission.csv', content: submissionCsv(6, 6) } } } }),
    },
    { route: 'GET /api/competitions/{slug}/team', what: 'my team in a public competition', expect: always('401 403 200 200 403 403 403'), request: () => ({ path: `${PUB}/team` }) },

    // Teams: the students'. The staff list them and instructors disqualify.
    { route: 'GET /api/competitions/{slug}/teams', what: 'every team (staff)', expect: always('401 404 403 403 200 200 200'), request: () => ({ path: `${S}/teams` }) },
    {
      route: 'POST /api/competitions/{slug}/teams/{teamId}/disqualification',
      what: 'disqualify a team',
      expect: always('401 404 403 403 403 200 200'),
      request: () => ({ path: `${S}/teams/${benchedTeam}/disqualification`, body: json({ reason: 'matrix' }) }),
    },
    { route: 'DELETE /api/competitions/{slug}/teams/{teamId}/disqualification', what: 'reinstate a team', expect: always('401 404 403 403 403 200 200'), request: () => ({ path: `${S}/teams/${benchedTeam}/disqualification` }) },
    { route: 'GET /api/competitions/{slug}/team', what: 'my team', expect: always('401 404 200 200 403 403 403'), request: () => ({ path: `${S}/team` }) },
    {
      route: 'PATCH /api/competitions/{slug}/team',
      what: 'rename my team (to its own name)',
      expect: always('401 404 200 200 403 403 403'),
      request: (role) => ({ path: `${S}/team`, body: json({ name: role === 'owner' || role === 'otherTeam' ? role : 'Staff' }) }),
    },
    { route: 'POST /api/competitions/{slug}/team/invite-link', what: "my team's invite link", expect: always('401 404 200 200 403 403 403'), request: () => ({ path: `${S}/team/invite-link` }) },
    // Another team previews the owner's link; the owner is told it is their own.
    { route: 'GET /api/competitions/{slug}/team/invite-link/{code}', what: "preview the owner's invite link", expect: always('401 404 200 409 403 403 403'), request: () => ({ path: `${S}/team/invite-link/${ownerCode}` }) },
    {
      // Merging is open from the opening until the merge deadline (here: the close).
      route: 'POST /api/competitions/{slug}/team/join',
      what: "merge into the link's team",
      expect: phases('401 404 409 409 403 403 403', '401 404 200 409 403 403 403', '401 404 409 409 403 403 403', '401 404 409 409 403 403 403'),
      request: async (role, phase) => {
        const p = await pair('join', phase);
        return { path: `${S}/team/join`, body: json({ code: p.code }), as: actor(role, p.host, p.loner) };
      },
    },
    {
      route: 'POST /api/competitions/{slug}/team/invites',
      what: 'invite a team by name',
      expect: phases('401 404 409 409 403 403 403', '401 404 201 409 403 403 403', '401 404 409 409 403 403 403', '401 404 409 409 403 403 403'),
      request: async (role, phase) => {
        const p = await pair('invite', phase);
        return { path: `${S}/team/invites`, body: json({ teamName: p.host.user.displayName }), as: actor(role, p.host, p.loner) };
      },
    },
    {
      // The invited team answers; the team that sent it cannot accept for them.
      route: 'POST /api/competitions/{slug}/team/invites/{id}/accept',
      what: 'accept an invite',
      expect: phases('401 404 404 409 403 403 403', '401 404 404 200 403 403 403', '401 404 404 409 403 403 403', '401 404 404 409 403 403 403'),
      request: async (role, phase) => {
        const p = await pair('accept', phase, { invite: true });
        return { path: `${S}/team/invites/${p.invite}/accept`, as: actor(role, p.loner, p.host) };
      },
    },
    {
      route: 'POST /api/competitions/{slug}/team/invites/{id}/decline',
      what: 'decline an invite',
      expect: always('401 404 404 200 403 403 403'),
      request: async (role, phase) => {
        const p = await pair('decline', phase, { invite: true });
        return { path: `${S}/team/invites/${p.invite}/decline`, as: actor(role, p.loner, p.host) };
      },
    },
    {
      // The team that sent it withdraws it.
      route: 'DELETE /api/competitions/{slug}/team/invites/{id}',
      what: 'withdraw an invite',
      expect: always('401 404 404 200 403 403 403'),
      request: async (role, phase) => {
        const p = await pair('withdraw', phase, { invite: true });
        return { path: `${S}/team/invites/${p.invite}`, as: actor(role, p.host, p.loner) };
      },
    },
    {
      // A member leaves a team that has not submitted, until merging closes; a team of one has nobody to leave.
      route: 'POST /api/competitions/{slug}/team/leave',
      what: 'leave my team',
      expect: phases('401 404 409 200 403 403 403', '401 404 409 200 403 403 403', '401 404 409 409 403 403 403', '401 404 409 409 403 403 403'),
      request: async (role, phase) => {
        const p = await pair('leave', phase, { merged: true });
        return { path: `${S}/team/leave`, as: actor(role, p.loner, c.otherTeam) };
      },
    },
  ];

  before(async () => {
    env = await createTestEnv('authz');
    bundleDir = await mkdtemp(join(tmpdir(), 'holdout-authz-bundle-'));
    await mkdir(join(bundleDir, 'starter'));
    await writeFile(join(bundleDir, 'starter', 'kernel.py'), "print('starter')\n");
    await writeFile(join(bundleDir, 'competition.yaml'), `# ${BUNDLE_SECRET}\n`);
    // Created before its opening; submissions and merges need the phases the test moves it through.
    const bundles = new BundleDirFixture(() => ({ opensAt: new Date(Date.now() + DAY), closesAt: new Date(Date.now() + 3 * DAY), finalSelections: 1, dailySubmissions: 200 }), bundleDir);
    // Kernels on in the API (a retry is refused for its reason, not because they are off); the
    // worker runs none, and its reconciler waits: the "closed, not yet revealed" phase must stay so.
    api = await startApi(env, bundles, { kernels: { ...env.config.kernels, enabled: true } });
    worker = await startWorker(env, bundles, { kernels: { ...env.config.kernels, enabled: false }, reconcileEveryMs: 3_600_000 });

    // The first account administers the site; it is no member of the course.
    c.admin = await Client.register(api.server, 'admin@example.com', 'admin');
    c.instructor = await Client.register(api.server, 'prof@example.com', 'Prof');
    await c.admin.allowCourseCreation(c.instructor);
    const course = (await c.instructor.post('/api/courses').send({ name: 'C' })).body;
    courseId = course.id;
    for (const r of ['outsider', 'otherTeam', 'owner', 'ta'] as const) c[r] = await Client.register(api.server, `${r.toLowerCase()}@example.com`, r);
    spare = await Client.register(api.server, 'spare@example.com', 'spare');
    benched = await Client.register(api.server, 'benched@example.com', 'benched');
    for (const s of [c.otherTeam, c.owner, c.ta, spare, benched]) assert.equal((await s.post('/api/courses/join').send({ code: course.joinCode })).status, 200);
    assert.equal((await c.instructor.put(`/api/courses/${courseId}/members/${c.ta.user.id}`).send({ role: 'ta' })).status, 204);
    await c.admin.allowCourseCreation(c.outsider);
    openHouseCode = (await c.outsider.post('/api/courses').send({ name: 'Elsewhere' })).body.joinCode;

    const created = await c.instructor.post('/api/competitions').send({ bundle: 'fixture', slug: 'cells', courseId });
    assert.equal(created.status, 201, json(created.body));
    await eventually(async () => ((await c.owner.get(`${S}/data`)).status === 200 ? true : undefined), { what: 'data' });
    assert.equal((await c.instructor.post('/api/competitions').send({ bundle: 'fixture', slug: 'showcase', courseId, visibility: 'public' })).status, 201);
    await eventually(async () => ((await c.owner.get(`${PUB}/data`)).status === 200 ? true : undefined), { what: 'data' });
    competitionId = ((await env.ds.query(`SELECT id FROM competitions WHERE slug = 'cells'`)) as { id: string }[])[0]!.id;
    const rescore = await c.instructor.post(`${S}/rescore`).send({});
    assert.equal(rescore.status, 202, json(rescore.body));
    rescoreId = rescore.body.rescoreId;
    ownerTeam = await teamIdOf(c.owner);
    await teamIdOf(c.otherTeam);
    benchedTeam = await teamIdOf(benched);
    const link = await c.owner.post(`${S}/team/invite-link`);
    ownerCode = new URL(link.body.invitePath, 'http://x').searchParams.get('code')!;
  });
  after(async () => {
    await worker?.close();
    await api?.close();
    await env?.drop();
    if (bundleDir) await rm(bundleDir, { recursive: true, force: true });
  });

  /** Every case, as every role: checks the statuses and the error shape; answers each role's responses. */
  async function run(phase: Phase): Promise<Map<Role, string[]>> {
    const seen = new Map<Role, string[]>(ROLES.map((r) => [r, []]));
    const wrong: string[] = [];
    for (const k of CASES) {
      const expected = k.expect[phase];
      if (expected === null) continue;
      const statuses = expected.split(/\s+/).map(Number);
      assert.equal(statuses.length, ROLES.length, `${k.what}: one status per role`);
      const [method] = k.route.split(' ');
      for (const [i, role] of ROLES.entries()) {
        const req = await k.request(role, phase);
        const client = req.as ?? clientOf(role);
        const res = await rawRequest(api.server, method!, req.path, headers(client), req.body);
        await req.after?.();
        if (res.status !== statuses[i]) wrong.push(`${k.route} (${k.what}) as ${role}: expected ${statuses[i]}, got ${res.status} ${res.text.slice(0, 160)}`);
        else if (res.status >= 400) assert.match(res.text, /"error":\{"code":"[a-z_]+","message"/, `${k.what} as ${role}: error shape`);
        seen.get(role)!.push(res.text);
      }
    }
    assert.deepEqual(wrong, [], `${phase}: ${wrong.length} cells differ from the table:\n${wrong.join('\n')}`);
    return seen;
  }

  /** Until every file submission (new ones, rescored ones) is scored again: statuses the next phase relies on. */
  const settled = () =>
    eventually(
      async () => {
        const [r] = (await env.ds.query(`SELECT count(*) AS n FROM submissions WHERE kind = 'file' AND status NOT IN ('scored', 'failed')`)) as { n: string }[];
        return Number(r!.n) === 0 ? true : undefined;
      },
      { what: 'scoring to settle', timeoutMs: 30_000 },
    );

  /** Addresses of the course's members: the staff's to read, never another student's or an outsider's. */
  const ROSTER = ['owner@example.com', 'otherteam@example.com', 'ta@example.com', 'prof@example.com', 'spare@example.com', 'benched@example.com'];

  /** What no role but those allowed may read, in any phase. */
  function assertNothingLeaks(phase: Phase, seen: Map<Role, string[]>) {
    const revealed = phase === 'revealed';
    for (const [role, texts] of seen) {
      const all = texts.join('\n');
      const staff = role === 'ta' || role === 'instructor' || role === 'admin';
      // After the reveal the private board shows it to every member.
      if (!revealed || role === 'anonymous' || role === 'outsider') assert.ok(!all.includes(String(PRIVATE)), `${phase}: ${role} saw the private score`);
      if (!revealed) assert.ok(!all.includes('"q1"') && !all.includes('"q2"'), `${phase}: ${role} saw per-image private scores`);
      assert.ok(!all.includes('Usage') && !all.includes(FIXTURE_SOLUTION.split('\n')[3]!), `${phase}: ${role} saw the solution`);
      if (!staff && role !== 'owner') assert.ok(!all.includes(`"id":"${ownerSub}"`) && !all.includes(`"id":"${ownerKernel}"`), `${phase}: ${role} saw the owner's submission`);
      assert.equal(all.includes(LOG_SECRET), staff && phase !== 'upcoming', `${phase}: ${role}: the kernel log goes to the staff only`);
      assert.equal(all.includes(OUTPUT_SECRET), staff && phase !== 'upcoming', `${phase}: ${role}: the hidden run's output goes to the staff only`);
      assert.ok(!all.includes(BUNDLE_SECRET), `${phase}: ${role} read a bundle file`);
      if (!staff) for (const other of ROSTER.filter((e) => e !== `${role.toLowerCase()}@example.com`)) assert.ok(!all.includes(other), `${phase}: ${role} saw ${other} (the roster)`);
    }
  }

  it('asks every route the API offers (its OpenAPI document), and only routes it offers', async () => {
    const offered = await apiRoutes(api.server);
    const asked = new Set(CASES.map((k) => k.route));
    assert.deepEqual(offered.filter((r) => !asked.has(r) && !(r in NOT_IN_MATRIX)), [], 'routes the matrix does not ask');
    assert.deepEqual([...asked].filter((r) => !offered.includes(r)), [], 'cases of routes the API does not offer');
    assert.deepEqual(Object.keys(NOT_IN_MATRIX).filter((r) => !offered.includes(r)), [], 'exclusions of routes the API does not offer');
  });

  it('before the opening: members see the competition; nothing is submitted, merged or closed yet', async () => {
    const seen = await run('upcoming');
    assertNothingLeaks('upcoming', seen);
    assert.ok(seen.get('owner')!.join('').includes("print('starter')"), 'the starter kernel is served to members');
    // A visitor of a public competition has no standing in it (the contract's `viewer` is a member's).
    assert.equal((await c.outsider.get(PUB)).body.viewer, undefined);
    assert.equal((await c.owner.get(PUB)).body.viewer.role, 'student');
    await settled();
  });

  it('open: teams submit, select and merge; instructors act, TAs read', async () => {
    for (const slug of [S, PUB]) assert.equal((await c.instructor.patch(slug).send({ opensAt: new Date(Date.now() - DAY).toISOString() })).status, 200);
    const upload = async (who: Client, pub: number, priv: number) => {
      const r = await who.upload('cells', submissionCsv(pub, priv));
      assert.equal(r.status, 202, json(r.body));
      await eventually(async () => ((await who.get(`/api/submissions/${r.body.id}`)).body.status === 'scored' ? true : undefined), { what: 'scoring' });
      return r.body.id as string;
    };
    ownerSub = await upload(c.owner, 8, 3);
    ownerSpare = await upload(c.owner, 5, 5);
    await upload(c.otherTeam, 5, 8);
    // A kernel of the owner's team as a worker leaves one that threw in its run over the hidden data: its log and output in the store.
    const [k] = (await env.ds.query(
      `INSERT INTO submissions (competition_id, team_id, user_id, kind, status, file_name, error_class, error_code, error_message, attempts, started_at, scored_at)
       VALUES ($1, $2, $3, 'kernel', 'failed', 'kernel.py', 'exception', 'exception', 'The kernel threw an exception.', 1, now(), now()) RETURNING id`,
      [competitionId, ownerTeam, c.owner.user.id],
    )) as { id: string }[];
    ownerKernel = k!.id;
    const runDir = `kernel-runs/${ownerKernel}/1`;
    await env.ds.query(`INSERT INTO kernel_submissions (submission_id, entry_kind, gpu, queue) VALUES ($1, 'py', false, 'kernels')`, [ownerKernel]);
    await env.ds.query(
      `INSERT INTO kernel_runs (submission_id, attempt, phase, step, outcome, log_path, queue, started_at, finished_at) VALUES ($1, 1, 'hidden', 'done', 'exception', $2, 'kernels', now(), now())`,
      [ownerKernel, `${runDir}/kernel.log`],
    );
    await mkdir(join(env.config.artifactDir, runDir), { recursive: true });
    await writeFile(join(env.config.artifactDir, runDir, 'kernel.log'), `${LOG_SECRET}\nValueError: boom\n`);
    await writeFile(join(env.config.artifactDir, runDir, 'submission.csv'), `id,predicted\n${OUTPUT_SECRET},\n`);

    const seen = await run('open');
    assertNothingLeaks('open', seen);
    assert.ok(seen.get('owner')!.join('').includes(`"id":"${ownerSub}"`), 'the matrix can see what it looks for');
    assert.ok(seen.get('owner')!.join('').includes('Result: exception'), 'the owner reads the failure class of their kernel');
    await settled();
  });

  it('closed, not yet revealed: late submissions only; selections and teams are fixed; private scores still hidden', async () => {
    // As the reveal job would find it in the moment before it runs.
    await env.ds.query(`UPDATE competitions SET closes_at = now() - interval '1 second' WHERE slug IN ('cells', 'showcase')`);
    await new Promise((r) => setTimeout(r, 2100)); // the API's competition cache
    const seen = await run('closed');
    assertNothingLeaks('closed', seen);
    const [row] = (await env.ds.query('SELECT revealed_at FROM competitions WHERE id = $1', [competitionId])) as { revealed_at: Date | null }[];
    assert.equal(row!.revealed_at, null, 'the phase was what it claims');
    await settled();
  });

  it('revealed: the shake-up opens, private scores go to the team and the staff, still nothing to outsiders or other teams', async () => {
    for (const slug of [S, PUB]) assert.equal((await c.instructor.post(`${slug}/close`)).status, 200);
    const seen = await run('revealed');
    assertNothingLeaks('revealed', seen);
    for (const role of ['owner', 'ta', 'instructor', 'admin'] as const) {
      assert.equal((await c[role].get(`/api/submissions/${ownerSub}`)).body.privateScore, PRIVATE, `${role} sees the private score after the reveal`);
    }
  });

  it('roles: the last instructor cannot step down (as they cannot be removed); with a second one they can', async () => {
    const self = `/api/courses/${courseId}/members/${c.instructor.user.id}`;
    const refused = await c.instructor.put(self).send({ role: 'ta' });
    assert.equal(refused.status, 409, json(refused.body));
    assert.match(refused.body.error.message, /last instructor/);
    assert.equal((await c.admin.put(self).send({ role: 'student' })).status, 409, 'not even a site admin leaves a course without one');
    assert.equal((await c.instructor.put(`/api/courses/${courseId}/members/${c.ta.user.id}`).send({ role: 'instructor' })).status, 204);
    assert.equal((await c.instructor.put(self).send({ role: 'ta' })).status, 204);
    const roles = (await c.ta.get(`/api/courses/${courseId}/members`)).body as { email: string; role: string }[];
    assert.deepEqual(roles.filter((m) => m.role !== 'student').map((m) => [m.email, m.role]), [['ta@example.com', 'instructor'], ['prof@example.com', 'ta']]);
  });
});
