// A student's kernel journey in Chromium on the bundled kernel-only competition (Sartorius-like),
// with a worker that runs kernels in Docker (the slim runtime image): run without submitting, a
// kernel that fails in its public run, and a real submission through both runs to a score.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { axe, describeViolations, launch, screenshot, type Browser } from './browser.js';
import { eventually, register } from './people.js';
import { startStack, type Stack } from './stack.js';

const SLUG = 'cells-e2e';
const run = Date.now().toString(36);
const teacher = { name: 'Kai Instructor', email: `kai-${run}@example.test` };
const student = { name: 'Ada Student', email: `ada-${run}@example.test` };
// Each state of a kernel takes a container start and a few seconds of its own.
const STATE = { timeout: 120_000 };

/** A kernel that prints `marker`, waits (so that the page is seen live), and writes the sample as its submission plus a note. */
const copying = (marker: string) => `import os, shutil, time
print('${marker}', flush=True)
print('rerun:', os.environ.get('KAGGLE_IS_COMPETITION_RERUN', 'no'), flush=True)
time.sleep(6)
shutil.copy('/kaggle/input/${SLUG}/sample_submission.csv', '/kaggle/working/submission.csv')
open('/kaggle/working/notes.txt', 'w').write('${marker} notes\\n')
print('done', flush=True)
`;

const failing = (marker: string) => `print('${marker}', flush=True)
raise ValueError('${marker} went wrong')
`;

/** Every text `locator` shows while `until` is pending (live progress lines come and go). */
async function textsWhile(locator: Locator, until: Promise<unknown>): Promise<Set<string>> {
  const seen = new Set<string>();
  let done = false;
  const finished = until.finally(() => (done = true));
  while (!done) {
    const t = await locator.textContent({ timeout: 200 }).catch(() => null);
    if (t) seen.add(t.trim());
    await new Promise((r) => setTimeout(r, 200));
  }
  await finished;
  return seen;
}

