// The Viewer tab in Chromium: a student overlays one of their past submissions (picked from the
// list, not uploaded again) on the first public test slide, which is on screen without scrolling;
// ids that name no public image are listed as such and never requested.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { axe, describeViolations, launch, screenshot, type Browser } from './browser.js';
import { eventually, register } from './people.js';
import { startStack, type Stack } from './stack.js';

const SLUG = 'glom-viewer';
const run = Date.now().toString(36);
const teacher = { name: 'Vera Instructor', email: `vera-${run}@example.test` };
const student = { name: 'Theo Student', email: `theo-${run}@example.test` };
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const FILE_NAME = 'viewer-e2e.csv';
/** The square glomerulus the prediction file draws, in full-scale slide pixels. */
const SQUARE = { x0: 400, y0: 400, side: 500 };

/** The slide canvas's pixel (RGBA) at full-scale slide point (x, y), with the view fitted as it opens. */
async function slidePixel(page: Page, info: { width: number; height: number }, x: number, y: number): Promise<number[]> {
  return page.getByTestId('viewer-slide').evaluate(
    (el, a) => {
      const c = el as HTMLCanvasElement;
      const scale = Math.min(c.width / a.w, c.height / a.h);
      const sx = Math.round((a.x - a.w / 2) * scale + c.width / 2);
      const sy = Math.round((a.y - a.h / 2) * scale + c.height / 2);
      return [...c.getContext('2d')!.getImageData(sx, sy, 1, 1).data];
    },
    { w: info.width, h: info.height, x, y },
  );
}

/** The canvas is entirely within the first screen of the page (nothing scrolled). */
async function assertAboveTheFold(page: Page, viewport: { height: number }, what: string) {
  assert.equal(await page.evaluate(() => window.scrollY), 0);
  const box = await page.getByTestId('viewer-slide').boundingBox();
  assert.ok(box && box.height >= 200 && box.y >= 0 && box.y + box.height <= viewport.height, `${what}: the slide is not all on screen: ${JSON.stringify(box)}`);
}

