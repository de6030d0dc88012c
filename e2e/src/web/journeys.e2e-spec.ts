// The student's and the instructor's whole journey through the web app, in Debian's Chromium,
// against the real API, worker and a fresh database; then an accessibility pass and screenshots.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { axe, cspViolations, describeViolations, launch, screenshot, type Browser } from './browser.js';
import { PASSWORD, eventually, register } from './people.js';
import { ROOT, startStack, type Stack } from './stack.js';

const SLUG = 'glom-e2e';
const run = Date.now().toString(36);
const teacher = { name: 'Ines Instructor', email: `ines-${run}@example.test` };
const students = [
  { name: 'Sam Student', email: `sam-${run}@example.test` },
  { name: 'Kim Student', email: `kim-${run}@example.test` },
];

/** A .tar.gz of the hubmap-glomeruli bundle (in a top-level folder) with its competition.yaml edited by `edit`. */
function bundleArchive(dir: string, name: string, edit: (yaml: string) => string): string {
  const bundle = join(dir, name);
  cpSync(join(ROOT, 'competitions', 'hubmap-glomeruli'), bundle, { recursive: true });
  const yaml = join(bundle, 'competition.yaml');
  writeFileSync(yaml, edit(readFileSync(yaml, 'utf8')));
  const archive = join(dir, `${name}.tar.gz`);
  execFileSync('tar', ['-czf', archive, '-C', dir, name]);
  return archive;
}

