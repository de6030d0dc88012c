import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { INestApplicationContext } from '@nestjs/common';
import { AUTH, type LeaderboardDto, type ShakeupDto, type SubmissionDto } from '@holdout/contracts';
import { Client, createTestEnv, eventually, FixtureBundles, startApi, submissionCsv, type TestApi, type TestEnv, scored } from '@holdout/api/testing';
import { startWorker } from '@holdout/worker/testing';
import { apiRoutes, rawRequest, type RawResponse } from './raw-http.js';

const DAY = 86_400_000;
const SLUG = 'masked';
const S = `/api/competitions/${SLUG}`;
const PSEUDONYM = /^[A-Z][a-z]+ [A-Z][a-z]+ [0-9a-f]{4}$/;

/**
 * The other teams' people, with names nobody else uses (none is a word of the pseudonyms). A
 * team of one keeps its member's name as its team name, so Ezekiel's and Rosalind's real names
 * are team names too.
 */
const P = {
  quentin: { name: 'Quentin Quokkaby', email: 'quentin.quokkaby@anon.example' },
  priya: { name: 'Priya Pangolina', email: 'priya.pangolina@anon.example' },
  nadia: { name: 'Nadia Narwhalsen', email: 'nadia.narwhalsen@anon.example' },
  ezekiel: { name: 'Ezekiel Solovyov', email: 'ezekiel.solovyov@anon.example' },
  rosalind: { name: 'Rosalind Removedova', email: 'rosalind.removedova@anon.example' },
  xavier: { name: 'Xavier Invitado', email: 'xavier.invitado@anon.example' },
  felix: { name: 'Felix Flamingoe', email: 'felix.flamingoe@anon.example' },
} as const;
const TEAMS = { quokkas: 'Zanzibar Quokkas', narwhalsBefore: 'Oldname Narwhals', narwhals: 'Marzipan Narwhals', flamingos: 'Frostbite Flamingos' } as const;
/** The viewer's own team: its name and members it may see. */
const OWN = { team: 'Our Own Orbit', viewer: { name: 'Vera Viewer', email: 'vera@class.example' }, mate: { name: 'Tomas Teammate', email: 'tomas@class.example' } };

/** Everything of another team a student must never receive: full names, e-mail addresses, and every word of five letters or more in them. */
const SECRETS = [
  ...new Set([
    ...Object.values(P).flatMap((p) => [p.name, p.email, ...p.name.split(' ')]),
    ...Object.values(TEAMS).flatMap((t) => [t, ...t.split(' ')]),
    '@anon.example',
  ]),
].filter((s) => s.length >= 5);
const secretsIn = (text: string) => SECRETS.filter((s) => text.toLowerCase().includes(s.toLowerCase()));

interface Crawled {
  route: string;
  path: string;
  status: number;
  text: string;
}

/**
 * Anonymous leaderboards, proved over everything a student receives: several teams with
 * distinctive names, display names and e-mail addresses take part in an anonymous competition
 * (merges, renames, an invite between two other teams, a disqualification with a reason naming
 * people, a student removed from the course); one student then asks every GET route the API
 * offers (the OpenAPI document is the list; event streams are read for their first events) in
 * each phase that changes what is shown (open, frozen, revealed), with the ids the boards hand
 * out, and no response — headers or body: JSON, CSV, text or event — carries another team's name, member's
 * name or address. The staff, asking the same routes, see the names: the search can find them.
 */