describe('a student’s kernels in Chromium (public run, hidden run)', { timeout: 15 * 60_000 }, () => {
  let stack: Stack;
  let teacherBrowser: Browser;
  let studentBrowser: Browser;
  let page: Page;
  const dir = mkdtempSync(join(tmpdir(), 'holdout-kernels-'));

  /** Uploads `source` as a kernel on the Code tab with `button`; answers the new submission's id. */
  async function upload(name: string, source: string, button: 'Submit' | 'Run without submitting'): Promise<string> {
    const file = join(dir, name);
    writeFileSync(file, source);
    await page.goto(`${stack.web}/competitions/${SLUG}/code`);
    await page.getByTestId('run-only-hint').waitFor();
    await page.locator('input[type=file]').setInputFiles(file);
    await page.getByTestId('chosen-file').waitFor();
    await page.getByLabel('Description').fill(`${name} (${button.toLowerCase()})`);
    await page.getByRole('button', { name: button, exact: true }).click();
    await page.waitForURL(new RegExp(`/competitions/${SLUG}/submissions/[0-9a-f-]{36}$`));
    return page.url().split('/').pop()!;
  }

  const runCard = (phase: 'public' | 'hidden') => page.locator(`[data-testid=kernel-run][data-phase=${phase}]`);

  before(async () => {
    stack = await startStack({ env: { HOLDOUT_KERNELS: 'on', HOLDOUT_KERNEL_IMAGE: process.env.HOLDOUT_KERNEL_IMAGE ?? 'holdout/kernel-runtime:slim' } });
    teacherBrowser = await launch();
    studentBrowser = await launch();
  });

  after(async () => {
    await teacherBrowser?.close();
    await studentBrowser?.close();
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('instructor creates the kernel-only competition and fits its kernel runs to this machine', async () => {
    const t = await teacherBrowser.context.newPage();
    await register(t, stack.web, teacher);
    await t.goto(`${stack.web}/console`);
    await t.getByLabel('Course name').fill('Cells 101');
    await t.getByRole('button', { name: 'Create course' }).click();
    await t.getByRole('status').filter({ hasText: 'Created Cells 101' }).waitFor();
    const joinCode = (await t.getByTestId('console-join-code').first().textContent())!.trim();
    await t.getByLabel('Competition bundle').selectOption('sartorius-cells');
    await t.getByLabel('Slug (optional)').fill(SLUG);
    await t.getByRole('button', { name: 'Create competition' }).click();
    await t.waitForURL(`${stack.web}/console/competitions/${SLUG}`);
    // The bundle asks for a GPU, 16 GB and 9 h: this machine's worker has no GPU.
    await t.getByLabel('GPUs', { exact: true }).fill('0');
    await t.getByLabel('CPUs', { exact: true }).fill('1');
    await t.getByLabel('Memory (GB)').fill('1');
    await t.getByLabel('Time limit (hours)').fill('0.05');
    await t.getByLabel('Public runs per team per day').fill('12');
    await t.getByRole('button', { name: 'Save settings' }).click();
    await t.getByRole('status').filter({ hasText: 'Settings saved.' }).waitFor();
    await t.reload();
    assert.equal(await t.getByLabel('GPUs', { exact: true }).inputValue(), '0');
    await screenshot(t, 'kernels-console-settings');

    const s = await studentBrowser.context.newPage();
    page = s;
    await register(s, stack.web, student);
    await s.getByLabel('Course code').fill(joinCode);
    await s.getByRole('button', { name: 'Join' }).click();
    await s.getByRole('status').filter({ hasText: 'Cells 101' }).waitFor();
    // The rules page states the public-run limit the instructor set.
    await s.goto(`${stack.web}/competitions/${SLUG}`);
    await s.getByText(/12 per day/).first().waitFor();
    // …and the kernel limits set above, not the bundle's (a GPU, 16 GB, 9 h), nor a hidden-run log it does not show.
    const rules = (await s.locator('main').textContent()) ?? '';
    assert.match(rules, /Each run has 1 CPU, 1 GiB of memory \(or what the kernel worker has, if less\),\s+no GPU, at most \d+ processes and 3 min/);
    assert.match(rules, /Of that run you see only the result class/);
    for (const stale of [/16 GiB/, /9-hour/, /\b9 h\b/, /1 GPU/, /log of that run is not shown/]) assert.doesNotMatch(rules, stale);
    await s.goto(`${stack.web}/competitions/${SLUG}/data`);
    await eventually(s, async () => (await s.locator('[data-testid=data-files] td', { hasText: 'sample_submission.csv' }).count()) > 0, 'the competition data', 300);
  });

  it('"Run without submitting" does the public run only: its log live, its files, complete and not charged', async () => {
    const marker = `run-only-${run}`;
    await upload('explore.py', copying(marker), 'Run without submitting');
    const log = runCard('public').getByTestId('run-log');
    // No reload: the log streams in while the kernel sleeps.
    await log.filter({ hasText: marker }).waitFor(STATE);
    await screenshot(page, 'kernel-run-only-live');
    await page.locator('[data-testid=live-status] [data-status=complete]').waitFor(STATE);
    assert.equal((await page.locator('[data-testid=live-status] [data-status=complete]').textContent())?.trim(), 'ran — not submitted');
    assert.equal((await page.getByTestId('run-only').textContent())?.trim(), 'run only');
    assert.equal((await page.getByTestId('not-charged').textContent())?.trim(), 'not charged');
    assert.equal((await page.getByTestId('detail-public-score').textContent())?.trim(), 'not scored');
    assert.equal(await runCard('hidden').count(), 0, 'no hidden run without submitting');
    await page.locator('[data-testid=kernel-run][data-phase=public][data-outcome=succeeded]').waitFor();
    assert.match((await log.textContent()) ?? '', /rerun: [\s\S]*done/);
    const files = runCard('public').getByTestId('run-files');
    await files.getByRole('link', { name: 'notes.txt' }).waitFor();
    await files.getByRole('link', { name: 'submission.csv' }).waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), files.getByRole('link', { name: 'notes.txt' }).click()]);
    const saved = join(dir, 'notes.txt');
    await download.saveAs(saved);
    assert.equal(readFileSync(saved, 'utf8'), `${marker} notes\n`);
    await screenshot(page, 'kernel-run-only-complete');
  });

  it('a page opened while a kernel runs shows its log so far, then every new line once, in order', async () => {
    const ticks = `import shutil, time
for i in range(60):
    print(f'tick {i}', flush=True)
    time.sleep(0.2)
shutil.copy('/kaggle/input/${SLUG}/sample_submission.csv', '/kaggle/working/submission.csv')
`;
    await upload('ticks.py', ticks, 'Run without submitting');
    const log = runCard('public').getByTestId('run-log');
    await log.filter({ hasText: /tick 5\b/ }).waitFor(STATE);
    // Opened again mid-run: the page renders the log read so far, and its event stream then sends
    // what the run prints after that read, without repeating what the page shows.
    await page.reload();
    await log.filter({ hasText: /tick 30\b/ }).waitFor(STATE);
    assert.equal(await page.locator('[data-testid=kernel-run][data-phase=public][data-outcome=running]').count(), 1, 'still running: the log is the live one');
    const lines = ((await log.textContent()) ?? '').trim().split('\n');
    assert.deepEqual(lines, lines.map((_, i) => `tick ${i}`));
    await page.locator('[data-testid=live-status] [data-status=complete]').waitFor(STATE);
  });

  it('a kernel that raises fails in its public run: the traceback is shown, and it is not charged', async () => {
    const marker = `boom-${run}`;
    await upload('broken.py', failing(marker), 'Submit');
    await page.locator('[data-testid=live-status] [data-status=failed]').waitFor(STATE);
    const card = runCard('public');
    await card.getByTestId('run-log').filter({ hasText: `ValueError: ${marker} went wrong` }).waitFor();
    assert.match((await card.getByTestId('run-log').textContent()) ?? '', /Traceback \(most recent call last\)/);
    // The run's outcome follows the submission's status by one refresh: wait for it, do not race it.
    const ended = page.locator('[data-testid=kernel-run][data-phase=public][data-outcome=exception]');
    await ended.waitFor(STATE);
    assert.equal((await ended.getByTestId('run-outcome').textContent())?.trim(), 'threw an exception');
    assert.equal((await page.getByTestId('not-charged').textContent())?.trim(), 'not charged');
    await page.getByRole('alert').filter({ hasText: 'Notebook threw an exception in the public run (not charged)' }).waitFor();
    assert.equal(await runCard('hidden').count(), 0, 'no hidden run after a failed public run');
    assert.equal(await page.getByTestId('run-only').count(), 0);
    await screenshot(page, 'kernel-failed-public-run');
  });

  it('a submitted kernel runs over the public data, then over the hidden test data (result only), and is scored', async () => {
    const marker = `submit-${run}`;
    await upload('submit.py', copying(marker), 'Submit');
    const scored = page.locator('[data-testid=live-status] [data-status=scored]');
    const progress = textsWhile(page.getByTestId('live-progress'), scored.waitFor({ timeout: 240_000 }));
    await runCard('public').getByTestId('run-log').filter({ hasText: marker }).waitFor(STATE);
    await screenshot(page, 'kernel-public-run-live');
    await runCard('hidden').waitFor(STATE);
    await runCard('hidden').getByTestId('run-result-only').waitFor();
    await screenshot(page, 'kernel-hidden-run');
    const seen = await progress;
    assert.ok([...seen].some((t) => /^Public run · (starting|running for .+ of \d.*)$/.test(t)), `the public run's progress: ${[...seen].join(' | ')}`);
    assert.ok([...seen].some((t) => /^Hidden run · (starting|running for .+ of \d.*)$/.test(t)), `the hidden run's progress: ${[...seen].join(' | ')}`);
    assert.match((await page.getByTestId('detail-public-score').textContent()) ?? '', /^\d\.\d{4}$/);
    assert.equal(await page.getByTestId('not-charged').count(), 0);
    // The page shows both runs as they ended (the final server render follows the last status).
    await page.locator('[data-testid=kernel-run][data-phase=public][data-outcome=succeeded]').waitFor();
    const hidden = page.locator('[data-testid=kernel-run][data-phase=hidden][data-outcome=succeeded]');
    await hidden.waitFor();
    assert.equal(await hidden.getByTestId('run-log').count(), 0, 'no log of the hidden run for a participant');
    assert.equal(await hidden.getByTestId('run-files').count(), 0, 'no files of the hidden run for a participant');
    assert.match((await hidden.textContent()) ?? '', /Only the result of this run is shown to participants/);
    await screenshot(page, 'kernel-scored');
    const violations = await axe(page);
    assert.deepEqual(violations, [], describeViolations(violations));

    // My submissions: the four, each as what it is.
    await page.goto(`${stack.web}/competitions/${SLUG}/submissions`);
    const rows = page.getByTestId('submission-row');
    assert.equal(await rows.count(), 4);
    const runOnly = rows.filter({ hasText: 'explore.py' });
    assert.match((await runOnly.textContent()) ?? '', /ran — not submitted[\s\S]*run only[\s\S]*not charged/);
    assert.match((await rows.filter({ hasText: 'broken.py' }).textContent()) ?? '', /failed[\s\S]*not charged/);
    assert.match((await rows.filter({ hasText: 'submit.py' }).textContent()) ?? '', /scored/);
    assert.equal(await runOnly.getByRole('checkbox').isDisabled(), true, 'a run without submitting cannot be a final submission');
    await screenshot(page, 'kernel-submissions');
  });

  it('the Viewer overlays a kernel\'s output picked from the list: the public run\'s submission.csv, never the hidden run\'s', async () => {
    await page.goto(`${stack.web}/competitions/${SLUG}/viewer`);
    const source = page.getByLabel('Predictions', { exact: true });
    const pick = async (name: string) => source.selectOption((await source.locator('option', { hasText: name }).getAttribute('value'))!);
    await pick('broken.py');
    await page.getByTestId('viewer-no-output').waitFor();
    await pick('submit.py');
    await page.getByTestId('viewer-source-status').filter({ hasText: 'Showing submission.csv of the public run.' }).waitFor();
    assert.equal(await page.getByLabel('Run output').count(), 0, 'the hidden run\'s output is not offered');
    // The public run saw the three public sample images only, each of them listed as public.
    await page.getByTestId('viewer-ids').getByText(/^3 images, 3 of them public\.$/).waitFor();
    await page.getByTestId('viewer-status').filter({ hasText: /0 masks for / }).waitFor();
  });

  it('a second kernel waits its turn ("Queued · 1st of 1"), and either can be cancelled, not charged', async () => {
    const sleeper = (marker: string) => `import time\nprint('${marker}', flush=True)\ntime.sleep(90)\n`;
    const first = await upload('sleeper.py', sleeper(`first-${run}`), 'Submit');
    await runCard('public').getByTestId('run-log').filter({ hasText: `first-${run}` }).waitFor(STATE);
    // This machine's worker runs one kernel at a time: the next one is queued behind it.
    await upload('waiting.py', sleeper(`second-${run}`), 'Submit');
    await page.getByTestId('live-progress').filter({ hasText: /^Queued · 1st of 1\b/ }).waitFor(STATE);
    await screenshot(page, 'kernel-queued');
    for (const url of [page.url(), `${stack.web}/competitions/${SLUG}/submissions/${first}`]) {
      await page.goto(url);
      await page.getByRole('button', { name: 'Cancel kernel' }).click();
      await page.getByRole('button', { name: 'Yes, cancel the kernel' }).click();
      await page.locator('[data-testid=live-status] [data-status=cancelled]').waitFor(STATE);
    }
    await screenshot(page, 'kernel-cancelled');
  });

  it('a kernel that fails only over the hidden test data shows the failure class, not the hidden run\'s log', async () => {
    const marker = `hidden-boom-${run}`;
    const source = `import os, shutil
if os.environ.get('KAGGLE_IS_COMPETITION_RERUN'):
    print('${marker} secret line', flush=True)
    raise ValueError('${marker}')
shutil.copy('/kaggle/input/${SLUG}/sample_submission.csv', '/kaggle/working/submission.csv')
`;
    await upload('hidden-fail.py', source, 'Submit');
    await page.locator('[data-testid=live-status] [data-status=failed]').waitFor({ timeout: 240_000 });
    const ended = page.locator('[data-testid=kernel-run][data-phase=hidden][data-outcome=exception]');
    await ended.waitFor(STATE);
    assert.equal(await ended.getByTestId('run-log').count(), 0, 'no log of the hidden run for a participant');
    assert.doesNotMatch((await page.locator('main').textContent()) ?? '', new RegExp(`${marker} secret line`));
    await page.getByRole('alert').filter({ hasText: /threw an exception/ }).waitFor();
    await screenshot(page, 'kernel-failed-hidden-run');
  });

  it('"Submit this" on the Code tab sends the starter kernel as it is, as a kernel submission', async () => {
    await page.goto(`${stack.web}/competitions/${SLUG}/code`);
    const starter = page.getByTestId('starter-code').first();
    await starter.getByRole('button', { name: 'Submit this' }).click();
    await page.waitForURL(new RegExp(`/competitions/${SLUG}/submissions/[0-9a-f-]{36}$`));
    await page.getByText(/^starter kernel\.py$/).waitFor();
    // A platform run: it can be cancelled (not charged), which spares this machine the starter's runs.
    await page.getByRole('button', { name: 'Cancel kernel' }).click();
    await page.getByRole('button', { name: 'Yes, cancel the kernel' }).click();
    await page.locator('[data-testid=live-status] [data-status=cancelled]').waitFor(STATE);
  });
});
