// Course management in the instructor console, in Chromium: a new join code with an expiry (the old
// one stops working) and revoking it, a roster imported from CSV (checked first; nothing imported
// while a row is invalid), removing a member; and two console tools of a competition: "Run again"
// on a kernel that failed on the platform's side, and the note when a moved close carries the team
// merge deadline with it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { axe, describeViolations, launch, screenshot, type Browser } from './browser.js';
import { createCourse, joinCourse, register } from './people.js';
import { startStack, type Stack } from './stack.js';

const SLUG = 'glom-admin';
const COURSE = 'Roster 101';
const run = Date.now().toString(36);
const teacher = { name: 'Iris Instructor', email: `iris-${run}@example.test` };
const student = { name: 'Sam Student', email: `sam-${run}@example.test` };
// Has an account but joins only through the roster import.
const listed = { name: 'Rita Rostered', email: `rita-${run}@example.test` };
const DAY = 86_400_000;
// One minute for every date of the test, so that gaps between them are whole days.
const T0 = Math.floor(Date.now() / 60_000) * 60_000;
/** `YYYY-MM-DDTHH:mm` (UTC), as the console's datetime-local inputs take it. */
const inDays = (d: number) => new Date(T0 + d * DAY).toISOString().slice(0, 16);

describe('course management in the console: join code, roster import, removal; Run again and the merge-deadline note', { timeout: 10 * 60_000 }, () => {
  let stack: Stack;
  let teacherBrowser: Browser;
  let studentBrowser: Browser;
  let listedBrowser: Browser;
  let tp: Page;
  let sp: Page;
  let coursePath = '';
  const axeFailures: string[] = [];

  const roster = () => tp.getByTestId('roster');

  before(async () => {
    // Kernels on, so that the API accepts a retry; no GPU is configured, so nothing consumes the
    // GPU queue and a GPU kernel run again stays queued for the test to see.
    stack = await startStack({ env: { HOLDOUT_KERNELS: 'on', HOLDOUT_KERNEL_IMAGE: process.env.HOLDOUT_KERNEL_IMAGE ?? 'holdout/kernel-runtime:slim' } });
    [teacherBrowser, studentBrowser, listedBrowser] = await Promise.all([launch(), launch(), launch()]);
  });

  after(async () => {
    await teacherBrowser?.close();
    await studentBrowser?.close();
    await listedBrowser?.close();
    await stack?.stop();
  });

  it('instructor creates a course with a competition and opens the course page', async () => {
    tp = await teacherBrowser.context.newPage();
    await register(tp, stack.web, teacher);
    const code = await createCourse(tp, stack.web, COURSE);
    assert.match(code, /\S{4,}/);
    await tp.getByLabel('Competition bundle').selectOption('hubmap-glomeruli');
    await tp.getByLabel('Slug (optional)').fill(SLUG);
    await tp.getByRole('button', { name: 'Create competition' }).click();
    await tp.waitForURL(`${stack.web}/console/competitions/${SLUG}`);

    await tp.goto(`${stack.web}/console`);
    await tp.getByRole('link', { name: COURSE, exact: true }).click();
    await tp.waitForURL(/\/console\/courses\/[0-9a-f-]{36}$/);
    coursePath = new URL(tp.url()).pathname;
    assert.equal((await tp.getByTestId('join-code').textContent())?.trim(), code);
    assert.equal((await tp.getByTestId('join-code-expiry').textContent())?.trim(), 'never expires');
  });

  it('a new join code with an expiry replaces the old one: a student cannot join with the old code, can with the new', async () => {
    const old = (await tp.getByTestId('join-code').textContent())!.trim();
    const expiry = inDays(7);
    await tp.getByLabel('Expires at (UTC, optional)').fill(expiry);
    await tp.getByRole('button', { name: 'New code' }).click();
    await tp.getByRole('status').filter({ hasText: 'The old code no longer works.' }).waitFor();
    const fresh = (await tp.getByTestId('join-code').textContent())!.trim();
    assert.notEqual(fresh, old);
    assert.match((await tp.getByTestId('join-code-expiry').textContent()) ?? '', /^expires \d{1,2} \w{3} \d{4}, \d\d:\d\d UTC$/);
    // What the page shows after a reload is the server's.
    await tp.reload();
    assert.equal((await tp.getByTestId('join-code').textContent())?.trim(), fresh);
    await screenshot(tp, 'course-join-code');

    sp = await studentBrowser.context.newPage();
    await register(sp, stack.web, student);
    await sp.getByLabel('Course code').fill(old);
    await sp.getByRole('button', { name: 'Join' }).click();
    const refused = (await sp.locator('.alert--error').textContent()) ?? '';
    assert.ok(refused.trim().length > 0, 'the old code is refused with a message');
    assert.equal(await sp.getByRole('status').filter({ hasText: COURSE }).count(), 0);
    await joinCourse(sp, stack.web, fresh, COURSE);

    await tp.reload();
    await roster().getByRole('row').filter({ hasText: student.email }).waitFor();
  });

  it('revoking the code leaves nobody able to join by code', async () => {
    await tp.getByRole('button', { name: 'Revoke' }).click();
    await tp.getByRole('status').filter({ hasText: 'Join code revoked' }).waitFor();
    await tp.reload();
    assert.equal((await tp.getByTestId('join-code-revoked').textContent())?.trim(), 'Revoked: nobody can join by code.');
    assert.equal(await tp.getByTestId('join-code').count(), 0);
  });

  it('a roster with a bad row is checked and cannot be imported; fixed, it is, and the listed account is a member', async () => {
    const lp = await listedBrowser.context.newPage();
    await register(lp, stack.web, listed);

    await tp.goto(`${stack.web}${coursePath}`);
    const pending = `pending-${run}@example.test`;
    await tp.getByLabel(/^Roster CSV/).fill(`email,role\n${listed.email},student\nnot-an-address,student\n${pending},ta\n`);
    await tp.getByRole('button', { name: 'Check' }).click();
    const checked = tp.getByRole('status').filter({ hasText: /^Checked: / });
    await checked.waitFor();
    const preview = tp.getByTestId('roster-preview');
    const bad = preview.locator('tbody tr').filter({ hasText: 'not-an-address' });
    assert.equal(await bad.getAttribute('data-status'), 'invalid');
    const badCells = await bad.locator('td').allTextContents();
    assert.equal(badCells[3], 'invalid');
    assert.ok(badCells[4]!.trim().length > 0, `the bad row says what is wrong: ${badCells.join(' | ')}`);
    assert.match((await checked.textContent()) ?? '', /; 1 invalid row\.$/);
    assert.equal(await tp.getByRole('button', { name: 'Import' }).isDisabled(), true);

    await tp.getByLabel(/^Roster CSV/).fill(`email,role\n${listed.email},student\n${pending},ta\n${student.email},student\n`);
    // The old check was of other text: Import waits for a new one.
    assert.equal(await tp.getByRole('button', { name: 'Import' }).isDisabled(), true);
    await tp.getByRole('button', { name: 'Check' }).click();
    await tp.getByRole('status').filter({ hasText: /^Checked: / }).waitFor();
    const statuses = Object.fromEntries(
      await Promise.all(
        [listed.email, pending, student.email].map(async (e) => [e, await preview.locator('tbody tr').filter({ hasText: e }).getAttribute('data-status')] as const),
      ),
    );
    assert.deepEqual(statuses, { [listed.email]: 'joins', [pending]: 'joins-on-sign-up', [student.email]: 'member' });
    assert.equal(await tp.getByRole('button', { name: 'Import' }).isEnabled(), true);
    await tp.getByRole('button', { name: 'Import' }).click();
    await tp.getByRole('status').filter({ hasText: /^Imported: 1 account joined; 1 address will join on signing up; 1 member already in the course\.$/ }).waitFor();
    await roster().getByRole('row').filter({ hasText: listed.email }).waitFor();
    assert.equal(await tp.getByRole('button', { name: 'Import' }).isDisabled(), true);
    await screenshot(tp, 'course-roster');
    const v = await axe(tp);
    if (v.length) axeFailures.push(`course page after an import\n${describeViolations(v)}`);
  });

  it('instructor removes a member after confirming; the last instructor is offered no Remove for themself', async () => {
    const row = roster().getByRole('row').filter({ hasText: listed.email });
    await row.getByRole('button', { name: `Remove… ${listed.name}` }).click();
    // Keep first: nothing happens.
    await row.getByRole('button', { name: `Keep ${listed.name}` }).click();
    await row.getByRole('button', { name: `Remove… ${listed.name}` }).click();
    await row.getByRole('button', { name: `Yes, remove ${listed.name}` }).click();
    await tp.getByRole('status').filter({ hasText: `${listed.name} was removed from the course.` }).waitFor();
    await tp.reload();
    assert.equal(await roster().getByRole('row').filter({ hasText: listed.email }).count(), 0);
    assert.equal(await roster().getByRole('row').filter({ hasText: student.email }).count(), 1);
    assert.equal(await roster().getByRole('row').filter({ hasText: teacher.email }).getByRole('button', { name: /^Remove/ }).count(), 0);
    const v = await axe(tp);
    if (v.length) axeFailures.push(`course page\n${describeViolations(v)}`);
  });

  it('"Run again" on a kernel that failed on the platform\'s side queues it again', async () => {
    // The student's team (of one) comes into being on first use.
    const team = await sp.request.get(`${stack.web}/api/competitions/${SLUG}/team`);
    assert.equal(team.status(), 200, await team.text());
    const teamId = ((await team.json()) as { id: string }).id;
    // As a worker leaves a GPU kernel whose container could not start: failed, class infrastructure.
    const pg = (await import('pg')).default;
    const db = new pg.Client({ connectionString: stack.databaseUrl });
    await db.connect();
    try {
      const { rows } = await db.query<{ id: string }>(
        `INSERT INTO submissions (competition_id, team_id, user_id, kind, status, file_name, error_class, error_code, error_message, attempts, started_at, scored_at)
         SELECT t.competition_id, t.id, u.id, 'kernel', 'failed', 'kernel.py', 'infrastructure', 'infrastructure', 'The container could not start.', 3, now(), now()
         FROM teams t, users u WHERE t.id = $1 AND u.email = $2 RETURNING id`,
        [teamId, student.email],
      );
      assert.equal(rows.length, 1);
      await db.query(`INSERT INTO kernel_submissions (submission_id, entry_kind, gpu, queue) VALUES ($1, 'py', true, 'kernels-gpu')`, [rows[0]!.id]);
      await db.query(`INSERT INTO kernel_runs (submission_id, attempt, step, outcome, queue, started_at, finished_at) VALUES ($1, 3, 'done', 'error', 'kernels-gpu', now(), now())`, [
        rows[0]!.id,
      ]);
    } finally {
      await db.end();
    }

    await tp.goto(`${stack.web}/console/competitions/${SLUG}`);
    const row = tp.getByTestId('all-runs').locator('tbody tr').filter({ hasText: student.name });
    assert.equal(await row.locator('[data-status]').getAttribute('data-status'), 'failed');
    await row.getByRole('button', { name: `Run again ${student.name}'s kernel` }).click();
    // The retry is a transaction, an audit entry and an enqueue: on a loaded machine it took over 20 s once.
    await tp.getByRole('status').filter({ hasText: `${student.name}'s kernel is queued again.` }).waitFor({ timeout: 90_000 });
    await tp.reload();
    assert.equal(await row.locator('[data-status]').getAttribute('data-status'), 'queued');
    assert.equal(await row.getByRole('button', { name: /^Run again/ }).count(), 0);
  });

  it('moving the close without touching the merge deadline shows the note that the deadline followed', async () => {
    await tp.goto(`${stack.web}/console/competitions/${SLUG}`);
    await tp.getByLabel('Team merge deadline').fill(inDays(50));
    // Not 60: the close the bundle set (60 days after creation, to the second) would read as untouched.
    await tp.getByLabel('Closes at').fill(inDays(61));
    await tp.getByRole('button', { name: 'Save timeline' }).click();
    await tp.getByRole('status').filter({ hasText: 'Timeline saved.' }).waitFor();

    await tp.reload();
    await tp.getByLabel('Closes at').fill(inDays(41));
    await tp.getByRole('button', { name: 'Save timeline' }).click();
    const status = tp.getByRole('status').filter({ hasText: 'Timeline saved.' });
    await status.waitFor();
    assert.equal(
      (await status.textContent())?.trim(),
      `Timeline saved. The team merge deadline moved with the close, to ${inDays(30)}:00.000Z (11 days before it).`,
    );
    await tp.reload();
    assert.equal(await tp.getByLabel('Team merge deadline').inputValue(), inDays(30));
  });

  it("instructor sets the course's kernel policy: empty fields inherit the site's default; saved values hold after a reload", async () => {
    await tp.goto(`${stack.web}${coursePath}`);
    const form = tp.getByRole('form', { name: 'Kernel policy of this course' });
    assert.equal(await form.getByLabel('GPU hours per team per week').inputValue(), '', 'nothing set: the site default');
    await form.getByLabel('GPU hours per team per week').fill('8');
    await form.getByLabel('GPU kernels on the CPU when no GPU worker runs').selectOption('yes');
    await form.getByRole('button', { name: 'Save the kernel policy' }).click();
    await form.getByRole('status').filter({ hasText: 'Kernel policy saved.' }).waitFor();
    await tp.reload();
    const again = tp.getByRole('form', { name: 'Kernel policy of this course' });
    assert.equal(await again.getByLabel('GPU hours per team per week').inputValue(), '8');
    assert.equal(await again.getByLabel('GPU kernels on the CPU when no GPU worker runs').inputValue(), 'yes');
  });

  it('the course page has no serious or critical accessibility violations', () => {
    assert.deepEqual(axeFailures, []);
  });
});
