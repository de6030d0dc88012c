// Anonymous leaderboards in Chromium: teams with distinctive names compete in an anonymous
// competition; one student opens every page of it they can reach (overview, data, code, submit,
// their submissions and one of them, team, both boards, shake-up, viewer, the notification bell),
// open and after the reveal, and neither the page's text nor its HTML (with the framework's
// inlined payload) nor any response the page fetched names another team, its members or their
// addresses. The instructor's pages show the names (the search finds them where they are).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { AUTH } from '@holdout/contracts';
import { launch, screenshot, type Browser } from './browser.js';
import { PASSWORD } from './people.js';
import { startStack, type Stack } from './stack.js';

const SLUG = 'glom-masked';
const run = Date.now().toString(36);
const at = (who: string) => `${who}-${run}@anon.example`;
const OTHERS = {
  quentin: { name: 'Quentin Quokkaby', email: at('quentin.quokkaby') },
  priya: { name: 'Priya Pangolina', email: at('priya.pangolina') },
  nadia: { name: 'Nadia Narwhalsen', email: at('nadia.narwhalsen') },
  // A team of one keeps its member's name as its team name.
  ezekiel: { name: 'Ezekiel Solovyov', email: at('ezekiel.solovyov') },
};
const TEAMS = { quokkas: 'Zanzibar Quokkas', narwhalsBefore: 'Oldname Narwhals', narwhals: 'Marzipan Narwhals' };
const OWN = { team: 'Our Own Orbit', viewer: { name: 'Vera Viewer', email: `vera-${run}@class.example` }, mate: { name: 'Tomas Teammate', email: `tomas-${run}@class.example` } };
const teacher = { name: 'Tess Instructor', email: `tess-${run}@staff.example` };
const PSEUDONYM = /\b[A-Z][a-z]+ [A-Z][a-z]+ [0-9a-f]{4}\b/;

/** Full names, addresses (and their shared domain), and every word of five letters or more in a name. */
const SECRETS = [
  ...new Set([...Object.values(OTHERS).flatMap((p) => [p.name, p.email, ...p.name.split(' ')]), ...Object.values(TEAMS).flatMap((t) => [t, ...t.split(' ')]), '@anon.example']),
].filter((s) => s.length >= 5);
const secretsIn = (text: string) => SECRETS.filter((s) => text.toLowerCase().includes(s.toLowerCase()));

/** A signed-in user over the API alone (the people whose pages are not under test). */
class Session {
  private cookies = new Map<string, string>();
  csrf = '';
  id = '';
  constructor(private readonly api: string) {}

  static async register(api: string, who: { name: string; email: string }): Promise<Session> {
    const s = new Session(api);
    const body = await s.call<{ csrfToken: string; user: { id: string } }>('POST', '/auth/register', { email: who.email, password: PASSWORD, displayName: who.name }, 201);
    s.csrf = body.csrfToken;
    s.id = body.user.id;
    return s;
  }

  async call<T = Record<string, unknown>>(method: string, path: string, body?: unknown, expect = 200): Promise<T> {
    const res = await this.raw(method, path, body === undefined ? undefined : JSON.stringify(body), { 'content-type': 'application/json' });
    const text = await res.text();
    assert.equal(res.status, expect, `${method} ${path}: ${text.slice(0, 300)}`);
    return (text ? JSON.parse(text) : {}) as T;
  }

  async upload(slug: string, csv: string): Promise<string> {
    const form = new FormData();
    form.append('file', new Blob([csv]), 'submission.csv');
    const res = await this.raw('POST', `/competitions/${slug}/submissions`, form);
    const text = await res.text();
    assert.equal(res.status, 202, text);
    return (JSON.parse(text) as { id: string }).id;
  }

  async text(path: string): Promise<string> {
    return (await this.raw('GET', path)).text();
  }

  /** Puts this session into a browser profile: its pages are this user's. */
  async signIn(context: BrowserContext, web: string): Promise<void> {
    await context.addCookies([...this.cookies].map(([name, value]) => ({ name, value, url: web, httpOnly: name === AUTH.sessionCookie })));
  }

  private async raw(method: string, path: string, body?: string | FormData, headers: Record<string, string> = {}): Promise<Response> {
    const res = await fetch(`${this.api}/api${path}`, {
      method,
      body,
      headers: { ...(body === undefined ? {} : headers), cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '), [AUTH.csrfHeader]: this.csrf },
    });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair!.indexOf('=');
      this.cookies.set(pair!.slice(0, i), pair!.slice(i + 1));
    }
    return res;
  }
}

