// A student's model (ONNX) submissions in Chromium on the bundled HuBMAP-like competition, run by
// the real worker through the competition's tiled pipeline: the requirements shown from the
// pipeline, a file that is no model refused with its problems listed (nothing created or
// charged), and a small valid model followed live to its score.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { garbageBytes, identityModel, nanModel } from '@holdout/inference/testing';
import { axe, describeViolations, launch, screenshot, type Browser } from './browser.js';
import { createCourse, eventually, joinCourse, register } from './people.js';
import { startStack, type Stack } from './stack.js';

const SLUG = 'glom-models-e2e';
const run = Date.now().toString(36);
const teacher = { name: 'Mo Instructor', email: `mo-${run}@example.test` };
const student = { name: 'Lea Student', email: `lea-${run}@example.test` };

/**
 * What the page showed while `until` was pending: each progress line, and whether the bar had a
 * value; a screenshot when the first line appears.
 */
async function progressWhile(page: Page, until: Promise<unknown>, shot: string): Promise<{ lines: Set<string>; bar: boolean }> {
  const lines = new Set<string>();
  let bar = false;
  let done = false;
  const finished = until.finally(() => (done = true));
  while (!done) {
    const t = await page.getByTestId('model-progress').textContent({ timeout: 200 }).catch(() => null);
    if (t && lines.size === 0) await screenshot(page, shot);
    if (t) lines.add(t.trim());
    if (!bar) bar = (await page.getByTestId('model-progress-bar').getAttribute('value', { timeout: 200 }).catch(() => null)) !== null;
    await new Promise((r) => setTimeout(r, 200));
  }
  await finished;
  return { lines, bar };
}