describe('the mask viewer in Chromium', { timeout: 10 * 60_000 }, () => {
  let stack: Stack;
  let teacherBrowser: Browser;
  let studentBrowser: Browser;
  let page: Page;
  const dir = mkdtempSync(join(tmpdir(), 'holdout-viewer-'));
  let firstId = '';
  let info = { width: 0, height: 0 };

  before(async () => {
    stack = await startStack();
    teacherBrowser = await launch();
    studentBrowser = await launch({ viewport: DESKTOP });
  });

  after(async () => {
    await teacherBrowser?.close();
    await studentBrowser?.close();
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('an instructor opens the HuBMAP-like competition; a student joins', async () => {
    const t = await teacherBrowser.context.newPage();
    await register(t, stack.web, teacher);
    await t.goto(`${stack.web}/console`);
    await t.getByLabel('Course name').fill('Viewer 101');
    await t.getByRole('button', { name: 'Create course' }).click();
    await t.getByRole('status').filter({ hasText: 'Created Viewer 101' }).waitFor();
    const joinCode = (await t.getByTestId('console-join-code').first().textContent())!.trim();
    await t.getByLabel('Competition bundle').selectOption('hubmap-glomeruli');
    await t.getByLabel('Slug (optional)').fill(SLUG);
    await t.getByRole('button', { name: 'Create competition' }).click();
    await t.waitForURL(`${stack.web}/console/competitions/${SLUG}`);
    await t.goto(`${stack.web}/competitions/${SLUG}/data`);
    await eventually(t, async () => (await t.locator('[data-testid=data-files] td', { hasText: 'sample_submission.csv' }).count()) > 0, 'the competition data', 300);

    page = await studentBrowser.context.newPage();
    await register(page, stack.web, student);
    await page.getByLabel('Course code').fill(joinCode);
    await page.getByRole('button', { name: 'Join' }).click();
    await page.getByRole('status').filter({ hasText: 'Viewer 101' }).waitFor();
  });

  it('the student submits a prediction file built from the sample submission', async () => {
    // The sample names every test slide with an empty mask; the first public test slide gets a square.
    const sample = await (await page.request.get(`${stack.web}/api/competitions/${SLUG}/data/sample_submission.csv`)).text();
    const ids = sample.trim().split('\n').slice(1).map((l) => l.split(',')[0]!);
    firstId = [...ids].sort()[0]!;
    info = (await (await page.request.get(`${stack.web}/api/competitions/${SLUG}/tiles/test/${firstId}.tiff/info`)).json()) as typeof info;
    const runs: string[] = [];
    // Column-major, 1-based: one run down each column of the square.
    for (let x = SQUARE.x0; x < SQUARE.x0 + SQUARE.side; x++) runs.push(`${x * info.height + SQUARE.y0 + 1} ${SQUARE.side}`);
    const file = join(dir, FILE_NAME);
    writeFileSync(file, `id,predicted\n${ids.map((id) => `${id},${id === firstId ? runs.join(' ') : ''}`).join('\n')}\n`);

    await page.goto(`${stack.web}/competitions/${SLUG}/submit`);
    await page.locator('input[type=file]').setInputFiles(file);
    await page.getByTestId('chosen-file').waitFor();
    await page.getByLabel('Description').fill('a square on the first slide');
    await page.getByRole('button', { name: 'Submit' }).click();
    await page.waitForURL(new RegExp(`/competitions/${SLUG}/submissions/[0-9a-f-]{36}$`));
  });

  it('the Viewer opens on the first public test slide, on screen; the past submission is picked from the list and drawn on it', async () => {
    const requested: string[] = [];
    page.on('request', (r) => requested.push(decodeURIComponent(new URL(r.url()).pathname)));
    await page.goto(`${stack.web}/competitions/${SLUG}/viewer`);
    // Only public images are offered: the test slides first, then the training ones.
    const image = page.getByLabel('Image', { exact: true });
    const offered = await image.locator('option').allTextContents();
    assert.ok(offered.length > 0 && offered.every((o) => /^(test|train)\/[^/]+\.tiff$/.test(o)), JSON.stringify(offered));
    assert.equal(await image.inputValue(), `test/${firstId}.tiff`, 'the first public test slide is shown first');
    await page.getByTestId('viewer-status').filter({ hasText: /levels\. Choose predictions/ }).waitFor();
    await assertAboveTheFold(page, DESKTOP, 'on opening');
    let plain: number[] = [];
    for (let i = 0; plain[3] !== 255; i++) {
      assert.ok(i < 40, 'the slide\'s tiles are drawn');
      await page.waitForTimeout(250);
      plain = await slidePixel(page, info, SQUARE.x0 + SQUARE.side / 2, SQUARE.y0 + SQUARE.side / 2);
    }

    // The past submission, from the list: no file input is ever shown or used.
    const source = page.getByLabel('Predictions', { exact: true });
    const option = source.locator('option', { hasText: FILE_NAME });
    assert.equal(await option.count(), 1, 'the submission is listed');
    await source.selectOption((await option.getAttribute('value'))!);
    await page.getByTestId('viewer-status').filter({ hasText: new RegExp(`^\\d+×\\d+ · 1 mask for ${firstId} · about [1-9][\\d.]*% of pixels`) }).waitFor();
    assert.equal(await page.locator('input[type=file]').count(), 0, 'no upload from disk');
    assert.ok(requested.some((p) => /^\/api\/submissions\/[0-9a-f-]{36}\/file$/.test(p)), 'the submitted file came from the API');
    // Every id of the file is a public test slide here, each one a button to show it.
    const ids = page.getByTestId('viewer-ids');
    await ids.getByText(/^15 images, 15 of them public\.$/).waitFor();
    assert.equal(await ids.locator('li[data-public=no]').count(), 0);

    // The overlay is drawn: the square's centre moved towards the first mask colour (255, 64, 64).
    await page.waitForTimeout(300); // the next animation frame
    const overlaid = await slidePixel(page, info, SQUARE.x0 + SQUARE.side / 2, SQUARE.y0 + SQUARE.side / 2);
    const far = (p: number[]) => Math.hypot(p[0]! - 255, p[1]! - 64, p[2]! - 64);
    assert.ok(far(overlaid) < far(plain) - 20, `no overlay at the square: ${plain} → ${overlaid}`);
    await assertAboveTheFold(page, DESKTOP, 'with the overlay');
    const v = await axe(page);
    assert.deepEqual(v, [], describeViolations(v));
    await screenshot(page, 'viewer-desktop');
  });

  it('a file from disk is still an option; ids that are not public images are listed, never requested', async () => {
    const file = join(dir, 'local.csv');
    writeFileSync(file, `id,predicted\nnot-a-slide,1 10\n${firstId},1 10\n`);
    const requested: string[] = [];
    const listen = (r: { url(): string }) => requested.push(decodeURIComponent(r.url()));
    page.on('request', listen);
    await page.getByLabel('Predictions', { exact: true }).selectOption('disk');
    await page.getByLabel('Your submission file').setInputFiles(file);
    const ids = page.getByTestId('viewer-ids');
    await ids.getByText(/^2 images, 1 of them public: /).waitFor();
    const hidden = ids.locator('li[data-public=no]');
    assert.equal(await hidden.count(), 1);
    assert.match((await hidden.textContent()) ?? '', /^not-a-slide\s*not a public image$/);
    await page.getByTestId('viewer-status').filter({ hasText: `1 mask for ${firstId}` }).waitFor();
    page.off('request', listen);
    assert.deepEqual(requested.filter((u) => u.includes('not-a-slide')), []);
  });

  it('on a phone, the slide comes first and on screen, the controls below it', async () => {
    const phone = await launch({ viewport: PHONE });
    try {
      await phone.context.addCookies(await studentBrowser.context.cookies());
      const p = await phone.context.newPage();
      await p.goto(`${stack.web}/competitions/${SLUG}/viewer`);
      await p.getByTestId('viewer-status').filter({ hasText: /levels\./ }).waitFor();
      await assertAboveTheFold(p, PHONE, 'on a phone');
      const source = p.getByLabel('Predictions', { exact: true });
      await source.selectOption((await source.locator('option', { hasText: FILE_NAME }).getAttribute('value'))!);
      await p.getByTestId('viewer-status').filter({ hasText: `1 mask for ${firstId}` }).waitFor();
      const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 1, `the phone layout scrolls sideways by ${overflow}px`);
      await p.waitForTimeout(300);
      await screenshot(p, 'viewer-phone');
    } finally {
      await phone.close();
    }
  });
});