describe('anonymity: no other team\'s real name in anything a student receives', { timeout: 3 * 60_000 }, () => {
  let env: TestEnv;
  let api: TestApi;
  let worker: INestApplicationContext;
  let prof: Client;
  let ta: Client;
  let viewer: Client;
  let mate: Client;
  const p = {} as Record<keyof typeof P, Client>;
  let courseId = '';
  let rescoreId = '';
  let ownCode = '';
  /** Every GET route of the API (its OpenAPI document): what each crawl must ask. */
  let offeredGets: string[] = [];
  /** Pseudonyms the viewer saw per team id: they must not change between phases. */
  const pseudonyms = new Map<string, string>();

  const submit = async (c: Client, pub: number, priv: number) => {
    const r = await c.upload(SLUG, submissionCsv(pub, priv));
    assert.equal(r.status, 202, JSON.stringify(r.body));
    return scored(c, r.body.id as string);
  };
  const ok = async (res: Promise<{ status: number; body: unknown }>, status = 200) => {
    const r = await res;
    assert.equal(r.status, status, JSON.stringify(r.body));
    return r.body as Record<string, unknown>;
  };
  const codeOf = (invitePath: string) => new URL(invitePath, 'http://x').searchParams.get('code')!;
  const settings = (body: Record<string, unknown>) => ok(prof.patch(S).send(body));
  const board = async (c: Client, split: 'public' | 'private' = 'public') => (await c.get(`${S}/leaderboard?split=${split}`)).body as LeaderboardDto;

  before(async () => {
    env = await createTestEnv('anonymity');
    const bundles = new FixtureBundles(() => ({ opensAt: new Date(Date.now() - DAY), closesAt: new Date(Date.now() + 10 * DAY), dailySubmissions: 20, finalSelections: 1 }));
    api = await startApi(env, bundles);
    worker = await startWorker(env, bundles);
    prof = await Client.register(api.server, 'prof@staff.example', 'Prof Staff');
    const course = (await prof.post('/api/courses').send({ name: 'Masks 101' })).body;
    courseId = course.id;
    await ok(prof.post('/api/competitions').send({ bundle: 'fixture', slug: SLUG, courseId }), 201);
    await eventually(async () => ((await prof.get(`${S}/data`)).status === 200 ? true : undefined), { what: 'the data' });
    ta = await Client.register(api.server, 'ta@staff.example', 'Tara Assistant');
    viewer = await Client.register(api.server, OWN.viewer.email, OWN.viewer.name);
    mate = await Client.register(api.server, OWN.mate.email, OWN.mate.name);
    for (const [k, who] of Object.entries(P)) p[k as keyof typeof P] = await Client.register(api.server, who.email, who.name);
    for (const c of [ta, viewer, mate, ...Object.values(p)]) await ok(c.post('/api/courses/join').send({ code: course.joinCode }));
    await ok(prof.put(`/api/courses/${courseId}/members/${ta.user.id}`).send({ role: 'ta' }), 204);
    await settings({ leaderboard: { anonymous: true } });
    rescoreId = (await ok(prof.post(`${S}/rescore`).send({}), 202)).rescoreId as string;
    offeredGets = (await apiRoutes(api.server)).filter((r) => r.startsWith('GET '));
  });
  after(async () => {
    await worker?.close();
    await api?.close();
    await env?.drop();
  });

  /** A GET as `c` (raw: the body as sent, event streams read for their first event). */
  const get = (c: Client, path: string, sseWindowMs?: number): Promise<RawResponse> => rawRequest(api.server, 'GET', path, { cookie: c.cookie, [AUTH.csrfHeader]: c.csrf }, undefined, sseWindowMs);

  /**
   * Every GET route, as `c`, with every id it can know of: its own submissions, the submissions
   * the boards list (other teams' too), its team's invite link, the data files listed.
   */
  async function crawl(c: Client): Promise<Crawled[]> {
    const out: Crawled[] = [];
    const ask = async (route: string, path: string, sseWindowMs?: number) => {
      const r = await get(c, path, sseWindowMs);
      // Headers too (a file name, an ETag, a link): anything the student receives.
      out.push({ route, path, status: r.status, text: `${JSON.stringify(r.headers)}\n${r.text}` });
      return r;
    };
    for (const path of ['/api/health', '/api/ready', '/api/me', '/api/tokens', '/api/notifications', '/api/courses', '/api/competitions', '/api/bundles', '/api/admin/users', '/api/admin/status']) await ask(`GET ${path}`, path);
    await ask('GET /api/notifications/events', '/api/notifications/events');
    await ask('GET /api/bundles/checks/{id}/events', '/api/bundles/checks/00000000-0000-4000-8000-000000000000/events');
    for (const sub of ['members', 'audit', 'kernel-policy']) await ask(`GET /api/courses/{id}/${sub}`, `/api/courses/${courseId}/${sub}`);
    await ask('GET /api/competitions/{slug}', S);
    const files = JSON.parse((await ask('GET /api/competitions/{slug}/data', `${S}/data`)).text) as { name: string }[];
    await ask('GET /api/competitions/{slug}/data.zip', `${S}/data.zip`);
    for (const f of files) await ask('GET /api/competitions/{slug}/data/{file}', `${S}/data/${f.name}`);
    await ask('GET /api/competitions/{slug}/tiles/{file}/info', `${S}/tiles/test/p1.png/info`);
    await ask('GET /api/competitions/{slug}/tiles/{file}/{level}/{x}/{y}', `${S}/tiles/test/p1.png/0/0/0.png`);
    await ask('GET /api/competitions/{slug}/kernel-policy', `${S}/kernel-policy`);
    await ask('GET /api/competitions/{slug}/rescores/{rescoreId}', `${S}/rescores/${rescoreId}`);
    await ask('GET /api/competitions/{slug}/teams', `${S}/teams`);
    for (const q of ['', '?format=csv']) await ask('GET /api/competitions/{slug}/grades', `${S}/grades${q}`);
    await ask('GET /api/competitions/{slug}/team', `${S}/team`);
    for (const code of [ownCode, 'not-a-code-of-any-team']) await ask('GET /api/competitions/{slug}/team/invite-link/{code}', `${S}/team/invite-link/${code}`);
    await ask('GET /api/competitions/{slug}/shakeup', `${S}/shakeup`);
    const ids = new Set<string>();
    for (const q of ['', '?scope=all']) {
      const r = await ask('GET /api/competitions/{slug}/submissions', `${S}/submissions${q}`);
      if (r.status === 200) for (const s of JSON.parse(r.text) as SubmissionDto[]) ids.add(s.id);
    }
    for (const split of ['public', 'private']) {
      const r = await ask('GET /api/competitions/{slug}/leaderboard', `${S}/leaderboard?split=${split}`);
      for (const e of (JSON.parse(r.text) as LeaderboardDto).entries) ids.add(e.submissionId);
    }
    // The board's stream sends nothing until the board changes: change it while it is open.
    const stream = ask('GET /api/competitions/{slug}/leaderboard/events', `${S}/leaderboard/events`, 5_000);
    await new Promise((r) => setTimeout(r, 200));
    await settings({ title: 'Fixture segmentation' });
    assert.match((await stream).text, /data: \{"type":"changed"/, 'the board stream was read for an event');
    for (const id of ids) {
      await ask('GET /api/submissions/{id}', `/api/submissions/${id}`);
      for (const sub of ['events', 'runs', 'log', 'output', 'file']) await ask(`GET /api/submissions/{id}/${sub}`, `/api/submissions/${id}/${sub}`);
    }
    return out;
  }

  /** Nothing of another team in anything the viewer received; what the viewer may see is there (the crawl sees names). */
  function assertAnonymous(phase: string, seen: Crawled[]) {
    const asked = new Set(seen.map((r) => r.route));
    assert.deepEqual(offeredGets.filter((r) => !asked.has(r)), [], `${phase}: GET routes the crawl did not ask`);
    const leaks = seen.flatMap((r) => secretsIn(r.text).map((s) => `${r.path} (${r.status}) carries "${s}": ${r.text.slice(0, 200)}`));
    assert.deepEqual(leaks, [], `${phase}: ${leaks.length} leaks`);
    const all = seen.map((r) => r.text).join('\n');
    for (const mine of [OWN.team, OWN.mate.name]) assert.ok(all.includes(mine), `${phase}: the crawl sees the viewer's own team (${mine})`);
    assert.ok(seen.some((r) => r.route === 'GET /api/submissions/{id}' && r.status === 404), `${phase}: the crawl asked for other teams' submissions`);
  }

  /** The other teams on a board the viewer sees: all pseudonyms, each the same in every phase. */
  function assertPseudonyms(b: LeaderboardDto, own: string) {
    assert.equal(b.anonymous, true);
    for (const e of b.entries) {
      if (e.teamId === own) {
        assert.equal(e.teamName, OWN.team);
        continue;
      }
      assert.match(e.teamName, PSEUDONYM);
      assert.equal(pseudonyms.get(e.teamId) ?? e.teamName, e.teamName, 'a team keeps its pseudonym');
      pseudonyms.set(e.teamId, e.teamName);
    }
  }

  /** The staff see the real names the viewer does not: on the board, the teams list and the grades. */
  async function assertStaffSeeNames(expected: string[]) {
    for (const s of [prof, ta]) {
      const names = (await board(s)).entries.map((e) => e.teamName);
      for (const t of expected) assert.ok(names.includes(t), `the staff see ${t} on the board: ${names.join(', ')}`);
      const teams = JSON.stringify((await s.get(`${S}/teams`)).body);
      for (const who of [P.quentin, P.priya, P.nadia, P.ezekiel]) assert.ok(teams.includes(who.name) && teams.includes(who.email), `the staff's teams list names ${who.name}`);
      const csv = (await s.get(`${S}/grades?format=csv`)).text;
      assert.ok(csv.includes(P.quentin.email) && csv.includes(TEAMS.quokkas), 'the grades CSV names students and teams');
      assert.ok(secretsIn(JSON.stringify((await s.get(`${S}/submissions?scope=all`)).body)).length > 0, 'every submission, with team names');
    }
  }

  /** The same crawl and search as the TA finds the names (in these routes at least): the search is not blind. */
  async function assertStaffCrawlFindsNames(phase: string, routes: string[]) {
    const found = new Set((await crawl(ta)).filter((r) => secretsIn(r.text).length > 0).map((r) => r.path));
    for (const path of routes) assert.ok(found.has(path), `${phase}: the TA's crawl of ${path} shows names (found in: ${[...found].join(', ')})`);
  }

  it('open: teams form, rename, invite and submit; a submission is disqualified with a reason and a student removed; the viewer sees pseudonyms only', async () => {
    // The viewer's team of two, through its invite link.
    await ok(viewer.patch(`${S}/team`).send({ name: OWN.team }));
    ownCode = codeOf((await ok(viewer.post(`${S}/team/invite-link`))).invitePath as string);
    await ok(mate.post(`${S}/team/join`).send({ code: ownCode }));
    // The quokkas: renamed, Priya joins by their link; they invite Xavier's team by name (pending: nobody answers).
    await ok(p.quentin.patch(`${S}/team`).send({ name: TEAMS.quokkas }));
    const quokkaCode = codeOf((await ok(p.quentin.post(`${S}/team/invite-link`))).invitePath as string);
    await ok(p.priya.post(`${S}/team/join`).send({ code: quokkaCode }));
    await ok(p.quentin.post(`${S}/team/invites`).send({ teamName: P.xavier.name }), 201);
    // The narwhals, renamed twice (the old name is as secret as the new).
    await ok(p.nadia.patch(`${S}/team`).send({ name: TEAMS.narwhalsBefore }));
    await ok(p.nadia.patch(`${S}/team`).send({ name: TEAMS.narwhals }));

    const own = await submit(viewer, 7, 5);
    await submit(p.quentin, 8, 4);
    await submit(p.priya, 6, 8);
    const copied = await submit(p.nadia, 5, 7);
    await submit(p.nadia, 4, 7);
    await submit(p.ezekiel, 3, 6);
    await submit(p.rosalind, 6, 6);
    await ok(prof.post(`/api/submissions/${copied.id}/disqualification`).send({ reason: `${P.nadia.name} copied ${TEAMS.quokkas}` }));
    // Rosalind leaves the course: her team of one leaves the boards, with a reason that names her.
    await ok(prof.delete(`/api/courses/${courseId}/members/${p.rosalind.user.id}`), 204);
    await assertStaffSeeNames([TEAMS.quokkas, TEAMS.narwhals, P.ezekiel.name]);

    const b = await eventually(async () => {
      const r = await board(viewer);
      return r.entries.length === 4 ? r : undefined;
    }, { what: 'the four ranked teams on the viewer\'s board' });
    assertPseudonyms(b, own.teamId);
    assertAnonymous('open', await crawl(viewer));
    await assertStaffCrawlFindsNames('open', [`${S}/leaderboard?split=public`, `${S}/teams`, `${S}/grades`, `${S}/grades?format=csv`, `${S}/submissions?scope=all`, `/api/courses/${courseId}/members`]);
    // And the other way round: the quokkas see the viewer's team under a pseudonym.
    const theirs = JSON.stringify(await board(p.quentin));
    assert.ok(!theirs.includes(OWN.team) && !theirs.includes(OWN.viewer.name), 'another team sees the viewer\'s team masked too');
  });

  it('frozen: the board as it stood, still masked; a team that submits during the freeze stays hidden from it', async () => {
    // Closes in a day; a one-day freeze begins now, after everything above was scored.
    await settings({ closesAt: new Date(Date.now() + DAY).toISOString(), leaderboard: { freezeDays: 1 } });
    await new Promise((r) => setTimeout(r, 50));
    await ok(p.felix.patch(`${S}/team`).send({ name: TEAMS.flamingos }));
    await submit(p.felix, 8, 8);
    const mine = await submit(viewer, 8, 8);
    await assertStaffSeeNames([TEAMS.quokkas, TEAMS.flamingos]);
    const b = await board(viewer);
    assert.ok(b.frozenSince, 'the viewer\'s board is frozen');
    assert.equal(b.entries.length, 4, 'the frozen board has no new team');
    assertPseudonyms(b, mine.teamId);
    const seen = await crawl(viewer);
    assertAnonymous('frozen', seen);
    assert.ok(seen.some((r) => r.path === `/api/submissions/${mine.id}` && r.text.includes(`"publicScore":${mine.publicScore}`)), 'the viewer still reads its own new score');
  });

  it('revealed: the private board, the shake-up and the reveal notifications are masked too', async () => {
    await ok(prof.post(`${S}/close`));
    const priv = await eventually(async () => {
      const r = await board(viewer, 'private');
      return r.revealed && r.entries.length === 5 ? r : undefined;
    }, { what: 'the private board with five teams' });
    const own = priv.entries.find((e) => e.teamName === OWN.team)!;
    assertPseudonyms(priv, own.teamId);
    assertPseudonyms(await board(viewer), own.teamId);
    const shake = (await viewer.get(`${S}/shakeup`)).body as ShakeupDto;
    assert.equal(shake.teams.length, 5);
    for (const t of [...shake.teams, ...shake.entered, ...shake.left]) {
      if (t.teamId !== own.teamId) assert.equal(t.teamName, pseudonyms.get(t.teamId), 'the shake-up uses the board\'s pseudonyms');
    }
    const staffShake = JSON.stringify((await prof.get(`${S}/shakeup`)).body);
    assert.ok(staffShake.includes(TEAMS.quokkas) && staffShake.includes(TEAMS.flamingos), 'the staff\'s shake-up names the teams');
    await assertStaffSeeNames([TEAMS.quokkas, TEAMS.narwhals, TEAMS.flamingos, P.ezekiel.name]);
    await eventually(async () => ((await viewer.get('/api/notifications')).body.items.some((n: { kind: string }) => n.kind === 'reveal') ? true : undefined), { what: 'the reveal notification' });
    assertAnonymous('revealed', await crawl(viewer));
    await assertStaffCrawlFindsNames('revealed', [`${S}/leaderboard?split=public`, `${S}/leaderboard?split=private`, `${S}/shakeup`, `${S}/grades?format=csv`]);
  });
});