describe('a student’s ONNX models in Chromium (HuBMAP-like pipeline)', { timeout: 6 * 60_000 }, () => {
  let stack: Stack;
  let teacherBrowser: Browser;
  let studentBrowser: Browser;
  let page: Page;
  const dir = mkdtempSync(join(tmpdir(), 'holdout-models-'));

  /** "5 of 7 submissions left today" → 5. */
  async function left(): Promise<number> {
    await page.goto(`${stack.web}/competitions/${SLUG}/submit`);
    const text = (await page.getByTestId('quota').textContent()) ?? '';
    const m = /(\d+) of \d+ submissions left today/.exec(text);
    assert.ok(m, `the quota line: ${text}`);
    return Number(m[1]);
  }

  /** Chooses the Model kind on the Submit tab and attaches `file`. */
  async function chooseModel(file: string) {
    await page.goto(`${stack.web}/competitions/${SLUG}/submit`);
    await page.getByRole('radio', { name: 'Model (ONNX)' }).check();
    await page.getByTestId('model-requirements').waitFor();
    await page.locator('input[type=file]').setInputFiles(file);
    await page.getByTestId('chosen-file').waitFor();
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
    rmSync(dir, { recursive: true, force: true });
  });

  it('an instructor opens the HuBMAP-like competition; a student joins and finds models among its kinds', async () => {
    const t = await teacherBrowser.context.newPage();
    await register(t, stack.web, teacher);
    const code = await createCourse(t, stack.web, 'Models 101');
    await t.getByLabel('Competition bundle').selectOption('hubmap-glomeruli');
    await t.getByLabel('Slug (optional)').fill(SLUG);
    await t.getByRole('button', { name: 'Create competition' }).click();
    await t.waitForURL(`${stack.web}/console/competitions/${SLUG}`);
    assert.equal(await t.getByLabel('Models (ONNX, run by the platform').isChecked(), true, 'the bundle turns models on');

    page = await studentBrowser.context.newPage();
    await register(page, stack.web, student);
    await joinCourse(page, stack.web, code, 'Models 101');
    await page.goto(`${stack.web}/competitions/${SLUG}/data`);
    await eventually(page, async () => (await page.locator('[data-testid=data-files] td', { hasText: 'sample_submission.csv' }).count()) > 0, 'the competition data', 300);
    await page.goto(`${stack.web}/competitions/${SLUG}`);
    await page.getByText('Submission kinds: prediction file, kernel, model (ONNX)').waitFor();
    await page.getByTestId('model-pipeline').getByText(/Windows of 1024 px every 512 px resized to 320/).waitFor();
  });

  it('the Submit tab says what the model must be, from the competition’s pipeline', async () => {
    await page.goto(`${stack.web}/competitions/${SLUG}/submit`);
    await page.getByRole('radio', { name: 'Model (ONNX)' }).check();
    const req = page.getByTestId('model-requirements');
    await req.waitFor();
    const text = (await req.textContent()) ?? '';
    assert.match(text, /N×C×H×W float32, C = 3 \(RGB\), normalised as \(x\/255 − mean\)\/std with mean 0\.485, 0\.456, 0\.406 and std 0\.229, 0\.224, 0\.225/);
    assert.match(text, /logits \(a sigmoid is applied\), K = 1 channel: foreground/);
    assert.match(text, /Windows of 1024 px every 512 px resized to 320; the centre of each window kept; flip TTA \(hflip, vflip\)[^;]*; threshold 0\.4/);
    assert.match(text, /At most 100 MB; the run over every test image may take up to 2 h/);
    assert.match(text, /a \.tar of several \.onnx files, their probabilities averaged/i);
    assert.match(text, /a fixed input size must equal the view size \(320×320\)/);
    assert.equal(await page.locator('input[type=file]').getAttribute('accept'), '.onnx,.tar');
    await screenshot(page, 'model-submit');
  });

  it('bytes that are no model, named model.onnx: every problem is listed, and nothing is created or charged', async () => {
    const before = await left();
    const garbage = join(dir, 'model.onnx');
    writeFileSync(garbage, garbageBytes());
    await chooseModel(garbage);
    await page.getByRole('button', { name: 'Submit', exact: true }).click();
    const problems = page.getByTestId('model-problems');
    await problems.waitFor();
    assert.equal(await problems.getAttribute('role'), 'alert');
    const items = await problems.getByRole('listitem').allTextContents();
    assert.ok(items.length >= 1, 'at least one problem');
    assert.ok(items.every((p) => p.includes('model.onnx')), `each problem names the file: ${items.join(' | ')}`);
    assert.match((await problems.textContent()) ?? '', /nothing was submitted or charged/);
    assert.equal(await page.locator('input[type=file]').getAttribute('aria-invalid'), 'true');
    assert.match(page.url(), new RegExp(`/competitions/${SLUG}/submit$`), 'still on the Submit tab');
    await screenshot(page, 'model-refused');
    const violations = await axe(page);
    assert.deepEqual(violations, [], describeViolations(violations));
    assert.equal(await left(), before, 'not charged');
    await page.goto(`${stack.web}/competitions/${SLUG}/submissions`);
    await page.getByText('No submissions yet.').waitFor();
  });

  it('a small valid model (3 channels in, 1 out) is run over the test images live, then scored', async () => {
    const before = await left();
    const file = join(dir, 'unet.onnx');
    // Output = the pixel's red channel in 0..1 (undoing the pipeline's normalisation), as logits.
    writeFileSync(file, identityModel({ channels: 3, outputChannels: 1, mean: 0.485, std: 0.229 }));
    await chooseModel(file);
    await page.getByLabel('Description').fill('identity model');
    await page.getByRole('button', { name: 'Submit', exact: true }).click();
    await page.waitForURL(new RegExp(`/competitions/${SLUG}/submissions/[0-9a-f-]{36}$`));
    assert.equal((await page.getByTestId('submission-kind').textContent())?.trim(), 'Model');
    // No reload: status and progress arrive over the event stream.
    const scored = page.locator('[data-testid=live-status] [data-status=scored]');
    const seen = await progressWhile(page, scored.waitFor({ timeout: 150_000 }), 'model-running');
    assert.ok([...seen.lines].some((t) => /^Predicting image \d+ of \d+( · \d+\/\d+ windows)?$/.test(t)), `progress lines: ${[...seen.lines].join(' | ')}`);
    assert.ok(seen.bar, 'a progress bar over the test images');
    assert.match((await page.getByTestId('detail-public-score').textContent()) ?? '', /^\d\.\d{4}$/);
    assert.equal(await page.getByTestId('cancel-run').count(), 0, 'nothing to cancel once scored');
    assert.equal(await page.getByTestId('not-charged').count(), 0);
    await screenshot(page, 'model-scored');
    const violations = await axe(page);
    assert.deepEqual(violations, [], describeViolations(violations));
    assert.equal(await left(), before - 1, 'charged once');

    await page.goto(`${stack.web}/competitions/${SLUG}/submissions`);
    const rows = page.getByTestId('submission-row');
    assert.equal(await rows.count(), 1, 'the refused model left no row');
    const row = rows.filter({ hasText: 'unet.onnx' });
    assert.equal((await row.getByTestId('submission-kind').textContent())?.trim(), 'Model');
    assert.match((await row.textContent()) ?? '', /scored/);
  });

  it('a model whose output is NaN fails as the model’s fault, explained, and is charged', async () => {
    const before = await left();
    const file = join(dir, 'nan.onnx');
    writeFileSync(file, nanModel({ channels: 3, outputChannels: 1 }));
    await chooseModel(file);
    await page.getByRole('button', { name: 'Submit', exact: true }).click();
    await page.waitForURL(new RegExp(`/competitions/${SLUG}/submissions/[0-9a-f-]{36}$`));
    await page.locator('[data-testid=live-status] [data-status=failed]').waitFor({ timeout: 120_000 });
    const error = page.getByTestId('submission-error');
    await error.waitFor();
    assert.equal(await error.getAttribute('role'), 'alert');
    assert.match((await error.textContent()) ?? '', /^The model produced NaN or an output of the wrong shape \(charged\)/);
    assert.equal(await page.getByTestId('not-charged').count(), 0);
    await screenshot(page, 'model-failed');
    assert.equal(await left(), before - 1, 'charged');
  });

  it('a model is cancelled from its page while it waits or runs: cancelled, not charged', async () => {
    const before = await left();
    const file = join(dir, 'second.onnx');
    writeFileSync(file, identityModel({ channels: 3, outputChannels: 1 }));
    await chooseModel(file);
    await page.getByRole('button', { name: 'Submit', exact: true }).click();
    await page.waitForURL(new RegExp(`/competitions/${SLUG}/submissions/[0-9a-f-]{36}$`));
    await page.getByRole('button', { name: 'Cancel model' }).click();
    await page.getByRole('button', { name: 'Yes, cancel the model' }).click();
    await page.locator('[data-testid=live-status] [data-status=cancelled]').waitFor();
    assert.equal((await page.getByTestId('not-charged').textContent())?.trim(), 'not charged');
    assert.equal(await page.getByTestId('cancel-run').count(), 0);
    await screenshot(page, 'model-cancelled');
    assert.equal(await left(), before, 'not charged');
  });
});