describe('anonymous leaderboards in Chromium: no other team\'s name on any page a student reaches', { timeout: 8 * 60_000 }, () => {
  let stack: Stack;
  let viewerBrowser: Browser;
  let teacherBrowser: Browser;
  let page: Page;
  let prof: Session;
  let viewer: Session;
  const people = {} as Record<keyof typeof OTHERS, Session>;
  let ownSubmission = '';
  /** Bodies of the responses the viewer's pages fetched (documents, payloads, API JSON), by URL. */
  const fetched: { url: string; text: string }[] = [];

  before(async () => {
    stack = await startStack();
    viewerBrowser = await launch();
    teacherBrowser = await launch();
  });
  after(async () => {
    await viewerBrowser?.close();
    await teacherBrowser?.close();
    await stack?.stop();
  });

  it('an instructor runs an anonymous competition; teams with distinctive names form, rename and submit', async () => {
    prof = await Session.register(stack.api, teacher);
    const course = await prof.call<{ id: string; joinCode: string }>('POST', '/courses', { name: 'Masks 101' }, 201);
    await prof.call('POST', '/competitions', { bundle: 'hubmap-glomeruli', slug: SLUG, courseId: course.id }, 201);
    await prof.call('PATCH', `/competitions/${SLUG}`, { leaderboard: { anonymous: true } });
    const deadline = Date.now() + 300_000;
    let sample = '';
    while (!sample.startsWith('id,predicted')) {
      assert.ok(Date.now() < deadline, 'the competition data within 5 minutes');
      await new Promise((r) => setTimeout(r, 1000));
      sample = await prof.text(`/competitions/${SLUG}/data/sample_submission.csv`);
    }

    viewer = await Session.register(stack.api, OWN.viewer);
    const mate = await Session.register(stack.api, OWN.mate);
    for (const [k, who] of Object.entries(OTHERS)) people[k as keyof typeof OTHERS] = await Session.register(stack.api, who);
    for (const s of [viewer, mate, ...Object.values(people)]) await s.call('POST', '/courses/join', { code: course.joinCode });
    const code = async (s: Session) => new URL((await s.call<{ invitePath: string }>('POST', `/competitions/${SLUG}/team/invite-link`)).invitePath, 'http://x').searchParams.get('code');

    await viewer.call('PATCH', `/competitions/${SLUG}/team`, { name: OWN.team });
    await mate.call('POST', `/competitions/${SLUG}/team/join`, { code: await code(viewer) });
    await people.quentin.call('PATCH', `/competitions/${SLUG}/team`, { name: TEAMS.quokkas });
    await people.priya.call('POST', `/competitions/${SLUG}/team/join`, { code: await code(people.quentin) });
    await people.nadia.call('PATCH', `/competitions/${SLUG}/team`, { name: TEAMS.narwhalsBefore });
    await people.nadia.call('PATCH', `/competitions/${SLUG}/team`, { name: TEAMS.narwhals });

    const ids = [await people.quentin.upload(SLUG, sample), await people.nadia.upload(SLUG, sample), await people.ezekiel.upload(SLUG, sample)];
    ownSubmission = await viewer.upload(SLUG, sample);
    for (const [s, id] of [[people.quentin, ids[0]], [people.nadia, ids[1]], [people.ezekiel, ids[2]], [viewer, ownSubmission]] as const) {
      const until = Date.now() + 120_000;
      while ((await s.call<{ status: string }>('GET', `/submissions/${id}`)).status !== 'scored') {
        assert.ok(Date.now() < until, `submission ${id} scored`);
        await new Promise((r) => setTimeout(r, 500));
      }
    }

    await viewer.signIn(viewerBrowser.context, stack.web);
    await prof.signIn(teacherBrowser.context, stack.web);
    viewerBrowser.context.on('response', async (r) => {
      const type = r.headers()['content-type'] ?? '';
      // Event streams never end; images and zips carry no names.
      if (!r.url().startsWith(stack.web) || type.startsWith('text/event-stream') || !/json|text|javascript|x-component/.test(type)) return;
      try {
        fetched.push({ url: r.url(), text: await r.text() });
      } catch {
        // a redirect or a page that navigated away: no body
      }
    });
    page = await viewerBrowser.context.newPage();
  });

  /** Opens `path` as the viewer, waits for `ready`, and searches its text, its HTML and what it fetched. */
  async function visit(path: string, ready: (p: Page) => Promise<unknown>): Promise<{ text: string; html: string }> {
    const from = fetched.length;
    const res = await page.goto(`${stack.web}${path}`);
    assert.equal(res?.status(), 200, `${path}: HTTP ${res?.status()}`);
    await ready(page);
    // Streamed parts (Suspense) are in once nothing says it is loading.
    await page.waitForFunction(() => !/Loading/.test(document.body.innerText), undefined, { timeout: 20_000 });
    const text = await page.locator('body').innerText();
    const html = await page.content();
    assert.deepEqual(secretsIn(text), [], `${path}: the page's text names another team`);
    assert.deepEqual(secretsIn(html), [], `${path}: the page's HTML names another team`);
    const leaks = fetched.slice(from).flatMap((f) => secretsIn(f.text).map((s) => `${f.url}: "${s}"`));
    assert.deepEqual(leaks, [], `${path}: a response the page fetched names another team`);
    return { text, html };
  }

  const student = (phase: string) =>
    [
      ['/competitions', (p: Page) => p.getByTestId('competition-card').first().waitFor()],
      [`/competitions/${SLUG}`, (p: Page) => p.getByRole('navigation', { name: 'Competition' }).waitFor()],
      [`/competitions/${SLUG}/data`, (p: Page) => p.getByTestId('data-files').waitFor()],
      [`/competitions/${SLUG}/code`, (p: Page) => p.getByRole('navigation', { name: 'Competition' }).waitFor()],
      [`/competitions/${SLUG}/submit`, (p: Page) => p.getByTestId('quota').waitFor()],
      [`/competitions/${SLUG}/submissions`, (p: Page) => p.getByTestId('submission-row').first().waitFor()],
      [`/competitions/${SLUG}/submissions/${ownSubmission}`, (p: Page) => p.getByTestId('detail-public-score').waitFor()],
      [`/competitions/${SLUG}/team`, (p: Page) => p.getByTestId('team-name').waitFor()],
      [`/competitions/${SLUG}/leaderboard?split=public`, (p: Page) => p.getByTestId('leaderboard').waitFor()],
      [`/competitions/${SLUG}/leaderboard?split=private`, (p: Page) => p.getByRole('navigation', { name: 'Competition' }).waitFor()],
      [`/competitions/${SLUG}/shakeup`, (p: Page) => (phase === 'revealed' ? p.getByTestId('shakeup-table').waitFor() : p.getByText('The shake-up review appears').waitFor())],
      [`/competitions/${SLUG}/viewer`, (p: Page) => p.getByLabel('Image', { exact: true }).waitFor()],
    ] as const;

  /** Every page, then the bell's panel; answers the pages' text by path. */
  async function visitAll(phase: string): Promise<Map<string, string>> {
    const texts = new Map<string, string>();
    const from = fetched.length;
    for (const [path, ready] of student(phase)) texts.set(path, (await visit(path, ready)).text);
    const documents = fetched.slice(from).filter((f) => /<html/i.test(f.text)).length;
    assert.ok(documents >= student(phase).length, `the pages' own documents were searched too (${documents})`);
    await page.getByRole('button', { name: /^Notifications/ }).click();
    const panel = page.getByRole('dialog', { name: 'Notifications' });
    await panel.getByTestId('notifications').or(panel.getByText('Nothing yet.')).waitFor();
    const panelText = await panel.innerText();
    assert.deepEqual(secretsIn(panelText), [], 'the notifications panel names another team');
    assert.deepEqual(secretsIn(await page.content()), [], 'the page with the notifications panel open names another team');
    texts.set('notifications', panelText);
    return texts;
  }

  /** The viewer's board: its own team by name, the three others as pseudonyms. */
  async function assertBoard(split: 'public' | 'private') {
    await page.goto(`${stack.web}/competitions/${SLUG}/leaderboard?split=${split}`);
    const rows = page.getByTestId('leaderboard').locator('tbody tr');
    await rows.first().waitFor();
    const names = (await rows.locator('td:nth-child(2)').allInnerTexts()).map((t) => t.trim());
    assert.equal(names.length, 4, names.join(' | '));
    assert.equal(names.filter((n) => n.includes(OWN.team)).length, 1, `the viewer's own team by name: ${names.join(' | ')}`);
    assert.equal(names.filter((n) => PSEUDONYM.test(n)).length, 3, `three pseudonyms: ${names.join(' | ')}`);
    await page.getByTestId('board-anonymous').waitFor();
  }

  it('open: every page the student reaches is free of other teams\' names; the board shows pseudonyms', async () => {
    const texts = await visitAll('open');
    assert.ok(texts.get(`/competitions/${SLUG}/team`)!.includes(OWN.mate.name), 'the team page names the viewer\'s own teammate: the pages are read');
    await assertBoard('public');
    await screenshot(page, 'anonymous-board-public');
  });

  it('the instructor sees the real names on the same board and the console', async () => {
    const t = await teacherBrowser.context.newPage();
    await t.goto(`${stack.web}/competitions/${SLUG}/leaderboard`);
    await t.getByTestId('leaderboard').waitFor();
    const board = await t.getByTestId('leaderboard').innerText();
    for (const name of [TEAMS.quokkas, TEAMS.narwhals, OTHERS.ezekiel.name, OWN.team]) assert.ok(board.includes(name), `the staff's board names ${name}`);
    await t.goto(`${stack.web}/console/competitions/${SLUG}`);
    await t.getByText(OTHERS.priya.email).first().waitFor();
    assert.ok(secretsIn(await t.content()).length > 0, 'the search finds names where they are shown');
    await t.close();
  });

  it('revealed: the private board, the shake-up and the reveal notification name no other team', async () => {
    await prof.call('POST', `/competitions/${SLUG}/close`);
    const texts = await visitAll('revealed');
    assert.match(texts.get('notifications')!, /private leaderboard/i, 'the reveal notification is in the panel');
    assert.match(texts.get(`/competitions/${SLUG}/shakeup`)!, PSEUDONYM, 'the shake-up lists pseudonyms');
    await assertBoard('private');
    await screenshot(page, 'anonymous-board-private');
    await assertBoard('public');
    await page.goto(`${stack.web}/competitions/${SLUG}/shakeup`);
    await page.getByTestId('shakeup-table').waitFor();
    await screenshot(page, 'anonymous-shakeup');
  });
});
