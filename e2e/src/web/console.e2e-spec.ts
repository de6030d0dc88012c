// The instructor console's oversight tools in Chromium: the leaderboard view (anonymous, frozen for
// the last days) as a student then sees it, disqualifying a team (the student reads why on the
// Team tab) and a submission, the grades export, the course's audit log filtered to team actions,
// and reinstating.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { axe, describeViolations, launch, screenshot, type Browser } from './browser.js';
import { eventually, register } from './people.js';
import { startStack, type Stack } from './stack.js';

const SLUG = 'glom-console';
const COURSE = 'Oversight 101';
const run = Date.now().toString(36);
const teacher = { name: 'Otto Instructor', email: `otto-${run}@example.test` };
const student = { name: 'Sol Student', email: `sol-${run}@example.test` };
const REASON = 'Shared predictions with another team';
const GRADES_HEADER = 'student,email,team,public_score,public_rank,private_score,private_rank,selected,late,disqualified,grade';

/** A same-origin API call from the page, with the session's CSRF token (as the web app's own calls send it). */
async function apiCall(page: Page, method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> {
  return page.evaluate(
    async ({ method, path, body }) => {
      const csrf = document.cookie
        .split(';')
        .map((c) => c.trim().split('='))
        .find(([k]) => k === 'holdout_csrf')?.[1];
      const res = await fetch(`/api${path}`, {
        method,
        headers: { 'content-type': 'application/json', 'x-csrf-token': decodeURIComponent(csrf ?? '') },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, text: await res.text() };
    },
    { method, path, body },
  );
}

describe('the instructor console: teams, grades, audit log and leaderboard view', { timeout: 10 * 60_000 }, () => {
  let stack: Stack;
  let teacherBrowser: Browser;
  let studentBrowser: Browser;
  let tp: Page;
  let sp: Page;
  let joinCode = '';
  let submissionId = '';
  const downloads = mkdtempSync(join(tmpdir(), 'holdout-console-'));
  const axeFailures: string[] = [];

  async function checkAxe(page: Page, what: string) {
    const v = await axe(page);
    if (v.length) axeFailures.push(`${what}\n${describeViolations(v)}`);
  }

  before(async () => {
    stack = await startStack();
    teacherBrowser = await launch();
    studentBrowser = await launch();
  });

  after(async () => {
    await teacherBrowser?.close();
    await studentBrowser?.close();
    await stack?.stop();
    rmSync(downloads, { recursive: true, force: true });
  });

  it('instructor creates a competition, brings the close in, and makes the board anonymous and frozen', async () => {
    tp = await teacherBrowser.context.newPage();
    await register(tp, stack.web, teacher);
    await tp.goto(`${stack.web}/console`);
    await tp.getByLabel('Course name').fill(COURSE);
    await tp.getByRole('button', { name: 'Create course' }).click();
    await tp.getByRole('status').filter({ hasText: `Created ${COURSE}` }).waitFor();
    joinCode = (await tp.getByTestId('console-join-code').first().textContent())!.trim();
    await tp.getByLabel('Competition bundle').selectOption('hubmap-glomeruli');
    await tp.getByLabel('Slug (optional)').fill(SLUG);
    await tp.getByRole('button', { name: 'Create competition' }).click();
    await tp.waitForURL(`${stack.web}/console/competitions/${SLUG}`);

    // Closes in 14 days; a 30-day freeze has therefore begun already.
    const closes = new Date(Date.now() + 14 * 86_400_000).toISOString().slice(0, 16);
    await tp.getByLabel('Closes at').fill(closes);
    await tp.getByRole('button', { name: 'Save timeline' }).click();
    await tp.getByRole('status').filter({ hasText: 'Timeline saved.' }).waitFor();

    await tp.getByLabel('Anonymous leaderboard').check();
    await tp.getByLabel('Freeze the public board for the last N days').fill('30');
    await tp.getByRole('button', { name: 'Save settings' }).click();
    await tp.getByRole('status').filter({ hasText: 'Settings saved.' }).waitFor();
    await tp.reload();
    assert.equal(await tp.getByLabel('Anonymous leaderboard').isChecked(), true);
    assert.equal(await tp.getByLabel('Freeze the public board for the last N days').inputValue(), '30');
    assert.match((await tp.getByTestId('freeze-hint').textContent()) ?? '', /The freeze begins \d{1,2} \w{3} \d{4}, \d\d:\d\d UTC\./);
  });

  it('a student joins and submits the sample submission, and reads the frozen, anonymous board', async () => {
    sp = await studentBrowser.context.newPage();
    await register(sp, stack.web, student);
    await sp.getByLabel('Course code').fill(joinCode);
    await sp.getByRole('button', { name: 'Join' }).click();
    await sp.getByRole('status').filter({ hasText: COURSE }).waitFor();

    await sp.goto(`${stack.web}/competitions/${SLUG}/data`);
    await eventually(sp, async () => (await sp.locator('[data-testid=data-files] td', { hasText: 'sample_submission.csv' }).count()) > 0, 'the competition data', 300);
    const [download] = await Promise.all([sp.waitForEvent('download'), sp.getByRole('link', { name: 'Download sample_submission.csv' }).click()]);
    const sample = join(downloads, 'sample_submission.csv');
    await download.saveAs(sample);

    await sp.goto(`${stack.web}/competitions/${SLUG}/submit`);
    await sp.locator('input[type=file]').setInputFiles(sample);
    await sp.getByTestId('chosen-file').waitFor();
    await sp.getByRole('button', { name: 'Submit' }).click();
    await sp.waitForURL(new RegExp(`/competitions/${SLUG}/submissions/[0-9a-f-]{36}$`));
    submissionId = sp.url().split('/').pop()!;
    await sp.locator('[data-testid=live-status] [data-status=scored]').waitFor({ timeout: 120_000 });

    await sp.goto(`${stack.web}/competitions/${SLUG}/leaderboard`);
    const frozen = sp.getByTestId('board-frozen');
    assert.match(
      (await frozen.textContent()) ?? '',
      /^Frozen since \d{1,2} \w{3} \d{4}, \d\d:\d\d UTC: the board as it stood then; your own new scores are on My submissions\.$/,
    );
    assert.equal(await frozen.getByRole('link', { name: 'My submissions' }).getAttribute('href'), `/competitions/${SLUG}/submissions`);
    assert.equal((await sp.getByTestId('board-anonymous').textContent())?.trim(), 'Other teams are shown under pseudonyms.');
    // The board froze before the submission: the new score is not on it.
    assert.equal(await sp.locator('[data-testid=leaderboard] tbody tr').count(), 0);
    await screenshot(sp, 'leaderboard-frozen');
  });

  it('instructor sees the team with its contacts and disqualifies it with a reason', async () => {
    await tp.goto(`${stack.web}/console/competitions/${SLUG}`);
    const row = tp.getByTestId('team-row').filter({ hasText: student.email });
    assert.equal(await row.count(), 1);
    assert.match((await row.textContent()) ?? '', new RegExp(`^${student.name}${student.name} <${student.email}>1ranked`));
    await row.getByRole('button', { name: `Disqualify… ${student.name}` }).click();
    // The reason is required: an empty one is not sent.
    await row.getByRole('button', { name: 'Disqualify', exact: true }).click();
    assert.equal(await row.getByLabel('Reason (the team reads it)').evaluate((el: HTMLInputElement) => el.validity.valueMissing), true);
    await row.getByLabel('Reason (the team reads it)').fill(REASON);
    await row.getByRole('button', { name: 'Disqualify', exact: true }).click();
    await tp.getByRole('status').filter({ hasText: `${student.name} is disqualified` }).waitFor();
    await row.getByTestId('team-status').filter({ hasText: REASON }).waitFor();
    await row.getByRole('button', { name: `Reinstate ${student.name}` }).waitFor();
    await screenshot(tp, 'console-teams');
    await checkAxe(tp, 'console competition page with a disqualified team');
  });

  it("the student's Team tab says the team is disqualified, and why", async () => {
    await sp.goto(`${stack.web}/competitions/${SLUG}/team`);
    const note = sp.getByTestId('team-disqualified');
    assert.match((await note.textContent()) ?? '', new RegExp(`disqualified your team .*: ${REASON}\\. It is not ranked on the leaderboards\\.`));
  });

  it('a disqualified submission carries the notice on My submissions and on its page', async () => {
    const dq = await apiCall(tp, 'POST', `/submissions/${submissionId}/disqualification`, { reason: 'Hand-labelled test images' });
    assert.equal(dq.status, 200, dq.text);
    await sp.goto(`${stack.web}/competitions/${SLUG}/submissions`);
    assert.equal((await sp.getByTestId('submission-disqualified').textContent())?.trim(), 'Disqualified: Hand-labelled test images');
    await sp.goto(`${stack.web}/competitions/${SLUG}/submissions/${submissionId}`);
    assert.match((await sp.getByTestId('submission-disqualified').textContent()) ?? '', /^Disqualified: Hand-labelled test images /);
    const back = await apiCall(tp, 'DELETE', `/submissions/${submissionId}/disqualification`);
    assert.equal(back.status, 200, back.text);
  });

  it('instructor downloads the grades CSV, with a grade mapping built into the links', async () => {
    await tp.goto(`${stack.web}/console/competitions/${SLUG}`);
    const [download] = await Promise.all([tp.waitForEvent('download'), tp.getByRole('link', { name: 'Download grades (CSV)' }).click()]);
    assert.equal(download.suggestedFilename(), `${SLUG}-grades.csv`);
    const file = join(downloads, 'grades.csv');
    await download.saveAs(file);
    const lines = readFileSync(file, 'utf8').trim().split(/\r?\n/);
    assert.equal(lines[0], GRADES_HEADER);
    const mine = lines.find((l) => l.includes(student.email));
    assert.ok(mine, `a row for ${student.email}:\n${lines.join('\n')}`);
    const cells = mine.split(',');
    assert.deepEqual([cells[0], cells[1], cells[2]], [student.name, student.email, student.name]);
    // Disqualified, so unranked; no grade asked for.
    assert.deepEqual([cells[4], cells[8], cells[9], cells[10]], ['', 'no', 'yes', '']);

    await tp.getByLabel('Linear on the private score').check();
    await tp.getByTestId('grades-problem').filter({ hasText: 'Give the scores that map to 0 and to 100.' }).waitFor();
    await tp.getByLabel('Score for a grade of 0').fill('0.2');
    await tp.getByLabel('Score for a grade of 100').fill('0.9');
    assert.equal(
      await tp.getByRole('link', { name: 'Download grades (CSV)' }).getAttribute('href'),
      `/api/competitions/${SLUG}/grades?format=csv&grade=linear&low=0.2&high=0.9`,
    );
    await tp.getByLabel('By private rank (first 100, last 0)').check();
    assert.equal(await tp.getByRole('link', { name: 'Download grades (JSON)' }).getAttribute('href'), `/api/competitions/${SLUG}/grades?grade=rank`);
    const json = await tp.request.get(`${stack.web}/api/competitions/${SLUG}/grades?grade=rank`);
    assert.equal(json.status(), 200);
    const rows = (await json.json()) as { email: string; disqualified: boolean; grade: number | null }[];
    assert.deepEqual(
      rows.filter((r) => r.email === student.email).map((r) => [r.disqualified, r.grade]),
      [[true, null]],
    );
  });

  it('the audit log, filtered to team actions, shows the disqualification', async () => {
    await tp.goto(`${stack.web}/console`);
    await tp.getByRole('link', { name: `Audit log of ${COURSE}` }).click();
    await tp.waitForURL(/\/console\/courses\/[0-9a-f-]{36}\/audit$/);
    // Unfiltered: the settings change is there too.
    await tp.locator('[data-testid=audit-row][data-action="competition.settings"]').first().waitFor();
    await tp.getByLabel('Competition', { exact: true }).selectOption(SLUG);
    await tp.getByLabel('Action starts with').fill('team.');
    await tp.getByRole('button', { name: 'Filter' }).click();
    await tp.waitForURL(/\/audit\?competition=glom-console&action=team\.$/);
    const actions = await tp.getByTestId('audit-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-action')));
    assert.deepEqual(actions, ['team.disqualify']);
    const row = tp.getByTestId('audit-row').first();
    const text = (await row.textContent()) ?? '';
    assert.ok(text.includes(teacher.name) && text.includes(teacher.email) && text.includes(SLUG), text);
    assert.match((await row.getByTestId('audit-data').textContent()) ?? '', new RegExp(`reason: ${REASON}`));
    await screenshot(tp, 'console-audit');
    await checkAxe(tp, 'audit log filtered to team actions');
    // A prefix the API refuses is explained, not a crash.
    await tp.goto(`${tp.url().replace('action=team.', 'action=Team%21')}`);
    await tp.getByRole('alert').filter({ hasText: 'Could not load the audit log.' }).waitFor();
  });

  it('instructor reinstates the team; the Team tab no longer says it is disqualified', async () => {
    await tp.goto(`${stack.web}/console/competitions/${SLUG}`);
    const row = tp.getByTestId('team-row').filter({ hasText: student.email });
    await row.getByRole('button', { name: `Reinstate ${student.name}` }).click();
    await tp.getByRole('status').filter({ hasText: `${student.name} is reinstated` }).waitFor();
    await row.getByTestId('team-status').filter({ hasText: 'ranked' }).waitFor();
    await sp.goto(`${stack.web}/competitions/${SLUG}/team`);
    await sp.getByTestId('team-name').waitFor();
    assert.equal(await sp.getByTestId('team-disqualified').count(), 0);
    await tp.goto(`${stack.web}/console/competitions/${SLUG}`);
    await tp.getByRole('link', { name: 'Audit log', exact: true }).click();
    await tp.getByLabel('Action starts with').fill('team.');
    await tp.getByRole('button', { name: 'Filter' }).click();
    await tp.locator('[data-testid=audit-row][data-action="team.reinstate"]').waitFor();
  });

  it("instructor sets the competition's kernel policy in the console; it holds after a reload and is audited", async () => {
    await tp.goto(`${stack.web}/console/competitions/${SLUG}`);
    const form = tp.getByRole('form', { name: 'Kernel policy of this competition' });
    await form.getByLabel('GPU hours per team per week').fill('12');
    await form.getByLabel('GPU kernels on the CPU when no GPU worker runs').selectOption('no');
    await form.getByRole('button', { name: 'Save the kernel policy' }).click();
    await form.getByRole('status').filter({ hasText: 'Kernel policy saved.' }).waitFor();
    await tp.reload();
    const again = tp.getByRole('form', { name: 'Kernel policy of this competition' });
    assert.equal(await again.getByLabel('GPU hours per team per week').inputValue(), '12');
    assert.equal(await again.getByLabel('GPU kernels on the CPU when no GPU worker runs').inputValue(), 'no');
    await checkAxe(tp, 'console competition page with the kernel policy form');
    await tp.getByRole('link', { name: 'Audit log', exact: true }).click();
    await tp.getByLabel('Action starts with').fill('competition.kernel-policy');
    await tp.getByRole('button', { name: 'Filter' }).click();
    await tp.locator('[data-testid=audit-row][data-action="competition.kernel-policy"]').waitFor();
  });

  it('the new console pages pass axe (WCAG 2.1 A/AA, serious and critical)', () => {
    assert.deepEqual(axeFailures, [], axeFailures.join('\n\n'));
  });
});