describe('web journeys in Chromium', { timeout: 15 * 60_000 }, () => {
  let stack: Stack;
  let teacherBrowser: Browser;
  const studentBrowsers: Browser[] = [];
  let joinCode = '';
  let sampleSubmission = '';
  let submissionPath = '';
  const downloads = mkdtempSync(join(tmpdir(), 'holdout-dl-'));

  before(async () => {
    stack = await startStack();
    teacherBrowser = await launch();
    for (const _ of students) studentBrowsers.push(await launch());
  });

  after(async () => {
    await teacherBrowser?.close();
    for (const b of studentBrowsers) await b.close();
    await stack?.stop();
    rmSync(downloads, { recursive: true, force: true });
  });

  it('instructor signs up, creates a course and a competition from a bundle', async () => {
    const page = await teacherBrowser.context.newPage();
    // The console page (with the slug field's pattern) logs no error and loads nothing that is missing.
    const consoleErrors: string[] = [];
    const missing: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(`${m.location().url}: ${m.text()}`);
    });
    page.on('response', (r) => {
      if (r.status() === 404) missing.push(r.url());
    });
    await register(page, stack.web, teacher);
    await page.goto(`${stack.web}/console`, { waitUntil: 'networkidle' });
    const favicon = await page.request.get(`${stack.web}/favicon.ico`);
    assert.equal(favicon.status(), 200, 'favicon.ico');
    assert.match(favicon.headers()['content-type'] ?? '', /^image\//);
    await page.getByLabel('Course name').fill('Segmentation 101');
    await page.getByRole('button', { name: 'Create course' }).click();
    const created = page.getByRole('status').filter({ hasText: 'Created Segmentation 101' });
    await created.waitFor();
    joinCode = (await page.getByTestId('console-join-code').first().textContent())!.trim();
    assert.match(joinCode, /^[A-Za-z0-9-]{4,}$/);

    await page.getByLabel('Competition bundle').selectOption('hubmap-glomeruli');
    await page.getByLabel('Title (optional)').fill('Glomeruli — e2e cohort');
    await page.getByLabel('Slug (optional)').fill(SLUG);
    assert.equal(await page.getByLabel('Slug (optional)').evaluate((el: HTMLInputElement) => el.validity.valid), true, 'the slug pattern compiles and accepts the slug');
    await page.getByRole('button', { name: 'Create competition' }).click();
    await page.waitForURL(`${stack.web}/console/competitions/${SLUG}`);
    await page.getByRole('heading', { name: 'Timeline (UTC)' }).waitFor();
    await page.getByRole('heading', { level: 1, name: 'Glomeruli — e2e cohort' }).waitFor();
    assert.deepEqual(consoleErrors, [], 'console errors on the console pages');
    assert.deepEqual(missing, [], 'responses that were 404');
    // What participants read before the edit: the bundle's defaults, in the generated section only.
    await page.goto(`${stack.web}/competitions/${SLUG}`);
    await page.getByText('You may make 5 submissions per day.', { exact: false }).waitFor();
    await page.goto(`${stack.web}/console/competitions/${SLUG}`);
    // Settings after creation: the daily quota and the kernel time limit, saved and shown again.
    await page.getByLabel('Submissions per day').fill('7');
    await page.getByLabel('Time limit (hours)').fill('2');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByRole('status').filter({ hasText: 'Settings saved.' }).waitFor();
    await page.reload();
    assert.equal(await page.getByLabel('Submissions per day').inputValue(), '7');
    assert.equal(await page.getByLabel('Time limit (hours)').inputValue(), '2');
    // Submission kinds: kernels off and on again (the later Code-tab journey needs them on).
    const kernels = page.getByLabel('Kernels (notebooks and scripts run by the platform)');
    await kernels.uncheck();
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByRole('status').filter({ hasText: 'Settings saved.' }).waitFor();
    await page.reload();
    assert.equal(await kernels.isChecked(), false);
    assert.equal(await page.getByLabel('Time limit (hours)').count(), 0, 'no kernel limits while kernels are off');
    await kernels.check();
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByRole('status').filter({ hasText: 'Settings saved.' }).waitFor();
    await page.reload();
    assert.equal(await kernels.isChecked(), true);
    // Pages: the overview gets a line, which participants then read.
    await page.getByLabel('Page', { exact: true }).selectOption('overview');
    const markdown = page.getByLabel('Markdown');
    await markdown.fill(`${await markdown.inputValue()}\n\nOffice hours: Tuesdays at 10.\n`);
    await page.getByRole('button', { name: 'Save page' }).click();
    await page.getByRole('status').filter({ hasText: 'Overview page saved.' }).waitFor();
    await screenshot(page, 'console-competition');
    await page.goto(`${stack.web}/competitions/${SLUG}`);
    await page.getByText('Office hours: Tuesdays at 10.').waitFor();
    // The rules follow the live settings: the new quota and time limit, and no number of the bundle's that the edit made stale.
    const rules = (await page.locator('main').textContent()) ?? '';
    assert.match(rules, /You may make 7 submissions per day\./);
    assert.match(rules, /at most \d+ processes and 2 h, with no internet access/);
    for (const stale of [/\b5 submissions per day/, /\b5 per team/, /9-hour/, /\b9 h\b/, /60 days/]) assert.doesNotMatch(rules, stale);
    assert.match(rules, /until\s+then you are not told which test images are public/);
    // Per-image public feedback on: the rules say so (and no page says the opposite); then off again.
    await page.goto(`${stack.web}/console/competitions/${SLUG}`);
    const perImage = page.getByLabel(/per-image public scores/);
    for (const on of [true, false]) {
      await perImage.setChecked(on);
      await page.getByRole('button', { name: 'Save settings' }).click();
      await page.getByRole('status').filter({ hasText: 'Settings saved.' }).waitFor();
      await page.goto(`${stack.web}/competitions/${SLUG}`);
      const text = (await page.locator('main').textContent()) ?? '';
      assert.equal(/which test images are public is not hidden here/.test(text), on, `per-image feedback ${on ? 'on' : 'off'}`);
      assert.equal(/not told which/.test(text), !on);
      await page.goto(`${stack.web}/console/competitions/${SLUG}`);
    }

    // The worker builds the data; the Data tab lists the files once it is ready.
    await page.goto(`${stack.web}/competitions/${SLUG}/data`);
    await eventually(page, async () => (await page.locator('[data-testid=data-files] td', { hasText: 'sample_submission.csv' }).count()) > 0, 'the competition data', 300);
  });

  it('students sign up, join with the code and download the data', async () => {
    for (const [i, who] of students.entries()) {
      const page = await studentBrowsers[i]!.context.newPage();
      await register(page, stack.web, who);
      if (i === 0) {
        // An error reads as a sentence; then the instructor's link (?code=) joins, the form is
        // cleared and the link leads to this course's competitions.
        await page.getByLabel('Course code').fill('ZZZZ9999');
        await page.getByRole('button', { name: 'Join' }).click();
        const refused = page.getByRole('alert').filter({ hasText: 'join code' });
        await refused.waitFor();
        assert.match((await refused.textContent())?.trim() ?? '', /^No course has this join code/);
        await page.goto(`${stack.web}/join?code=${joinCode}`);
        assert.equal(await page.getByLabel('Course code').inputValue(), joinCode);
        await page.getByRole('button', { name: 'Join' }).click();
        const joined = page.getByRole('status').filter({ hasText: 'Segmentation 101' });
        await joined.waitFor();
        assert.equal(await page.getByLabel('Course code').inputValue(), '', 'the form is cleared');
        assert.equal(new URL(page.url()).search, '', 'the spent code left the address');
        await joined.getByRole('link', { name: 'See its competitions' }).click();
        await page.waitForURL(/\/competitions\?course=[0-9a-f-]{36}$/);
        await page.getByRole('heading', { level: 1, name: 'Competitions of Segmentation 101' }).waitFor();
        assert.ok((await page.getByTestId('competition-card').count()) >= 1);
        await page.getByRole('link', { name: /glomeruli/i }).first().click();
        // A student may not create courses (HOLDOUT_COURSE_CREATION=approved): no "Teach", no course form.
        const nav = page.getByRole('navigation', { name: 'Main' });
        assert.equal(await nav.getByRole('link', { name: /^(Teach|Instructor console)$/ }).count(), 0);
      } else {
        await page.getByLabel('Course code').fill(joinCode);
        await page.getByRole('button', { name: 'Join' }).click();
        await page.getByRole('status').filter({ hasText: 'Segmentation 101' }).waitFor();
        await page.goto(`${stack.web}/competitions`);
        await page.getByRole('link', { name: /glomeruli/i }).first().click();
      }
      await page.waitForURL(`${stack.web}/competitions/${SLUG}`);
      await page.getByRole('link', { name: 'Data', exact: true }).click();
      await page.getByTestId('rle-example').waitFor();
      const rle = await page.getByTestId('rle-code').textContent();
      assert.match(rle ?? '', /^\d+ \d+( \d+ \d+)*$/);
      if (i === 0) await screenshot(page, 'data');

      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('link', { name: 'Download sample_submission.csv' }).click(),
      ]);
      sampleSubmission = join(downloads, `sample_submission-${i}.csv`);
      await download.saveAs(sampleSubmission);
      assert.match(readFileSync(sampleSubmission, 'utf8').split('\n')[0]!, /^id,predicted/);
      if (i === 0) {
        const [zip] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download-all').click()]);
        const file = join(downloads, 'all.zip');
        await zip.saveAs(file);
        assert.match(zip.suggestedFilename(), /\.zip$/);
        assert.equal(readFileSync(file).subarray(0, 4).toString('latin1'), 'PK\x03\x04', 'a zip archive');
        await page.goto(`${stack.web}/console`);
        await page.getByTestId('course-creation-needs-approval').waitFor();
        assert.equal(await page.getByLabel('Course name').count(), 0);
      }
    }
  });

  it('students submit the file and watch it score live', async () => {
    for (const [i] of students.entries()) {
      const page = studentBrowsers[i]!.context.pages()[0]!;
      await page.goto(`${stack.web}/competitions/${SLUG}/submit`);
      await page.getByLabel('Prediction file', { exact: false }).first().waitFor();
      await page.locator('input[type=file]').setInputFiles(sampleSubmission);
      await page.getByTestId('chosen-file').waitFor();
      await page.getByLabel('Description').fill(`baseline from the sample (${i + 1})`);
      await page.getByLabel('Local CV score (optional)').fill(i === 0 ? '0.42' : '0.38');
      if (i === 0) await screenshot(page, 'submit');
      await page.getByRole('button', { name: 'Submit' }).click();
      await page.waitForURL(new RegExp(`/competitions/${SLUG}/submissions/[0-9a-f-]{36}$`));
      // No reload: the status arrives over the event stream.
      await page.locator('[data-testid=live-status] [data-status=scored]').waitFor({ timeout: 120_000 });
      const score = await page.getByTestId('detail-public-score').textContent();
      assert.match(score ?? '', /^\d\.\d{4}$/);
      if (i === 0) {
        await screenshot(page, 'submission');
        submissionPath = new URL(page.url()).pathname;
      }
    }
  });

  it('a student selects a final submission with the limit shown', async () => {
    const page = studentBrowsers[0]!.context.pages()[0]!;
    await page.goto(`${stack.web}/competitions/${SLUG}/submissions`);
    await page.getByTestId('selection-count').filter({ hasText: /^0 of \d+/ }).waitFor();
    await page.getByRole('checkbox', { name: /Final submission/ }).first().click();
    await page.getByRole('status').filter({ hasText: 'Selected' }).waitFor();
    await page.getByTestId('selection-count').filter({ hasText: /^1 of \d+/ }).waitFor();
    await page.reload();
    assert.equal(await page.getByRole('checkbox', { name: /Final submission/ }).first().isChecked(), true);
    await screenshot(page, 'my-submissions');
  });

  it('the viewer shows a public whole-slide test image from tiles, with a mask overlaid', async () => {
    const page = studentBrowsers[0]!.context.pages()[0]!;
    const tiles: number[] = [];
    page.on('response', (r) => {
      if (/\/api\/competitions\/[^/]+\/tiles\/.+\/\d+\/\d+\/\d+\.(jpg|png|webp)$/.test(r.url())) tiles.push(r.status());
    });
    await page.goto(`${stack.web}/competitions/${SLUG}/viewer`);
    const select = page.getByLabel('Image', { exact: true });
    const slide = (await select.locator('option').allTextContents()).find((o) => /^test\/.+\.tiff?$/.test(o));
    assert.ok(slide, 'a HuBMAP test slide is offered');
    await select.selectOption(slide);
    // A submission with one square glomerulus (column-major RLE, 1-based), to see the overlay.
    const info = (await (await page.request.get(`${stack.web}/api/competitions/${SLUG}/tiles/${slide}/info`)).json()) as { width: number; height: number };
    const runs: string[] = [];
    for (let x = 400; x < 900; x++) runs.push(`${x * info.height + 400 + 1} 500`);
    const id = slide.split('/').pop()!.replace(/\.[^.]+$/, '');
    const csv = join(downloads, 'viewer.csv');
    writeFileSync(csv, `id,predicted\n${id},${runs.join(' ')}\n`);
    await page.getByLabel('Predictions', { exact: true }).selectOption('disk');
    await page.getByLabel('Your submission file').setInputFiles(csv);
    const canvas = page.getByTestId('viewer-slide');
    await canvas.waitFor();
    await page.getByText(/1 mask for/).waitFor();
    const box = await canvas.boundingBox();
    assert.ok(box && box.width > 0 && box.height > 0, 'the slide canvas has a size');
    for (let i = 0; !tiles.some((s) => s === 200); i++) {
      assert.ok(i < 60, `a tile from the tile route: ${JSON.stringify(tiles)}`);
      await page.waitForTimeout(500);
    }
    // Keyboard: focus the slide and zoom in; more tiles (of a finer level) load.
    const before = tiles.length;
    await canvas.focus();
    await page.keyboard.press('+');
    await page.keyboard.press('+');
    await page.getByText(/level 0/).waitFor();
    await page.waitForTimeout(500);
    assert.ok(tiles.length > before, 'zooming loads finer tiles');
    await page.keyboard.press('0');
    await page.waitForTimeout(800);
    assert.ok(tiles.every((s) => s === 200 || s === 304), JSON.stringify(tiles));
    await screenshot(page, 'viewer-slide');
  });

  it('the public leaderboard ranks both teams, marks the tie and highlights the viewer', async () => {
    const page = studentBrowsers[1]!.context.pages()[0]!;
    await page.goto(`${stack.web}/competitions/${SLUG}/leaderboard`);
    await eventually(page, async () => (await page.locator('[data-testid=leaderboard] tbody tr').count()) === 2, 'both teams on the leaderboard', 60);
    const mine = page.locator('tr.is-viewer');
    assert.equal(await mine.count(), 1);
    assert.match((await mine.textContent()) ?? '', /Kim Student/);
    // Same file, same score: the later submission is marked as tied.
    assert.equal(await page.locator('[data-testid=leaderboard] .badge', { hasText: 'tie' }).count(), 1);
    assert.equal(await page.getByRole('link', { name: 'Private' }).count(), 0, 'no private board before the close');
    await screenshot(page, 'leaderboard-public');
  });

  it('instructor rescores and reads what it changed', async () => {
    const page = teacherBrowser.context.pages()[0]!;
    await page.goto(`${stack.web}/console/competitions/${SLUG}`);
    await page.getByLabel('Rescore every submission — reason (optional)').fill('checking the scorer');
    await page.getByRole('button', { name: 'Rescore' }).click();
    // Against the same solution nothing changes, and the console says so once every submission is done.
    const done = page.getByRole('status').filter({ hasText: /^Rescored \d+ submissions? against solution version 1: 0 submissions changed score; 0 teams moved on the public leaderboard\.$/ });
    await done.waitFor({ timeout: 120_000 });
    await screenshot(page, 'console-rescore');
    // The console's list says how busy the competition is.
    await page.goto(`${stack.web}/console`);
    const row = page.locator('[data-testid=console-competitions] tr', { hasText: SLUG });
    assert.equal((await row.getByTestId('console-activity').textContent())?.trim(), '2 teams · 2 submissions');
  });

  it('instructor closes the competition; private leaderboard and shake-up appear', async () => {
    const page = teacherBrowser.context.pages()[0]!;
    await page.goto(`${stack.web}/console/competitions/${SLUG}`);
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Close now' }).click();
    await page.getByRole('status').filter({ hasText: 'Closed' }).waitFor();
    // What no longer applies is disabled, with the reason; what still does (late submissions are
    // scored under the quota) stays editable.
    await page.reload();
    for (const label of ['Opens at', 'Team merge deadline', 'Closes at']) assert.equal(await page.getByLabel(label).isDisabled(), true, label);
    assert.equal(await page.getByRole('button', { name: 'Save timeline' }).isDisabled(), true);
    assert.match((await page.getByTestId('timeline-done').textContent()) ?? '', /^The competition closed on .+: its close is final/);
    assert.equal(await page.getByRole('button', { name: 'Close now' }).isDisabled(), true);
    await page.getByTestId('close-unavailable').waitFor();
    assert.equal(await page.getByLabel('Largest team').isDisabled(), true);
    assert.equal((await page.locator('#s-team-hint').textContent())?.trim(), 'Teams no longer merge: the competition has closed.');
    await eventually(page, async () => (await page.getByLabel('Freeze the public board for the last N days').isDisabled()) && (await page.getByLabel(/per-image public scores/).isDisabled()), 'the reveal', 60);
    assert.equal(await page.getByLabel('Submissions per day').isDisabled(), false);
    assert.equal(await page.getByLabel('Anonymous leaderboard').isDisabled(), false);
    await screenshot(page, 'console-closed');

    const student = studentBrowsers[0]!.context.pages()[0]!;
    await student.goto(`${stack.web}/competitions/${SLUG}/leaderboard?split=private`);
    await eventually(student, async () => (await student.locator('[data-testid=leaderboard][data-split=private] tbody tr').count()) === 2, 'the private leaderboard', 120);
    await screenshot(student, 'leaderboard-private');
    // The final standing is what the leaderboard now opens on; the public one is labelled as past.
    await student.goto(`${stack.web}/competitions/${SLUG}/leaderboard`);
    await student.locator('[data-testid=leaderboard][data-split=private]').waitFor();
    await student.getByRole('link', { name: 'Public, as it was at the close' }).waitFor();

    await student.getByRole('link', { name: 'Shake-up' }).click();
    await student.getByTestId('shakeup-stats').waitFor();
    await student.locator('[data-testid=bump-chart] svg').first().waitFor();
    await student.locator('[data-testid=cv-chart] svg').first().waitFor();
    assert.equal(await student.locator('[data-testid=shakeup-table] tbody tr').count(), 2);
    await screenshot(student, 'shakeup');

    // The student's own submission now shows its private score.
    await student.goto(`${stack.web}/competitions/${SLUG}/submissions`);
    await student.getByRole('columnheader', { name: 'Private' }).waitFor();
  });

  // Last of the journey: a second competition in the course would change where joining students land.
  it('instructor uploads a bundle archive: a broken one names the field, a valid one creates the competition', async () => {
    const page = teacherBrowser.context.pages()[0]!;
    const dir = mkdtempSync(join(tmpdir(), 'holdout-bundle-'));
    try {
      const slug = `upl-${run}`;
      const broken = bundleArchive(dir, 'broken', (y) => y.replace(/^slug: .*$/m, `slug: broken-${run}`).replace('rleOrder:', 'rle_order:'));
      const valid = bundleArchive(dir, slug, (y) => y.replace(/^slug: .*$/m, `slug: ${slug}`));

      await page.goto(`${stack.web}/console`);
      await page.getByLabel('Upload a bundle (.tar.gz)').check();
      const file = page.getByLabel('Bundle archive');
      assert.equal(await file.getAttribute('accept'), '.tar.gz,.tgz,application/gzip,application/x-gzip');
      await file.setInputFiles(broken);
      await page.getByRole('button', { name: 'Create competition' }).click();
      const error = page.getByRole('alert').filter({ hasText: 'rle_order' });
      await error.waitFor();
      await screenshot(page, 'console-upload-bundle');
      assert.equal(page.url(), `${stack.web}/console`);

      await page.getByLabel('Bundle archive').setInputFiles(valid);
      await page.getByRole('button', { name: 'Create competition' }).click();
      await page.waitForURL(`${stack.web}/console/competitions/${slug}`);
      await page.getByRole('heading', { name: 'Timeline (UTC)' }).waitFor();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the Code tab shows the starter kernel, and "Submit this" sends it as it is', async () => {
    const page = studentBrowsers[0]!.context.pages()[0]!;
    await page.goto(`${stack.web}/competitions/${SLUG}/code`);
    const starter = page.getByTestId('starter-code');
    await starter.waitFor();
    const code = (await starter.locator('pre').textContent()) ?? '';
    assert.match(code, /def find_input\(\)/);
    await screenshot(page, 'code-starter');
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: stack.web });
    await starter.getByRole('button', { name: 'Copy' }).click();
    await starter.getByRole('status').filter({ hasText: 'Copied.' }).waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), code);
    await starter.getByRole('button', { name: 'Submit this' }).click();
    // This stack runs no kernels (HOLDOUT_KERNELS=off): the API's refusal reaches the student.
    await starter.getByRole('alert').filter({ hasText: 'kernel runs are disabled on this server' }).waitFor();
  });

  it('signed out, a deep link comes back to its sub-page after sign-in; outsiders are told how to join', async () => {
    const b = await launch();
    try {
      const page = await b.context.newPage();
      await page.goto(`${stack.web}/competitions`);
      await page.getByTestId('sign-in-first').getByRole('link', { name: 'Sign in' }).waitFor();
      await page.goto(`${stack.web}/competitions/${SLUG}/leaderboard`);
      await page.waitForURL(/\/login\?next=/);
      assert.equal(new URL(page.url()).searchParams.get('next'), `/competitions/${SLUG}/leaderboard`);
      await page.getByLabel('Email').fill(students[0]!.email);
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(`${stack.web}/competitions/${SLUG}/leaderboard`);
      await page.locator('[data-testid=leaderboard]').waitFor();
    } finally {
      await b.close();
    }
    const outsider = await launch();
    try {
      const page = await outsider.context.newPage();
      await register(page, stack.web, { name: 'Olga Outsider', email: `olga-${run}@example.test` });
      await page.goto(`${stack.web}/competitions/${SLUG}/leaderboard`);
      await page.getByTestId('competition-not-found').getByRole('link', { name: 'join the course' }).waitFor();
      await screenshot(page, 'competition-not-available');
    } finally {
      await outsider.close();
    }
  });

  it('a student who forgot the password gets a link (in the API log by default), sets a new one and signs in', async () => {
    const b = await launch();
    try {
      const page = await b.context.newPage();
      const who = { name: 'Fay Forgetful', email: `fay-${run}@example.test` };
      await register(page, stack.web, who);
      await page.context().clearCookies();
      await page.goto(`${stack.web}/login`);
      await page.getByRole('link', { name: 'Forgot your password?' }).click();
      await page.waitForURL(`${stack.web}/forgot-password`);
      await page.getByLabel('Email').fill(who.email);
      await page.getByRole('button', { name: 'Send the link' }).click();
      await page.getByRole('status').filter({ hasText: 'a link to choose a new password is on its way' }).waitFor();
      await screenshot(page, 'password-reset-requested');
      // HOLDOUT_MAIL_URL is `log:` here: the mail is a line of the API's log.
      let link: string | undefined;
      for (let i = 0; i < 40 && !link; i++) {
        const mail = readFileSync(stack.apiLog, 'utf8')
          .split('\n')
          .filter((l) => l.includes('"mail (HOLDOUT_MAIL_URL=log:)"'))
          .map((l) => JSON.parse(l) as { to: string; text: string })
          .find((m) => m.to === who.email);
        link = mail ? /(http\S+\/reset-password\?token=\S+)/.exec(mail.text)?.[1] : undefined;
        if (!link) await page.waitForTimeout(250);
      }
      assert.ok(link, 'the reset link is in the API log');
      assert.ok(link.startsWith(`${stack.web}/reset-password?token=`), link);
      await page.goto(link);
      await page.getByLabel('New password').fill('a brand new password');
      await page.getByRole('button', { name: 'Set the new password' }).click();
      await page.getByRole('status').filter({ hasText: 'Your password is changed' }).waitFor();
      await screenshot(page, 'password-reset-done');
      // The link works once.
      await page.goto(link);
      await page.getByLabel('New password').fill('yet another password');
      await page.getByRole('button', { name: 'Set the new password' }).click();
      await page.getByRole('alert').filter({ hasText: 'invalid, used already or expired' }).waitFor();
      await page.goto(`${stack.web}/login`);
      await page.getByLabel('Email').fill(who.email);
      await page.getByLabel('Password').fill('a brand new password');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByTestId('whoami').filter({ hasText: who.name }).waitFor();
    } finally {
      await b.close();
    }
  });

  it('failed sign-ins are throttled, and the sign-in form says how long to wait', async () => {
    const b = await launch();
    try {
      const page = await b.context.newPage();
      await page.goto(`${stack.web}/login`);
      // An address that has no account: its failures count all the same (10 per address and account).
      await page.getByLabel('Email').fill(`nobody-${run}@example.test`);
      await page.getByLabel('Password').fill('not the password');
      let status = 0;
      for (let i = 0; i < 15 && status !== 429; i++) {
        const [res] = await Promise.all([
          page.waitForResponse((r) => r.url().endsWith('/api/auth/login') && r.request().method() === 'POST'),
          page.getByRole('button', { name: 'Sign in' }).click(),
        ]);
        status = res.status();
        if (i === 0) await page.getByRole('alert').filter({ hasText: /^Wrong email or password/ }).waitFor();
      }
      assert.equal(status, 429, 'the sign-ins were throttled');
      const throttled = page.getByRole('alert').filter({ hasText: 'try again in' });
      await throttled.waitFor();
      assert.match(((await throttled.textContent()) ?? '').trim(), /^Too many failed sign-ins .+; try again in \d+ s\.$/);
      await screenshot(page, 'login-throttled');
    } finally {
      await b.close();
    }
  });

  it('main pages pass axe (WCAG 2.1 A/AA, serious and critical) in light and dark, and on a phone', async () => {
    const cookies = await studentBrowsers[0]!.context.cookies();
    const pages = ['/', '/competitions', `/competitions/${SLUG}`, `/competitions/${SLUG}/data`, `/competitions/${SLUG}/submit`, `/competitions/${SLUG}/submissions`, `/competitions/${SLUG}/leaderboard`, `/competitions/${SLUG}/leaderboard?split=private`, `/competitions/${SLUG}/shakeup`, '/join'];
    const failures: string[] = [];
    for (const scheme of ['light', 'dark'] as const) {
      const b = await launch({ colorScheme: scheme });
      try {
        await b.context.addCookies(cookies);
        const page = await b.context.newPage();
        for (const p of pages) {
          await page.goto(`${stack.web}${p}`, { waitUntil: 'networkidle' });
          const v = await axe(page);
          if (v.length) failures.push(`${scheme} ${p}\n${describeViolations(v)}`);
        }
        await page.goto(`${stack.web}/competitions/${SLUG}`);
        await screenshot(page, `overview-${scheme}`);
      } finally {
        await b.close();
      }
    }
    const anon = await launch();
    try {
      const page = await anon.context.newPage();
      for (const p of ['/login', '/register', '/forgot-password', '/reset-password?token=x']) {
        await page.goto(`${stack.web}${p}`, { waitUntil: 'networkidle' });
        const v = await axe(page);
        if (v.length) failures.push(`anonymous ${p}\n${describeViolations(v)}`);
      }
      await screenshot(page, 'register');
    } finally {
      await anon.close();
    }
    const phone = await launch({ viewport: { width: 390, height: 844 } });
    try {
      await phone.context.addCookies(cookies);
      const page = await phone.context.newPage();
      await page.goto(`${stack.web}/competitions/${SLUG}/leaderboard`, { waitUntil: 'networkidle' });
      const v = await axe(page);
      if (v.length) failures.push(`phone leaderboard\n${describeViolations(v)}`);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 1, `the phone layout scrolls sideways by ${overflow}px`);
      // The header leaves the screen to the page: two short rows, not three.
      const header = await page.locator('.site-header').boundingBox();
      assert.ok(header && header.height <= 100, `the header takes ${header?.height}px on a phone`);
      await screenshot(page, 'leaderboard-phone');
      // My submissions: the current tab is scrolled into view, and each submission is a card
      // whose status and public score are on screen.
      await page.goto(`${stack.web}/competitions/${SLUG}/submissions`, { waitUntil: 'networkidle' });
      const tab = await page.locator('.tabs a[aria-current=page]').boundingBox();
      assert.ok(tab && tab.x >= 0 && tab.x + tab.width <= 390, `the current tab is off screen: ${JSON.stringify(tab)}`);
      for (const cell of ['[data-label=Status]', '[data-testid=public-score]']) {
        const box = await page.locator(`[data-testid=submission-row] ${cell}`).first().boundingBox();
        assert.ok(box && box.x >= 0 && box.x + box.width <= 390, `${cell} is off screen: ${JSON.stringify(box)}`);
      }
      const v2 = await axe(page);
      if (v2.length) failures.push(`phone submissions\n${describeViolations(v2)}`);
      await screenshot(page, 'submissions-phone');
    } finally {
      await phone.close();
    }
    assert.deepEqual(failures, [], failures.join('\n\n'));
  });

  it('screenshots of every page at desktop and phone size', async () => {
    const student = await studentBrowsers[0]!.context.cookies();
    const instructor = await teacherBrowser.context.cookies();
    const shots: [string, string, typeof student | null][] = [
      ['home', '/', student],
      ['competitions', '/competitions', student],
      ['join', '/join', student],
      ['overview', `/competitions/${SLUG}`, student],
      ['data', `/competitions/${SLUG}/data`, student],
      ['submit', `/competitions/${SLUG}/submit`, student],
      ['submission', submissionPath, student],
      ['code', `/competitions/${SLUG}/code`, student],
      ['team', `/competitions/${SLUG}/team`, student],
      ['leaderboard', `/competitions/${SLUG}/leaderboard`, student],
      ['console', '/console', instructor],
      ['console-competition', `/console/competitions/${SLUG}`, instructor],
      ['login', '/login', null],
      ['register', '/register', null],
    ];
    assert.ok(submissionPath, 'a submission of the journey');
    const sideways: string[] = [];
    for (const [size, viewport] of [['desktop', { width: 1280, height: 860 }], ['phone', { width: 390, height: 844 }]] as const) {
      const b = await launch({ viewport });
      try {
        const page = await b.context.newPage();
        let signedInAs: typeof student | null | undefined;
        for (const [name, path, cookies] of shots) {
          if (cookies !== signedInAs) {
            await b.context.clearCookies();
            if (cookies) await b.context.addCookies(cookies);
            signedInAs = cookies;
          }
          const res = await page.goto(`${stack.web}${path}`);
          assert.equal(res?.status(), 200, `${path} (${size})`);
          await screenshot(page, `page-${name}-${size}`);
          if (size === 'phone') {
            const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
            if (overflow > 1) sideways.push(`${path} by ${overflow}px`);
          }
        }
      } finally {
        await b.close();
      }
    }
    assert.deepEqual(sideways, [], 'pages that scroll sideways on a phone');
  });

  it('every page carries a nonce Content-Security-Policy, and no page of the journeys broke it', async () => {
    const first = await fetch(`${stack.web}/competitions`);
    const second = await fetch(`${stack.web}/competitions`);
    const policy = first.headers.get('content-security-policy') ?? '';
    const nonce = /'nonce-([^']+)'/.exec(policy)?.[1];
    assert.ok(nonce, `no nonce in the policy: ${policy}`);
    assert.match(policy, /script-src 'self' 'nonce-[^']+' 'strict-dynamic'/);
    assert.match(policy, /frame-ancestors 'none'/);
    assert.match(policy, /object-src 'none'/);
    assert.notEqual(second.headers.get('content-security-policy'), policy, 'a fresh nonce per response');
    const html = await first.text();
    assert.ok(html.includes(`nonce="${nonce}"`), 'the page\'s own scripts carry the nonce');
    assert.deepEqual(cspViolations, [], 'the journeys and the axe pass never hit the policy');
    // Markup injected into a served page (what an XSS would do) does not run, while the page's
    // own scripts do, and Chromium reports the refusal.
    const b = await launch();
    try {
      const page = await b.context.newPage();
      await page.route(`${stack.web}/login`, async (route) => {
        const served = await route.fetch();
        const body = (await served.text()).replace('</head>', '<script>window.__injected = true</script></head>');
        await route.fulfill({ response: served, body });
      });
      await page.goto(`${stack.web}/login`, { waitUntil: 'networkidle' });
      assert.equal(await page.evaluate(() => (window as unknown as { __injected?: boolean }).__injected), undefined, 'the injected script ran');
      assert.ok(await page.evaluate(() => Array.isArray((self as unknown as { __next_f?: unknown[] }).__next_f)), 'the page\'s own scripts ran');
      assert.ok(cspViolations.some((v) => /inline script/i.test(v)), `Chromium reported the refused script: ${cspViolations.join('\n')}`);
    } finally {
      await b.close();
    }
  });
});
